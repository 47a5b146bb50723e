"""Result files, the CSVs made from them, and accepting flagged submissions."""

from __future__ import annotations

import json

import pytest
from autograder_support import read_csv

from autograder.journal import Journal
from autograder.paths import CourseError


def result(student, assignment, score=3.0, flags=(), key="k1"):
    return {"student_id": student, "assignment": assignment, "status": "ok", "score": score,
            "max_score": 6.0, "flags": list(flags), "notes": [], "message": "",
            "duration_s": 1.5, "execution_s": 1.0, "key": key,
            "questions": [{"grade_id": "test_a", "points": score, "max_points": 6.0,
                           "passed": score > 0, "message": ""}]}


def test_saving_again_replaces_the_result_and_the_csv_has_one_row_each(tmp_path):
    book = Journal(tmp_path)
    book.save(result("ann", "fx-basics", 1.0))
    book.save(result("ann", "fx-basics", 6.0))
    book.save(result("ben", "fx-basics", 0.0))
    book.write_csvs()
    rows = read_csv(tmp_path / "grades.csv")
    assert [(r["student_id"], r["score"], r["status"]) for r in rows] == [
        ("ann", "6", "ok"), ("ben", "0", "ok")]
    assert list(rows[0])[:6] == ["student_id", "assignment", "score", "max_score", "status",
                                 "flags"]
    questions = read_csv(tmp_path / "questions.csv")
    assert [(q["student_id"], q["grade_id"], q["points"], q["max_points"]) for q in questions] \
        == [("ann", "test_a", "6", "6"), ("ben", "test_a", "0", "6")]
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_half_written_result_file_is_skipped_not_fatal(tmp_path):
    book = Journal(tmp_path)
    book.save(result("ann", "fx-basics"))
    (tmp_path / "results" / "ben").mkdir()
    (tmp_path / "results" / "ben" / "fx-basics.json").write_text('{"student_id": "be')
    assert [r["student_id"] for r in book.all()] == ["ann"]


def test_flagged_results_score_zero_until_accepted_for_that_version(tmp_path):
    book = Journal(tmp_path)
    book.save(result("eve", "fx-basics", 6.0, flags=["monkeypatch:numpy.allclose"]))
    book.write_csvs()
    row = read_csv(tmp_path / "grades.csv")[0]
    assert (row["score"], row["raw_score"], row["flags"], row["accepted"]) == (
        "0", "6", "monkeypatch:numpy.allclose", "")
    assert read_csv(tmp_path / "questions.csv")[0]["points"] == "0"
    book.accept("eve", "fx-basics")
    book.write_csvs()
    row = read_csv(tmp_path / "grades.csv")[0]
    assert (row["score"], row["accepted"]) == ("6", "yes")
    assert json.loads((tmp_path / "accepted.json").read_text())["eve/fx-basics"]["key"] == "k1"
    book.save(result("eve", "fx-basics", 6.0, flags=["monkeypatch:numpy.allclose"], key="k2"))
    book.write_csvs()
    assert read_csv(tmp_path / "grades.csv")[0]["score"] == "0"


def test_accepting_something_never_graded_is_an_error(tmp_path):
    with pytest.raises(CourseError, match="no graded result for it"):
        Journal(tmp_path).accept("nobody", "fx-basics")
