"""Prototype 2: all GRUs padded into one batched model; effective U built once per forward."""
import math
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
cfg = dict(K=12, A=4, T=0, N=48, r=2, n_small=0, bz=0.0, alr="", ninit="", us=1.0, arms="0123", steps=300, B=32, lr="1e-2", inits=2, seed=10, pos=0,
           Q=4, ref=1, lrs="", decay=1, curve=0)
for a in sys.argv[1:]:
    k, v = a.split("=")
    cfg[k] = type(cfg[k])(v)
K, A, T, N, R = cfg["K"], cfg["A"], cfg["T"], cfg["N"], cfg["r"]
QB = K if cfg['pos'] == 2 else max(1, math.ceil(math.log2(K)))
n_in = A + 1 + QB + 1          # symbol, blank, position code, query flag
seed = cfg["seed"]
codes = (torch.eye(K) if cfg['pos'] == 2 else
         torch.tensor([[(j >> b) & 1 for b in range(QB)] for j in range(K)]).float())


def batch(gen, size):
    s = torch.randint(0, A, (size, K), generator=gen)
    x = torch.zeros(size, K + T, n_in)
    x[:, :K] = F.one_hot(s, n_in).float()
    if cfg["pos"]:
        x[:, :K, A + 1:A + 1 + QB] = codes
    x[:, K:, A] = 1.0
    q = torch.zeros(K, n_in)
    q[:, A + 1:A + 1 + QB] = codes
    q[:, -1] = 1.0
    return x, q, s


def nparams_of(n, rank, diag):
    rec = 3 * n * n if rank is None else 3 * (2 * n * rank + (n if diag else 0))
    return n_in * 3 * n + 3 * n + rec + n * A + A


def n_small_for(budget):
    return max(m for m in range(1, N) if nparams_of(m, None, False) <= 1.02 * budget)


budget = nparams_of(N, R, True)
ns = cfg['n_small'] or n_small_for(budget)
lr_of = {}
base = [float(v) for v in cfg["lr"].split(",")]
arms = [("lr+diag", N, R, True), ("lr only", N, R, False), ("dense small", ns, None, False)]
if cfg["ref"]:
    arms.append(("dense large", N, None, False))
lrs = [float(v) for v in cfg["lrs"].split(",")] if cfg["lrs"] else [base[0]]
arms = [arms[int(c)] for c in cfg["arms"]]
# each model: (arm, n, rank, diag, lr, init)
spec = [(a, n, rk, dg, lr, i) for (a, n, rk, dg) in arms for lr in lrs for i in range(cfg["inits"])]
if cfg["alr"]:
    al = [float(v) for v in cfg["alr"].split(",")]
    ni = [int(v) for v in cfg["ninit"].split(",")]
    spec = [(a, n, rk, dg, al[j], i) for j, (a, n, rk, dg) in enumerate(arms) for i in range(ni[j])]
M = len(spec)


def build(spec):
    W = torch.zeros(M, n_in, 3 * N); O = torch.zeros(M, N, A)
    Ud = torch.zeros(M, N, 3 * N); UL = torch.zeros(M, N, 3 * R); UR = torch.zeros(M, 3, R, N)
    d = torch.zeros(M, 1, 3 * N)
    mk = {k: torch.zeros_like(v) for k, v in dict(W=W, O=O, Ud=Ud, UL=UL, UR=UR, d=d).items()}
    for m, (a, n, rk, dg, lr, i) in enumerate(spec):
        g = torch.Generator().manual_seed(10000 * seed + 100 * [x[0] for x in arms].index(a) + i)
        def u(*sh, fan):
            return (2 * torch.rand(*sh, generator=g) - 1) / fan ** 0.5
        for k in range(3):
            sl = slice(k * N, k * N + n)
            W[m, :, sl] = u(n_in, n, fan=n_in); mk["W"][m, :, sl] = 1
            if rk is None:
                Ud[m, :n, sl] = u(n, n, fan=n) * cfg["us"]; mk["Ud"][m, :n, sl] = 1
            else:
                UL[m, :n, k * R:(k + 1) * R] = u(n, R, fan=n); mk["UL"][m, :n, k * R:(k + 1) * R] = 1
                UR[m, k, :, :n] = u(R, n, fan=R); mk["UR"][m, k, :, :n] = 1
                if dg:
                    mk["d"][m, 0, sl] = 1
        O[m, :n] = u(n, A, fan=n); mk["O"][m, :n] = 1
    b = torch.zeros(M, 1, 3 * N)
    b[..., N:2 * N] = cfg["bz"]
    p = dict(W=W, O=O, Ud=Ud, UL=UL, UR=UR, d=d, b=b, c=torch.zeros(M, 1, A))
    mk["b"] = (mk["W"].sum(1, keepdim=True) > 0).float(); mk["c"] = torch.ones(M, 1, A)
    return {k: v.requires_grad_() for k, v in p.items()}, mk


def U_eff(p):
    lo = [p["UL"][:, :, k * R:(k + 1) * R] @ p["UR"][:, k] for k in range(3)]     # (M,N,N) each
    dg = [torch.diag_embed(p["d"][:, 0, k * N:(k + 1) * N]) for k in range(3)]
    return p["Ud"] + torch.cat([lo[k] + dg[k] for k in range(3)], -1)           # (M,N,3N)


def step(U, a, h):
    rz = torch.sigmoid(a[..., :2 * N] + h @ U[..., :2 * N])
    r_, z = rz[..., :N], rz[..., N:]
    ht = torch.tanh(a[..., 2 * N:] + (r_ * h) @ U[..., 2 * N:])
    return z * h + (1 - z) * ht


def forward(p, x, q, qidx=None):
    """-> logits (M,B,nq,A) for queries qidx (B,nq) (all K if None)."""
    U, B = U_eff(p), x.shape[0]
    a = x.unsqueeze(0) @ p["W"].unsqueeze(1) + p["b"].unsqueeze(1)      # (M,B,L,3N)
    h = x.new_zeros(M, B, N)
    for t in range(x.shape[1]):
        h = step(U, a[:, :, t], h)
    aq = q @ p["W"] + p["b"]                                              # (M,K,3N)
    if qidx is None:
        qidx = torch.arange(K).expand(B, K)
    nq = qidx.shape[1]
    aq = aq[:, qidx.reshape(-1)]                                          # (M,B*nq,3N)
    hq = h.unsqueeze(2).expand(M, B, nq, N).reshape(M, B * nq, N)
    hq = step(U, aq, hq)
    return (hq @ p["O"] + p["c"]).reshape(M, B, nq, A)


p, mk = build(spec)
with torch.no_grad():
    for k in p:
        p[k].mul_(mk[k])
for a, n, rk, dg in arms:
    print(f"{a:12s} n={n:4d} params={nparams_of(n, rk, dg)}")
print(f"budget {budget}, n_small {ns}; bits to hold {K * math.log2(A):.0f}; M={M}")
lr_t = torch.tensor([s[4] for s in spec])
st = {k: (torch.zeros_like(v), torch.zeros_like(v)) for k, v in p.items()}
dgen, t0 = torch.Generator().manual_seed(seed * 7 + 1), time.process_time()
for it in range(1, cfg["steps"] + 1):
    x, q, s = batch(dgen, cfg["B"])
    qidx = torch.stack([torch.randperm(K, generator=dgen)[:cfg["Q"]] for _ in range(cfg["B"])])
    lg = forward(p, x, q, qidx)
    tgt = s.gather(1, qidx)
    loss = F.cross_entropy(lg.reshape(-1, A), tgt.repeat(M, 1, 1).reshape(-1)) * M
    for v in p.values():
        v.grad = None
    loss.backward()
    with torch.no_grad():
        for k, v in p.items():
            m_, v_ = st[k]
            gr = v.grad * mk[k]
            m_.mul_(0.9).add_(gr, alpha=0.1)
            v_.mul_(0.999).addcmul_(gr, gr, value=0.001)
            lrv = lr_t.view(M, *([1] * (v.dim() - 1)))
            if cfg["decay"]:
                lrv = lrv * 0.5 * (1 + math.cos(math.pi * (it - 1) / cfg["steps"]))
            v.sub_(lrv * (m_ / (1 - 0.9 ** it)) / ((v_ / (1 - 0.999 ** it)).sqrt() + 1e-8))
    if cfg["curve"] and it % cfg["curve"] == 0:
        with torch.no_grad():
            xc, qc, sc = batch(torch.Generator().manual_seed(5), 300)
            ac = (forward(p, xc, qc).argmax(-1) == sc).float().mean((1, 2))
        print(it, " ".join(f"{v:.2f}" for v in ac.tolist()), flush=True)
cpu = time.process_time() - t0
with torch.no_grad():
    xv, qv, sv = batch(torch.Generator().manual_seed(seed * 7 + 2), 500)
    xt, qt, s2 = batch(torch.Generator().manual_seed(seed * 7 + 3), 1000)
    va = (forward(p, xv, qv).argmax(-1) == sv).float().mean((1, 2))
    hits = (forward(p, xt, qt).argmax(-1) == s2).float()
    te, pos = hits.mean((1, 2)), hits.mean(1)
for a, *_ in arms:
    rows = [m for m, s in enumerate(spec) if s[0] == a]
    vl = {}
    for m in rows:
        vl.setdefault(spec[m][4], []).append(va[m].item())
    best = max(vl, key=lambda lr: sum(vl[lr]))
    tb = [te[m].item() for m in rows if spec[m][4] == best]
    print(f"{a:12s} val/lr " + " ".join(f"{lr:g}:{sum(v)/len(v):.3f}" for lr, v in vl.items())
          + f" | best {best:g} test " + " ".join(f"{v:.3f}" for v in tb))
print(f"cpu {cpu:.1f} s for {cfg['steps']} steps")
