"""The probe cells the grader wraps around every submission, and reading what they report.

:func:`probe_cells` returns the source of a first cell (inserted before the student's code) and
a last cell (appended after the tests). Both run :mod:`autograder.integrity_scan` in the
student's kernel; the last one writes ``<scratch>/.probe-<nonce>.json``. The nonce appears only
in the last cell, so student code running earlier cannot know the report's name to forge it.

A missing or unreadable report is itself a flag: the kernel died, the probe was prevented from
running, or its output was tampered with.
"""

from __future__ import annotations

import json
import os
import stat
import types
from pathlib import Path

from . import integrity_scan
from .sandbox_command import trusted_roots

MAX_REPORT_BYTES = 1_000_000
HEADER = "# Autograder integrity check, inserted by the grader: it changes nothing in your results."


def _config() -> dict:
    import course_lib.checks as checks

    functions = sorted(name for name, value in vars(checks).items()
                       if type(value) is types.FunctionType and value.__module__ == checks.__name__)
    return {"roots": [str(r) for r in trusted_roots()], "checks_file": checks.__file__,
            "checks_functions": functions}


def _cell(call: str, config: dict) -> str:
    source = Path(integrity_scan.__file__).read_text()
    return (f"{HEADER}\n"
            f"def __autograder_probe(source={source!r}, config={config!r}):\n"
            f"    namespace = {{'__name__': 'autograder_probe'}}\n"
            f"    exec(compile(source, '<autograder-probe>', 'exec'), namespace)\n"
            f"    namespace[{call!r}](get_ipython(), config)\n"
            f"__autograder_probe()\n"
            f"del __autograder_probe\n")


def probe_cells(nonce: str) -> tuple[str, str]:
    """(first cell, last cell) sources for a submission graded under `nonce`."""
    if not nonce.isalnum():
        raise ValueError(f"probe nonce must be letters and digits, got {nonce!r}")
    config = _config()
    return _cell("install", config), _cell("report", {**config, "nonce": nonce})


def report_path(scratch: Path, nonce: str) -> Path:
    return Path(scratch) / f".probe-{nonce}.json"


def read_probe_report(scratch: Path, nonce: str) -> list[str]:
    """The flags the last probe cell wrote, or a ``probe:`` flag saying why there are none.

    The file is opened without following symlinks and must be a small regular file: the
    scratch directory belongs to the student, who could plant a link to some other file.
    """
    path = report_path(scratch, nonce)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return ["probe:no-report"]
    except OSError:
        return ["probe:bad-report"]
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_REPORT_BYTES:
            return ["probe:bad-report"]
        data = os.read(fd, MAX_REPORT_BYTES + 1)
    finally:
        os.close(fd)
    try:
        report = json.loads(data)
        flags = report["flags"]
        valid = (report["nonce"] == nonce and type(flags) is list
                 and all(type(f) is str and len(f) < 200 for f in flags))
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        return ["probe:bad-report"]
    return sorted(set(flags))
