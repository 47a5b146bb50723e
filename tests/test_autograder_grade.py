"""`course grade` on a class covering every broken or honest kind of submission.

One batch is graded once per module (17 kernels); the tests then read its outputs. Expected
points come from the fixture: fx-basics = test_square 2 + test_mean 3 + test_count_positive 1,
fx-arrays = test_relu 2 + test_normalize 2.
"""

from __future__ import annotations

import nbformat
import pytest
from autograder_support import (
    ANSWERS,
    Student,
    delete_cell,
    duplicate_cell,
    edit_cell,
    make_course,
    rows_by_key,
    strip_metadata,
    to_json,
    to_markdown,
    write_zip,
)

from autograder.grade import grade
from autograder.kernel import Limits

pytestmark = [pytest.mark.slow]

LIMITS = Limits(cell_timeout=4, notebook_timeout=60)
WRONG = {**ANSWERS, "square": "def square(x):\n    return x + x\n",
         "count_positive": "def count_positive(values):\n"
                           "    return int(np.sum(np.asarray(values) >= 0))\n"}
LOOP = {**ANSWERS, "mean": "def mean(values):\n    return 2.0\n\nwhile True:\n    pass\n"}
CRASH = {**ANSWERS, "count_positive": "import os\nos._exit(1)\n"}

# (student, assignment) -> (score, status, flags)
EXPECTED = {
    ("honest", "fx-basics"): (6, "ok", ""), ("honest", "fx-arrays"): (4, "ok", ""),
    ("blank", "fx-basics"): (0, "ok", ""), ("blank", "fx-arrays"): (0, "ok", ""),
    ("wrong", "fx-basics"): (3, "ok", ""),
    ("malformed", "fx-basics"): (0, "malformed", ""),
    ("deleted", "fx-basics"): (6, "ok", ""),
    ("duplicated", "fx-basics"): (6, "ok", ""),
    ("edited", "fx-basics"): (4, "ok", ""),
    ("markdown", "fx-basics"): (6, "ok", ""),
    ("stripped", "fx-basics"): (6, "ok", ""),
    ("extra", "fx-basics"): (6, "ok", ""),
    ("renamed", "fx-basics"): (6, "ok", ""),
    ("zipper", "fx-basics"): (6, "ok", ""), ("zipper", "fx-arrays"): (0, "ok", ""),
    ("slipper", "fx-basics"): (0, "ok", "zip_unsafe_path:../../evil.ipynb"),
    ("looper", "fx-basics"): (2, "timeout", ""),
    ("crasher", "fx-basics"): (5, "kernel_died", ""),
}
for _student in ["wrong", "malformed", "deleted", "duplicated", "edited", "markdown", "stripped",
                 "extra", "renamed", "slipper", "looper", "crasher"]:
    EXPECTED[(_student, "fx-arrays")] = (0, "missing", "")
# A zip-slip member taints the whole zip: every row of that student carries the flag.
EXPECTED[("slipper", "fx-arrays")] = (0, "missing", "zip_unsafe_path:../../evil.ipynb")


def build_class(course, subs):
    def student(name):
        return Student(course, subs, name)

    honest = student("honest")
    basics = honest.notebook("fx-basics")
    honest.write("fx-basics", basics)
    honest.write("fx-arrays", honest.notebook("fx-arrays"))
    blank = student("blank")
    blank.write("fx-basics", blank.notebook("fx-basics", {}))
    blank.write("fx-arrays", blank.notebook("fx-arrays", {}))
    student("wrong").write("fx-basics", honest.notebook("fx-basics", WRONG))
    student("malformed").write("fx-basics", '{"cells": [ this is not json')
    student("deleted").write("fx-basics", delete_cell(basics, "test_mean"))
    student("duplicated").write("fx-basics", duplicate_cell(basics, "test_square"))
    edited = honest.notebook("fx-basics", {**ANSWERS, "square": "def square(x):\n    return x\n"})
    student("edited").write("fx-basics", edit_cell(edited, "test_square", "pass"))
    student("markdown").write("fx-basics", to_markdown(basics, "test_count_positive"))
    stripped = strip_metadata(strip_metadata(basics, "test_mean"), "mean")
    student("stripped").write("fx-basics", strip_metadata(stripped, "test_square", keep_id=False))
    extra = student("extra")
    extra.write("fx-basics", basics)
    extra.write("fx-basics", nbformat.v4.new_notebook(), name="scratch.ipynb")
    student("renamed").write("fx-basics", basics, name="fx-basics (1).ipynb")
    write_zip(subs / "zipper.zip", {"fx-basics/fx-basics.ipynb": to_json(basics),
                                    "fx-arrays/fx-arrays.ipynb": to_json(
                                        honest.notebook("fx-arrays", {}))})
    write_zip(subs / "slipper.zip", {"fx-basics/fx-basics.ipynb": to_json(basics),
                                     "../../evil.ipynb": "{}"})
    student("looper").write("fx-basics", honest.notebook("fx-basics", LOOP))
    student("crasher").write("fx-basics", honest.notebook("fx-basics", CRASH))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grade")
    course = make_course(tmp)
    subs = tmp / "submitted"
    build_class(course, subs)
    out = tmp / "out"
    log = []
    status = grade(course, subs, out, workers=2, limits=LIMITS, log=log.append)
    return {"course": course, "subs": subs, "out": out, "status": status, "log": log,
            "tmp": tmp}


def test_the_batch_completes_with_exit_status_0(batch):
    assert batch["status"] == 0


def test_every_row_has_the_expected_score_status_and_flags(batch):
    rows = rows_by_key(batch["out"] / "grades.csv")
    got = {key: (float(r["score"]), r["status"], r["flags"]) for key, r in rows.items()}
    assert got == {key: (float(s), st, f) for key, (s, st, f) in EXPECTED.items()}


def test_max_scores_and_raw_scores(batch):
    rows = rows_by_key(batch["out"] / "grades.csv")
    assert {r["max_score"] for k, r in rows.items() if k[1] == "fx-basics"} == {"6"}
    assert {r["max_score"] for k, r in rows.items() if k[1] == "fx-arrays"} == {"4"}
    assert rows[("slipper", "fx-basics")]["raw_score"] == "6"


def test_repairs_are_explained_in_the_notes(batch):
    rows = rows_by_key(batch["out"] / "grades.csv")
    notes = {k[0]: r["notes"] for k, r in rows.items() if k[1] == "fx-basics"}
    assert notes["deleted"] == "test_mean: missing; restored from the source"
    assert notes["duplicated"] == "test_square: duplicate cell removed"
    assert notes["edited"] == "test_square: it had been edited; restored from the source"
    assert notes["markdown"] == ("test_count_positive: it had been turned into a markdown cell; "
                                 "restored from the source")
    assert "test_mean: its nbgrader metadata was missing (matched by cell id)" in \
        notes["stripped"]
    assert "test_square: its nbgrader metadata was missing (matched by its text)" in \
        notes["stripped"]
    assert notes["extra"] == "ignored extra notebook(s): scratch.ipynb"
    assert notes["renamed"] == "no fx-basics.ipynb; graded fx-basics (1).ipynb"
    assert notes["honest"] == ""


def test_partial_points_before_a_timeout_or_a_kernel_death(batch):
    questions = {(q["student_id"], q["grade_id"]): (q["points"], q["passed"])
                 for q in _questions(batch)}
    assert questions[("looper", "test_square")] == ("2", "True")
    assert questions[("looper", "test_mean")] == ("0", "False")
    assert questions[("crasher", "test_mean")] == ("3", "True")
    assert questions[("crasher", "test_count_positive")] == ("0", "False")


def test_questions_csv_has_one_row_per_graded_cell(batch):
    questions = _questions(batch)
    keys = [(q["student_id"], q["assignment"], q["grade_id"]) for q in questions]
    assert len(keys) == len(set(keys)) == 3 * 15 + 2 * 15
    wrong = {q["grade_id"]: q["points"] for q in questions if q["student_id"] == "wrong"
             and q["assignment"] == "fx-basics"}
    assert wrong == {"test_square": "0", "test_mean": "3", "test_count_positive": "0"}


def test_stderr_output_does_not_fail_a_test(batch):
    honest = [q for q in _questions(batch) if q["student_id"] == "honest"]
    assert all(q["passed"] == "True" for q in honest)


def test_feedback_shows_results_and_messages_but_no_hidden_test_code(batch):
    folder = batch["out"] / "feedback"
    pages = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))
    assert len(pages) == len(EXPECTED)
    wrong = (folder / "wrong" / "fx-basics" / "fx-basics.html").read_text()
    assert "test_count_positive: failed" in wrong
    assert "count_positive([0, 0, 5]): expected 1, got 3" in wrong
    assert "zero is not positive" in wrong
    for page in folder.rglob("*.html"):
        text = page.read_text()
        assert "BEGIN HIDDEN TESTS" not in text
        assert 'run_case("count_positive([0, 0, 5])"' not in text
        assert "square(-2.5)" not in text or "failed" in text
    honest = (folder / "honest" / "fx-basics" / "fx-basics.html").read_text()
    assert "square(-2.5)" not in honest and "(hidden tests)" in honest


def test_graded_notebooks_are_kept_for_the_instructor_and_formgrader(batch):
    for root in (batch["out"], batch["course"].root):
        graded = nbformat.read(root / "autograded" / "honest" / "fx-basics" / "fx-basics.ipynb",
                               as_version=4)
        assert any("BEGIN HIDDEN TESTS" in c.source for c in graded.cells)
        assert any(o.get("output_type") == "stream" for c in graded.cells
                   if c.cell_type == "code" for o in c.outputs)


def test_results_land_in_the_nbgrader_gradebook(batch):
    from nbgrader.api import Gradebook

    with Gradebook(batch["course"].db_url) as gb:
        assert gb.find_submission("fx-basics", "honest").score == 6
        assert gb.find_submission("fx-basics", "looper").score == 2
        assert gb.find_submission("fx-basics", "slipper").score == 0
        assert gb.find_submission("fx-arrays", "honest").score == 4


def test_the_summary_counts_students_statuses_and_flags(batch):
    text = "\n".join(batch["log"])
    assert "15 students, 30 notebooks (30 graded now, 0 unchanged since the last run)" in text
    assert "kernel_died: 1" in text and "malformed: 1" in text and "timeout: 1" in text
    assert "slipper/fx-basics: zip_unsafe_path:../../evil.ipynb" in text


def test_a_rerun_grades_only_what_changed_and_accept_clears_flags(batch):
    course, subs, out = batch["course"], batch["subs"], batch["out"]
    log = []
    assert grade(course, subs, out, workers=2, limits=LIMITS, log=log.append) == 0
    assert "(0 graded now, 30 unchanged since the last run)" in "\n".join(log)
    blank = Student(course, subs, "blank")
    blank.write("fx-basics", blank.notebook("fx-basics"))
    log = []
    assert grade(course, subs, out, workers=2, limits=LIMITS, accept=["slipper/fx-basics"],
                 log=log.append) == 0
    assert "(1 graded now, 29 unchanged since the last run)" in "\n".join(log)
    rows = rows_by_key(out / "grades.csv")
    assert rows[("blank", "fx-basics")]["score"] == "6"
    assert (rows[("slipper", "fx-basics")]["score"], rows[("slipper", "fx-basics")]["accepted"]) \
        == ("6", "yes")
    assert len(rows) == len(EXPECTED)


def _questions(batch):
    from autograder_support import read_csv

    return read_csv(batch["out"] / "questions.csv")
