"""The tests with teeth of a lesson, generated from its table of plausible wrong answers.

Each lesson's test module lists rows ``(grade_id, old, new, label)`` (optionally a fifth item:
more ``(old, new)`` replacements in the same solution cell) and calls

    run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise = \\
        lesson_suite("01-gradient-descent", 14, WRONG_ANSWERS)

which checks that the source earns full marks and that each wrong answer loses the points of
its own exercise (`test_<grade_id>`) and no others, with a failure message a student can use.
"""

from __future__ import annotations

import pytest
from lesson_harness import assert_loses_only, lesson_run


def is_informative(message: str) -> bool:
    """An expected-vs-got comparison, or the student's own exception with the case named."""
    return "expected" in message or ("raised" in message and ":" in message)


def lesson_suite(lesson_id: str, total_points: float, wrong_answers: list[tuple]):
    """The module fixture `run` and the two generic tests for `lesson_id`."""

    @pytest.fixture(scope="module")
    def run():
        return lesson_run(lesson_id)

    def test_source_earns_full_marks(run):
        assert run.reference.score() == total_points
        assert set(run.reference.results) == {f"test_{g}" for g in run.solution_index}

    @pytest.mark.filterwarnings("ignore::RuntimeWarning")  # some wrong answers overflow, by design
    @pytest.mark.parametrize("wrong", wrong_answers, ids=[w[3] for w in wrong_answers])
    def test_wrong_answer_loses_only_its_exercise(run, wrong):
        grade_id, old, new, label, *more = wrong
        source = run.solution_source(grade_id)
        for before, after in [(old, new), *(more[0] if more else ())]:
            assert before in source, f"{label}: {before!r} does not occur in {grade_id}"
            source = source.replace(before, after, 1)
        outcome = run.with_answer(grade_id, source)
        assert_loses_only(outcome, {f"test_{grade_id}"}, label)
        message = outcome.message(f"test_{grade_id}")
        assert is_informative(message), f"{label}: the message does not explain it:\n{message}"

    return run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise
