"""The course's nbgrader configuration, in one place for the `course` command and nbgrader's CLI.

The repository's top-level ``nbgrader_config.py`` calls :func:`configure`, so ``nbgrader export``
and formgrader run from the course root see the same layout and gradebook as ``course``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .paths import GRADEBOOK, RELEASE_DIR, SOURCE_DIR

COURSE_ID = "dl-course"
CELL_TIMEOUT_S = 60


def configure(c, root: Path) -> None:
    """Fill a traitlets config object `c` for the course rooted at `root`."""
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = SOURCE_DIR
    c.CourseDirectory.release_directory = RELEASE_DIR
    c.CourseDirectory.db_url = f"sqlite:///{Path(root) / GRADEBOOK}"
    c.CourseDirectory.course_id = COURSE_ID
    c.Exchange.course_id = COURSE_ID
    c.Execute.timeout = CELL_TIMEOUT_S
    # The student version keeps cell ids, so `course grade` can match cells whose metadata a
    # student stripped; nbgrader's own checks run on every generate_assignment.
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}


def course_config(root: Path):
    """A fresh traitlets Config for the course at `root`, and nbgrader's tools on PATH.

    nbgrader creates the gradebook by running ``alembic`` as a subprocess, found on PATH; when
    `course` is started as ``.venv/bin/course`` without an activated venv, that directory is not
    on PATH, so it is added here.
    """
    from traitlets.config import Config

    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    c = Config()
    configure(c, root)
    return c
