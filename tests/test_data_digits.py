"""The digits splits: fixed, disjoint, stratified, standardised on the training split only."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from course_lib.data import load_digits_splits


def test_sizes_dtypes_and_standardisation():
    data = load_digits_splits()
    assert (len(data.train), len(data.val), len(data.test)) == (1259, 269, 269)
    for split in (data.train, data.val, data.test):
        assert split.X.dtype == np.float64 and split.X.shape[1] == 64
        assert split.y.dtype == np.int64 and set(np.unique(split.y)) == set(range(10))
    varying = data.std != 1.0
    np.testing.assert_allclose(data.train.X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(data.train.X.std(axis=0)[varying], 1.0)
    # The validation split is scaled with the *training* statistics, so it is not exactly 0/1.
    assert abs(data.val.X.mean()) > 1e-6


def test_splits_are_fixed_disjoint_and_fresh():
    a, b = load_digits_splits(), load_digits_splits()
    np.testing.assert_array_equal(a.test.X, b.test.X)
    a.train.X[:] = 0.0
    assert np.abs(load_digits_splits().train.X).sum() > 0, "callers get their own copies"
    # Together the three raw splits are exactly the data set: a partition, nothing twice.
    raw = load_digits_splits(standardize=False)
    parts = np.vstack([raw.train.X, raw.val.X, raw.test.X])
    full = load_digits().data

    def by_rows(m):
        return m[np.lexsort(m.T[::-1])]

    np.testing.assert_array_equal(by_rows(parts), by_rows(full))
    other = load_digits_splits(seed=1)
    assert not np.array_equal(other.test.y, a.test.y)


def test_stratified_class_proportions():
    data = load_digits_splits()
    train = np.bincount(data.train.y) / len(data.train)
    test = np.bincount(data.test.y) / len(data.test)
    np.testing.assert_allclose(train, test, atol=0.01)


def test_bad_fractions_are_rejected():
    with pytest.raises(ValueError, match="sum below 1"):
        load_digits_splits(val_fraction=0.6, test_fraction=0.5)
