"""`course lab` (what `make lab` runs): fresh student notebooks, then JupyterLab on them."""

from __future__ import annotations

import os
import sys

from .paths import Course
from .release import ensure_released


def lab(course: Course, *, port: int | None = None, no_browser: bool = False,
        token: str | None = None, extra: list[str] = (), log=print) -> int:
    """Build the stale releases (never overwriting a student's edits), then exec JupyterLab."""
    lessons = course.lessons()
    if lessons:
        ensure_released(course, lessons, keep_edited=True, log=log)
    else:
        log(f"no lessons found under {course.source_dir} yet; starting JupyterLab anyway")
    course.release_dir.mkdir(exist_ok=True)
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={course.release_dir}"]
    if port is not None:
        argv.append(f"--port={port}")
    if no_browser:
        argv.append("--no-browser")
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # containers and CI run as root; JupyterLab refuses without
    argv += list(extra)
    log("starting: " + " ".join(argv[2:]))
    sys.stdout.flush()
    os.execv(sys.executable, argv)
    return 0  # not reached: exec replaces this process
