"""nbgrader's configuration for this course (read by `nbgrader ...` run from the repo root)."""

from pathlib import Path

from autograder.nbgrader_config import configure

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file
configure(c, Path(__file__).resolve().parent)
