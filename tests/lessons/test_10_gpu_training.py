"""Lesson 10: every graded exercise rejects plausible wrong answers, each losing only its own
points (a forgotten zero_grad or autocast, a timer that forgets to synchronise, a random search
that peeks at the test split, a run that never stops early)."""

import pytest
from placeholder_check import assert_placeholder_loses_only_its_points
from wrong_answer_suite import lesson_suite

LESSON = "10-gpu-training"

WRONG = {
    "train_step": {
        "gradients never cleared": ("    optimizer.zero_grad(set_to_none=True)\n", ""),
        "no autocast": ("enabled=amp_dtype is not None", "enabled=False"),
        "gradient scaler ignored": ("    if scaler is None:\n", "    if True:\n"),
        "loss returned as a tensor": ("    return loss.item()\n", "    return loss\n"),
        "model left in eval mode": ("    model.train()\n", ""),
    },
    "measure_examples_per_second": {
        "warm-up included in the timing": (
            "    for _ in range(warmup):\n        step()\n    if synchronize is not None:\n"
            "        synchronize()\n    start = clock()\n",
            "    if synchronize is not None:\n        synchronize()\n    start = clock()\n"
            "    for _ in range(warmup):\n        step()\n"),
        "clock stopped before the device finished": (
            "    for _ in range(steps):\n        step()\n    if synchronize is not None:\n"
            "        synchronize()\n",
            "    for _ in range(steps):\n        step()\n"),
        "steps per second instead of examples": (
            "return float(batch_size * steps / (clock() - start))",
            "return float(steps / (clock() - start))"),
    },
    "random_search": {
        "peeks at the test split": ("score_fn(model, data.val)", "score_fn(model, data.test)"),
        "keeps the lowest score": ("max(trials, key=", "min(trials, key="),
        "a new generator every trial": (
            "        config = sample_config(space, rng)\n",
            "        config = sample_config(space, np.random.default_rng(seed))\n"),
        "trains on the validation split": (
            "train_fn(config, data.train)", "train_fn(config, data.val)"),
    },
    "train_with_early_stopping": {
        "no early stopping": (
            '    callbacks = [EarlyStopping(monitor="val_loss", patience=patience, '
            'restore_best=True),\n                 ',
            "    callbacks = ["),
        "best weights not restored": ("restore_best=True", "restore_best=False"),
        "no checkpoint": (',\n                 Checkpoint(checkpoint_path, monitor="val_loss")]',
                          "]"),
        "early stopping on the training loss": (
            'EarlyStopping(monitor="val_loss"', 'EarlyStopping(monitor="loss"'),
    },
}
WRONG_ANSWERS = [(grade_id, old, new, label) for grade_id, variants in WRONG.items()
                 for label, (old, new) in variants.items()]
run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise = \
    lesson_suite(LESSON, 11, WRONG_ANSWERS)


@pytest.mark.parametrize("grade_id", sorted(WRONG))
def test_unimplemented_exercise_loses_only_its_points(run, grade_id):
    assert_placeholder_loses_only_its_points(run, grade_id)
