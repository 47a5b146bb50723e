"""Lesson 02: the source earns full marks, and plausible wrong answers lose only their points."""

from lesson_harness import assert_loses_only
from wrong_answer_suite import lesson_suite

LESSON = "02-backpropagation"

# (solution cell, text in the solution, wrong replacement, label)
WRONG_ANSWERS = [
    ("value_ops", "            self.grad += other.data * out.grad\n"
                  "            other.grad += self.data * out.grad",
     "            self.grad = other.data * out.grad\n"
     "            other.grad = self.data * out.grad", "mul assigns instead of accumulating"),
    ("value_ops", "            self.grad += out.grad\n            other.grad += out.grad",
     "            self.grad = out.grad\n            other.grad = out.grad",
     "add assigns instead of accumulating"),
    ("value_ops", "self.grad += other.data * out.grad", "self.grad += self.data * out.grad",
     "mul uses its own factor"),
    ("value_ops", "self.grad += other.data * out.grad", "self.grad = other.data * out.grad",
     "mul assigns to one input only"),
    ("value_ops", "self.grad += (1 - t**2) * out.grad", "self.grad += (1 - t) * out.grad",
     "tanh derivative 1 - t"),
    ("value_ops", "self.grad += k * self.data ** (k - 1) * out.grad",
     "self.grad += k * self.data ** (k - 1)", "pow ignores the upstream gradient"),
    ("value_ops", "self.grad += e * out.grad", "self.grad += self.data * out.grad",
     "exp derivative taken as the input"),
    ("backward", "        if id(node) in visited:\n            return\n", "",
     "no visited set: shared nodes repeated"),
    ("backward",
     "        for child in node._prev:\n            visit(child)\n        order.append(node)",
     "        order.append(node)\n        for child in node._prev:\n            visit(child)",
     "pre-order: node before its inputs"),
    ("backward", "for node in reversed(topological_order(root)):",
     "for node in topological_order(root):", "forward instead of reverse order"),
    ("backward", "    root.grad = 1.0\n", "", "root gradient not seeded with 1"),
    ("gradient_check", "/ (2 * h)", "/ h", "central difference without the 2"),
    ("gradient_check", "(f(Tensor(x_plus)).item() - f(Tensor(x_minus)).item()) / (2 * h)",
     "(f(Tensor(x_plus)).item() - f(Tensor(x)).item()) / h",
     "one-sided difference"),
    ("gradient_check", "np.max(np.abs(analytic - numeric) / scale)",
     "np.max(np.abs(analytic - numeric))", "absolute instead of relative error"),
    ("two_layer_gradients", "d_z = d_h * (1.0 - h**2)", "d_z = d_h", "forgot the tanh derivative"),
    ("two_layer_gradients", "d_y_hat = 2.0 * (y_hat - y)", "d_y_hat = y_hat - y",
     "forgot the factor 2"),
    ("two_layer_gradients", "np.outer(d_z, x)", "np.outer(x, d_z)", "transposed dW1"),
    ("two_layer_gradients", "d_h = d_y_hat * w2", "d_h = d_y_hat * h", "uses h instead of w2"),
]


run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise = \
    lesson_suite(LESSON, 14, WRONG_ANSWERS)


def test_accumulation_message_names_the_case(run):
    outcome = run.with_patch("value_ops", "self.grad += other.data * out.grad\n"
                             "            other.grad += self.data * out.grad",
                             "self.grad = other.data * out.grad\n"
                             "            other.grad = self.data * out.grad")
    message = outcome.message("test_value_ops")
    assert "a * a with a = 3" in message and "+=" in message


def test_release_placeholders_fail_only_their_own_exercise(run):
    outcome = run.with_answer("backward", run.solution_source("backward").replace(
        "    root.grad = 1.0\n    for node in reversed(topological_order(root)):\n"
        "        node._backward()\n", "    raise NotImplementedError()\n"))
    assert_loses_only(outcome, {"test_backward"}, "backward not implemented")
    assert "not implemented yet" in outcome.message("test_backward")
