"""course_lib.diagnostics: statistics agree with torch hooks; builders, verdicts, training."""

import math

import numpy as np
import pytest
import torch

from course_lib import manual_seed, nn, optim
from course_lib.diagnostics import (
    INIT_SCHEMES,
    build_mlp,
    diagnose,
    evaluate,
    fit_classifier,
    init_linear_,
    record_statistics,
)
from course_lib.regularization import EarlyStopping

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 64))
Y = RNG.integers(0, 10, size=40)


def torch_twin(model: nn.Sequential) -> torch.nn.Sequential:
    """The same network in torch, with the same weights."""
    kinds = {nn.ReLU: torch.nn.ReLU, nn.Tanh: torch.nn.Tanh, nn.Sigmoid: torch.nn.Sigmoid,
             nn.Identity: torch.nn.Identity}
    layers = []
    for m in model:
        if isinstance(m, nn.Linear):
            t = torch.nn.Linear(m.in_features, m.out_features).double()
            with torch.no_grad():
                t.weight.copy_(torch.from_numpy(m.weight.data))
                t.bias.copy_(torch.from_numpy(m.bias.data))
            layers.append(t)
        elif isinstance(m, nn.LeakyReLU):
            layers.append(torch.nn.LeakyReLU(m.negative_slope))
        else:
            layers.append(kinds[type(m)]())
    return torch.nn.Sequential(*layers)


def torch_statistics(model: torch.nn.Sequential):
    outputs, grads = [], {}
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]

    def hook(index):
        def forward_hook(module, inputs, output):
            outputs.append(output.detach().std(unbiased=False).item())
            output.register_hook(lambda g: grads.__setitem__(index, g.std(unbiased=False).item()))
        return forward_hook

    handles = [m.register_forward_hook(hook(i)) for i, m in enumerate(linears)]
    torch.nn.functional.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(Y)).backward()
    for h in handles:
        h.remove()
    weight_grads = [m.weight.grad.std(unbiased=False).item() for m in linears]
    return np.array(outputs), np.array([grads[i] for i in range(len(linears))]), weight_grads


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("init, scale", [("normal", 0.3), ("xavier", 1.0), ("kaiming", 1.0)])
def test_record_statistics_matches_torch_hooks(activation, init, scale):
    manual_seed(1)
    model = build_mlp(5, 16, activation, init, scale)
    stats = record_statistics(model, X, Y)
    act, grad, weight_grad = torch_statistics(torch_twin(model))
    np.testing.assert_allclose(stats.activation_std, act, rtol=1e-9)
    np.testing.assert_allclose(stats.gradient_std, grad, rtol=1e-9)
    np.testing.assert_allclose(stats.weight_gradient_std, weight_grad, rtol=1e-9)
    assert len(stats.activations) == 4 and stats.depth == 5
    assert math.isfinite(stats.loss)


def test_record_statistics_leaves_no_hooks_and_repeats_exactly():
    manual_seed(2)
    model = build_mlp(4, 8, "tanh", "xavier")
    first = record_statistics(model, X, Y)
    assert sum(len(m._forward_hooks) for m in model.modules()) == 0
    second = record_statistics(model, X, Y)
    np.testing.assert_array_equal(first.activation_std, second.activation_std)
    np.testing.assert_array_equal(first.gradient_std, second.gradient_std)


def test_record_statistics_needs_a_linear_layer():
    with pytest.raises(ValueError, match="no nn.Linear"):
        record_statistics(nn.Sequential(nn.ReLU()), X, Y)


def test_build_mlp_shapes_and_activations():
    model = build_mlp(4, 32, "leaky_relu", "kaiming", dropout=0.2)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(32, 64), (32, 32), (32, 32), (10, 32)]
    assert sum(isinstance(m, nn.LeakyReLU) for m in model) == 3
    assert sum(isinstance(m, nn.Dropout) for m in model) == 3
    assert all(np.all(m.bias.data == 0) for m in linears)


@pytest.mark.parametrize("bad, match", [(dict(activation="gelu"), "unknown activation 'gelu'"),
                                        (dict(init="orthogonal"), "unknown init scheme"),
                                        (dict(depth=0), "depth must be at least 1")])
def test_build_mlp_rejects_bad_arguments(bad, match):
    args = dict(depth=3, width=8, activation="relu", init="kaiming") | bad
    with pytest.raises(ValueError, match=match):
        build_mlp(**args)


@pytest.mark.parametrize("init, activation, scale, expected", [
    ("normal", "relu", 0.05, 0.05),
    ("xavier", "tanh", 1.0, math.sqrt(2 / (300 + 200))),
    ("xavier", "relu", 2.0, 2 * math.sqrt(2 / (300 + 200))),
    ("kaiming", "relu", 1.0, math.sqrt(2 / 300)),
    ("kaiming", "leaky_relu", 1.0, math.sqrt(2 / (1 + 0.01**2) / 300)),
    ("kaiming", "tanh", 0.5, 0.5 * (5 / 3) / math.sqrt(300)),
    ("zeros", "relu", 1.0, 0.0),
])
def test_init_linear_std(init, activation, scale, expected):
    manual_seed(0)
    layer = init_linear_(nn.Linear(300, 200), init, activation, scale)
    assert layer.weight.data.std() == pytest.approx(expected, rel=0.02, abs=1e-12)
    assert np.all(layer.bias.data == 0)
    assert set(INIT_SCHEMES) == {"zeros", "normal", "xavier", "kaiming"}


def test_dead_fraction_counts_units_silent_on_every_example():
    manual_seed(0)
    model = build_mlp(3, 10, "relu", "kaiming")
    model[2].bias.data[:4] = -1e6  # four units of the second hidden layer can never fire
    stats = record_statistics(model, X, Y)
    assert stats.dead_fraction[1] == pytest.approx(0.4)
    assert stats.dead_fraction[0] < 0.4


@pytest.mark.parametrize("act, grad, verdict", [
    ([1, 1, 1], [1e-5, 1e-3, 1e-1], "vanishing"),
    ([1, 1e-3], [1, 1], "vanishing"),
    ([1, 1], [1e3, 1], "exploding"),
    ([1, 1e3], [1, 1], "exploding"),
    ([1, np.inf], [1, 1], "exploding"),
    ([1, 1], [np.nan, 1], "exploding"),
    ([0, 0], [1, 1], "vanishing"),
    ([1, 0.2], [0.1, 1], "stable"),
])
def test_diagnose(act, grad, verdict):
    assert diagnose(act, grad) == verdict


def test_diagnose_on_real_networks():
    manual_seed(0)
    verdicts = {(a, i, s): diagnose(*(lambda st: (st.activation_std, st.gradient_std))(
        record_statistics(build_mlp(10, 64, a, i, s), X, Y)))
        for a, i, s in [("tanh", "normal", 0.01), ("tanh", "normal", 1.0), ("tanh", "xavier", 1.0),
                        ("relu", "normal", 1.0), ("relu", "kaiming", 1.0),
                        ("sigmoid", "xavier", 1.0)]}
    assert verdicts == {("tanh", "normal", 0.01): "vanishing", ("tanh", "normal", 1.0): "exploding",
                        ("tanh", "xavier", 1.0): "stable", ("relu", "normal", 1.0): "exploding",
                        ("relu", "kaiming", 1.0): "stable", ("sigmoid", "xavier", 1.0): "vanishing"}


def test_evaluate_uses_eval_mode_and_restores_it():
    manual_seed(0)
    model = build_mlp(2, 16, "relu", "kaiming", dropout=0.9)
    model.train()
    first, second = evaluate(model, X, Y), evaluate(model, X, Y)
    assert first == second  # no dropout noise in eval mode
    assert model.training and 0.0 <= first[1] <= 1.0


def test_fit_classifier_learns_and_logs_every_epoch():
    manual_seed(0)
    model = build_mlp(2, 32, "relu", "kaiming")
    x = RNG.normal(size=(200, 64))
    y = (x[:, 0] > 0).astype(int)
    history = fit_classifier(model, optim.SGD(model.parameters(), lr=0.1), (x, y), (x, y),
                             epochs=15, batch_size=50)
    assert all(len(v) == 15 for v in history.values())
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] > 0.9


def test_fit_classifier_stops_early_and_restores_the_best_weights():
    manual_seed(0)
    model = build_mlp(2, 32, "relu", "kaiming")
    x, y = RNG.normal(size=(30, 64)), RNG.integers(0, 10, size=30)
    xv, yv = RNG.normal(size=(30, 64)), RNG.integers(0, 10, size=30)  # noise: val loss rises
    stopper = EarlyStopping(patience=3)
    history = fit_classifier(model, optim.SGD(model.parameters(), lr=0.5), (x, y), (xv, yv),
                             epochs=200, early_stopping=stopper)
    assert len(history["val_loss"]) == stopper.epoch + 1 < 200
    assert stopper.best_epoch == int(np.argmin(history["val_loss"]))
    assert evaluate(model, xv, yv)[0] == pytest.approx(min(history["val_loss"]))
