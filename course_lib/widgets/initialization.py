"""The initialization explorer: pick depth, activation, init scheme and weight scale, and watch
every layer's activation and gradient spread (lesson 04).

One slider move costs one forward and backward pass of a narrow MLP on a fixed batch of 128
digits (a few milliseconds) plus one redraw; every setting is cached, so going back to a
setting costs only the redraw. Like the learning-rate explorer, the figure is rendered to PNG
bytes in an `ipywidgets.Image` and only once the widget is shown (a headless run pays for the
numbers, not the drawing). Tests set ``explorer.controls[...]`` and read ``explorer.stats``,
``explorer.verdict`` and ``explorer.plot.plotted``.

`PlotExplorer` is the small reusable core (controls -> compute -> figure + readout); the
regularization widget uses it too.
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets

from course_lib import manual_seed
from course_lib.data.digits import load_digits_splits
from course_lib.diagnostics import ACTIVATIONS, INIT_SCHEMES, build_mlp, diagnose, record_statistics
from course_lib.plotting.initialization import LayerStatsPlot
from course_lib.widgets._html import plain_text

__all__ = ["PlotExplorer", "InitializationExplorer", "initialization_explorer",
           "cached_statistics"]

BATCH = 128


class PlotExplorer:
    """Controls + a readout + one figure image, recomputed whenever a control moves.

    Subclasses define ``compute()`` (store what to show), ``draw()`` (update ``self.plot``)
    and ``describe()`` (the readout's HTML).
    """

    def __init__(self, controls: dict[str, widgets.Widget], plot):
        self.controls, self.plot = controls, plot
        self.readout = widgets.HTML()
        self._image = widgets.Image(format="png", layout=widgets.Layout(width="100%",
                                                                        max_width="820px"))
        self.redraws, self._live = 0, False
        for control in controls.values():
            control.observe(lambda _change: self.refresh(), names="value")
        self._box = widgets.VBox([widgets.HBox(list(controls.values())), self.readout,
                                  self._image])
        self.refresh()

    def compute(self) -> None:
        raise NotImplementedError("a PlotExplorer subclass defines compute()")

    def draw(self) -> None:
        raise NotImplementedError("a PlotExplorer subclass defines draw()")

    def describe(self) -> str:
        raise NotImplementedError("a PlotExplorer subclass defines describe()")

    @property
    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> None:
        """Recompute, update the figure and readout, and re-render the image once shown."""
        self.compute()
        self.draw()
        self.readout.value = self.describe()
        if self._live:
            self._image.value = self.plot.to_png()
            self.redraws += 1

    @property
    def widget(self) -> widgets.VBox:
        """The displayable widget; asking for it renders the image for the first time."""
        if not self._live:
            self._live = True
            self._image.value = self.plot.to_png()
            self.redraws += 1
        return self._box

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def readout_text(self) -> str:
        """The readout without HTML tags."""
        return plain_text(self.readout.value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.readout_text})"


@lru_cache(maxsize=1)
def _batch():
    train = load_digits_splits().train
    return train.X[:BATCH], train.y[:BATCH]


@lru_cache(maxsize=512)
def cached_statistics(depth: int, activation: str, init: str, scale: float, width: int = 64):
    """`record_statistics` of `build_mlp(depth, width, activation, init, scale)` (weights drawn
    after ``manual_seed(0)``) on the first 128 training digits; computed once per setting."""
    manual_seed(0)
    model = build_mlp(depth, width, activation, init, scale)
    x, y = _batch()
    return record_statistics(model, x, y)


_VERDICT_COLORS = {"stable": "green", "vanishing": "steelblue", "exploding": "crimson"}


class InitializationExplorer(PlotExplorer):
    """Depth, activation, initialization scheme and weight scale -> per-layer std and histograms."""

    def __init__(self, depth: int = 10, activation: str = "tanh", init: str = "normal",
                 scale: float = 0.05):
        controls = {
            "depth": widgets.IntSlider(value=depth, min=2, max=40, description="depth",
                                       continuous_update=False),
            "activation": widgets.Dropdown(options=list(ACTIVATIONS), value=activation,
                                           description="activation"),
            "init": widgets.Dropdown(options=list(INIT_SCHEMES), value=init, description="init"),
            "scale": widgets.FloatLogSlider(value=scale, base=10, min=-3, max=1, step=0.05,
                                            description="scale", readout_format=".3g",
                                            continuous_update=False),
        }
        self.stats = None
        super().__init__(controls, LayerStatsPlot())

    def compute(self) -> None:
        v = self.values
        self.stats = cached_statistics(int(v["depth"]), v["activation"], v["init"],
                                       round(float(v["scale"]), 6))

    def draw(self) -> None:
        self.plot.show(self.stats, self.label)

    @property
    def label(self) -> str:
        v = self.values
        weights = {"zeros": "all weights 0", "normal": f"N(0, {v['scale']:.3g}²)",
                   "xavier": f"Xavier × {v['scale']:.3g}", "kaiming": f"He × {v['scale']:.3g}"}
        return f"{v['activation']}, {weights[v['init']]}"

    @property
    def activation_std(self):
        return self.stats.activation_std

    @property
    def gradient_std(self):
        return self.stats.gradient_std

    @property
    def verdict(self) -> str:
        """`diagnose` of the current statistics: "stable", "vanishing" or "exploding"."""
        return diagnose(self.stats.activation_std, self.stats.gradient_std)

    def describe(self) -> str:
        act, grad = self.stats.activation_std, self.stats.gradient_std
        with_ratio = act[0] > 0 and grad[-1] > 0
        ratios = (f"last/first output std = {act[-1] / act[0]:.2e}, first/last gradient std = "
                  f"{grad[0] / grad[-1]:.2e}" if with_ratio else "every output is 0")
        dead = self.stats.dead_fraction
        dead_text = (f" &nbsp;·&nbsp; dead units (0 for every example): {dead.mean():.0%}"
                     if self.values["activation"] in ("relu", "leaky_relu") else "")
        color = _VERDICT_COLORS[self.verdict]
        return (f"<b style='color:{color}'>{self.verdict}</b> &nbsp;·&nbsp; {ratios}{dead_text}"
                f" &nbsp;·&nbsp; loss at start {self.stats.loss:.3g}")


def initialization_explorer(depth: int = 10, activation: str = "tanh", init: str = "normal",
                            scale: float = 0.05) -> InitializationExplorer:
    """The lesson-04 widget. Display it; set ``explorer.controls["init"].value = "xavier"`` (or
    any control) to change it from code, and read ``explorer.stats`` / ``explorer.verdict``."""
    return InitializationExplorer(depth, activation, init, scale)
