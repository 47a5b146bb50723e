"""Lesson 01: the source earns full marks, and plausible wrong answers lose only their points."""

from lesson_harness import assert_loses_only
from wrong_answer_suite import lesson_suite

LESSON = "01-gradient-descent"

# (solution cell, text in the solution, wrong replacement, label)
WRONG_ANSWERS = [
    ("numerical_gradient", "(f(w + step) - f(w - step)) / (2 * h)", "(f(w + step) - f(w)) / h",
     "one-sided (forward) difference"),
    ("numerical_gradient", "(f(w + step) - f(w - step)) / (2 * h)",
     "(f(w + step) - f(w - step)) / h", "forgot the 2 in 2h"),
    ("numerical_gradient",
     "        step = np.zeros_like(w)\n        step[i] = h\n"
     "        grad[i] = (f(w + step) - f(w - step)) / (2 * h)",
     "        keep = w[i]\n        w[i] = keep + h\n        up = f(w)\n        w[i] = keep - h\n"
     "        grad[i] = (up - f(w)) / (2 * h)",
     "perturbs w in place and never restores it"),
    ("numerical_gradient", "(2 * h)", "(2 * 1e-5)", "ignores the h argument"),
    ("mse_gradient", "2.0 / n * (X.T @ residual)", "1.0 / n * (X.T @ residual)",
     "missing the factor 2"),
    ("mse_gradient", "residual = X @ w + b - y", "residual = y - X @ w - b",
     "sign error in the residual"),
    ("mse_gradient", "2.0 / n * (X.T @ residual)", "2.0 * (X.T @ residual)",
     "sum instead of mean (missing 1/n)"),
    ("gradient_descent", "w = w - lr * grad(w)", "w = w + lr * grad(w)", "gradient ascent"),
    ("gradient_descent", "trajectory = [w.copy()]", "trajectory = []",
     "off by one: the start point is missing"),
    ("gradient_descent", "w = w - lr * grad(w)\n        trajectory.append(w.copy())",
     "w -= lr * grad(w)\n        trajectory.append(w)", "stores the same array every step"),
    ("minibatch_sgd", "order = rng.permutation(n)", "order = np.arange(n)", "never shuffles"),
    ("minibatch_sgd", "range(0, n, batch_size)", "range(0, n - batch_size + 1, batch_size)",
     "drops the last partial batch"),
    ("minibatch_sgd", "/ len(batch)", "/ n", "divides the batch gradient by n"),
    ("minibatch_sgd", "for _ in range(epochs):\n        order = rng.permutation(n)",
     "order = rng.permutation(n)\n    for _ in range(epochs):", "shuffles only once"),
    ("max_stable_lr", "eigvalsh(H).max()", "eigvalsh(H).min()", "uses lambda_min"),
    ("max_stable_lr", "2.0 / float(np.linalg.eigvalsh(H).max())", "2.0 / float(np.max(np.diag(H)))",
     "largest diagonal entry instead of eigenvalue"),
    ("max_stable_lr", "2.0 / float", "1.0 / float", "1 / lambda_max"),
]


run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise = \
    lesson_suite(LESSON, 14, WRONG_ANSWERS)


def test_messages_name_the_case_and_the_fix(run):
    outcome = run.with_patch("mse_gradient", "2.0 / n * (X.T @ residual)",
                             "1.0 / n * (X.T @ residual)")
    message = outcome.message("test_mse_gradient")
    assert "grad_w at w=[1, 2], b=0.5" in message and "factor 2" in message
    outcome = run.with_answer("gradient_descent", "def gradient_descent(grad, w0, lr, steps):\n"
                                                  "    raise NotImplementedError()")
    assert "not implemented yet" in outcome.message("test_gradient_descent")
    assert_loses_only(outcome, {"test_gradient_descent"}, "unimplemented")
