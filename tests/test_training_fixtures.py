"""Tiny models and data shared by the `course_lib.training` tests (CPU, a fraction of a second)."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import TensorDataset

from course_lib.training import make_loader, seed_everything


def blobs(n: int = 256, seed: int = 0) -> TensorDataset:
    """Two Gaussian blobs in 8 dimensions: a classification task a tiny MLP learns in epochs."""
    generator = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=generator)
    x = torch.randn(n, 8, generator=generator) + 1.5 * (2 * y[:, None] - 1).float()
    return TensorDataset(x, y)


def tiny_mlp(seed: int = 0, dropout: float = 0.0) -> nn.Module:
    seed_everything(seed)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 2))


def loaders(batch_size: int = 32, seed: int = 0):
    train = make_loader(blobs(256, seed=1), batch_size, shuffle=True, device="cpu", seed=seed)
    val = make_loader(blobs(128, seed=2), 64, device="cpu")
    return train, val


def params_equal(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(),
                                                  b.state_dict().values(), strict=True))
