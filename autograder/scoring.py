"""Points per test cell from an executed notebook: a test passes when its cell ran to the end
without an ``error`` output (stderr warnings never fail a test), and scores nothing otherwise."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from . import cells as C


@dataclass
class Question:
    grade_id: str
    points: float
    max_points: float
    passed: bool
    message: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def failure_message(cell) -> str:
    """The failure a student should read: the error's last line (a CheckFailure's text)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename', 'Error')}: {out.get('evalue', '')}".strip()
    return ""


def score(nb, completed: set[int], not_run_reason: str,
          failed: dict[int, str] | None = None) -> list[Question]:
    """One Question per test cell of `nb`, in notebook order.

    `failed` maps cell indices whose execute reply reported an error to that error: a cell
    fails when it has an error output *or* its reply says it raised.
    """
    failed = failed or {}
    questions = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not C.is_test(cell):
            continue
        maximum = C.points(cell)
        if index not in completed:
            questions.append(Question(C.grade_id(cell), 0.0, maximum, False,
                                      f"not run: {not_run_reason}"))
            continue
        message = failure_message(cell) or failed.get(index, "")
        passed = not message
        questions.append(Question(C.grade_id(cell), maximum if passed else 0.0, maximum, passed,
                                  message))
    return questions


def max_score(nb) -> float:
    return sum(C.points(c) for c in nb.cells if C.is_test(c))
