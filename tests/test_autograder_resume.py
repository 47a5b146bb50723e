"""A batch interrupted by Ctrl-C and by kill -9, then re-run, equals an uninterrupted batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from autograder_support import ANSWERS, Student, make_course, read_csv

from autograder.grade import grade
from autograder.kernel import Limits

pytestmark = [pytest.mark.slow]

COURSE = Path(sys.executable).parent / "course"
WRONG = {**ANSWERS, "mean": "def mean(values):\n    return 0.0\n"}


def command(course, subs, out) -> list[str]:
    return [str(COURSE), "--root", str(course.root), "grade", str(subs), "--out", str(out),
            "--workers", "2", "--cell-timeout", "20"]


def wait_for_results(out: Path, count: int, process: subprocess.Popen, limit: float = 240):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if len(list((out / "results").glob("*/*.json"))) >= count:
            return
        assert process.poll() is None, "the batch ended before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} results after {limit} s")


def comparable(out: Path) -> list[tuple]:
    rows = read_csv(out / "grades.csv")
    return [tuple(v for k, v in row.items() if k != "duration_s") for row in rows]


def test_interrupted_batches_resume_without_loss_or_duplicates(tmp_path):
    course = make_course(tmp_path)
    subs = tmp_path / "submitted"
    for i in range(4):
        student = Student(course, subs, f"s{i}")
        student.write("fx-basics", student.notebook("fx-basics", WRONG if i % 2 else ANSWERS))
    reference = tmp_path / "reference"
    assert grade(course, subs, reference, workers=2, limits=Limits(cell_timeout=20),
                 log=lambda _m: None) == 0

    out = tmp_path / "out"
    first = subprocess.Popen(command(course, subs, out), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for_results(out, 1, first)
    os.killpg(first.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 130
    assert "interrupted; results written so far are kept" in stderr
    done = len(list((out / "results").glob("*/*.json")))
    assert 1 <= done < 4

    second = subprocess.Popen(command(course, subs, out), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for_results(out, done + 1, second)
    os.kill(second.pid, signal.SIGKILL)
    second.wait(timeout=60)

    third = subprocess.run(command(course, subs, out), capture_output=True, text=True,
                           timeout=600)
    assert third.returncode == 0, third.stderr
    assert "4 students, 4 notebooks" in third.stdout
    assert comparable(out) == comparable(reference)
    keys = [(r["student_id"], r["assignment"]) for r in read_csv(out / "grades.csv")]
    assert len(keys) == len(set(keys)) == 4
    assert [r["score"] for r in read_csv(out / "grades.csv")] == ["6", "3"] * 2
