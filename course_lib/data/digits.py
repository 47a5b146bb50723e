"""scikit-learn's handwritten digits as fixed, standardised train / validation / test splits.

1 797 images of 8x8 pixels (64 features, grey levels 0-16), 10 classes, shipped with
scikit-learn: no download. The split is stratified (every class in the same proportion in each
part) and fixed by its seed, so every student sees the same numbers and a hidden test can
assert an accuracy on the held-out test split.

Features are standardised with the *training* split's mean and standard deviation only: the
validation and test splits must not influence anything the model (or its preprocessing)
learns from, or their scores stop being honest estimates of performance on new data.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["Split", "DigitsSplits", "load_digits_splits", "DIGITS_CLASSES"]

DIGITS_CLASSES = 10


@dataclass(frozen=True)
class Split:
    """One part of the data: `X` float64 (n, 64) and integer labels `y` (n,)."""

    X: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class DigitsSplits:
    """The three splits plus the training statistics used to standardise all of them."""

    train: Split
    val: Split
    test: Split
    mean: np.ndarray
    std: np.ndarray

    def __repr__(self) -> str:
        return (f"DigitsSplits(train={len(self.train)}, val={len(self.val)}, "
                f"test={len(self.test)}, features={self.train.X.shape[1]})")


def _read_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1 797 digits from the CSV file scikit-learn ships, read without importing sklearn.

    Importing scikit-learn costs seconds; lessons that only need the numbers skip it. If the
    file is not where this sklearn version keeps it, fall back to `sklearn.datasets`.
    """
    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            table = np.loadtxt(path, delimiter=",")
            return table[:, :-1], table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.data.astype(np.float64), digits.target.astype(np.int64)


def _stratified_split(y: np.ndarray, fraction: float, rng: np.random.Generator):
    """Indices (rest, part): `part` holds round(fraction * count) examples of every class."""
    part = []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        part.extend(members[: int(round(fraction * len(members)))])
    part = np.sort(np.array(part, dtype=np.int64))
    return np.setdiff1d(np.arange(len(y)), part), part


@lru_cache(maxsize=4)
def _splits(seed: int, val_fraction: float, test_fraction: float):
    X, y = _read_digits()
    rng = np.random.default_rng(seed)
    rest, test = _stratified_split(y, test_fraction, rng)
    train_in_rest, val_in_rest = _stratified_split(y[rest], val_fraction / (1.0 - test_fraction),
                                                   rng)
    train, val = rest[train_in_rest], rest[val_in_rest]
    train = train[rng.permutation(len(train))]  # not sorted by class: shuffled once, fixed
    return X[train], y[train], X[val], y[val], X[test], y[test]


def load_digits_splits(*, seed: int = 0, val_fraction: float = 0.15,
                       test_fraction: float = 0.15, standardize: bool = True) -> DigitsSplits:
    """Digits split into train / val / test (70 / 15 / 15 % by default), as numpy arrays.

    With `standardize`, every feature is shifted and scaled by the training split's mean and
    standard deviation (pixels that are constant in training keep scale 1). Each call returns
    fresh arrays, so changing them in place cannot affect a later call.
    """
    if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(f"val_fraction and test_fraction must be in (0, 1) with a sum below 1, "
                         f"got {val_fraction} and {test_fraction}")
    X_train, y_train, X_val, y_val, X_test, y_test = _splits(int(seed), float(val_fraction),
                                                             float(test_fraction))
    mean = X_train.mean(axis=0) if standardize else np.zeros(X_train.shape[1])
    std = X_train.std(axis=0) if standardize else np.ones(X_train.shape[1])
    std = np.where(std > 0, std, 1.0)

    def part(X, y):
        return Split((X - mean) / std, y.copy())

    return DigitsSplits(part(X_train, y_train), part(X_val, y_val), part(X_test, y_test),
                        mean.copy(), std.copy())
