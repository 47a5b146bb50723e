"""`course validate`: is every lesson fit to hand out and to grade?

For each lesson, in one table:

* **metadata**: unique grade ids, points > 0 on every test, every solution cell followed by at
  least one test cell, test cells locked, no manually graded cells (the course autogrades all);
* **source**: the instructor's version, graded by the very pipeline of `course grade` (sandbox,
  restore, probes, scoring), earns full marks, with no error in any cell and no integrity flag;
* **release**: the student version, built by nbgrader into a scratch course (the repository's
  ``release/`` is left alone), earns zero points and raises no error outside exercise cells;
* **no leaks**: the release holds no solution code and no hidden test;
* **time**: the source executes within the budget (30 s by default).
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path

import nbformat

from . import cells as C
from .kernel import Limits
from .paths import Course
from .release import scratch_release
from .runner import run_jobs
from .summary import table

CHECKS = ["metadata", "source", "release", "no leaks", "time"]


def metadata_problems(nb) -> list[str]:
    problems, seen, open_solution = [], set(), None
    for index, cell in enumerate(nb.cells):
        gid = C.grade_id(cell)
        if not C.meta(cell):
            continue
        where = f"cell {index} ({gid or 'no grade_id'})"
        if gid is None:
            problems.append(f"{where}: nbgrader cell without a grade_id")
            continue
        if gid in seen:
            problems.append(f"{where}: duplicate grade_id")
        seen.add(gid)
        m = C.meta(cell)
        if m.get("grade") and (m.get("solution") or m.get("task")):
            problems.append(f"{where}: manually graded cell; this course autogrades everything")
        if C.is_test(cell):
            if cell.cell_type != "code":
                problems.append(f"{where}: a test cell must be a code cell")
            if C.points(cell) <= 0:
                problems.append(f"{where}: points must be > 0, got {m.get('points')!r}")
            if not m.get("locked"):
                problems.append(f"{where}: test cell is not locked")
            open_solution = None
        if C.is_solution(cell):
            if open_solution is not None:
                problems.append(f"solution {open_solution} has no test cell after it")
            open_solution = gid
    if open_solution is not None:
        problems.append(f"solution {open_solution} has no test cell after it")
    return problems


def leak_problems(source, released) -> list[str]:
    """Solution or hidden-test lines of the source that survive in the release."""
    outside, secret = set(), {}
    for cell in source.cells:
        text = C.source_text(cell)
        hidden = C.regions(text, C.SOLUTION_BEGIN) + C.regions(text, C.HIDDEN_BEGIN)
        for region in hidden:
            for line in region.splitlines()[1:-1]:
                secret.setdefault(line.strip(), C.grade_id(cell))
        remaining = text
        for region in hidden:
            remaining = remaining.replace(region, "")
        outside |= {line.strip() for line in remaining.splitlines()}
    released_lines = {line.strip() for cell in released.cells
                      for line in C.source_text(cell).splitlines()}
    problems = [f"marker {marker!r} left in the release" for marker in
                (C.SOLUTION_BEGIN, C.HIDDEN_BEGIN)
                if any(marker in C.source_text(c) for c in released.cells)]
    problems += [f"{gid}: hidden line in the release: {line[:60]}" for line, gid in secret.items()
                 if len(line) >= 8 and line not in outside and line in released_lines]
    return problems


def errors_outside_exercises(nb) -> list[str]:
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or C.is_solution(cell) or C.is_test(cell):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {index}: {out.get('ename')}: {str(out.get('evalue'))[:200]}")
    return found


def validate(course: Course, ids: list[str] | None, *, workers: int, budget: float = 30.0,
             log=print) -> int:
    """Check the selected lessons and print the table; returns 0 when every check passed."""
    lessons = course.select(ids)
    if not lessons:
        log(f"no lessons found under {course.source_dir}; nothing to validate")
        return 0
    limits = asdict(Limits(cell_timeout=2 * budget, notebook_timeout=3 * budget))
    with tempfile.TemporaryDirectory(prefix="course-validate-") as tmp:
        scratch = scratch_release(course, lessons, Path(tmp))
        jobs = [{"student": kind, "assignment": lesson, "limits": limits,
                 "notebook": str(scratch.source(lesson) if kind == "source"
                                 else scratch.release(lesson)),
                 "source": str(scratch.source(lesson)), "release": str(scratch.release(lesson)),
                 "autograded": str(Path(tmp) / "graded" / kind / f"{lesson}.ipynb")}
                for lesson in lessons for kind in ("source", "release")]
        results = {}
        run_jobs(jobs, workers, lambda job, r: results.__setitem__(
            (job["assignment"], job["student"]), (job, r)), _lost)
        rows, details = [], []
        for lesson in lessons:
            checks, problems = _checks(scratch, lesson, results, budget)
            rows.append([lesson, *("ok" if not checks[c] else "FAIL" for c in CHECKS[:-1]),
                         checks["seconds"], "ok" if not checks["time"] else "FAIL"])
            details += [f"{lesson}: {p}" for p in problems]
    log(table(rows, ["lesson", *CHECKS[:-1], "seconds", "time"]))
    for line in details:
        log(line)
    failed = sum(1 for row in rows if "FAIL" in row)
    log(f"{len(rows) - failed} of {len(rows)} lessons passed every check")
    return 1 if failed else 0


def _lost(job: dict) -> dict:
    return {"status": "grader_error", "score": 0, "max_score": 0, "questions": [], "flags": [],
            "message": "the grading worker died", "execution_s": 0.0}


def _checks(scratch: Course, lesson: str, results: dict, budget: float):
    source_nb = nbformat.read(scratch.source(lesson), as_version=4)
    release_nb = nbformat.read(scratch.release(lesson), as_version=4)
    found = {"metadata": metadata_problems(source_nb), "no leaks": leak_problems(source_nb,
                                                                                release_nb)}
    for kind, want_full in (("source", True), ("release", False)):
        job, r = results[(lesson, kind)]
        problems = []
        if r["status"] != "ok":
            problems.append(f"{kind} status {r['status']}: {r['message'][-300:]}")
        if r["flags"]:
            problems.append(f"{kind} flagged: {', '.join(r['flags'])}")
        wrong = [q for q in r["questions"] if q["passed"] != want_full]
        if want_full:
            problems += [f"source fails {q['grade_id']}: {q['message'][:300]}" for q in wrong]
        else:
            problems += [f"release earns free points on {q['grade_id']}" for q in wrong]
        graded = Path(job["autograded"])
        if graded.is_file():
            problems += [f"{kind} error outside exercises, {e}" for e in
                         errors_outside_exercises(nbformat.read(graded, as_version=4))]
        found[kind] = problems
    # The kernel's time in cells: kernel start-up and the sandbox are the grader's cost.
    seconds = results[(lesson, "source")][1].get("cells_s", 0.0)
    found["time"] = ([f"source took {seconds:.1f} s, over the {budget:g} s budget"]
                     if seconds > budget else [])
    found["seconds"] = f"{seconds:.1f}"
    problems = [p for check in CHECKS for p in found[check]]
    return found, problems
