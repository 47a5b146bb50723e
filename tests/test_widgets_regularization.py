"""The regularization explorer, driven through its sliders; the experiment helpers behind it."""

import numpy as np
import pytest

from course_lib import nn
from course_lib.regularization import (
    EarlyStopping,
    cached_run,
    fit_sparse_linear,
    regularization_run,
    small_digits,
)
from course_lib.widgets import regularization_explorer
from course_lib.widgets.regularization import BASELINE, DROPOUT_VALUES, WEIGHT_DECAY_VALUES


def test_sliders_change_the_plotted_curves_and_the_gap():
    explorer = regularization_explorer(dropout=0.0, weight_decay=0.0)
    assert list(explorer.plot.plotted) == [BASELINE]  # the baseline is not drawn twice
    baseline_gap = explorer.gap
    assert explorer.run.final["accuracy"] == 1.0 and baseline_gap > 0.08
    explorer.controls["weight_decay"].value = 1e-2
    explorer.controls["dropout"].value = 0.5
    assert list(explorer.plot.plotted) == [BASELINE, "p = 0.5, weight decay = 0.01"]
    curves = explorer.plot.plotted["p = 0.5, weight decay = 0.01"]
    assert len(curves["val_accuracy"]) == 70
    np.testing.assert_array_equal(curves["val_loss"], cached_run(0.5, 1e-2, 0).history["val_loss"])
    assert explorer.gap < baseline_gap - 0.03
    assert "gap" in explorer.readout_text
    explorer.controls["dropout"].value = 0.0
    explorer.controls["dropout"].value = 0.5
    assert explorer.run is cached_run(0.5, 1e-2, 0)  # moving back reuses the cached run


def test_rendering_happens_once_shown():
    explorer = regularization_explorer()
    assert explorer.redraws == 0
    explorer.widget  # noqa: B018
    explorer.controls["weight_decay"].value = 3e-3
    assert explorer.redraws == 2 and bytes(explorer._image.value).startswith(b"\x89PNG")


def test_explorer_rejects_values_off_the_sliders():
    with pytest.raises(ValueError, match="not on the slider"):
        regularization_explorer(dropout=0.25)
    assert 0.0 in DROPOUT_VALUES and 0.0 in WEIGHT_DECAY_VALUES


def test_small_digits_is_balanced_and_fixed():
    train, val = small_digits()
    assert len(train) == 100 and np.all(np.bincount(train.y) == 10)
    again, _ = small_digits()
    np.testing.assert_array_equal(train.X, again.X)
    other, _ = small_digits(seed=1)
    assert not np.array_equal(train.X, other.X)
    assert len(val) > 200


def test_l1_run_and_early_stopping_run():
    run = regularization_run(0.0, 0.0, l1=1e-3, seed=0, epochs=5)
    assert run.l1 == 1e-3 and len(run.history["loss"]) == 5
    stopped = regularization_run(0.0, 0.0, seed=0, patience=5)
    assert stopped.best_epoch < stopped.stopped_epoch < 69
    assert stopped.final["val_loss"] == min(stopped.history["val_loss"])


def test_early_stopping_reference():
    model = nn.Linear(2, 1)
    stopper = EarlyStopping(patience=2)
    decisions = []
    for epoch, loss in enumerate([1.0, 0.5, 0.6, 0.5, 0.4, 0.45, 0.41]):
        model.weight.data[...] = epoch
        decisions.append(stopper.step(loss, model))
    assert decisions == [False, False, False, True, False, False, True]
    assert stopper.best_epoch == 4 and stopper.best_loss == 0.4
    stopper.restore(model)
    assert np.all(model.weight.data == 4)  # a copy was kept, not a view of the live weights
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)


def test_fit_sparse_linear_l1_zeros_l2_shrinks():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 10))
    w_true = np.array([3.0, -2.0] + [0.0] * 8)
    y = X @ w_true + 0.1 * rng.normal(size=80)
    plain = fit_sparse_linear(X, y, steps=2000)
    np.testing.assert_allclose(plain, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-6)
    l1 = fit_sparse_linear(X, y, l1=0.2, steps=2000)
    assert np.all(l1[2:] == 0) and np.all(l1[:2] != 0)
    l2 = fit_sparse_linear(X, y, l2=0.5, steps=2000)
    assert np.all(l2 != 0) and np.linalg.norm(l2) < np.linalg.norm(plain)
