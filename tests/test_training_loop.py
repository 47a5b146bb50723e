"""The numpy-engine training loop helpers, the live curves and the lesson-03 training widget."""

import numpy as np
import pytest

from course_lib import manual_seed, optim
from course_lib.data.digits import Split, load_digits_splits
from course_lib.plotting.training import LiveCurves, plot_curves
from course_lib.training_loop import evaluate, fit, make_mlp, minibatch_indices, train_epoch
from course_lib.widgets.training import training_explorer


def test_minibatch_indices_cover_a_shuffled_epoch_once():
    batches = list(minibatch_indices(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate(batches), np.random.default_rng(0).permutation(10))
    with pytest.raises(ValueError, match="batch_size"):
        next(minibatch_indices(10, 0, np.random.default_rng(0)))


def test_make_mlp_layers_and_errors():
    model = make_mlp([64, 32, 16, 10])
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    with pytest.raises(ValueError, match="at least input and output"):
        make_mlp([64])


def test_training_reduces_the_loss_and_evaluate_restores_the_mode():
    data = load_digits_splits()
    manual_seed(0)
    model = make_mlp([64, 32, 10])
    before, _ = evaluate(model, data.val.X, data.val.y)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss = train_epoch(model, optimizer, data.train.X, data.train.y, 32, np.random.default_rng(0))
    after, acc = evaluate(model, data.val.X, data.val.y)
    assert after < before and loss < before and acc > 0.8
    assert model.training, "evaluate puts the model back in training mode"
    with pytest.raises(ValueError, match="same length"):
        train_epoch(model, optimizer, data.train.X, data.train.y[:5], 32, np.random.default_rng(0))


def test_fit_records_every_epoch_and_calls_back():
    data = load_digits_splits()
    manual_seed(0)
    model = make_mlp([64, 16, 10])
    seen = []
    history = fit(model, optim.Adam(model.parameters(), lr=0.01), Split(data.train.X[:200],
                  data.train.y[:200]), data.val, epochs=3, batch_size=50,
                  rng=np.random.default_rng(0), on_epoch=lambda **m: seen.append(m))
    assert {k: len(v) for k, v in history.items()} == {"train_loss": 3, "val_loss": 3,
                                                        "train_acc": 3, "val_acc": 3}
    assert [m["val_acc"] for m in seen] == history["val_acc"]


def test_live_curves_redraw_one_image_in_place():
    live = LiveCurves(min_interval=0.0)
    image = live.image
    live.update(train_loss=1.0, val_acc=0.5)
    first = image.value
    live.update(train_loss=0.5, val_acc=0.7)
    assert live.image is image and image.value != first and image.value[:4] == b"\x89PNG"
    assert live.history == {"train_loss": [1.0, 0.5], "val_acc": [0.5, 0.7]}
    assert [ln.get_label() for ln in live.ax_loss.get_lines()] == ["train_loss"]
    throttled = LiveCurves(min_interval=3600.0)
    throttled.update(train_loss=1.0)
    drawn = throttled.image.value
    throttled.update(train_loss=0.5)
    assert throttled.image.value == drawn, "within min_interval nothing is redrawn"
    throttled.flush()
    assert throttled.image.value != drawn, "flush draws the last epochs"


def test_training_explorer_trains_from_its_controls():
    explorer = training_explorer(hidden=16, epochs=2)
    explorer.controls["n_train"].value = 200
    history = explorer.train()
    assert len(history["val_acc"]) == 2 and explorer.curves.history["val_acc"] == history["val_acc"]
    assert explorer.model[0].out_features == 16
    assert "validation accuracy" in explorer.status.value and not explorer.button.disabled
    assert explorer.curves.image.value[:4] == b"\x89PNG"


def test_plot_curves_draws_each_series():
    figure = plot_curves({"a": [3, 2, 1], "b": [1, 1, 1]}, logy=True).figure
    (ax,) = figure.get_axes()
    assert [ln.get_label() for ln in ax.get_lines()] == ["a", "b"] and ax.get_yscale() == "log"
