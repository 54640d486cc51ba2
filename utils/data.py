"""Offline data: scikit-learn's bundled digits, mnist1d made in code, and minibatch streams."""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np


def minibatches(*tensors, batch_size: int, generator=None) -> Iterator[tuple]:
    """An endless stream of random minibatches (reshuffled every epoch) drawn from tensors of equal length."""
    import torch

    n = len(tensors[0])
    if any(len(t) != n for t in tensors):
        raise ValueError("all tensors must have the same length")
    while True:
        order = torch.randperm(n, generator=generator)
        for start in range(0, n - batch_size + 1, batch_size):
            idx = order[start : start + batch_size].to(tensors[0].device)
            yield tuple(t[idx] for t in tensors)


def digits_tensors(device="cpu", test_fraction: float = 0.25, split_seed: int = 0, images: bool = False) -> dict:
    """scikit-learn's 8x8 digits (1797 images, bundled, no download) as float tensors scaled to [0, 1].

    Returns ``{"X_train", "y_train", "X_test", "y_test"}``; ``X`` has shape (n, 64), or (n, 1, 8, 8) with
    ``images=True``. The split is fixed by ``split_seed`` (not by the run's seed), so every run sees the same test set.
    """
    import torch
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = torch.tensor(bunch.data / 16.0, dtype=torch.float32)
    y = torch.tensor(bunch.target, dtype=torch.long)
    if images:
        X = X.reshape(-1, 1, 8, 8)
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(split_seed))
    n_test = int(round(test_fraction * len(X)))
    test, train = order[:n_test], order[n_test:]
    return {
        "X_train": X[train].to(device),
        "y_train": y[train].to(device),
        "X_test": X[test].to(device),
        "y_test": y[test].to(device),
    }


def mnist1d_tensors(device="cpu", num_samples: int = 4000, seed: int = 42, **overrides) -> dict:
    """mnist1d made in code with ``make_dataset`` (never downloaded), as tensors with shape (n, 40).

    ``make_dataset`` reseeds Python's and numpy's global generators; their states are restored afterwards so the
    chapter's own seeding stays in force. ``overrides`` change entries of ``get_dataset_args()``.
    """
    import torch
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.seed = num_samples, seed
    for key, value in overrides.items():
        setattr(args, key, value)
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        data = make_dataset(args)
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    return {
        "X_train": torch.tensor(data["x"], dtype=torch.float32, device=device),
        "y_train": torch.tensor(data["y"], dtype=torch.long, device=device),
        "X_test": torch.tensor(data["x_test"], dtype=torch.float32, device=device),
        "y_test": torch.tensor(data["y_test"], dtype=torch.long, device=device),
    }


def label_edge_band(labels, width: int = 2):
    """Pixels within `width` pixels (max norm) of a label change, for boundary metrics in segmentation.

    labels: (n, H, W) integer label maps. Returns an (n, H, W) bool tensor: a pixel is on an edge when one of
    its 8 neighbours (the border replicated) has another label; the band dilates the edges by width - 1.
    """
    import torch.nn.functional as F

    padded = F.pad(labels[:, None].float(), (1, 1, 1, 1), mode="replicate")[:, 0]
    H, W = labels.shape[-2:]
    edge = labels != labels                                   # all False, same device and shape
    for dy in range(3):
        for dx in range(3):
            edge |= padded[:, dy:dy + H, dx:dx + W] != labels
    return F.max_pool2d(edge[:, None].float(), 2 * width - 1, 1, width - 1)[:, 0] > 0
