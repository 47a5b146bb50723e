"""Lesson 09: each graded exercise rejects plausible wrong answers, and the lesson's measured
claims (batch norm trains faster and at a larger learning rate; clipping prevents a divergence;
residual connections keep the gradient alive) hold over several seeds."""

import numpy as np
import pytest
from placeholder_check import assert_placeholder_loses_only_its_points
from wrong_answer_suite import lesson_suite

from course_lib.stability import (
    compare_batch_norm,
    compare_clipping,
    deep_mlp,
    digits_tensors,
    layer_gradient_norms,
    steps_to_reach,
)

LESSON = "09-batchnorm-clipping"


FORWARD_WRONG = {
    "eval mode normalizes with the batch statistics": (
        "        mean, var = running_mean, running_var\n",
        "        mean, var = x.mean(axis=0), x.var(axis=0)\n"),
    "unbiased variance used to normalize": (
        "        var = x.var(axis=0)\n", "        var = x.var(axis=0, ddof=1)\n"),
    "running variance stores the biased variance": (
        "momentum * var * m / (m - 1)", "momentum * var"),
    "momentum weights the old value": (
        "new_mean = (1 - momentum) * running_mean + momentum * mean",
        "new_mean = momentum * running_mean + (1 - momentum) * mean"),
}

BACKWARD_WRONG = {
    "mean and variance treated as constants": (
        """    grad_x = (grad_x_hat - grad_x_hat.mean(axis=0)
              - x_hat * (grad_x_hat * x_hat).mean(axis=0)) / std""",
        "    grad_x = grad_x_hat / std"),
    "path through the variance forgotten": (
        "              - x_hat * (grad_x_hat * x_hat).mean(axis=0)) / std",
        "              ) / std"),
    "grad_gamma without x_hat": (
        "grad_gamma = (grad_y * x_hat).sum(axis=0)", "grad_gamma = grad_y.sum(axis=0)"),
    "gamma left out of dL/dx_hat": ("grad_x_hat = grad_y * gamma", "grad_x_hat = grad_y"),
}

CLIP_WRONG = {
    "each tensor clipped separately": (
        """    if total_norm > max_norm:
        scale = max_norm / (total_norm + 1e-6)
        for g in grads:
            g.mul_(scale)""",
        """    for g in grads:
        norm = float(g.norm())
        if norm > max_norm:
            g.mul_(max_norm / (norm + 1e-6))"""),
    "always rescaled to max_norm": (
        "    if total_norm > max_norm:\n", "    if True:\n"),
    "sum of the tensors' norms instead of the global norm": (
        "float(torch.sqrt(sum((g.detach() ** 2).sum() for g in grads)))",
        "float(sum(g.detach().norm() for g in grads))"),
    "norm measured after clipping": (
        "    return total_norm\n",
        "    return float(torch.sqrt(sum((g ** 2).sum() for g in grads)))\n"),
}


WRONG = {"batch_norm_forward": FORWARD_WRONG, "batch_norm_backward": BACKWARD_WRONG,
         "clip_grad_norm": CLIP_WRONG}
WRONG_ANSWERS = [(grade_id, old, new, label) for grade_id, variants in WRONG.items()
                 for label, (old, new) in variants.items()]
run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise = \
    lesson_suite(LESSON, 9, WRONG_ANSWERS)


@pytest.mark.parametrize("grade_id", sorted(WRONG))
def test_unimplemented_exercise_loses_only_its_points(run, grade_id):
    assert_placeholder_loses_only_its_points(run, grade_id)


SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def data():
    return digits_tensors()


def test_batch_norm_trains_faster_and_tolerates_a_larger_learning_rate(data):
    results = compare_batch_norm(lrs=(0.1, 0.5), seeds=SEEDS, steps=60, data=data)
    final = {key: float(np.nanmean(losses[:, -10:])) for key, losses in results.items()}
    # faster: at every learning rate, batch norm ends lower, seed by seed
    for lr in (0.1, 0.5):
        with_bn = results[(True, lr)][:, -10:].mean(axis=1)
        without = results[(False, lr)][:, -10:].mean(axis=1)
        assert (with_bn < without).all(), f"lr={lr}: with BN {with_bn}, without {without}"
    # a larger learning rate helps with batch norm and hurts without it
    assert final[(True, 0.5)] < final[(True, 0.1)] - 0.3, final
    assert final[(False, 0.5)] > final[(False, 0.1)], final
    assert (steps_to_reach(results[(True, 0.5)], 1.0) < 40).all(), results[(True, 0.5)]
    assert np.isinf(steps_to_reach(results[(False, 0.5)], 1.0)).all()


def test_clipping_prevents_the_divergence(data):
    results = compare_clipping(max_norm=1.0, seeds=SEEDS, lr=0.1, init_scale=1.5, steps=100,
                               data=data)
    assert np.isnan(results[None][:, -1]).all(), "without clipping every seed should diverge"
    clipped = results[1.0]
    assert np.isfinite(clipped).all(), "with clipping no seed should diverge"
    assert (clipped[:, -10:].mean(axis=1) < clipped[:, :5].mean(axis=1) - 0.3).all()


def test_residual_connections_keep_the_gradient_alive(data):
    X, y = data[0][:256], data[1][:256]
    for seed in SEEDS:
        plain = layer_gradient_norms(deep_mlp(30, init_scale=0.5, seed=seed), X, y)
        residual = layer_gradient_norms(deep_mlp(30, init_scale=0.5, residual=True, seed=seed),
                                        X, y)
        assert plain[0] < 1e-6 * plain[-1], plain
        assert residual[0] > residual[-1], residual
