"""Fixture course and submissions for the autograder's tests.

`make_course(tmp)` copies the fixture course (tests/fixtures/course) to a temporary root and
releases it; `Student` writes submissions derived from that release the way real students
produce them: answers filled in, cells deleted, duplicated, edited, turned into markdown, ...
Every case's expected score is known from the fixture's points (fx-basics: square 2, mean 3,
count_positive 1; fx-arrays: relu 2, normalize 2).
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import nbformat

from autograder import cells as C
from autograder.paths import Course
from autograder.release import release

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "course"
ANSWERS = {
    "square": 'def square(x):\n    """Return x * x."""\n    import sys\n'
              '    print("a warning on stderr", file=sys.stderr)\n    return x * x\n',
    "mean": 'def mean(values):\n    return float(np.sum(values) / len(values))\n',
    "count_positive": 'def count_positive(values):\n'
                      '    return int(np.sum(np.asarray(values) > 0))\n',
    "relu": 'def relu(x):\n    return np.maximum(x, 0.0)\n',
    "normalize": 'def normalize(x):\n    return (x - x.mean()) / x.std()\n',
}
MAX = {"fx-basics": 6, "fx-arrays": 4}


_RELEASED: list[Path] = []


def make_course(tmp: Path) -> Course:
    """A released copy of the fixture course under `tmp` (nbgrader runs once per session)."""
    if not _RELEASED:
        cache = Path(tempfile.mkdtemp(prefix="fixture-course-")) / "course"
        shutil.copytree(FIXTURE, cache)
        course = Course.at(cache)
        release(course, course.lessons(), log=lambda _msg: None)
        _RELEASED.append(cache)
    root = tmp / "course"
    shutil.copytree(_RELEASED[0], root)
    return Course.at(root)


class Student:
    """Builds one student's submission folder from the course's release notebooks."""

    def __init__(self, course: Course, submissions: Path, student_id: str):
        self.course, self.student_id = course, student_id
        self.folder = submissions / student_id

    def notebook(self, lesson: str, answers: dict | None = None):
        """The release of `lesson` with `answers` (grade_id -> code; default: all correct)."""
        nb = nbformat.read(self.course.release(lesson), as_version=4)
        answers = ANSWERS if answers is None else answers
        for cell in nb.cells:
            gid = C.grade_id(cell)
            if C.is_solution(cell) and gid in answers:
                cell.source = answers[gid]
        return nb

    def write(self, lesson: str, nb, name: str | None = None) -> Path:
        path = self.folder / lesson / (name or f"{lesson}.ipynb")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(nb, str):
            path.write_text(nb)
        else:
            nbformat.write(nb, path)
        return path


def index_of(nb, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if C.grade_id(c) == grade_id)


def delete_cell(nb, grade_id: str):
    nb = copy.deepcopy(nb)
    del nb.cells[index_of(nb, grade_id)]
    return nb


def duplicate_cell(nb, grade_id: str):
    nb = copy.deepcopy(nb)
    i = index_of(nb, grade_id)
    twin = copy.deepcopy(nb.cells[i])
    twin["id"] = "twin-" + twin["id"]
    nb.cells.insert(i + 1, twin)
    return nb


def edit_cell(nb, grade_id: str, source: str):
    nb = copy.deepcopy(nb)
    nb.cells[index_of(nb, grade_id)].source = source
    return nb


def to_markdown(nb, grade_id: str):
    nb = copy.deepcopy(nb)
    i = index_of(nb, grade_id)
    old = nb.cells[i]
    new = nbformat.v4.new_markdown_cell(old.source, metadata=old.metadata)
    new["id"] = old["id"]
    nb.cells[i] = new
    return nb


def strip_metadata(nb, grade_id: str, *, keep_id: bool = True):
    nb = copy.deepcopy(nb)
    cell = nb.cells[index_of(nb, grade_id)]
    cell.metadata = {}
    if not keep_id:
        cell["id"] = "renamed-by-student"
    return nb


def write_zip(path: Path, members: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return path


def to_json(nb) -> str:
    return nbformat.writes(nb) if not isinstance(nb, str) else nb


def read_csv(path: Path) -> list[dict]:
    import csv

    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def rows_by_key(path: Path) -> dict[tuple[str, str], dict]:
    return {(r["student_id"], r["assignment"]): r for r in read_csv(path)}


def dump(obj) -> str:
    return json.dumps(obj, indent=1, sort_keys=True)
