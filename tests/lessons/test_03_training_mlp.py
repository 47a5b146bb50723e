"""Lesson 03: the source earns full marks, and plausible wrong answers lose only their points."""

import pytest
from wrong_answer_suite import lesson_suite

LESSON = "03-training-mlp"

# (solution cell, text in the solution, wrong replacement, label)
WRONG_ANSWERS = [
    ("softmax_cross_entropy", "shifted = logits - logits.max(axis=1, keepdims=True)",
     "shifted = logits", "no max-subtraction: overflows"),
    ("softmax_cross_entropy", "logits.max(axis=1, keepdims=True)", "logits.max()",
     "one global maximum instead of one per row"),
    ("softmax_cross_entropy", "return loss, grad / n", "return loss, grad",
     "gradient not divided by n"),
    ("softmax_cross_entropy", "-float(np.mean(log_probs[rows, labels]))",
     "-float(np.sum(log_probs[rows, labels]))", "sum instead of mean"),
    ("softmax_cross_entropy", "np.exp(shifted).sum(axis=1, keepdims=True)",
     "np.exp(shifted).sum(axis=0, keepdims=True)", "normalizes over the wrong axis"),
    ("train_epoch", "order = rng.permutation(n)", "order = np.arange(n)", "never shuffles"),
    ("train_epoch", "range(0, n, batch_size)", "range(0, n - batch_size + 1, batch_size)",
     "drops the last partial batch"),
    ("train_epoch", "total += loss.item() * len(idx)", "total += loss.item() * batch_size",
     "weights the last batch as a full one"),
    ("train_epoch", "        optimizer.zero_grad()\n", "", "never clears the gradients"),
    ("train_epoch",
     "        optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\n",
     "        loss.backward()\n        optimizer.step()\n        optimizer.zero_grad()\n",
     "clears the gradients after the step"),
    ("accuracy", "np.argmax(logits.data, axis=1)", "np.argmax(logits.data, axis=0)",
     "argmax over the wrong axis"),
    ("accuracy", "float(np.mean(", "float(np.sum(", "count instead of fraction"),
    ("accuracy", "    with no_grad():\n        logits = model(Tensor(X))",
     "    logits = model(Tensor(X))", "records the graph while evaluating"),
    ("train_digits_classifier", "lr=0.05", "lr=0.0005", "learning rate far too small"),
    # One epoch alone at lr=0.05 can already reach 95 %: this one also lowers the rate.
    ("train_digits_classifier", "for _ in range(15):", "for _ in range(1):",
     "one epoch with a tiny learning rate", [("lr=0.05", "lr=0.002")]),
]


run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise = \
    lesson_suite(LESSON, 12, WRONG_ANSWERS)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong answer overflows, by design
def test_overflow_message_points_at_the_max_trick(run):
    outcome = run.with_patch("softmax_cross_entropy",
                             "shifted = logits - logits.max(axis=1, keepdims=True)",
                             "shifted = logits")
    message = outcome.message("test_softmax_cross_entropy")
    assert "logits of size 1000" in message and "maximum" in message
