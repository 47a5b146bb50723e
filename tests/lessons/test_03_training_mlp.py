"""Lesson 03: the source earns full marks, and plausible wrong answers lose only their points."""

import pytest
from lesson_harness import assert_loses_only, lesson_run

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
    ("train_digits_classifier", "for _ in range(15):", "for _ in range(1):",
     "one epoch with a tiny learning rate"),
]
# The last one needs both changes: one epoch alone at lr=0.05 can already reach 95 %.
EXTRA_PATCHES = {"one epoch with a tiny learning rate": ("lr=0.05", "lr=0.002")}


@pytest.fixture(scope="module")
def run():
    return lesson_run(LESSON)


def test_source_earns_full_marks(run):
    assert run.reference.score() == 12
    assert set(run.reference.results) == {f"test_{g}" for g in run.solution_index}


@pytest.mark.parametrize("grade_id, old, new, label", WRONG_ANSWERS,
                         ids=[w[3] for w in WRONG_ANSWERS])
def test_wrong_answer_loses_only_its_exercise(run, grade_id, old, new, label):
    source = run.solution_source(grade_id)
    assert old in source, f"{label}: patch text not in the solution"
    source = source.replace(old, new, 1)
    if label in EXTRA_PATCHES:
        source = source.replace(*EXTRA_PATCHES[label])
    outcome = run.with_answer(grade_id, source)
    assert_loses_only(outcome, {f"test_{grade_id}"}, label)
    message = outcome.message(f"test_{grade_id}")
    # Either an expected-vs-got comparison, or the student's own exception with the case named.
    informative = "expected" in message or ("raised" in message and "(" in message)
    assert informative, f"{label}: the message does not explain the failure:\n{message}"


def test_overflow_message_points_at_the_max_trick(run):
    outcome = run.with_patch("softmax_cross_entropy",
                             "shifted = logits - logits.max(axis=1, keepdims=True)",
                             "shifted = logits")
    message = outcome.message("test_softmax_cross_entropy")
    assert "logits of size 1000" in message and "maximum" in message
