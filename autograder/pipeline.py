"""Grade one (student, assignment): read, rebuild, probe, execute, score, write feedback.

This is the one path every notebook takes, whether `course grade` runs it for a class, `course
validate` for a lesson's source and release, or `course check` for a student's self-check. It
runs inside a worker process and never raises: whatever the submission does, the outcome is a
result dict with a status (see :data:`STATUSES`).
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
import traceback
from dataclasses import asdict
from pathlib import Path

import nbformat

from . import execute, feedback, kernel, scoring
from .paths import atomic_write
from .restore import rebuild

STATUSES = {
    "ok": "graded normally (points are those of the tests that passed)",
    "timeout": "a cell or the whole notebook ran out of time; tests that ran before count",
    "kernel_died": "the kernel process exited or crashed; tests that ran before count",
    "out_of_memory": "the notebook hit the memory limit; tests that ran before count",
    "disk_limit": "the notebook wrote more to its scratch folder than allowed; earlier tests count",
    "output_limit": "the notebook printed more than the output limit; extra output dropped",
    "malformed": "the file is not a readable notebook (bad JSON or not nbformat 4); 0 points",
    "missing": "no notebook for this assignment in the student's submission; 0 points",
    "grader_error": "the grader itself failed on this notebook (a bug to report); 0 points",
}


def _read(path: Path):
    """The submitted notebook, or raise ValueError saying why it is not one."""
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for broken JSON
        raise ValueError(f"not a notebook: {type(exc).__name__}: {str(exc)[:300]}") from None
    if not isinstance(nb.get("cells"), list) or not all(
            isinstance(c, dict) and c.get("cell_type") in ("code", "markdown", "raw")
            for c in nb.cells):
        raise ValueError("not a notebook: it has no list of cells with known cell types")
    for cell in nb.cells:
        cell.setdefault("metadata", {})
        cell.setdefault("source", "")
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
    return nb


def _blank(job: dict, status: str, message: str, questions) -> dict:
    return {"student_id": job["student"], "assignment": job["assignment"], "status": status,
            "score": 0.0, "max_score": job.get("max_score", 0.0), "message": message,
            "questions": [asdict(q) for q in questions], "flags": list(job.get("flags", [])),
            "notes": list(job.get("notes", [])), "duration_s": 0.0, "execution_s": 0.0}


def _zero_questions(source_nb, reason: str):
    return scoring.score(source_nb, set(), reason)


def grade_one(job: dict) -> dict:
    """Grade the job described by `job` (plain data: paths as strings, limits as a dict)."""
    start = time.monotonic()
    try:
        result = _grade(job)
    except Exception:  # noqa: BLE001 - a grader bug must not stop the batch
        result = _blank(job, "grader_error", traceback.format_exc(limit=5)[-2000:], [])
    result["duration_s"] = round(time.monotonic() - start, 3)
    if job.get("feedback"):
        feedback.write(Path(job["feedback"]), result, result.pop("_nb", None))
    result.pop("_nb", None)
    return result


def _grade(job: dict) -> dict:
    source = nbformat.read(job["source"], as_version=4)
    release = nbformat.read(job["release"], as_version=4)
    job = {**job, "max_score": scoring.max_score(source)}
    if job.get("malformed"):
        return _blank(job, "malformed", job["malformed"],
                      _zero_questions(source, "unreadable submission"))
    if not job.get("notebook"):
        return _blank(job, "missing", "no notebook was submitted for this assignment",
                      _zero_questions(source, "no notebook submitted"))
    try:
        submission = _read(Path(job["notebook"]))
    except ValueError as exc:
        return _blank(job, "malformed", str(exc), _zero_questions(source, "unreadable notebook"))
    integrity = job.get("sandbox", True)
    flags = list(job.get("flags", []))
    if integrity:
        flags += kernel.static_flags(submission)
    nb, notes = rebuild(submission, source, release)
    nonce = secrets.token_hex(8)
    if integrity:
        first, last = kernel.probe_cells(nonce)
        nb.cells.insert(0, nbformat.v4.new_code_cell(first, metadata={execute.PROBE_TAG: "first"}))
        nb.cells.append(nbformat.v4.new_code_cell(last, metadata={execute.PROBE_TAG: "last"}))
    limits = kernel.Limits(**job.get("limits", {}))
    scratch = Path(tempfile.mkdtemp(prefix="course-grade-"))
    try:
        _copy_lesson_files(Path(job["release"]).parent, scratch)
        run = execute.run(nb, scratch, limits, sandbox=integrity)
        if integrity and run.final_probe_ran:
            flags += kernel.read_probe_report(scratch, nonce)
        elif integrity and _every_test_ran(nb, run.completed):
            # The kernel stopped after the last test but before the integrity check: the stop
            # cost nothing, and whatever the notebook patched went unseen. Not rewarded blind.
            flags += kernel.read_probe_report(scratch, nonce)
            notes.append("the kernel stopped after every test had run but before the integrity "
                         "check could report; flagged for review")
        elif integrity:
            notes.append("the integrity probe could not run to the end (the kernel died)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    keep = [i for i, c in enumerate(nb.cells) if execute.PROBE_TAG not in c.metadata]
    completed = {keep.index(i) for i in run.completed if i in keep}
    failed = {keep.index(i): e for i, e in run.failed.items() if i in keep}
    nb.cells = [nb.cells[i] for i in keep]
    questions = scoring.score(nb, completed, run.message or "the notebook stopped before it",
                              failed)
    result = _blank({**job, "flags": sorted(set(flags)), "notes": job.get("notes", []) + notes},
                    run.status, run.message, questions)
    result["score"] = sum(q.points for q in questions)
    result["execution_s"] = round(run.seconds, 3)
    result["cells_s"] = round(run.cells_seconds, 3)
    paths = [p for p in [job.get("autograded"), *job.get("autograded_copies", [])] if p]
    text = nbformat.writes(nb) if paths else ""
    for path in paths:
        atomic_write(Path(path), text)
    result["_nb"] = nb
    return result


def _copy_lesson_files(lesson_dir: Path, scratch: Path) -> None:
    """Data files that sit beside the lesson's notebook, which its cells may open."""
    for entry in lesson_dir.iterdir():
        if entry.suffix == ".ipynb" or entry.name.startswith("."):
            continue
        target = scratch / entry.name
        if entry.is_dir():
            shutil.copytree(entry, target)
        else:
            shutil.copy2(entry, target)


def _every_test_ran(nb, completed) -> bool:
    """Whether every autograded test cell of `nb` finished executing."""
    tests = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")
             and not cell.metadata.get("nbgrader", {}).get("solution")]
    return bool(tests) and all(i in completed for i in tests)
