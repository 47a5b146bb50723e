"""Finding each student's notebook for each assignment: folders, zips, renames, zip-slip."""

from __future__ import annotations

from pathlib import Path

import pytest
from autograder_support import write_zip

from autograder.submissions import discover

LESSONS = ["fx-arrays", "fx-basics"]


def touch(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def subs(tmp_path):
    return tmp_path / "submitted"


def found(subs: Path, tmp_path: Path):
    items, warnings = discover(subs, LESSONS, tmp_path / "extracted")
    return {(s.student, s.assignment): s for s in items}, warnings


def test_nbgrader_layout_and_missing_assignments(subs, tmp_path):
    touch(subs / "ann" / "fx-basics" / "fx-basics.ipynb")
    touch(subs / "ann" / "fx-arrays" / "fx-arrays.ipynb")
    touch(subs / "ben" / "fx-basics" / "fx-basics.ipynb")
    items, warnings = found(subs, tmp_path)
    assert sorted(items) == [("ann", "fx-arrays"), ("ann", "fx-basics"), ("ben", "fx-arrays"),
                             ("ben", "fx-basics")]
    assert items[("ben", "fx-arrays")].notebook is None
    assert items[("ann", "fx-basics")].notebook == subs / "ann" / "fx-basics" / "fx-basics.ipynb"
    assert warnings == []


def test_only_assignments_someone_handed_in_are_in_the_batch(subs, tmp_path):
    touch(subs / "ann" / "fx-basics" / "fx-basics.ipynb")
    touch(subs / "ann" / "homework" / "x.ipynb")
    (subs / ".ipynb_checkpoints").mkdir(parents=True)
    touch(subs / "readme.txt")
    items, warnings = found(subs, tmp_path)
    assert sorted(items) == [("ann", "fx-basics")]
    assert warnings == ["readme.txt: ignored (neither a student folder nor a .zip)",
                        "ann/homework: ignored, not an assignment of this course"]


def test_extra_and_renamed_notebooks(subs, tmp_path):
    touch(subs / "ann" / "fx-basics" / "fx-basics.ipynb")
    touch(subs / "ann" / "fx-basics" / "scratch.ipynb")
    touch(subs / "ben" / "fx-basics" / "fx-basics (1).ipynb")
    touch(subs / "ben" / "fx-basics" / ".ipynb_checkpoints" / "fx-basics-checkpoint.ipynb")
    items, _ = found(subs, tmp_path)
    assert items[("ann", "fx-basics")].notes == ["ignored extra notebook(s): scratch.ipynb"]
    assert items[("ben", "fx-basics")].notebook.name == "fx-basics (1).ipynb"
    assert items[("ben", "fx-basics")].notes == ["no fx-basics.ipynb; graded fx-basics (1).ipynb"]


def test_zip_submissions_with_and_without_a_top_folder(subs, tmp_path):
    write_zip(subs / "cat.zip", {"fx-basics/fx-basics.ipynb": "A"})
    write_zip(subs / "dan.zip", {"dan-export/fx-arrays/fx-arrays.ipynb": "B",
                                 "dan-export/fx-basics/fx-basics.ipynb": "C",
                                 "dan-export/fx-basics/data.csv": "not extracted"})
    items, _ = found(subs, tmp_path)
    assert items[("cat", "fx-basics")].notebook.read_text() == "A"
    assert items[("cat", "fx-arrays")].notebook is None
    assert items[("dan", "fx-arrays")].notebook.read_text() == "B"
    assert not list((tmp_path / "extracted").rglob("*.csv"))


def test_zip_slip_members_are_refused_and_flagged(subs, tmp_path):
    write_zip(subs / "eve.zip", {"fx-basics/fx-basics.ipynb": "A",
                                 "../../escaped.ipynb": "evil", "/abs/fx-basics.ipynb": "evil"})
    items, _ = found(subs, tmp_path)
    assert items[("eve", "fx-basics")].flags == ["zip_unsafe_path:../../escaped.ipynb",
                                                 "zip_unsafe_path:/abs/fx-basics.ipynb"]
    assert not list(tmp_path.rglob("escaped.ipynb"))
    assert not Path("/abs").exists()


def test_an_unreadable_zip_is_malformed_for_every_assignment(subs, tmp_path):
    touch(subs / "ann" / "fx-basics" / "fx-basics.ipynb")
    touch(subs / "fay.zip", "this is not a zip file")
    items, _ = found(subs, tmp_path)
    assert items[("fay", "fx-basics")].notebook is None
    assert items[("fay", "fx-basics")].malformed.startswith("fay.zip is not a readable zip")


def test_a_folder_wins_over_a_zip_of_the_same_student(subs, tmp_path):
    touch(subs / "ann" / "fx-basics" / "fx-basics.ipynb", "folder")
    write_zip(subs / "ann.zip", {"fx-basics/fx-basics.ipynb": "zip"})
    items, warnings = found(subs, tmp_path)
    assert items[("ann", "fx-basics")].notebook.read_text() == "folder"
    assert warnings == ["ann.zip: ignored, the folder ann/ is graded"]


def test_an_output_folder_inside_submissions_is_not_a_student(subs, tmp_path):
    touch(subs / "ann" / "fx-basics" / "fx-basics.ipynb")
    touch(subs / "grading-out" / "fx-basics" / "fx-basics.ipynb")
    items, _ = discover(subs, LESSONS, tmp_path / "x", exclude=(subs / "grading-out",))
    assert [s.student for s in items] == ["ann"]
