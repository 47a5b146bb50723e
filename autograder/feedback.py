"""The feedback page a student gets: every test's result and message, never a hidden test.

The page is rendered here rather than with nbconvert's templates for two reasons: hidden-test
regions must be cut from test cells and tracebacks reduced to their last line (a traceback quotes
the failing line, which may be hidden test code), and it must be cheap enough to write for every
submission of a class (a few milliseconds, no template engine start-up).
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

from . import cells as C
from .paths import atomic_write

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap}
.pass{color:#17672c;font-weight:600}.fail{color:#b00020;font-weight:600}
.test{border-left:4px solid #999;padding-left:.6rem;margin:1rem 0}
.test.ok{border-color:#17672c}.test.bad{border-color:#b00020}
.out{background:#fff;border:1px dashed #ccc}.md{margin:1rem 0}
"""


@lru_cache(maxsize=1)
def _markdown():
    import mistune

    return mistune.create_markdown(escape=True)


def _pre(text: str, cls: str = "") -> str:
    return f'<pre class="{cls}">{html.escape(text)}</pre>'


def _outputs(cell, *, is_test: bool) -> str:
    parts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(_pre(str(out.get("text", ""))[-20000:], "out"))
        elif kind == "error":
            if not is_test:
                parts.append(_pre(f"{out.get('ename')}: {out.get('evalue')}", "out"))
        elif kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "image/png" in data:
                parts.append(f'<img src="data:image/png;base64,{data["image/png"]}">')
            elif "text/plain" in data:
                parts.append(_pre(str(data["text/plain"])[-20000:], "out"))
    return "".join(parts)


def render(result: dict, nb=None) -> str:
    """The HTML page for one graded (student, assignment) `result`, with its notebook if any."""
    title = f"{result['assignment']}: feedback for {result['student_id']}"
    questions = {q["grade_id"]: q for q in result["questions"]}
    rows = "".join(
        f"<tr><td>{html.escape(q['grade_id'])}</td><td>{q['points']:g} / {q['max_points']:g}</td>"
        f"<td class=\"{'pass' if q['passed'] else 'fail'}\">{'passed' if q['passed'] else 'failed'}"
        f"</td><td>{html.escape(q['message'])}</td></tr>" for q in result["questions"])
    head = [f"<h1>{html.escape(title)}</h1>",
            f"<p>Score: <b>{result['score']:g} / {result['max_score']:g}</b> &middot; status: "
            f"<b>{html.escape(result['status'])}</b></p>"]
    if result.get("message"):
        head.append(f"<p>{html.escape(result['message'])}</p>")
    if result.get("flags"):
        head.append("<p>Flagged for the instructor's review: "
                    f"{html.escape(', '.join(result['flags']))}</p>")
    if result.get("notes"):
        head.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in result["notes"])
                    + "</ul>")
    if rows:
        head.append("<table><tr><th>test</th><th>points</th><th>result</th><th>message</th></tr>"
                    f"{rows}</table>")
    body = [] if nb is None else [_cell(c, questions) for c in nb.cells]
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title><style>{_STYLE}</style></head><body>{''.join(head)}<hr>{''.join(body)}"
            "</body></html>")


def _cell(cell, questions: dict) -> str:
    text = C.source_text(cell)
    if cell.cell_type == "markdown":
        return f'<div class="md">{_markdown()(text)}</div>'
    if cell.cell_type != "code":
        return ""
    question = questions.get(C.grade_id(cell)) if C.is_test(cell) else None
    if question is None:
        return _pre(text) + _outputs(cell, is_test=False)
    ok = question["passed"]
    verdict = (f'<p class="{"pass" if ok else "fail"}">{html.escape(question["grade_id"])}: '
               f'{"passed" if ok else "failed"} ({question["points"]:g} / '
               f'{question["max_points"]:g})</p>')
    message = "" if ok else _pre(question["message"], "out")
    return (f'<div class="test {"ok" if ok else "bad"}">{verdict}{_pre(C.strip_hidden(text))}'
            f"{_outputs(cell, is_test=True)}{message}</div>")


def write(path: Path, result: dict, nb=None) -> None:
    atomic_write(path, render(result, nb))
