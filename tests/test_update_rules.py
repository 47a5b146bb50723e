"""course_lib.update_rules: the widget's numpy optimizers follow torch.optim to rounding error,
and the replay helpers drive a step function exactly as documented."""

import numpy as np
import pytest

from course_lib.surfaces import get_surface
from course_lib.update_rules import make_rule, replay, run_optimizer, seeded_gradients, torch_replay

CASES = [
    ("sgd", {"lr": 0.1}, "sgd", {"lr": 0.1}),
    ("momentum", {"lr": 0.05, "momentum": 0.8}, "sgd", {"lr": 0.05, "momentum": 0.8}),
    ("nesterov", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1}, "sgd",
     {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("rmsprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-3}, "rmsprop",
     {"lr": 0.01, "alpha": 0.9, "eps": 1e-3}),
    ("adam", {"lr": 0.1, "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.05}, "adam",
     {"lr": 0.1, "betas": (0.8, 0.99), "weight_decay": 0.05}),
    ("adamw", {"lr": 0.1, "weight_decay": 0.3}, "adamw", {"lr": 0.1, "weight_decay": 0.3}),
]


def _as_step_fn(name, hparams):
    rule = make_rule(name, **hparams)
    return lambda w, g, state: rule.step(w, g)


@pytest.mark.parametrize("name, hparams, torch_name, torch_kwargs", CASES)
def test_rules_match_torch_on_a_fixed_gradient_sequence(name, hparams, torch_name, torch_kwargs):
    grads = seeded_gradients(3, 25, 4)
    w0 = np.linspace(-1, 1, 4)
    ours = replay(_as_step_fn(name, hparams), grads, w0)
    theirs = torch_replay(torch_name, grads, w0, **torch_kwargs)
    assert ours.shape == theirs.shape == (26, 4)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, hparams, torch_name, torch_kwargs", CASES)
def test_rules_match_torch_on_a_surface(name, hparams, torch_name, torch_kwargs):
    surface = get_surface("ravine")
    ours = replay(_as_step_fn(name, hparams), surface.gradient, surface.start, steps=40)
    theirs = torch_replay(torch_name, surface.gradient, surface.start, steps=40, **torch_kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_replay_passes_one_state_dict_and_the_hyperparameters():
    seen = []

    def step(w, grad, state, *, lr):
        state["calls"] = state.get("calls", 0) + 1
        seen.append((state["calls"], lr))
        return w - lr * grad

    out = replay(step, np.ones((3, 2)), np.zeros(2), lr=0.5)
    assert seen == [(1, 0.5), (2, 0.5), (3, 0.5)]
    np.testing.assert_allclose(out[-1], [-1.5, -1.5])


def test_momentum_beats_sgd_in_the_ravine():
    sgd = run_optimizer("sgd", "ravine", 100, lr=0.02)
    momentum = run_optimizer("momentum", "ravine", 100, lr=0.02, momentum=0.9)
    assert momentum.final_loss < 0.1 * sgd.final_loss
    assert sgd.status != "diverged"


def test_unknown_names_are_reported():
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'"):
        make_rule("adagrad", lr=0.1)
    with pytest.raises(ValueError, match="torch_replay: unknown optimizer"):
        torch_replay("lbfgs", np.ones((1, 2)), np.zeros(2), lr=0.1)
