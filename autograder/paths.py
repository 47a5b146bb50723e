"""Where a course keeps its notebooks: one object that every command asks, so layouts never drift.

The layout is nbgrader's: ``notebooks/<id>/<id>.ipynb`` holds the instructor's *source* version
of each lesson (nbgrader's ``source_directory``), ``release/<id>/<id>.ipynb`` the student version,
``gradebook.db`` the nbgrader gradebook.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SOURCE_DIR = "notebooks"
RELEASE_DIR = "release"
GRADEBOOK = "gradebook.db"


class CourseError(Exception):
    """A problem with the course itself (missing root, unknown lesson): the command cannot run."""


def find_root(start: Path | None = None) -> Path:
    """The course root: the first of the cwd and its parents, then the package's repo, that has
    a ``notebooks/`` folder."""
    candidates = []
    here = (start or Path.cwd()).resolve()
    candidates += [here, *here.parents]
    candidates.append(Path(__file__).resolve().parents[1])
    for candidate in candidates:
        if (candidate / SOURCE_DIR).is_dir():
            return candidate
    raise CourseError(f"no course root found: none of {here} and its parents, nor the repository "
                      f"at {candidates[-1]}, has a '{SOURCE_DIR}/' folder; pass --root DIR")


@dataclass(frozen=True)
class Course:
    """A course root and the paths nbgrader and the `course` command use inside it."""

    root: Path

    @classmethod
    def at(cls, root: Path | str | None) -> Course:
        if root is None:
            return cls(find_root())
        path = Path(root).resolve()
        if not (path / SOURCE_DIR).is_dir():
            raise CourseError(f"--root {root}: expected a course root with a '{SOURCE_DIR}/' "
                              f"folder, but {path / SOURCE_DIR} does not exist")
        return cls(path)

    @property
    def source_dir(self) -> Path:
        return self.root / SOURCE_DIR

    @property
    def release_dir(self) -> Path:
        return self.root / RELEASE_DIR

    @property
    def gradebook(self) -> Path:
        return self.root / GRADEBOOK

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.gradebook}"

    def source(self, lesson: str) -> Path:
        return self.source_dir / lesson / f"{lesson}.ipynb"

    def release(self, lesson: str) -> Path:
        return self.release_dir / lesson / f"{lesson}.ipynb"

    def lessons(self) -> list[str]:
        """Every lesson id: a folder of ``notebooks/`` holding a notebook of the same name."""
        return sorted(entry.name for entry in self.source_dir.iterdir()
                      if entry.is_dir() and (entry / f"{entry.name}.ipynb").is_file())

    def select(self, ids: list[str] | None) -> list[str]:
        """The lessons named in `ids` (all of them when empty), checking that each exists."""
        known = self.lessons()
        if not ids:
            return known
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise CourseError(f"unknown lesson id(s) {', '.join(unknown)}; this course has: "
                              f"{', '.join(known) or 'no lessons'}")
        return list(ids)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a file so that a reader (or a kill -9) sees the old or the new content, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(tmp, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
