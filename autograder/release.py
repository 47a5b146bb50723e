"""`course release`: the student version of each lesson, built by nbgrader's generate_assignment.

nbgrader's preprocessors (ClearSolutions, ClearHiddenTests, ClearOutput, LockCells,
ComputeChecksums, SaveCells) write ``release/<id>/<id>.ipynb`` and record every graded cell of the
source in the gradebook, which is where `course grade` later restores test cells from.

A stamp file remembers the hash of the source each release was built from and of the notebook it
wrote, so `course lab` and `course grade` rebuild only stale lessons, and a release notebook a
student has edited is backed up (`release/backups/`) before it is replaced, never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from pathlib import Path

from .nbgrader_config import course_config
from .paths import Course, CourseError, atomic_write

STAMP = ".course-release.json"


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stamps(course: Course) -> dict:
    try:
        return json.loads((course.release_dir / STAMP).read_text())
    except (OSError, ValueError):
        return {}


def is_stale(course: Course, lesson: str) -> bool:
    """True when the release of `lesson` is missing or was built from another source."""
    stamp = _stamps(course).get(lesson, {})
    return (not course.release(lesson).is_file()
            or stamp.get("source_sha") != file_hash(course.source(lesson)))


def is_edited(course: Course, lesson: str) -> bool:
    """True when the release notebook differs from what `course release` wrote (student work)."""
    path = course.release(lesson)
    stamp = _stamps(course).get(lesson, {})
    return path.is_file() and stamp.get("release_sha") not in (None, file_hash(path))


def _backup(course: Course, lesson: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = course.release_dir / "backups" / lesson / f"{stamp}-{lesson}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(course.release(lesson), target)
    return target


def release(course: Course, lessons: list[str], *, log=print) -> list[str]:
    """Build the student version of each lesson (and fill the gradebook); returns the ids built."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = course_config(course.root)
    logging.getLogger("traitlets").setLevel(logging.WARNING)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    stamps = _stamps(course)
    for lesson in lessons:
        if is_edited(course, lesson):
            copy = _backup(course, lesson)
            log(f"{lesson}: the release notebook has edits; kept a copy at {copy}")
        result = api.generate_assignment(lesson, force=True, create=True)
        if not result["success"]:
            raise CourseError(f"nbgrader generate_assignment failed for {lesson}:\n"
                              f"{result.get('log', '')[-3000:]}\n{result.get('error', '')}")
        stamps[lesson] = {"source_sha": file_hash(course.source(lesson)),
                          "release_sha": file_hash(course.release(lesson))}
        atomic_write(course.release_dir / STAMP, json.dumps(stamps, indent=1, sort_keys=True))
        log(f"{lesson}: released to {course.release(lesson).relative_to(course.root)}")
    return lessons


def ensure_released(course: Course, lessons: list[str], *, keep_edited: bool = False,
                    log=print) -> list[str]:
    """Rebuild the stale releases among `lessons`; with `keep_edited`, leave edited ones alone."""
    stale = [lesson for lesson in lessons if is_stale(course, lesson)]
    if keep_edited:
        for lesson in [s for s in stale if is_edited(course, s)]:
            log(f"{lesson}: the source changed but release/{lesson} has your edits, so it was "
                f"kept; run `course release {lesson}` for the new version (your copy is backed up)")
            stale.remove(lesson)
    return release(course, stale, log=log) if stale else []


def scratch_release(course: Course, lessons: list[str], workdir: Path) -> Course:
    """A copy of the lessons' sources released into `workdir`, leaving the course's untouched.

    `course validate` and `course check` use it: they need the release exactly as nbgrader
    makes it, while the course's own ``release/`` may hold a student's work.
    """
    scratch = Course(workdir / "course")
    for lesson in lessons:
        shutil.copytree(course.source_dir / lesson, scratch.source_dir / lesson)
    release(scratch, lessons, log=lambda _msg: None)
    return scratch
