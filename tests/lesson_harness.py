"""Run a lesson's *source* notebook in-process, cell by cell, to test its graded exercises fast.

Grading a notebook through nbgrader costs a kernel start and the whole notebook's run time. The
"tests with teeth" (every graded exercise must reject plausible wrong answers) would multiply that
by the number of wrong answers, so they use this harness instead:

1. ``LessonRun(lesson_id)`` executes the source notebook once, in one namespace, exactly in cell
   order, and remembers a snapshot of the namespace (and of every random generator) just before
   each solution cell. Every test cell's outcome is recorded: the source must earn full marks.
2. ``run.with_answer(grade_id, source)`` or ``run.with_patch(grade_id, old, new)`` restores the
   snapshot taken before that solution cell, runs the wrong answer instead of the solution, then
   runs every later cell as the grader would (errors in a cell do not stop the run), and returns
   the outcome of every test cell. The test cells are the notebook's own, hidden tests included,
   so what fails here fails in grading.

`outcome.lost()` names the test cells that failed, so a test can assert that a wrong answer
loses *that exercise's* points and only those.
"""

from __future__ import annotations

import contextlib
import copy
import os
import random
import re
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT_S = 120


@dataclass
class TestCellResult:
    grade_id: str
    points: float
    passed: bool
    error: str = ""


@dataclass
class Outcome:
    """Results of one run: every autograded test cell, in notebook order."""

    results: dict[str, TestCellResult] = field(default_factory=dict)
    cell_errors: dict[int, str] = field(default_factory=dict)

    def lost(self) -> set[str]:
        return {gid for gid, r in self.results.items() if not r.passed}

    def score(self) -> float:
        return sum(r.points for r in self.results.values() if r.passed)

    def message(self, grade_id: str) -> str:
        return self.results[grade_id].error

    def summary(self) -> str:
        lines = [f"{gid}: {'pass' if r.passed else 'FAIL ' + r.error[:300]}"
                 for gid, r in self.results.items()]
        lines += [f"cell {i} (not a test) raised: {e[:300]}" for i, e in self.cell_errors.items()]
        return "\n".join(lines)


class _CellTimeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: int):
    def _raise(signum, frame):
        raise _CellTimeout(f"cell ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _strip_magics(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def _rng_state():
    import numpy as np

    import course_lib.random as course_random

    state = {"python": random.getstate(), "numpy": np.random.get_state(),
             "course": copy.deepcopy(course_random.get_generator())}
    if "torch" in sys.modules:
        state["torch"] = sys.modules["torch"].get_rng_state()
    return state


def _restore_rng(state) -> None:
    import numpy as np

    import course_lib.random as course_random

    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    course_random._generator = copy.deepcopy(state["course"])
    if "torch" in state:
        sys.modules["torch"].set_rng_state(state["torch"])


def _snapshot(namespace: dict) -> dict:
    """Deep-copy what can be copied (arrays, models, generators); share the rest (modules...)."""
    snap = {}
    for key, value in namespace.items():
        try:
            snap[key] = copy.deepcopy(value)
        except Exception:  # noqa: BLE001 - modules, widgets, open files: share them
            snap[key] = value
    return snap


def unanswered(source: str) -> str:
    """What the release puts in a solution cell: each solution region becomes a raise."""
    return re.sub(r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION",
                  r"\1raise NotImplementedError()", source, flags=re.S)


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


class LessonRun:
    """One in-process execution of a source notebook, with snapshots for replaying variants."""

    def __init__(self, lesson_id: str, notebook: Path | None = None):
        self.lesson_id = lesson_id
        self.path = notebook or NOTEBOOKS / lesson_id / f"{lesson_id}.ipynb"
        self.nb = nbformat.read(self.path, as_version=4)
        self.cells = self.nb.cells
        self.solution_index = {nbgrader_meta(c)["grade_id"]: i for i, c in enumerate(self.cells)
                               if nbgrader_meta(c).get("solution")}
        self._snapshots: dict[int, tuple[dict, dict]] = {}
        self.reference = self._run(0, self._fresh_namespace(), record=True)
        failed = self.reference.lost()
        if failed or self.reference.cell_errors:
            raise AssertionError(f"{lesson_id}: the source notebook itself does not earn full "
                                 f"marks:\n{self.reference.summary()}")

    def _fresh_namespace(self) -> dict:
        from IPython.display import display

        return {"__name__": "__main__", "display": display}

    def _run(self, start: int, namespace: dict, *, record: bool = False,
             replace: dict[int, str] | None = None) -> Outcome:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        outcome = Outcome()
        cwd = os.getcwd()
        os.chdir(self.path.parent)
        try:
            for index in range(start, len(self.cells)):
                cell = self.cells[index]
                if cell.cell_type != "code":
                    continue
                meta = nbgrader_meta(cell)
                if record and index in self.solution_index.values():
                    self._snapshots[index] = (_snapshot(namespace), _rng_state())
                source = (replace or {}).get(index, cell.source)
                error = self._exec(source, namespace, index)
                plt.close("all")
                if meta.get("grade") and not meta.get("solution"):
                    outcome.results[meta["grade_id"]] = TestCellResult(
                        meta["grade_id"], float(meta.get("points", 0)), error is None, error or "")
                elif error is not None:
                    outcome.cell_errors[index] = error
        finally:
            os.chdir(cwd)
        return outcome

    @staticmethod
    def _exec(source: str, namespace: dict, index: int) -> str | None:
        try:
            with _time_limit(CELL_TIMEOUT_S), open(os.devnull, "w") as sink, \
                    contextlib.redirect_stdout(sink):
                exec(compile(_strip_magics(source), f"<cell {index}>", "exec"), namespace)
        except BaseException as exc:  # noqa: BLE001 - a wrong answer may raise anything
            if isinstance(exc, KeyboardInterrupt):
                raise
            return f"{type(exc).__name__}: {exc}"
        return None

    # -- variants ---------------------------------------------------------------------------
    def with_answer(self, grade_id: str, source: str) -> Outcome:
        """Grade the notebook with `source` as the whole content of solution cell `grade_id`."""
        if grade_id not in self.solution_index:
            raise KeyError(f"{self.lesson_id} has no solution cell {grade_id!r}; it has "
                           f"{sorted(self.solution_index)}")
        index = self.solution_index[grade_id]
        namespace, rng = self._snapshots[index]
        _restore_rng(rng)
        tail = self._run(index, _snapshot(namespace), replace={index: source})
        before = {gid: r for gid, r in self.reference.results.items() if gid not in tail.results}
        return Outcome({**before, **tail.results}, tail.cell_errors)

    def with_patch(self, grade_id: str, old: str, new: str, count: int = 1) -> Outcome:
        """Grade with `old` replaced by `new` inside solution cell `grade_id` (old must occur)."""
        source = self.cells[self.solution_index[grade_id]].source
        if old not in source:
            raise AssertionError(f"{grade_id}: the text to patch does not occur in the solution:"
                                 f"\n{old}\n--- solution ---\n{source}")
        return self.with_answer(grade_id, source.replace(old, new, count))

    def solution_source(self, grade_id: str) -> str:
        return self.cells[self.solution_index[grade_id]].source

    def test_ids_of(self, grade_id: str) -> list[str]:
        """The test cells that follow solution `grade_id` up to the next solution cell."""
        start = self.solution_index[grade_id]
        ids = []
        for cell in self.cells[start + 1:]:
            meta = nbgrader_meta(cell)
            if meta.get("solution"):
                break
            if meta.get("grade"):
                ids.append(meta["grade_id"])
        return ids


def assert_loses_only(outcome: Outcome, expected: set[str] | str, label: str) -> None:
    """Assert that exactly the test cells in `expected` failed (a wrong answer's signature)."""
    expected = {expected} if isinstance(expected, str) else set(expected)
    lost = outcome.lost()
    assert lost == expected, (
        f"wrong answer '{label}': expected to lose exactly {sorted(expected)}, "
        f"but lost {sorted(lost)}.\n{outcome.summary()}")



_RUNS: dict[str, LessonRun] = {}


def lesson_run(lesson_id: str) -> LessonRun:
    """The (cached) reference run of a lesson: one source execution per test session."""
    if lesson_id not in _RUNS:
        _RUNS[lesson_id] = LessonRun(lesson_id)
    return _RUNS[lesson_id]
