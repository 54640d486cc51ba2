"""One call at the top of every chapter: seeds, determinism, device, scale and sizes."""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

SCALES = ("ci", "full")
DEFAULT_SCALE = "ci"
DEFAULT_SEED = 0


def read_scale() -> str:
    """Return ``REPRO_SCALE`` (``ci`` when unset); raise ``ValueError`` naming the valid values otherwise."""
    scale = os.environ.get("REPRO_SCALE", DEFAULT_SCALE).strip().lower() or DEFAULT_SCALE
    if scale not in SCALES:
        raise ValueError(f"REPRO_SCALE={scale!r} is not a known scale; use one of {', '.join(SCALES)}")
    return scale


def read_seed() -> int:
    """Return ``REPRO_SEED`` as an int (0 when unset); raise ``ValueError`` for anything that is not an integer."""
    raw = os.environ.get("REPRO_SEED", str(DEFAULT_SEED)).strip() or str(DEFAULT_SEED)
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"REPRO_SEED={raw!r} is not an integer; use a whole number such as 0, 1 or 2") from None


def read_ablation(ablations: dict[str, str]) -> str | None:
    """The ablation named by ``REPRO_ABLATE`` among the chapter's ``ablations`` (``None`` when it is unset or 0).

    ``REPRO_ABLATE=1`` picks the chapter's first ablation; any other value must be one of its names.
    """
    raw = os.environ.get("REPRO_ABLATE", "").strip()
    if raw in ("", "0"):
        return None
    if not ablations:
        raise ValueError(f"REPRO_ABLATE={raw!r}, but this chapter declares no ablation (utils.setup(ablations=...))")
    if raw == "1":
        return next(iter(ablations))
    if raw not in ablations:
        raise ValueError(f"REPRO_ABLATE={raw!r} is not one of this chapter's ablations: {', '.join(ablations)}")
    return raw


def record_only() -> bool:
    """True when checks should record without raising: an ablated run, or ``REPRO_RECORD_ONLY=1`` (seed sweeps)."""
    return os.environ.get("REPRO_RECORD_ONLY", "") not in ("", "0") or os.environ.get("REPRO_ABLATE", "") not in (
        "",
        "0",
    )


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators (all devices)."""
    random.seed(seed)
    np.random.seed(seed)
    import torch

    torch.manual_seed(seed)


def make_deterministic() -> None:
    """Make torch choose deterministic kernels (warning, not failing, where an op has none).

    ``torch.use_deterministic_algorithms`` also imports the inductor compiler's config (about 1.7 s on a 2-core CPU)
    to set a flag that only ``torch.compile`` reads; no chapter compiles, so set the same switch directly and fall
    back to the public call if the private one ever disappears.
    """
    import sys

    import torch

    setter = getattr(torch._C, "_set_deterministic_algorithms", None)
    if setter is None or "torch._inductor.config" in sys.modules:
        torch.use_deterministic_algorithms(True, warn_only=True)
    else:
        setter(True, warn_only=True)


def limit_cpu_threads() -> int:
    """Use ``REPRO_THREADS`` torch CPU threads (default 1) and return the number.

    The book's models are small: one thread is as fast as two on a 2-core machine, and with one thread MKL's and
    OpenMP's reductions run in a fixed order, so a chapter's numbers are identical on rerun, loaded machine or not.
    """
    import torch

    raw = os.environ.get("REPRO_THREADS", "1").strip() or "1"
    threads = max(1, int(raw))
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def pick_device():
    """CUDA when present, else CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class Run:
    """What a chapter needs to know about this run. ``sizes`` holds the chapter's sizes for the current scale.

    ``ablate`` is the name of the ablation switched on for this run (``None`` normally): the chapter then runs its
    main experiment with the paper's key idea replaced by its nearest alternative (see :func:`setup`).
    """

    chapter: str
    scale: str
    seed: int
    device: Any
    sizes: SimpleNamespace = field(default_factory=SimpleNamespace)
    ablate: str | None = None
    ablations: dict = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        """Seconds since :func:`setup` was called."""
        return time.perf_counter() - self.started

    def generator(self, offset: int = 0):
        """A fresh CPU ``torch.Generator`` seeded from the run's seed (plus ``offset`` for independent streams)."""
        import torch

        return torch.Generator().manual_seed(self.seed + offset)

    def rng(self, offset: int = 0) -> np.random.Generator:
        """A fresh numpy ``Generator`` seeded from the run's seed (plus ``offset``)."""
        return np.random.default_rng(self.seed + offset)


_CURRENT: Run | None = None


def current_run() -> Run | None:
    """The :class:`Run` made by the last :func:`setup` call in this process, if any."""
    return _CURRENT


def setup(
    chapter: str,
    ci: dict | None = None,
    full: dict | None = None,
    quiet: bool = False,
    ablations: dict[str, str] | None = None,
) -> Run:
    """Prepare a chapter run and return a :class:`Run`.

    Seeds Python, numpy and torch from ``REPRO_SEED``, makes torch deterministic, picks the device, reads
    ``REPRO_SCALE`` and selects the chapter's sizes for it: ``ci`` is the default scale (seconds on a CPU),
    ``full`` is closer to the paper. Keys given only for ``ci`` carry over to ``full``. Prints one line.

    ``ablations`` maps a short name to what it switches off, e.g. ``{"forward-gate": "σ instead of 1 − σ"}``.
    ``REPRO_ABLATE=1`` (or a name) sets ``run.ablate``; the chapter must then run its *main* experiment without the
    paper's key idea, and every asserted check is recorded instead of raised (``make ablate`` requires it to fail).

    >>> run = setup("demo", ci=dict(steps=100), full=dict(steps=5000), quiet=True)
    >>> run.sizes.steps in (100, 5000)
    True
    """
    global _CURRENT
    import torch

    scale, seed = read_scale(), read_seed()
    seed_everything(seed)
    make_deterministic()
    limit_cpu_threads()
    if torch.cuda.is_available():
        torch.backends.cudnn.benchmark = False
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    sizes = dict(ci or {})
    if scale == "full":
        unknown = set(full or {}) - set(sizes)
        if ci is not None and unknown:
            raise KeyError(f"sizes given for 'full' but not for 'ci': {sorted(unknown)}")
        sizes.update(full or {})
    ablations = dict(ablations or {})
    run = Run(chapter=chapter, scale=scale, seed=seed, device=pick_device(), sizes=SimpleNamespace(**sizes),
              ablate=read_ablation(ablations), ablations=ablations)
    from utils import __version__
    from utils.plotting import use_style

    use_style()
    _CURRENT = run
    from utils.claims import reset_record

    reset_record(chapter, run.ablate)
    if not quiet:
        print(f"utils {__version__} | torch {torch.__version__} | device {run.device} | scale {scale} | seed {seed}")
    if run.ablate:
        print(f"ABLATED run: {run.ablate} ({ablations[run.ablate]}); checks are recorded, not raised")
    return run
