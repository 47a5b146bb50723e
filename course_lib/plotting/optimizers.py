"""Figures for lesson 08: learning-rate schedules and the learning-rate range test.

Trajectories on surfaces are drawn by `course_lib.plotting.descent` (lesson 01's figure, which
takes any number of named runs); this module adds the two figures that are about the learning
rate itself. Both are pyplot-free `PNGFigure`s: they display once, as a cell's value.
"""

from __future__ import annotations

import numpy as np

from course_lib.plotting._canvas import PNGFigure, new_figure

__all__ = ["plot_schedules", "plot_range_test"]


def plot_schedules(schedules: dict[str, np.ndarray], *, title: str = "Learning-rate schedules"
                   ) -> PNGFigure:
    """One line per schedule: the learning rate used at each optimizer step."""
    figure = new_figure((7.0, 3.2))
    ax = figure.subplots()
    for label, lrs in schedules.items():
        ax.plot(np.arange(len(lrs)), lrs, label=label)
    ax.set(xlabel="optimizer step", ylabel="learning rate", title=title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return PNGFigure(figure)


def plot_range_test(lrs, losses, smoothed=None, *, suggestion: float | None = None,
                    title: str = "Learning-rate range test") -> PNGFigure:
    """Loss against learning rate (log axis): raw, smoothed, and the suggested rate if given."""
    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    if lrs.shape != losses.shape:
        raise ValueError(f"plot_range_test: lrs and losses must have the same shape, got "
                         f"{lrs.shape} and {losses.shape}")
    figure = new_figure((7.0, 3.4))
    ax = figure.subplots()
    ax.semilogx(lrs, losses, color="lightgray", label="loss at each step")
    if smoothed is not None:
        ax.semilogx(lrs, smoothed, color="tab:blue", label="smoothed loss")
        low = int(np.argmin(smoothed))
        ax.plot(lrs[low], smoothed[low], "v", color="tab:red",
                label=f"lowest smoothed loss, lr = {lrs[low]:.2g}")
    if suggestion is not None:
        ax.axvline(suggestion, color="tab:green", linestyle="--",
                   label=f"suggestion (10x lower): lr = {suggestion:.2g}")
    ax.set(xlabel="learning rate (growing every step)", ylabel="training loss", title=title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return PNGFigure(figure)
