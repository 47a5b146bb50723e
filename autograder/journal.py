"""Grading results on disk: one JSON file per (student, assignment), and the CSVs made from them.

Why files and not a running CSV: a batch may be stopped at any moment (Ctrl-C, kill -9). Each
result is written to a temporary file and renamed into place, so a result either exists whole or
not at all; ``grades.csv`` and ``questions.csv`` are regenerated (atomically, too) from the result
files, so they can never hold a duplicate or half row. A re-run compares each submission's hash
and the grader's version with the stored result and grades only what changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from pathlib import Path

from .paths import CourseError, atomic_write

GRADES_COLUMNS = ["student_id", "assignment", "score", "max_score", "status", "flags",
                  "raw_score", "accepted", "duration_s", "notes", "message"]
QUESTION_COLUMNS = ["student_id", "assignment", "grade_id", "points", "max_points", "passed"]
_PACKAGE = Path(__file__).resolve().parent


def grader_version(source: Path, limits: dict) -> str:
    """Changes whenever the grader's code, the lesson's source or the limits change."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.glob("*.py")):
        digest.update(path.read_bytes())
    digest.update(source.read_bytes())
    digest.update(json.dumps(limits, sort_keys=True).encode())
    return digest.hexdigest()[:16]


class Journal:
    """The results folder of one OUT directory."""

    def __init__(self, out: Path):
        self.out = out
        self.results_dir = out / "results"
        self.accept_file = out / "accepted.json"

    def path(self, student: str, assignment: str) -> Path:
        return self.results_dir / student / f"{assignment}.json"

    def load(self, student: str, assignment: str) -> dict | None:
        try:
            return json.loads(self.path(student, assignment).read_text())
        except (OSError, ValueError):
            return None

    def save(self, result: dict) -> None:
        atomic_write(self.path(result["student_id"], result["assignment"]),
                     json.dumps(result, indent=1, sort_keys=True))

    def all(self) -> list[dict]:
        results = []
        for path in sorted(self.results_dir.glob("*/*.json")):
            try:
                results.append(json.loads(path.read_text()))
            except ValueError:
                continue
        return sorted(results, key=lambda r: (r["student_id"], r["assignment"]))

    # -- accepting flagged submissions -----------------------------------------------------
    def accepted(self) -> dict:
        try:
            return json.loads(self.accept_file.read_text())
        except (OSError, ValueError):
            return {}

    def accept(self, student: str, assignment: str) -> dict:
        """Clear the flags of the current grading of one submission (recorded in OUT)."""
        result = self.load(student, assignment)
        if result is None:
            raise CourseError(f"--accept {student}/{assignment}: no graded result for it in "
                           f"{self.out}; grade it first")
        accepted = self.accepted()
        accepted[f"{student}/{assignment}"] = {"key": result["key"], "flags": result["flags"],
                                               "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
        atomic_write(self.accept_file, json.dumps(accepted, indent=1, sort_keys=True))
        return result

    def is_accepted(self, result: dict, accepted: dict | None = None) -> bool:
        entry = (self.accepted() if accepted is None else accepted).get(
            f"{result['student_id']}/{result['assignment']}")
        return bool(entry) and entry.get("key") == result.get("key")

    # -- CSVs ------------------------------------------------------------------------------
    def effective_score(self, result: dict, accepted: dict) -> float:
        """The score that counts: 0 while a flag is not accepted by the instructor."""
        if result["flags"] and not self.is_accepted(result, accepted):
            return 0.0
        return result["score"]

    def write_csvs(self) -> list[dict]:
        results, accepted = self.all(), self.accepted()
        grades, questions = [], []
        for r in results:
            score = self.effective_score(r, accepted)
            grades.append({
                "student_id": r["student_id"], "assignment": r["assignment"],
                "score": _num(score), "max_score": _num(r["max_score"]), "status": r["status"],
                "flags": ";".join(r["flags"]), "raw_score": _num(r["score"]),
                "accepted": "yes" if r["flags"] and self.is_accepted(r, accepted) else "",
                "duration_s": r["duration_s"], "notes": " | ".join(r["notes"]),
                "message": r["message"].splitlines()[-1][:300] if r["message"] else ""})
            zero = score != r["score"]
            questions += [{"student_id": r["student_id"], "assignment": r["assignment"],
                           "grade_id": q["grade_id"], "points": _num(0 if zero else q["points"]),
                           "max_points": _num(q["max_points"]), "passed": q["passed"]}
                          for q in r["questions"]]
        atomic_write(self.out / "grades.csv", _csv(GRADES_COLUMNS, grades))
        atomic_write(self.out / "questions.csv", _csv(QUESTION_COLUMNS, questions))
        return results


def _num(value: float):
    return int(value) if float(value).is_integer() else round(float(value), 4)


def _csv(columns: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
