"""Shared helpers for *Deep Learning in Miniature*.

Only what several chapters need lives here: setup (seed, device, scale), a small training loop, offline data,
one plotting style, claim checks for the reproduction ledger, and an explore helper. Each chapter implements its
paper's idea itself, in the open.
"""

from utils.claims import check_claim, check_fails, report_claim
from utils.data import digits_tensors, label_edge_band, minibatches, mnist1d_tensors
from utils.explore import explore
from utils.plotting import use_style
from utils.setup import Run, setup
from utils.train import History, progress, train

__version__ = "0.1.0"

__all__ = [
    "History",
    "Run",
    "__version__",
    "check_claim",
    "check_fails",
    "digits_tensors",
    "explore",
    "label_edge_band",
    "minibatches",
    "mnist1d_tensors",
    "progress",
    "report_claim",
    "setup",
    "train",
    "use_style",
]
