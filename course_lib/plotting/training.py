"""Training curves: static loss/accuracy plots and live curves that redraw in place per epoch.

`plot_curves` draws named series against a shared x axis (epochs, steps, examples seen).
`LiveCurves` is what a training loop calls once per epoch: it keeps the history, and redraws
one figure into an `ipywidgets.Image`, so a notebook shows one picture that grows while the
model trains (and a headless run just computes it, without stacking dozens of figures).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import numpy as np

from course_lib.plotting._canvas import PNGFigure, new_figure

__all__ = ["plot_curves", "LiveCurves"]


def _draw(ax, curves: Mapping[str, Sequence[float]], *, x=None, xlabel: str, ylabel: str,
          logy: bool, title: str | None) -> None:
    ax.clear()
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        xs = np.arange(1, len(values) + 1) if x is None else np.asarray(x)[: len(values)]
        ax.plot(xs, values, "-", marker="o" if len(values) <= 30 else None, markersize=3,
                label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title or "")
    if logy:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    if curves:
        ax.legend(fontsize=8)


def plot_curves(curves: Mapping[str, Sequence[float]], *, x=None, xlabel: str = "epoch",
                ylabel: str = "loss", logy: bool = False, title: str | None = None,
                figsize=(6.5, 3.6)) -> PNGFigure:
    """One panel with a line per named series (x defaults to 1, 2, ...)."""
    figure = new_figure(figsize)
    _draw(figure.subplots(), curves, x=x, xlabel=xlabel, ylabel=ylabel, logy=logy, title=title)
    return PNGFigure(figure)


class LiveCurves(PNGFigure):
    """Loss and accuracy panels, appended to and redrawn in place once per epoch.

    >>> live = LiveCurves()                                     # doctest: +SKIP
    >>> display(live)                                           # doctest: +SKIP
    >>> live.update(train_loss=0.9, val_loss=1.0, train_acc=0.7, val_acc=0.65)   # doctest: +SKIP

    Metric names ending in ``loss`` go to the left panel, the others (accuracies) to the right.
    `history` holds every value; `image` is the widget whose PNG bytes each update replaces.
    Drawing costs more than a small model's epoch, so `update` redraws at most once every
    `min_interval` seconds; call `flush()` after the last epoch to draw the final state.
    """

    def __init__(self, title: str | None = None, figsize=(9.5, 3.4), min_interval: float = 1.0):
        super().__init__(new_figure(figsize, layout=None))
        self.ax_loss, self.ax_metric = self.figure.subplots(1, 2)
        self.figure.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.85, wspace=0.25)
        self.title = title
        self.min_interval = min_interval
        self.history: dict[str, list[float]] = {}
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="820px"))
        self._stale, self._last_render = True, -float("inf")  # drawn at the first update

    def update(self, **metrics: float) -> None:
        """Append one epoch's values (e.g. ``train_loss=..., val_acc=...``); redraw if due."""
        for name, value in metrics.items():
            self.history.setdefault(name, []).append(float(value))
        self._stale = True
        if time.monotonic() - self._last_render >= self.min_interval:
            self._render()

    def flush(self) -> None:
        """Draw what has not been drawn yet (the last epochs of a run)."""
        if self._stale:
            self._render()

    def clear(self) -> None:
        """Forget the history (a new run); the next update draws from scratch."""
        self.history.clear()
        self._stale, self._last_render = True, -float("inf")

    def _render(self) -> None:
        losses = {k: v for k, v in self.history.items() if k.endswith("loss")}
        others = {k: v for k, v in self.history.items() if not k.endswith("loss")}
        _draw(self.ax_loss, losses, xlabel="epoch", ylabel="loss", logy=False, title="Loss")
        _draw(self.ax_metric, others, xlabel="epoch", ylabel="accuracy", logy=False,
              title="Accuracy")
        if self.title:
            self.figure.suptitle(self.title, fontsize=10)
        self.image.value = self.to_png()
        self._stale, self._last_render = False, time.monotonic()

    def _repr_mimebundle_(self, **kwargs):
        return self.image._repr_mimebundle_(**kwargs)
