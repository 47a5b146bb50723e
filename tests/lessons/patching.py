"""Wrong answers as edits of a solution cell, and the checks the lesson tests apply to them.

A wrong answer is a list of ``(text in the solution, replacement)`` edits of one solution cell;
it must lose exactly the test cells listed for it, and the first of them must say something a
student can act on (the `words`). An unanswered exercise is the release's placeholder (every
solution region replaced by ``raise NotImplementedError()``) and must lose exactly its own tests.
"""

from __future__ import annotations

from lesson_harness import LessonRun, assert_loses_only, unanswered


def patched(run: LessonRun, grade_id: str, edits) -> str:
    """The solution of `grade_id` with every ``(old, new)`` edit applied (old must occur)."""
    source = run.solution_source(grade_id)
    for old, new in edits:
        assert old in source, f"{grade_id}: {old!r} does not occur in the solution"
        source = source.replace(old, new)
    return source


def check_wrong_answer(run: LessonRun, test_order, grade_id, edits, label, lost, words) -> None:
    """The wrong answer loses exactly `lost`; the first lost test's message contains `words`."""
    outcome = run.with_answer(grade_id, patched(run, grade_id, edits))
    assert_loses_only(outcome, lost, label)
    first = next(g for g in test_order if g in lost)
    message = outcome.message(first)
    assert words in message, f"{label}: the failure message does not mention {words!r}:\n{message}"


def check_unanswered(run: LessonRun, test_order, grade_id, tests) -> None:
    """An unanswered exercise loses exactly its `tests`, saying it is not implemented yet."""
    outcome = run.with_answer(grade_id, unanswered(run.solution_source(grade_id)))
    assert_loses_only(outcome, tests, f"{grade_id} not implemented")
    first = next(g for g in test_order if g in tests)
    assert "not implemented yet" in outcome.message(first), outcome.message(first)


def check_source(run: LessonRun, points: dict, exercise_tests: dict) -> None:
    """The source earns every point, and each exercise is followed by exactly its tests."""
    assert {g: r.points for g, r in run.reference.results.items()} == points
    assert run.reference.score() == sum(points.values())
    assert set(run.solution_index) == set(exercise_tests)
    for grade_id, tests in exercise_tests.items():
        assert set(run.test_ids_of(grade_id)) == tests, grade_id


def one_test_per_exercise(points: dict) -> dict:
    """``{grade_id: {test_<grade_id>}}`` for lessons where each exercise has one test cell."""
    return {test.removeprefix("test_"): {test} for test in points}


def single_edits(rows) -> list[tuple]:
    """Rows ``(grade_id, old, new, label, words)`` that lose only ``test_<grade_id>``, in the
    general form ``(grade_id, [(old, new)], label, {test_<grade_id>}, words)``."""
    return [(grade_id, [(old, new)], label, {f"test_{grade_id}"}, words)
            for grade_id, old, new, label, words in rows]


def lesson_tests(lesson_id: str, points: dict, exercise_tests: dict, wrong_answers: list):
    """The module fixture `run` and a lesson's three generic tests; a lesson module assigns them:

        (run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise,
         test_unanswered_exercise_loses_only_its_points) = lesson_tests(LESSON, ...)
    """
    import pytest
    from lesson_harness import lesson_run

    @pytest.fixture(scope="module")
    def run():
        return lesson_run(lesson_id)

    def test_source_earns_full_marks(run):
        check_source(run, points, exercise_tests)

    @pytest.mark.slow
    @pytest.mark.parametrize("grade_id, edits, label, lost, words", wrong_answers,
                             ids=[w[2] for w in wrong_answers])
    def test_wrong_answer_loses_only_its_exercise(run, grade_id, edits, label, lost, words):
        check_wrong_answer(run, points, grade_id, edits, label, lost, words)

    @pytest.mark.slow
    @pytest.mark.parametrize("grade_id", sorted(exercise_tests))
    def test_unanswered_exercise_loses_only_its_points(run, grade_id):
        check_unanswered(run, points, grade_id, exercise_tests[grade_id])

    return (run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise,
            test_unanswered_exercise_loses_only_its_points)
