"""What the release does to an exercise: its solution replaced by ``raise NotImplementedError()``.

A student who has not attempted an exercise must lose that exercise's points and no others, and
be told "not implemented yet" rather than shown a traceback (exercises are independent).
"""

from __future__ import annotations

from lesson_harness import assert_loses_only, unanswered


def assert_placeholder_loses_only_its_points(run, grade_id: str) -> None:
    """Grade `run`'s lesson with exercise `grade_id` left as the release's placeholder."""
    outcome = run.with_answer(grade_id, unanswered(run.solution_source(grade_id)))
    tests = run.test_ids_of(grade_id)
    assert_loses_only(outcome, set(tests), f"{grade_id} not implemented")
    for test in tests:
        assert "not implemented yet" in outcome.message(test), outcome.message(test)
