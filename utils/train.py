"""A small training loop with a progress bar that stays quiet in tests and builds."""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import cycle


def interactive() -> bool:
    """True in a live notebook or terminal; False under tests, book builds (``REPRO_QUIET=1``) and CI."""
    if os.environ.get("REPRO_QUIET", "") not in ("", "0") or os.environ.get("CI"):
        return False
    if "ipykernel" in sys.modules:
        return True
    return sys.stderr.isatty()


def progress(iterable: Iterable, desc: str | None = None, total: int | None = None, **kwargs):
    """``tqdm.auto`` over ``iterable``, disabled when not :func:`interactive`.

    tqdm is imported here, not with the module: in a kernel ``tqdm.auto`` pulls in ipywidgets, which quiet runs
    (tests, builds) never need.
    """
    if not interactive():
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(iterable, desc=desc, total=total, disable=not interactive(), leave=False, **kwargs)


class History(dict):
    """Per-step metrics: ``history["loss"]`` is a list with one float per logged step, ``history["step"]`` the steps."""

    def last(self, key: str, n: int = 1) -> float:
        """Mean of the last ``n`` logged values of ``key``."""
        values = self[key][-n:]
        return sum(values) / len(values)


def train(
    model,
    loss_fn: Callable,
    batches: Iterable | Iterator,
    steps: int,
    optimizer=None,
    lr: float = 1e-3,
    log_every: int = 1,
    desc: str = "train",
) -> History:
    """Train ``model`` for ``steps`` optimizer steps and return a :class:`History`.

    ``loss_fn(model, batch)`` returns either the loss tensor or ``(loss, {"metric": float, ...})``.
    ``batches`` is any iterable of batches (cycled if it runs out), e.g. :func:`utils.minibatches`.
    ``optimizer`` defaults to Adam with learning rate ``lr``.
    """
    import torch

    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    stream = iter(batches) if isinstance(batches, Iterator) else cycle(batches)
    logged = defaultdict(list)
    model.train()
    bar = progress(range(steps), desc=desc)
    for step in bar:
        out = loss_fn(model, next(stream))
        loss, metrics = out if isinstance(out, tuple) else (out, {})
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % log_every == 0 or step == steps - 1:
            logged["step"].append(step)
            logged["loss"].append(float(loss.detach()))
            for key, value in metrics.items():
                logged[key].append(float(value))
            if not bar.disable:
                bar.set_postfix(loss=f"{logged['loss'][-1]:.4f}", refresh=False)
    model.eval()
    return History(logged)
