"""`course check NOTEBOOK`: a student's self-check, graded exactly as `course grade` would,
but against the visible tests only (the student version of the lesson is the reference).

The reference is ``release/<id>/<id>.ipynb`` when it is up to date and untouched; when a
student works in that very file (what `make lab` opens), a pristine copy is built aside.
"""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

from .paths import Course, CourseError
from .pipeline import grade_one
from .release import is_edited, is_stale, scratch_release


def lesson_of(course: Course, notebook: Path) -> str:
    """The lesson a notebook belongs to: its file name, else its folder's name."""
    lessons = course.lessons()
    for candidate in (notebook.stem, notebook.parent.name):
        if candidate in lessons:
            return candidate
    raise CourseError(f"{notebook}: not a lesson of this course (its name and folder match none "
                      f"of {', '.join(lessons) or 'no lessons'})")


def check(course: Course, notebook: Path, *, log=print) -> int:
    """Run the self-check; returns 0 when every visible test passes, 1 otherwise."""
    if not notebook.is_file():
        raise CourseError(f"{notebook}: no such notebook")
    lesson = lesson_of(course, notebook)
    with tempfile.TemporaryDirectory(prefix="course-check-") as tmp:
        pristine = not is_stale(course, lesson) and not is_edited(course, lesson)
        reference = course if pristine else scratch_release(course, [lesson], Path(tmp))
        result = grade_one({"student": "you", "assignment": lesson, "notebook": str(notebook),
                            "source": str(reference.release(lesson)),
                            "release": str(reference.release(lesson))})
    log(f"{lesson}: visible tests only (the grader also runs hidden tests)")
    for q in result["questions"]:
        mark = "PASS" if q["passed"] else "FAIL"
        message = "" if q["passed"] else "\n" + textwrap.indent(q["message"], " " * 7)
        log(f"  {mark} {q['grade_id']} ({q['max_points']:g} pts){message}")
    for note in result["notes"]:
        log(f"  note: {note}")
    if result["flags"]:
        log(f"  flagged for the instructor: {', '.join(result['flags'])}")
    passed = sum(q["passed"] for q in result["questions"])
    log(f"{passed} of {len(result['questions'])} visible tests pass; status {result['status']}"
        + (f" ({result['message']})" if result["message"] else ""))
    ok = result["status"] == "ok" and passed == len(result["questions"])
    return 0 if ok else 1
