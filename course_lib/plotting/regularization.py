"""Figures for lesson 05: training vs validation curves, the generalization gap, sparse weights.

`RegularizationPlot` draws runs of `course_lib.regularization.regularization_run` (accuracy on the
left, cross-entropy on the right; training dashed, validation solid, one colour per run) and is
redrawn in place by the regularization widget. `plot_coefficients` compares weight vectors
fitted with different penalties, marking the weights that are exactly zero.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from course_lib.plotting._canvas import PNGFigure, new_figure

__all__ = ["RegularizationPlot", "plot_runs", "plot_coefficients"]

_COLORS = ("tab:gray", "tab:blue", "tab:green", "tab:red", "tab:purple", "tab:orange")


class RegularizationPlot(PNGFigure):
    """Accuracy and loss per epoch for named runs; ``plotted`` keeps the drawn curves."""

    def __init__(self, figsize=(9.5, 3.8), dpi: int = 72, fixed_layout: bool = False):
        figure = new_figure(figsize, dpi, layout=None if fixed_layout else "constrained")
        super().__init__(figure)
        self.ax_acc, self.ax_loss = figure.subplots(1, 2)
        if fixed_layout:
            figure.subplots_adjust(left=0.07, right=0.98, top=0.9, bottom=0.13, wspace=0.25)
        self.plotted: dict[str, dict[str, np.ndarray]] = {}

    def show(self, runs: Mapping[str, object], *, title: str | None = None) -> None:
        self.ax_acc.clear()
        self.ax_loss.clear()
        self.plotted = {}
        for (label, run), color in zip(runs.items(), _COLORS, strict=False):
            history = {key: np.asarray(values, dtype=float)
                       for key, values in run.history.items()}
            epochs = np.arange(1, len(history["loss"]) + 1)
            for ax, key in ((self.ax_acc, "accuracy"), (self.ax_loss, "loss")):
                ax.plot(epochs, history[key], "--", color=color, linewidth=1)
                ax.plot(epochs, history["val_" + key], "-", color=color, linewidth=1.6,
                        label=label)
            if getattr(run, "best_epoch", None) is not None:
                self.ax_loss.axvline(run.best_epoch + 1, color=color, linestyle=":")
            self.plotted[label] = history
        self.ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0.0, 1.02),
                        title="Accuracy (dashed: training, solid: validation)")
        self.ax_loss.set(xlabel="epoch", ylabel="cross-entropy", yscale="log",
                         title="Loss (dashed: training, solid: validation)")
        for ax in (self.ax_acc, self.ax_loss):
            ax.grid(True, alpha=0.3)
            ax.title.set_fontsize(10)
        self.ax_acc.legend(fontsize=8, loc="lower right")
        if title:
            self.figure.suptitle(title, fontsize=11)


def plot_runs(runs: Mapping[str, object], *, title: str | None = None) -> RegularizationPlot:
    """A static `RegularizationPlot` of the named runs."""
    plot = RegularizationPlot()
    plot.show(runs, title=title)
    return plot


def plot_coefficients(weights: Mapping[str, np.ndarray], *, true_weights=None,
                      title: str | None = None) -> PNGFigure:
    """One bar chart per weight vector; bars that are exactly 0 are marked with an x."""
    figure = new_figure((9.5, 3.2))
    axes = np.atleast_1d(figure.subplots(1, len(weights), sharey=True))
    for ax, (label, w) in zip(axes, weights.items(), strict=True):
        w = np.asarray(w, dtype=float)
        index = np.arange(len(w))
        ax.bar(index, w, color="tab:blue", label="fitted")
        zeros = index[w == 0]
        ax.plot(zeros, np.zeros(len(zeros)), "x", color="crimson", label="exactly 0")
        if true_weights is not None:
            ax.plot(index, true_weights, "_", color="black", markersize=10, label="true")
        ax.set(title=f"{label}: {len(zeros)} of {len(w)} weights are 0", xlabel="feature")
        ax.title.set_fontsize(10)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].set_ylabel("weight")
    axes[0].legend(fontsize=8)
    if title:
        figure.suptitle(title, fontsize=11)
    return PNGFigure(figure)
