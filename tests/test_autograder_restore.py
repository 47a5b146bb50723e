"""Rebuilding the notebook to grade from a broken submission (no kernel needed)."""

from __future__ import annotations

import nbformat
import pytest
from autograder_support import (
    Student,
    delete_cell,
    duplicate_cell,
    edit_cell,
    index_of,
    make_course,
    strip_metadata,
    to_markdown,
)

from autograder import cells as C
from autograder.restore import rebuild


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("restore"))


@pytest.fixture(scope="module")
def lesson(course):
    source = nbformat.read(course.source("fx-basics"), as_version=4)
    release = nbformat.read(course.release("fx-basics"), as_version=4)
    return source, release


def graded_cells(nb) -> list[tuple[str, str, str]]:
    """(grade_id, cell type, source) of every cell with a grade id, in order."""
    return [(C.grade_id(c), c.cell_type, C.source_text(c)) for c in nb.cells if C.grade_id(c)]


def test_an_honest_submission_gets_the_hidden_tests_back_and_keeps_its_code(course, lesson):
    source, release = lesson
    submission = Student(course, course.root, "s").notebook("fx-basics")
    nb, notes = rebuild(submission, source, release)
    assert notes == []
    cells = dict((gid, text) for gid, _, text in graded_cells(nb))
    assert "### BEGIN HIDDEN TESTS" in cells["test_square"]
    assert cells["test_square"] == C.source_text(source.cells[index_of(source, "test_square")])
    assert "a warning on stderr" in cells["square"]
    assert [g for g, _, _ in graded_cells(nb)] == [g for g, _, _ in graded_cells(source)]


@pytest.mark.parametrize("damage, note", [
    (lambda nb: delete_cell(nb, "test_mean"), "test_mean: missing; restored from the source"),
    (lambda nb: duplicate_cell(nb, "test_mean"), "test_mean: duplicate cell removed"),
    (lambda nb: edit_cell(nb, "test_mean", "pass"),
     "test_mean: it had been edited; restored from the source"),
    (lambda nb: to_markdown(nb, "test_mean"),
     "test_mean: it had been turned into a markdown cell; restored from the source"),
    (lambda nb: strip_metadata(nb, "test_mean"),
     "test_mean: its nbgrader metadata was missing (matched by cell id); restored from the "
     "source"),
    (lambda nb: strip_metadata(nb, "test_mean", keep_id=False),
     "test_mean: its nbgrader metadata was missing (matched by its text); restored from the "
     "source"),
    (lambda nb: delete_cell(nb, "imports"), "imports: missing; restored from the source"),
])
def test_every_damage_to_a_locked_cell_is_repaired_in_place(course, lesson, damage, note):
    source, release = lesson
    submission = damage(Student(course, course.root, "s").notebook("fx-basics"))
    nb, notes = rebuild(submission, source, release)
    assert notes == [note]
    expected = [(C.grade_id(c), c.cell_type, C.source_text(c)) for c in source.cells
                if C.grade_id(c) and not C.is_solution(c)]
    assert [t for t in graded_cells(nb) if t[0] not in {"square", "mean", "count_positive"}] \
        == expected
    assert len({c["id"] for c in nb.cells}) == len(nb.cells)


def test_a_deleted_solution_cell_gets_the_release_placeholder_before_its_test(course, lesson):
    source, release = lesson
    submission = delete_cell(Student(course, course.root, "s").notebook("fx-basics"), "mean")
    nb, notes = rebuild(submission, source, release)
    assert notes == ["mean: solution cell missing; the release's empty version was used"]
    order = [g for g, _, _ in graded_cells(nb)]
    assert order.index("mean") == order.index("test_mean") - 1
    assert "raise NotImplementedError()" in C.source_text(nb.cells[index_of(nb, "mean")])


def test_a_duplicated_solution_keeps_its_code_without_a_grade_id(course, lesson):
    source, release = lesson
    submission = duplicate_cell(Student(course, course.root, "s").notebook("fx-basics"), "mean")
    nb, notes = rebuild(submission, source, release)
    assert notes == ["mean: duplicate solution cell kept as ordinary code"]
    assert [g for g, _, _ in graded_cells(nb)].count("mean") == 1
    assert sum("np.sum(values)" in C.source_text(c) for c in nb.cells) == 2


def test_invented_grade_ids_earn_nothing(course, lesson):
    source, release = lesson
    submission = Student(course, course.root, "s").notebook("fx-basics")
    fake = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {
        "grade": True, "grade_id": "test_bonus", "points": 100, "locked": True,
        "solution": False, "schema_version": 3, "task": False}})
    submission.cells.append(fake)
    nb, notes = rebuild(submission, source, release)
    assert notes == ["a cell's unknown grade id 'test_bonus' removed"]
    assert "test_bonus" not in [g for g, _, _ in graded_cells(nb)]
    assert sum(C.points(c) for c in nb.cells if C.is_test(c)) == 6


def test_outputs_of_the_submission_are_cleared(course, lesson):
    source, release = lesson
    submission = Student(course, course.root, "s").notebook("fx-basics")
    cell = submission.cells[index_of(submission, "test_square")]
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="all tests passed!")]
    cell.execution_count = 7
    nb, _ = rebuild(submission, source, release)
    assert all(c.outputs == [] and c.execution_count is None
               for c in nb.cells if c.cell_type == "code")
