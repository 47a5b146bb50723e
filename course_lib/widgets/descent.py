"""The learning-rate explorer: drag a slider, watch gradient descent converge or blow up.

The figure is a `DescentPlot` rendered to PNG bytes inside an `ipywidgets.Image`; moving a
control recomputes the run and replaces the bytes, so the same image redraws in place (no
stacked figures), in JupyterLab and in a headless kernel alike (where displaying it just emits
the widget's plain-text fallback). The first PNG is rendered when the widget is first shown.
Everything the widget shows is also readable from Python (`explorer.trajectory`,
`explorer.status`, ...), which is how the tests drive it.

`DescentExplorer` is the reusable core: a set of controls, a function from their values to a
dict of named trajectories, and a readout. `learning_rate_explorer` builds it for plain gradient
descent; the optimizers lesson builds its comparison widget on the same class.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from course_lib.descent import DescentRun, run_descent
from course_lib.plotting.descent import DescentPlot
from course_lib.surfaces import SURFACES, get_surface
from course_lib.widgets._html import plain_text

__all__ = ["DescentExplorer", "LearningRateExplorer", "learning_rate_explorer"]


class DescentExplorer:
    """Controls + one `DescentPlot` image + a readout, recomputed whenever a control moves.

    Subclasses define `compute()` (returning ``{label: DescentRun}``) and `describe(runs)`
    (the readout's HTML). The surface is always `controls["surface"]`.
    """

    def __init__(self, controls: dict[str, widgets.Widget]):
        self.controls = controls
        self.plot = DescentPlot(controls["surface"].value)
        self._image = widgets.Image(format="png", layout=widgets.Layout(width="100%",
                                                                        max_width="820px"))
        self.readout = widgets.HTML()
        self.runs: dict[str, DescentRun] = {}
        self.redraws = 0
        self._holding = False
        self._live = False  # the PNG is rendered once the widget is shown or asked for
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self._box = widgets.VBox([widgets.HBox(list(controls.values())), self.readout,
                                  self._image])
        self.refresh()

    def compute(self) -> dict[str, DescentRun]:
        raise NotImplementedError("a DescentExplorer subclass defines compute()")

    def describe(self, runs: dict[str, DescentRun]) -> str:
        raise NotImplementedError("a DescentExplorer subclass defines describe()")

    def on_surface_change(self) -> None:
        """Hook: adjust other controls when the surface changes (held: one redraw only)."""

    def _on_change(self, change) -> None:
        if self._holding:
            return
        if change["owner"] is self.controls["surface"]:
            self._holding = True
            try:
                self.on_surface_change()
            finally:
                self._holding = False
        self.refresh()

    def refresh(self) -> None:
        """Recompute the runs and redraw the same figure (and its image, once shown) in place."""
        self.plot.set_surface(self.controls["surface"].value)
        self.runs = self.compute()
        self.plot.show({label: run.trajectory for label, run in self.runs.items()})
        self.readout.value = self.describe(self.runs)
        if self._live:
            self._image.value = self.plot.to_png()
            self.redraws += 1

    def _go_live(self) -> None:
        if not self._live:
            self._live = True
            self._image.value = self.plot.to_png()
            self.redraws += 1

    @property
    def widget(self) -> widgets.VBox:
        """The displayable widget (controls, readout, image); asking for it renders the image.

        Until then only the numbers are computed: a headless run that never shows the
        explorer pays nothing for drawing it.
        """
        self._go_live()
        return self._box

    @property
    def image(self) -> widgets.Image:
        """The `ipywidgets.Image` holding the current figure as PNG bytes."""
        self._go_live()
        return self._image

    @property
    def surface(self):
        return get_surface(self.controls["surface"].value)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.readout_text})"

    @property
    def readout_text(self) -> str:
        """The readout without HTML tags (what a headless run prints)."""
        return plain_text(self.readout.value)


_STATUS_WORDS = {
    "converged": ("converged", "green"),
    "oscillating": ("oscillating (zig-zags without settling yet)", "darkorange"),
    "descending": ("still descending (more steps or a larger η would help)", "steelblue"),
    "diverged": ("diverged (the steps overshoot more every time)", "crimson"),
}


class LearningRateExplorer(DescentExplorer):
    """Plain gradient descent on one surface: learning rate (log slider), steps, surface."""

    def __init__(self, surface: str = "ravine", lr: float | None = None, steps: int = 50):
        surf = get_surface(surface)
        controls = {
            "surface": widgets.Dropdown(options=[(s.title.split(":")[0].split("(")[0].strip(),
                                                  name) for name, s in SURFACES.items()],
                                        value=surf.name, description="surface"),
            "lr": widgets.FloatLogSlider(value=surf.default_lr if lr is None else lr, base=10,
                                         min=-4, max=0.5, step=0.01, description="η (lr)",
                                         readout_format=".2e", continuous_update=False),
            "steps": widgets.IntSlider(value=steps, min=1, max=1000, description="steps",
                                       continuous_update=False),
        }
        super().__init__(controls)

    def on_surface_change(self) -> None:
        """A new surface starts at its own sensible learning rate (Rosenbrock needs ~1e-3)."""
        self.controls["lr"].value = self.surface.default_lr

    def compute(self) -> dict[str, DescentRun]:
        lr = self.controls["lr"].value
        return {f"η = {lr:.3g}": run_descent(self.surface, lr, self.controls["steps"].value)}

    @property
    def run(self) -> DescentRun:
        return next(iter(self.runs.values()))

    @property
    def trajectory(self) -> np.ndarray:
        """The plotted trajectory, shape (k + 1, 2) (shorter than steps + 1 if it escaped)."""
        return self.run.trajectory

    @property
    def losses(self) -> np.ndarray:
        return self.run.losses

    @property
    def status(self) -> str:
        """"converged", "oscillating", "descending" or "diverged"."""
        return self.run.status

    @property
    def stability_limit(self) -> float:
        """2 / lambda_max: exact for a quadratic, at the global minimum otherwise."""
        surf = self.surface
        return surf.stability_limit if surf.is_quadratic else surf.local_stability_limit()

    def describe(self, runs: dict[str, DescentRun]) -> str:
        run = next(iter(runs.values()))
        limit = self.stability_limit
        where = "" if run.surface.is_quadratic else " (Hessian at the minimum)"
        words, color = _STATUS_WORDS[run.status]
        steps_done = len(run.trajectory) - 1
        end = (f"stopped after {steps_done} steps: the weights left every sensible range"
               if steps_done < run.steps else f"final loss {run.final_loss:.4g}")
        return (f"η = {run.lr:.3g} &nbsp;·&nbsp; stability limit 2/λ<sub>max</sub>{where} = "
                f"{limit:.3g} &nbsp;(η is {run.lr / limit:.2f}× the limit)<br>"
                f"<b style='color:{color}'>{html.escape(words)}</b> &nbsp;·&nbsp; {end}")


def learning_rate_explorer(surface: str = "ravine", lr: float | None = None,
                           steps: int = 50) -> LearningRateExplorer:
    """The lesson-01 widget: gradient descent on `surface` with a log-scale learning rate.

    Display the returned object to get the widget. ``explorer.controls["lr"].value = 0.5``
    changes the run exactly as dragging the slider does; read ``explorer.trajectory``,
    ``explorer.losses``, ``explorer.status`` and ``explorer.stability_limit`` back.
    """
    return LearningRateExplorer(surface, lr, steps)
