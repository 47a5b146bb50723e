"""Figures for lesson 04: how the spread of activations and gradients changes layer by layer.

`plot_layer_stats` compares several networks on one log-scale figure (left: std of each
Linear layer's output, going forward; right: std of the gradient arriving at that output, going
backward). `LayerStatsPlot` is the same figure plus a row of activation histograms, updated in
place by the initialization widget. Both take `course_lib.diagnostics.LayerStatistics`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.ticker import MaxNLocator

from course_lib.plotting._canvas import PNGFigure, new_figure

__all__ = ["plot_layer_stats", "LayerStatsPlot"]

_TINY = 1e-30  # a std of exactly 0 (all-zero init) is drawn at this floor on the log axes


def _positive(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.where(np.isfinite(values), np.maximum(values, _TINY), np.nan)


def _span_decades(ax, values, decades: float = 2.0) -> None:
    """Show at least `decades` orders of magnitude, so a nearly flat line looks flat."""
    values = _positive(values)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return
    low, high = float(values.min()), float(values.max())
    if high / low < 10**decades:
        middle = np.sqrt(low * high)
        ax.set_ylim(middle / 10 ** (decades / 2), middle * 10 ** (decades / 2))


def _style_std_axes(ax_act, ax_grad) -> None:
    for ax, title, ylabel in ((ax_act, "Forward: spread of each layer's output",
                               "std of layer output z"),
                              (ax_grad, "Backward: spread of the gradient dL/dz",
                               "std of dL/dz")):
        ax.set_yscale("log")
        ax.set(title=title, xlabel="layer (1 = next to the input)", ylabel=ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.title.set_fontsize(10)


def plot_layer_stats(stats: Mapping[str, object], *, title: str | None = None,
                     figsize=(9.5, 3.6)) -> PNGFigure:
    """One line per named network: per-layer output std (left) and gradient std (right)."""
    figure = new_figure(figsize)
    ax_act, ax_grad = figure.subplots(1, 2)
    for label, s in stats.items():
        layers = np.arange(1, s.depth + 1)
        ax_act.plot(layers, _positive(s.activation_std), "o-", markersize=3, label=label)
        ax_grad.plot(layers, _positive(s.gradient_std), "o-", markersize=3, label=label)
    _style_std_axes(ax_act, ax_grad)
    ax_act.legend(fontsize=8)
    if title:
        figure.suptitle(title, fontsize=11)
    return PNGFigure(figure)


class LayerStatsPlot(PNGFigure):
    """Std per layer (forward and backward) above histograms of three hidden layers' outputs.

    ``show(stats, label)`` redraws the same figure; ``plotted`` holds the numbers drawn last
    (``{"activation_std", "gradient_std", "histogram_layers"}``), which is what tests read.
    """

    def __init__(self, figsize=(9.5, 5.6), dpi: int = 72):
        super().__init__(new_figure(figsize, dpi, layout=None))
        grid = self.figure.add_gridspec(2, 3, height_ratios=(1.25, 1.0), hspace=0.55,
                                        wspace=0.35, left=0.08, right=0.98, top=0.93,
                                        bottom=0.08)
        self.ax_act = self.figure.add_subplot(grid[0, :2])
        self.ax_grad = self.figure.add_subplot(grid[0, 2])
        self.ax_hist = [self.figure.add_subplot(grid[1, i]) for i in range(3)]
        self.plotted: dict[str, object] = {}

    def show(self, stats, label: str = "") -> None:
        layers = np.arange(1, stats.depth + 1)
        act, grad = stats.activation_std, stats.gradient_std
        for ax, values, color in ((self.ax_act, act, "tab:blue"),
                                  (self.ax_grad, grad, "tab:red")):
            ax.clear()
            ax.plot(layers, _positive(values), "o-", color=color, markersize=3)
            ax.set_xlim(0.5, stats.depth + 0.5)
            _span_decades(ax, values)
        _style_std_axes(self.ax_act, self.ax_grad)
        self.ax_grad.set_title("Backward: std of dL/dz", fontsize=10)
        if label:
            self.ax_act.set_title(f"Forward: std of each layer's output ({label})", fontsize=10)
        chosen = self._histogram_layers(len(stats.activations))
        for ax, index in zip(self.ax_hist, chosen, strict=False):
            ax.clear()
            ax.set_axis_on()
            values = np.asarray(stats.activations[index], dtype=float).ravel()
            values = values[np.isfinite(values)]
            if values.size:  # one filled step artist: far cheaper to redraw than 40 bars
                counts, edges = np.histogram(values, bins=40)
                ax.stairs(counts, edges, fill=True, color="tab:green", alpha=0.8)
            ax.set_title(f"hidden layer {index + 1}: activations", fontsize=9)
            ax.tick_params(labelsize=7)
        for ax in self.ax_hist[len(chosen):]:
            ax.clear()
            ax.set_axis_off()
        self.plotted = {"activation_std": act, "gradient_std": grad, "histogram_layers": chosen}

    @staticmethod
    def _histogram_layers(hidden: int) -> list[int]:
        """First, middle and last hidden layer (fewer when the network is shallow)."""
        if hidden == 0:
            return []
        return sorted({0, (hidden - 1) // 2, hidden - 1})
