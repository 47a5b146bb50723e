"""Results into the course's nbgrader gradebook, so formgrader and ``nbgrader export`` still work.

Only the parent process writes here, one result at a time (SQLite and nbgrader's ORM are not
meant for concurrent writers). Writes are idempotent: re-recording a result updates the same
submission's grades, so a batch killed between the gradebook write and the result file is
simply recorded again on the next run.
"""

from __future__ import annotations

import contextlib
import logging
import warnings

from .paths import Course


class CourseGradebook:
    """An open nbgrader Gradebook for a course, with the one operation the grader needs."""

    def __init__(self, course: Course):
        from nbgrader.api import Gradebook

        from .nbgrader_config import course_config

        course_config(course.root)  # puts alembic on PATH for a first-time gradebook
        logging.getLogger("nbgrader").setLevel(logging.WARNING)
        self._gb = Gradebook(course.db_url)

    def close(self) -> None:
        self._gb.close()

    def has_assignment(self, assignment: str) -> bool:
        from nbgrader.api import MissingEntry

        try:
            return bool(self._gb.find_assignment(assignment).notebooks)
        except MissingEntry:
            return False

    def record(self, result: dict, score_counts: bool) -> None:
        """Store one result's per-test points (all zero when `score_counts` is False)."""
        if result["status"] == "missing":
            return
        with warnings.catch_warnings():
            # nbgrader's add_submission trips SQLAlchemy's autoflush warnings for new students.
            warnings.simplefilter("ignore")
            self._record(result, score_counts)

    def _record(self, result: dict, score_counts: bool) -> None:
        from nbgrader.api import MissingEntry

        student, assignment = result["student_id"], result["assignment"]
        gb = self._gb
        gb.update_or_create_student(student)
        try:
            gb.find_submission(assignment, student)
        except MissingEntry:
            gb.add_submission(assignment, student)
        for question in result["questions"]:
            with contextlib.suppress(MissingEntry):
                grade = gb.find_grade(question["grade_id"], assignment, assignment, student)
                grade.auto_score = question["points"] if score_counts else 0.0
                grade.needs_manual_grade = grade.manual_score is not None
        gb.db.commit()
