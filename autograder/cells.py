"""nbgrader cell metadata, read the same way by release, validate, restore and scoring."""

from __future__ import annotations

import re

SOLUTION_BEGIN = "### BEGIN SOLUTION"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
_REGION = {
    SOLUTION_BEGIN: re.compile(
        r"^[ \t]*### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*\n?", re.M | re.S),
    HIDDEN_BEGIN: re.compile(
        r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S),
}
HIDDEN_PLACEHOLDER = "# (hidden tests)\n"


def meta(cell) -> dict:
    """The cell's nbgrader metadata (empty when it has none or it is not a dict)."""
    value = cell.get("metadata", {}).get("nbgrader", {})
    return value if isinstance(value, dict) else {}


def grade_id(cell) -> str | None:
    value = meta(cell).get("grade_id")
    return value if isinstance(value, str) and value else None


def is_solution(cell) -> bool:
    return bool(meta(cell).get("solution"))


def is_test(cell) -> bool:
    """An autograded test cell: graded, not a solution, a code cell in the source."""
    m = meta(cell)
    return bool(m.get("grade")) and not m.get("solution") and not m.get("task")


def is_locked(cell) -> bool:
    return bool(meta(cell).get("locked"))


def points(cell) -> float:
    try:
        return float(meta(cell).get("points", 0) or 0)
    except (TypeError, ValueError):
        return 0.0


def source_text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def regions(source: str, begin: str) -> list[str]:
    """The text of every `begin` ... END region (solution or hidden tests) in a source."""
    return [m.group(0) for m in _REGION[begin].finditer(source)]


def strip_hidden(source: str) -> str:
    """A test cell's source as a student may see it: hidden-test regions replaced by a note."""
    return _REGION[HIDDEN_BEGIN].sub(HIDDEN_PLACEHOLDER, source)
