"""Scoring test cells and rendering feedback, on hand-made executed notebooks (no kernel)."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_output

from autograder.feedback import render
from autograder.scoring import score

HIDDEN = "check(1)\n### BEGIN HIDDEN TESTS\nsecret_case(42)\n### END HIDDEN TESTS\n"


def graded_cell(grade_id: str, points: float, outputs=(), source: str = HIDDEN):
    cell = new_code_cell(source, metadata={"nbgrader": {
        "grade": True, "grade_id": grade_id, "points": points, "locked": True,
        "solution": False, "schema_version": 3, "task": False}})
    cell.outputs = list(outputs)
    return cell


def executed_notebook():
    error = new_output("error", ename="CheckFailure", evalue="f(2): expected 4, got 5",
                       traceback=["Traceback ...", "secret_case(42)  <- hidden line", "..."])
    warning = new_output("stream", name="stderr", text="DeprecationWarning: old API\n")
    return nbformat.v4.new_notebook(cells=[
        graded_cell("test_ok", 2, [warning]),
        graded_cell("test_fail", 3, [error]),
        graded_cell("test_reply_error", 1),
        graded_cell("test_not_run", 4),
    ])


def test_points_from_error_outputs_replies_and_cells_that_never_ran():
    nb = executed_notebook()
    questions = score(nb, completed={0, 1, 2}, not_run_reason="the notebook timed out",
                      failed={2: "MemoryError: "})
    assert [(q.grade_id, q.points, q.max_points, q.passed, q.message) for q in questions] == [
        ("test_ok", 2, 2, True, ""),
        ("test_fail", 0, 3, False, "CheckFailure: f(2): expected 4, got 5"),
        ("test_reply_error", 0, 1, False, "MemoryError: "),
        ("test_not_run", 0, 4, False, "not run: the notebook timed out"),
    ]


def test_feedback_shows_messages_but_neither_hidden_code_nor_tracebacks():
    nb = executed_notebook()
    questions = score(nb, completed={0, 1, 2}, not_run_reason="timed out", failed={})
    result = {"student_id": "ann", "assignment": "fx", "score": 3, "max_score": 10,
              "status": "timeout", "message": "a cell ran too long", "flags": [], "notes": [],
              "questions": [q.to_dict() for q in questions]}
    page = render(result, nb)
    assert "f(2): expected 4, got 5" in page
    assert "test_fail: failed (0 / 3)" in page and "test_ok: passed (2 / 2)" in page
    assert "DeprecationWarning: old API" in page
    assert "secret_case" not in page and "BEGIN HIDDEN" not in page
    assert "(hidden tests)" in page and "check(1)" in page
    assert "Score: <b>3 / 10</b>" in page


def test_feedback_escapes_student_html():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("<script>x()</script>")])
    result = {"student_id": "<b>", "assignment": "fx", "score": 0, "max_score": 0,
              "status": "ok", "message": "", "flags": [], "notes": [], "questions": []}
    page = render(result, nb)
    assert "<script>" not in page and "&lt;script&gt;" in page
