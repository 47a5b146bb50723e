"""The table `course grade` prints at the end of a batch."""

from __future__ import annotations

from collections import Counter, defaultdict


def table(rows: list[list[str]], header: list[str]) -> str:
    """A plain-text table with aligned columns."""
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*map(str, row)) for row in rows]
    return "\n".join(out)


def summarize(results: list[dict], scores: dict, *, graded_now: int, reused: int,
              isolation: str, seconds: float) -> str:
    """Students, notebooks, mean score per assignment, counts per status, flags."""
    by_assignment = defaultdict(list)
    for r in results:
        by_assignment[r["assignment"]].append(r)
    rows = []
    for assignment, rs in sorted(by_assignment.items()):
        maximum = max(r["max_score"] for r in rs) or 1
        mean = sum(scores[(r["student_id"], r["assignment"])] for r in rs) / len(rs)
        statuses = Counter(r["status"] for r in rs)
        rows.append([assignment, len(rs), f"{mean:.2f} / {maximum:g}",
                     f"{100 * mean / maximum:.0f}%",
                     ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())),
                     sum(1 for r in rs if r["flags"])])
    students = len({r["student_id"] for r in results})
    flagged = [f"  {r['student_id']}/{r['assignment']}: {', '.join(r['flags'])}"
               for r in results if r["flags"]]
    parts = [f"{students} students, {len(results)} notebooks ({graded_now} graded now, "
             f"{reused} unchanged since the last run) in {seconds:.1f} s; isolation: {isolation}",
             table(rows, ["assignment", "notebooks", "mean score", "mean %", "statuses",
                          "flagged"])]
    if flagged:
        parts.append("flagged (score 0 until accepted with --accept STUDENT/ASSIGNMENT):\n"
                     + "\n".join(flagged))
    return "\n".join(parts)
