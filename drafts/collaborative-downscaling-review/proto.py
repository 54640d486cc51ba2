"""Design probe for HCD (catalog 40). Dev seeds only. See RULE.md."""
import math, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(1)
t0 = time.process_time()
seed = int(sys.argv[1]); variant = sys.argv[2]; R = 4 if variant == "V4" else 2
N_TRAIN, N_TEST, STEPS, BATCH, WIDTH = 2000, 100, 300, 32, 16

def make_images(n, size, gen):  # copied from the draft
    def rand(*shape): return torch.rand(*shape, generator=gen)
    yy, xx = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    img = 0.2 + 0.6 * rand(n, 1, 1, 1) + 0.3 * (rand(n, 1, 1, 1) - 0.5) * (xx / size - 0.5)
    freq, angle = 0.3 + 1.2 * rand(n, 1, 1, 1), math.pi * rand(n, 1, 1, 1)
    wave = torch.sin(freq * (xx * angle.cos() + yy * angle.sin()) + 6.3 * rand(n, 1, 1, 1))
    img = img + 0.15 * rand(n, 1, 1, 1) * wave
    for _ in range(3):
        cx, cy, r = size * rand(n, 1, 1, 1), size * rand(n, 1, 1, 1), 2 + 6 * rand(n, 1, 1, 1)
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 < r**2
        square = torch.maximum((xx - cx).abs(), (yy - cy).abs()) < r
        inside = torch.where(rand(n, 1, 1, 1) < 0.5, disc, square)
        img = torch.where(inside, rand(n, 1, 1, 1), img)
    return img.clamp(0, 1)

def gen(k): g = torch.Generator(); g.manual_seed(seed * 1000 + k); return g
X_train = make_images(N_TRAIN, 32, gen(1)); X_test = make_images(N_TEST, 32, gen(2))

def quantise(y): return y + ((y.clamp(0, 1) * 255).round() / 255 - y).detach()

class Down(nn.Module):
    def __init__(s, w, skip=True):
        super().__init__(); s.skip = skip
        layers = [nn.Conv2d(R * R, w, 3, padding=1), nn.ReLU()]
        if not skip: layers += [nn.Conv2d(w, w, 3, padding=1), nn.ReLU()]
        s.net = nn.Sequential(*layers, nn.Conv2d(w, 1, 3, padding=1))
    def forward(s, x):
        out = s.net(F.pixel_unshuffle(x, R))
        return F.avg_pool2d(x, R) + out if s.skip else out

class Up(nn.Module):
    def __init__(s, w):
        super().__init__()
        s.net = nn.Sequential(nn.Conv2d(1, w, 3, padding=1), nn.ReLU(), nn.Conv2d(w, w, 3, padding=1), nn.ReLU(),
                              nn.Conv2d(w, R * R, 3, padding=1))
    def forward(s, y): return F.interpolate(y, scale_factor=R, mode="nearest") + F.pixel_shuffle(s.net(y), R)

def fit(D, U, bseed):
    opt = torch.optim.Adam([*U.parameters(), *D.parameters()], lr=3e-3)
    g = torch.Generator(); g.manual_seed(seed * 1000 + bseed)
    for _ in range(STEPS):
        x = X_train[torch.randint(0, N_TRAIN, (BATCH,), generator=g)]
        y = D(x)
        loss = F.mse_loss(U(quantise(y)), x) + 0.1 * F.mse_loss(y, F.avg_pool2d(x, R))
        opt.zero_grad(); loss.backward(); opt.step()
    for p in [*D.parameters(), *U.parameters()]: p.requires_grad_(False)

torch.manual_seed(seed)
D = Down(WIDTH // 2 if variant not in ("V1", "V4") else WIDTH, skip=(variant not in ("V1", "V4"))); U = Up(WIDTH)
fit(D, U, 10)

def psnr(y, x):
    xh = U((y.clamp(0, 1) * 255).round() / 255).clamp(0, 1)
    return -10 * torch.log10(((xh - x) ** 2).mean((1, 2, 3)))

def lr_step(y, x, T, eps=None, a=1/255):
    y0 = y.clone()
    for _ in range(T):
        y = y.detach().requires_grad_(True)
        g, = torch.autograd.grad(F.mse_loss(U(quantise(y)), x, reduction="sum"), y)
        y = (y - a * g.sign()).detach()
        if eps is not None: y = y0 + (y - y0).clamp(-eps, eps)
    return y

def hr_step(x, T, eps=None, b=1/255):
    xp = x.clone()
    for _ in range(T):
        xp.requires_grad_(True)
        g, = torch.autograd.grad(F.mse_loss(U(quantise(D(xp))), x, reduction="sum"), xp)
        xp = (xp - b * g.sign()).detach()
        if eps is not None: xp = x + (xp - x).clamp(-eps, eps)
    return xp

x = X_test; T = 20
if variant == "V4":
    res = [f"V4 seed {seed}", f"plain {psnr(D(x), x).mean():.3f}"]
    for T in (4, 20):
        a = psnr(lr_step(D(x), x, T), x); h = psnr(lr_step(D(hr_step(x, T // 2)), x, T // 2), x)
        d = h - a; m, se = d.mean().item(), (d.std() / 10).item()
        res.append(f"T={T}: LR-only {a.mean():.3f} HCD {h.mean():.3f} gap {m:+.4f}±{se:.4f} {'PASS' if m >= max(0.2, 2*se) else 'fail'}")
    print(" | ".join(res), f"| cpu {time.process_time()-t0:.1f}s", flush=True); sys.exit()
if variant == "V0":  # diagnostic: LR change of one HR sign step vs one LR sign step, from the same start
    y0 = D(x)
    dy_lr = lr_step(y0, x, 1) - y0
    dy_hr = D(hr_step(x, 1)) - y0
    agree = (dy_hr.sign() == dy_lr.sign()).float().mean().item()
    cos = F.cosine_similarity(dy_hr.flatten(), dy_lr.flatten(), dim=0).item()
    print(f"V0 seed {seed} | sign agreement {agree:.3f} | cosine {cos:.3f} | mean|dy_hr|*255 {dy_hr.abs().mean().item()*255:.3f} | mean|dy_lr|*255 {dy_lr.abs().mean().item()*255:.3f}")
    sys.exit()
if variant == "V3":  # the draft's control, model update on D's weights, at several Adam lrs (same 20 steps)
    base = psnr(D(x), x); res = [f"V3 seed {seed}", f"LR-only-plain {(psnr(lr_step(D(x), x, T), x)-base).mean():+.3f}"]
    for lr in (3e-4, 1e-3, 3e-3):
        Dt = Down(WIDTH // 2); Dt.load_state_dict(D.state_dict())
        for p in Dt.parameters(): p.requires_grad_(True)
        opt = torch.optim.Adam(Dt.parameters(), lr=lr)
        for _ in range(T):
            loss = F.mse_loss(U(quantise(Dt(x))), x); opt.zero_grad(); loss.backward(); opt.step()
        res.append(f"model-update lr{lr:g} {(psnr(Dt(x).detach(), x)-base).mean():+.3f}")
    print(" | ".join(res), f"| cpu {time.process_time()-t0:.1f}s", flush=True); sys.exit()
eps = 2/255 if variant == "V2" else None
P = {"plain": psnr(D(x), x)}
P["LR-only"] = psnr(lr_step(D(x), x, T, eps), x)
P["HCD"] = psnr(lr_step(D(hr_step(x, 10, eps)), x, 10, eps), x)
P["HR-only"] = psnr(D(hr_step(x, T, eps)), x)
if variant == "V2": P["LR-only 2eps"] = psnr(lr_step(D(x), x, T, 2 * eps), x)
def paired(a, b):
    d = a - b; return d.mean().item(), (d.std() / math.sqrt(len(d))).item()
out = [f"{variant} seed {seed}"] + [f"{k} {v.mean():.3f}" for k, v in P.items()]
gap, se = paired(P["HCD"], P["LR-only"]); out.append(f"HCD-LRonly {gap:+.4f}±{se:.4f} {'PASS' if gap >= max(0.2, 2*se) else 'fail'}")
if variant == "V2":
    g2, s2 = paired(P["HCD"], P["LR-only 2eps"]); out.append(f"HCD-LRonly2eps {g2:+.4f}±{s2:.4f}")
g3, s3 = paired(P["LR-only"], P["plain"]); out.append(f"LRonly-plain {g3:+.3f}")
out.append(f"cpu {time.process_time()-t0:.1f}s")
print(" | ".join(out), flush=True)
