"""`course grade`: a whole class, in parallel, resumable, with one result per (student, lesson).

Order of work for one batch: release what is stale (this also fills the gradebook with the
lessons' cells), discover submissions, skip those whose stored result matches the submission's
hash and the grader's version, grade the rest in worker processes, and for each result, in this
process, write the gradebook and then the result file (both idempotent, so a kill between them
only means regrading that one). The CSVs are regenerated from the result files during the run
and at the end.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import nbformat
from tqdm import tqdm

from . import journal as J
from .kernel import Limits, isolation_status
from .paths import Course, CourseError
from .release import ensure_released
from .runner import run_jobs
from .scoring import max_score
from .submissions import discover
from .summary import summarize

CSV_REFRESH_S = 5.0


def _jobs(course: Course, subs, out: Path, limits: Limits, sandbox: bool) -> list[dict]:
    jobs = []
    versions, maxima = {}, {}
    for sub in subs:
        if sub.assignment not in versions:
            versions[sub.assignment] = J.grader_version(course.source(sub.assignment),
                                                        asdict(limits))
            maxima[sub.assignment] = max_score(nbformat.read(course.source(sub.assignment),
                                                             as_version=4))
        rel = Path(sub.student) / sub.assignment / f"{sub.assignment}"
        jobs.append({
            "student": sub.student, "assignment": sub.assignment,
            "notebook": str(sub.notebook) if sub.notebook else None,
            "malformed": sub.malformed, "notes": sub.notes, "flags": sub.flags,
            "source": str(course.source(sub.assignment)),
            "release": str(course.release(sub.assignment)),
            "limits": asdict(limits), "sandbox": sandbox,
            "feedback": str(out / "feedback" / f"{rel}.html"),
            "autograded": str(out / "autograded" / f"{rel}.ipynb"),
            # nbgrader's own place for it, where formgrader looks for the graded notebook
            "autograded_copies": [str(course.root / "autograded" / f"{rel}.ipynb")],
            "key": f"{sub.sha256}:{versions[sub.assignment]}",
            "max_score": maxima[sub.assignment]})
    return jobs


def _crash_result(job: dict) -> dict:
    return {"student_id": job["student"], "assignment": job["assignment"],
            "status": "grader_error", "score": 0.0, "max_score": job["max_score"], "questions": [],
            "flags": [], "notes": job["notes"], "duration_s": 0.0, "execution_s": 0.0,
            "message": "the grading worker process died twice on this notebook"}


def _parse_accept(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        student, _, assignment = value.partition("/")
        if not student or not assignment or "/" in assignment:
            raise CourseError(f"--accept {value!r}: expected STUDENT/ASSIGNMENT, e.g. "
                              f"alice/01-gradient-descent")
        pairs.append((student, assignment))
    return pairs


def grade(course: Course, submissions: Path, out: Path, *, workers: int | None = None,
          limits: Limits | None = None, force: bool = False, accept: list[str] = (),
          sandbox: bool = True, log=print) -> int:
    """Grade every submission under `submissions` into `out`; returns the exit status."""
    accepts = _parse_accept(list(accept))
    limits = limits or Limits()
    if not submissions.is_dir():
        raise CourseError(f"SUBMISSIONS {submissions}: no such folder (expected "
                          f"<student>/<assignment>/<assignment>.ipynb or <student>.zip inside)")
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    subs, warnings = discover(submissions, course.lessons(), out / "extracted", exclude=(out,))
    for warning in warnings:
        log(f"note: {warning}")
    if not subs:
        log(f"note: no submission in {submissions} belongs to a lesson of this course "
            f"({', '.join(course.lessons()) or 'none'})")
    assignments = sorted({s.assignment for s in subs})
    _ensure_gradebook(course, assignments, log)
    isolated, isolation = isolation_status() if sandbox else (False, "disabled")
    if not isolated:
        log("=" * 78 + f"\nWARNING: REDUCED ISOLATION: {isolation}\nStudent code runs with "
            "separate scratch folders and resource limits only; it could read other files\n"
            "of this machine. Install bubblewrap (scripts/install-system-deps.sh).\n" + "=" * 78)
    book = J.Journal(out)
    jobs = _jobs(course, subs, out, limits, sandbox)
    todo = [j for j in jobs if force or (book.load(j["student"], j["assignment"]) or {}
                                         ).get("key") != j["key"]]
    _record(course, book, jobs, todo, workers or os.cpu_count() or 1)
    for student, assignment in accepts:
        result = book.accept(student, assignment)
        cleared = ", ".join(result["flags"]) or "none"
        log(f"accepted {student}/{assignment} (flags cleared: {cleared})")
    results = book.write_csvs()
    accepted = book.accepted()
    scores = {(r["student_id"], r["assignment"]): book.effective_score(r, accepted)
              for r in results}
    _sync_accepted(course, results, book, accepted, accepts)
    log(summarize(results, scores, graded_now=len(todo), reused=len(jobs) - len(todo),
                  isolation=isolation, seconds=time.monotonic() - started))
    log(f"results: {out / 'grades.csv'}, {out / 'questions.csv'}, {out / 'feedback'}/")
    return 0


def _ensure_gradebook(course: Course, assignments: list[str], log) -> None:
    """Stale releases are rebuilt; so are lessons the gradebook lacks (e.g. a deleted db)."""
    from .gradebook import CourseGradebook
    from .release import release

    note = lambda msg: log(f"release: {msg}")  # noqa: E731
    built = ensure_released(course, assignments, log=note)
    gradebook = CourseGradebook(course)
    try:
        absent = [a for a in assignments if a not in built and not gradebook.has_assignment(a)]
    finally:
        gradebook.close()
    if absent:
        release(course, absent, log=note)


def _record(course: Course, book: J.Journal, jobs: list[dict], todo: list[dict],
            workers: int) -> None:
    from .gradebook import CourseGradebook

    gradebook = CourseGradebook(course)
    accepted = book.accepted()
    last_csv = [time.monotonic()]
    bar = tqdm(total=len(todo), desc="grading", unit="nb", file=sys.stderr, disable=None)

    def on_result(job: dict, result: dict) -> None:
        result["key"] = job["key"]
        gradebook.record(result, not result["flags"] or book.is_accepted(result, accepted))
        book.save(result)
        bar.update(1)
        bar.set_postfix_str(f"{result['student_id']}/{result['assignment']}: {result['status']}")
        if time.monotonic() - last_csv[0] > CSV_REFRESH_S:
            book.write_csvs()
            last_csv[0] = time.monotonic()

    try:
        run_jobs(todo, workers, on_result, _crash_result)
    finally:
        bar.close()
        gradebook.close()


def _sync_accepted(course: Course, results, book: J.Journal, accepted: dict, accepts) -> None:
    """Newly accepted submissions get their real points in the gradebook too."""
    if not accepts:
        return
    from .gradebook import CourseGradebook

    gradebook = CourseGradebook(course)
    try:
        wanted = set(accepts)
        for r in results:
            if (r["student_id"], r["assignment"]) in wanted:
                gradebook.record(r, book.is_accepted(r, accepted))
    finally:
        gradebook.close()
