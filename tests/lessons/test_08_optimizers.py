"""Lesson 08: every graded exercise rejects plausible wrong answers, each losing only its own
points (the tests replay the same gradients through the student's rule and torch.optim)."""

import pytest
from placeholder_check import assert_placeholder_loses_only_its_points
from wrong_answer_suite import lesson_suite

LESSON = "08-optimizers"

VELOCITY = '    velocity = momentum * state.get("velocity", 0.0) + grad\n'
ADAM_MOMENTS = ('    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n',
                '    m_hat = m\n    v_hat = v\n')

WRONG = {
    "momentum_step": {
        "dampened velocity (an average, not torch's sum)": (
            VELOCITY,
            '    velocity = momentum * state.get("velocity", 0.0) + (1 - momentum) * grad\n'),
        "step taken with the previous velocity": (
            VELOCITY + '    state["velocity"] = velocity\n    return w - lr * velocity\n',
            '    previous = state.get("velocity", grad)  # stepping before updating\n'
            '    state["velocity"] = momentum * previous + grad\n'
            '    return w - lr * previous\n'),
        "velocity never stored (plain SGD)": ('    state["velocity"] = velocity\n', ""),
    },
    "nesterov_step": {
        "Nesterov as plain momentum": (
            "    return w - lr * (grad + momentum * velocity)\n", "    return w - lr * velocity\n"),
        "look-ahead without the momentum factor": (
            "    return w - lr * (grad + momentum * velocity)\n",
            "    return w - lr * (grad + velocity)\n"),
    },
    "rmsprop_step": {
        "no square root": ("np.sqrt(square_avg) + eps", "square_avg + eps"),
        "eps inside the square root": ("np.sqrt(square_avg) + eps", "np.sqrt(square_avg + eps)"),
        "root taken of each gradient before averaging": (
            "(1 - alpha) * grad**2", "(1 - alpha) * np.sqrt(grad**2)"),
    },
    "adam_step": {
        "no bias correction": ADAM_MOMENTS,
        "step count never advanced": ('    t = state.get("t", 0) + 1\n', "    t = 1\n"),
        "second moment of the gradient, not of its square": (
            "(1 - beta2) * grad**2", "(1 - beta2) * np.abs(grad)"),
    },
    "adamw_step": {
        "decay coupled into the gradient (Adam's L2)": (
            "    w = w * (1 - lr * weight_decay)\n", "    grad = grad + weight_decay * w\n"),
        "decay not scaled by the learning rate": (
            "    w = w * (1 - lr * weight_decay)\n", "    w = w * (1 - weight_decay)\n"),
        "decay applied after the Adam step": (
            "    return w - lr * m_hat / (np.sqrt(v_hat) + eps)\n",
            "    return (w / (1 - lr * weight_decay) - lr * m_hat / (np.sqrt(v_hat) + eps))"
            " * (1 - lr * weight_decay)\n"),
    },
    "warmup_cosine_lr": {
        "cosine progress counted from step 0": (
            "    progress = (step - warmup_steps) / (total_steps - warmup_steps)\n",
            "    progress = step / total_steps\n"),
        "warm-up starting at zero": (
            "return base_lr * (step + 1) / warmup_steps", "return base_lr * step / warmup_steps"),
        "min_lr ignored": (
            "    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2\n",
            "    return base_lr * (1 + math.cos(math.pi * progress)) / 2\n"),
    },
    "suggest_learning_rate": {
        "the rate at the minimum itself (no division by 10)": (
            "    return float(lrs[int(np.argmin(smoothed))] / 10)\n",
            "    return float(lrs[int(np.argmin(smoothed))])\n"),
        "raw losses instead of smoothed ones": (
            "        value = s / (1 - beta ** (t + 1))\n", "        value = loss\n"),
        "moving average without bias correction": (
            "        value = s / (1 - beta ** (t + 1))\n", "        value = s\n"),
        "divergence not cut off": (
            "        if not np.isfinite(value) or value > 4 * best:\n            break\n", ""),
    },
}
WRONG_ANSWERS = [(grade_id, old, new, label) for grade_id, variants in WRONG.items()
                 for label, (old, new) in variants.items()]
run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise = \
    lesson_suite(LESSON, 15, WRONG_ANSWERS)


@pytest.mark.parametrize("grade_id", sorted(WRONG))
def test_unimplemented_exercise_loses_only_its_points(run, grade_id):
    assert_placeholder_loses_only_its_points(run, grade_id)
