"""The `course` command's arguments, exit statuses, release, check, validate and lab."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from autograder_support import ANSWERS, FIXTURE, Student, make_course

from autograder import cells as C
from autograder import lab as lab_module
from autograder.cli import main
from autograder.validate import leak_problems, metadata_problems


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("cli"))


def test_grade_needs_an_existing_submissions_folder(course, tmp_path, capsys):
    code = main(["--root", str(course.root), "grade", str(tmp_path / "nope"), "--out",
                 str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "SUBMISSIONS" in err and "no such folder" in err


@pytest.mark.parametrize("argv", [
    ["grade", "subs"],
    ["grade", "subs", "--out", "o", "--workers", "0"],
    ["grade", "subs", "--out", "o", "--memory", "-1"],
    ["frobnicate"],
])
def test_bad_arguments_exit_with_status_2(course, argv):
    with pytest.raises(SystemExit) as exc:
        main(["--root", str(course.root), *argv])
    assert exc.value.code == 2


def test_a_malformed_accept_is_refused_before_grading(course, tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    code = main(["--root", str(course.root), "grade", str(tmp_path / "subs"), "--out",
                 str(tmp_path / "out"), "--accept", "alice"])
    assert code == 2
    assert "expected STUDENT/ASSIGNMENT" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_grade_help_documents_every_status(capsys):
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    text = capsys.readouterr().out
    for status in ["ok", "timeout", "kernel_died", "out_of_memory", "malformed", "missing",
                   "output_limit", "disk_limit", "grader_error", "--accept"]:
        assert status in text


def test_unknown_root_and_lesson_are_clear_errors(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "release"]) == 2
    assert "expected a course root with a 'notebooks/' folder" in capsys.readouterr().err
    (tmp_path / "notebooks").mkdir()
    assert main(["--root", str(tmp_path), "release", "fx-nope"]) == 2
    assert "unknown lesson id(s) fx-nope" in capsys.readouterr().err


def test_validate_and_release_with_no_lessons_succeed(tmp_path, capsys):
    (tmp_path / "notebooks").mkdir()
    assert main(["--root", str(tmp_path), "validate"]) == 0
    assert "no lessons found" in capsys.readouterr().out
    assert main(["--root", str(tmp_path), "release"]) == 0


def test_release_writes_student_versions_without_solutions_or_hidden_tests(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    assert main(["--root", str(root), "release", "fx-basics"]) == 0
    text = (root / "release" / "fx-basics" / "fx-basics.ipynb").read_text()
    assert "raise NotImplementedError()" in text
    assert "BEGIN HIDDEN TESTS" not in text and "square(-2.5)" not in text
    assert "return x * x" not in text
    assert not (root / "release" / "fx-arrays").exists()
    assert (root / "gradebook.db").is_file()


def test_metadata_problems_name_each_mistake():
    nb = nbformat.read(FIXTURE / "notebooks" / "fx-basics" / "fx-basics.ipynb", as_version=4)
    assert metadata_problems(nb) == []
    test = next(c for c in nb.cells if C.grade_id(c) == "test_mean")
    test.metadata.nbgrader.update(points=0, locked=False)
    nb.cells.remove(next(c for c in nb.cells if C.grade_id(c) == "test_count_positive"))
    nb.cells[3].metadata.nbgrader["grade_id"] = "mean"
    problems = metadata_problems(nb)
    assert "cell 6 (mean): duplicate grade_id" in problems
    assert "cell 7 (test_mean): points must be > 0, got 0" in problems
    assert "cell 7 (test_mean): test cell is not locked" in problems
    assert "solution count_positive has no test cell after it" in problems


def test_leak_problems_find_solution_lines_left_in_the_release(course):
    source = nbformat.read(course.source("fx-basics"), as_version=4)
    release = nbformat.read(course.release("fx-basics"), as_version=4)
    assert leak_problems(source, release) == []
    release.cells[3].source += "\n    return x * x"
    assert leak_problems(source, release) == ["square: hidden line in the release: return x * x"]


def test_check_reports_each_visible_test(course, tmp_path, capsys):
    student = Student(course, tmp_path, "me")
    good = student.write("fx-basics", student.notebook("fx-basics"))
    assert main(["--root", str(course.root), "check", str(good)]) == 0
    out = capsys.readouterr().out
    assert "PASS test_square (2 pts)" in out and "3 of 3 visible tests pass" in out
    half = student.write("fx-basics", student.notebook("fx-basics", {"square": ANSWERS["square"]}),
                         name="draft.ipynb")
    assert main(["--root", str(course.root), "check", str(half)]) == 1
    out = capsys.readouterr().out
    assert "PASS test_square" in out
    assert "FAIL test_mean (3 pts)" in out and "not implemented yet" in out


def test_validate_passes_the_fixture_and_fails_a_lesson_with_free_points(tmp_path, capsys):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    broken = nbformat.read(root / "notebooks" / "fx-arrays" / "fx-arrays.ipynb", as_version=4)
    test = next(c for c in broken.cells if C.grade_id(c) == "test_normalize")
    test.source = "assert True  # tests nothing"
    (root / "notebooks" / "fx-free").mkdir()
    nbformat.write(broken, root / "notebooks" / "fx-free" / "fx-free.ipynb")
    assert main(["--root", str(root), "validate", "--workers", "2"]) == 1
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("fx-")}
    assert lines["fx-basics"][1:5] == ["ok", "ok", "ok", "ok"]
    assert lines["fx-arrays"][1:5] == ["ok", "ok", "ok", "ok"]
    assert lines["fx-free"][1:5] == ["ok", "ok", "FAIL", "ok"]
    assert "fx-free: release earns free points on test_normalize" in out
    assert "2 of 3 lessons passed every check" in out
    assert not (root / "release").exists()


def test_lab_builds_stale_releases_but_keeps_a_students_edits(tmp_path, monkeypatch, capsys):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    calls = []
    monkeypatch.setattr(lab_module.os, "execv", lambda exe, argv: calls.append(argv))
    assert main(["--root", str(root), "lab", "--no-browser", "--port", "8899",
                 "--ServerApp.open_browser=False"]) == 0
    assert calls[0][1:3] == ["-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={root / 'release'}" in calls[0]
    assert {"--no-browser", "--port=8899", "--ServerApp.open_browser=False"} <= set(calls[0])
    mine = root / "release" / "fx-basics" / "fx-basics.ipynb"
    mine.write_text(mine.read_text().replace("# YOUR CODE HERE", "# my work"))
    source = root / "notebooks" / "fx-basics" / "fx-basics.ipynb"
    source.write_text(source.read_text().replace("Squares, means", "Squares and means"))
    capsys.readouterr()
    assert main(["--root", str(root), "lab"]) == 0
    assert "# my work" in mine.read_text()
    assert "has your edits, so it was kept" in capsys.readouterr().out
