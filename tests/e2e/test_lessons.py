"""Every release notebook, opened and run in JupyterLab in a real (headless) browser.

What a student would notice is what is asserted: a cell outside the exercises that fails,
a widget that does not render ("Error displaying widget"), a progress bar that stays a line
of text, a slider that does not redraw its plot. Screenshots land in `test-artifacts/e2e/`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from e2e.jupyterlab import LabPage

REPO = Path(__file__).resolve().parents[2]
LESSONS = sorted(p.name for p in (REPO / "notebooks").iterdir()
                 if p.is_dir() and (p / f"{p.name}.ipynb").exists())
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _is_exercise(cell: dict) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("solution") or meta.get("grade"))


def _errors_outside_exercises(notebook: dict) -> list[str]:
    found = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code" or _is_exercise(cell):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}\n"
                             f"{cell['source'][:200]}")
    return found


def _widget_outputs(notebook: dict) -> int:
    return sum(1 for cell in notebook["cells"] for output in cell.get("outputs", [])
               if WIDGET_MIME in output.get("data", {}))


def _progress_bar_outputs(notebook: dict) -> int:
    """tqdm.auto bars: widget outputs whose plain-text fallback reads like '40%|####  | 2/5'."""
    return sum(1 for cell in notebook["cells"] for output in cell.get("outputs", [])
               if WIDGET_MIME in output.get("data", {})
               and re.search(r"\d+%\|", "".join(output["data"].get("text/plain", ""))))


def _screenshot_widgets(page, artifacts: Path, lesson_id: str) -> None:
    page.screenshot(path=str(artifacts / f"{lesson_id}-end.png"))
    widgets = page.locator(".jp-OutputArea-output .jupyter-widgets.widget-vbox")
    for i in range(min(widgets.count(), 3)):
        widgets.nth(i).screenshot(path=str(artifacts / f"{lesson_id}-widget{i + 1}.png"))
    bars = page.locator(".jp-OutputArea-output", has=page.locator(".widget-hprogress"))
    if bars.count():
        bars.first.screenshot(path=str(artifacts / f"{lesson_id}-progress.png"))


def _drag_learning_rate_past_stability_limit(page, artifacts: Path) -> None:
    """Lesson 01: move the learning-rate slider to its maximum; the plot must redraw diverging."""
    explorer = page.locator(".jupyter-widgets.widget-vbox",
                            has=page.locator(".widget-slider", has_text="(lr)")).first
    explorer.scroll_into_view_if_needed()
    image = explorer.locator("img").first
    readout = explorer.locator(".widget-html").first
    before_src, before_text = image.get_attribute("src"), readout.inner_text()
    explorer.screenshot(path=str(artifacts / "01-gradient-descent-explorer-before.png"))
    assert "diverg" not in before_text.lower(), (
        f"the explorer should start on a converging run, its readout says: {before_text!r}")
    handle = explorer.locator(".widget-slider", has_text="(lr)").locator(".noUi-handle")
    box = handle.bounding_box()
    track = explorer.locator(".widget-slider", has_text="(lr)").locator(
        ".noUi-target").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] + 40, box["y"] + box["height"] / 2, steps=12)
    page.mouse.up()
    page.wait_for_function(
        "([img, src]) => img.getAttribute('src') !== src",
        arg=[image.element_handle(), before_src], timeout=30_000)
    page.wait_for_timeout(500)
    after_text = readout.inner_text()
    explorer.screenshot(path=str(artifacts / "01-gradient-descent-explorer-after.png"))
    assert image.get_attribute("src") != before_src, "the plot did not redraw after the drag"
    assert "diverg" in after_text.lower(), (
        f"after dragging the learning rate to its maximum the run should diverge; "
        f"the readout says: {after_text!r}")


INTERACTIONS = {"01-gradient-descent": _drag_learning_rate_past_stability_limit}
# Lessons whose worked examples train with `fit`'s default tqdm bar: it must render as a widget.
SHOWS_PROGRESS_BARS = {"10-gpu-training"}


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_release_notebook_runs_in_jupyterlab(lesson_id, lab_server, browser_context, artifacts):
    page = browser_context.new_page()
    try:
        lab = LabPage(page, lab_server, lesson_id)
        lab.open()
        page.screenshot(path=str(artifacts / f"{lesson_id}-start.png"))
        lab.run_all()
        lab.save()
        saved = json.loads(lab_server.release_notebook(lesson_id).read_text())

        errors = _errors_outside_exercises(saved)
        assert not errors, f"{lesson_id}: cells outside the exercises failed in JupyterLab:\n" + \
            "\n".join(errors)
        broken = lab.error_texts()
        assert not broken, f"{lesson_id}: widgets failed to render: {broken}"
        expected_widgets = _widget_outputs(saved)
        rendered = page.locator(".jp-OutputArea-output .jupyter-widgets").count()
        assert rendered >= expected_widgets, (
            f"{lesson_id}: {expected_widgets} widget outputs in the notebook, "
            f"but only {rendered} rendered in the page")
        expected_bars = max(_progress_bar_outputs(saved), int(lesson_id in SHOWS_PROGRESS_BARS))
        bars = page.locator(".jp-OutputArea-output .widget-hprogress").count()
        assert bars >= expected_bars, (
            f"{lesson_id}: {expected_bars} tqdm progress bars in the notebook's outputs, "
            f"but {bars} rendered as progress widgets")
        _screenshot_widgets(page, artifacts, lesson_id)
        if lesson_id in INTERACTIONS:
            INTERACTIONS[lesson_id](page, artifacts)
    finally:
        page.close()
