"""Grading throughput: `nbgrader autograde` (serial) against `course grade --workers 2`.

Both grade the same class, 20 students x the fixture course's 2 assignments, side by side in one
run on this machine. `course grade` runs with its sandbox on (bubblewrap where available), its
integrity probes, feedback pages and the gradebook; nbgrader autograde runs with its defaults and
no feedback. Printed: notebooks per minute for each, their ratio (goal: >= 1.7x on 2 cores), and
the per-notebook overhead beyond the notebooks' own execution time (the kernel's time in cells,
measured by `course grade`):

* nbgrader: wall time per notebook - execution time per notebook;
* course grade: worker-seconds per notebook (wall x workers / notebooks) - execution time.

Usage: ``.venv/bin/python benchmarks/grading_throughput.py [--students 20] [--workers 2]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from autograder_support import ANSWERS, Student, make_course  # noqa: E402

BIN = Path(sys.executable).parent
WRONG = {**ANSWERS, "mean": "def mean(values):\n    return 0.0\n",
         "relu": "def relu(x):\n    return x\n"}
NBGRADER_CONFIG = """from pathlib import Path
from autograder.nbgrader_config import configure
configure(get_config(), Path(__file__).resolve().parent)
"""


def build_class(course, students: int) -> Path:
    subs = course.root / "submitted"
    for i in range(students):
        student = Student(course, subs, f"student{i:02d}")
        for lesson in ("fx-basics", "fx-arrays"):
            student.write(lesson, student.notebook(lesson, WRONG if i % 3 == 2 else ANSWERS))
    (course.root / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    return subs


def timed(argv: list[str], cwd: Path) -> float:
    start = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    try:
        course = make_course(tmp)
        subs = build_class(course, args.students)
        notebooks = 2 * args.students
        nbgrader_s = sum(timed([str(BIN / "nbgrader"), "autograde", lesson, "--force"],
                               course.root) for lesson in ("fx-basics", "fx-arrays"))
        out = tmp / "grading-out"
        course_s = timed([str(BIN / "course"), "--root", str(course.root), "grade", str(subs),
                          "--out", str(out), "--workers", str(args.workers)], course.root)
        results = [json.loads(p.read_text()) for p in (out / "results").glob("*/*.json")]
        assert len(results) == notebooks, f"expected {notebooks} results, got {len(results)}"
        cells = sum(r.get("cells_s", 0.0) for r in results) / notebooks
        from autograder.sandbox import isolation_status

        rate_nb, rate_course = 60 * notebooks / nbgrader_s, 60 * notebooks / course_s
        print(f"{args.students} students x 2 assignments = {notebooks} notebooks; "
              f"isolation: {isolation_status()[1]}")
        print(f"nbgrader autograde (serial): {nbgrader_s:7.1f} s  {rate_nb:6.1f} notebooks/min  "
              f"overhead {nbgrader_s / notebooks - cells:.2f} s/notebook")
        print(f"course grade --workers {args.workers}:   {course_s:7.1f} s  {rate_course:6.1f} "
              f"notebooks/min  overhead {course_s * args.workers / notebooks - cells:.2f} "
              f"worker-s/notebook")
        print(f"execution time in cells: {cells:.2f} s/notebook")
        print(f"throughput ratio course/nbgrader: {rate_course / rate_nb:.2f}x (goal >= 1.7x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
