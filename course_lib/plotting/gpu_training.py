"""Figures for lesson 10: throughput against batch size, and what a search tried."""

from __future__ import annotations

import numpy as np

from course_lib.plotting._canvas import PNGFigure, new_figure

__all__ = ["plot_throughput", "plot_search"]


def plot_throughput(results: dict[str, dict[int, float]], *,
                    title: str = "Training throughput") -> PNGFigure:
    """Examples per second against batch size (log-log), one line per device or setting."""
    figure = new_figure((6.5, 3.4))
    ax = figure.subplots()
    for label, by_batch in results.items():
        sizes = sorted(by_batch)
        ax.loglog(sizes, [by_batch[b] for b in sizes], "o-", label=label)
    ax.set(xlabel="batch size", ylabel="examples / second", title=title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return PNGFigure(figure)


def plot_search(searches: dict[str, list[tuple[dict, float]]], *, x: str = "lr",
                title: str = "Validation accuracy of every trial") -> PNGFigure:
    """Each search's trials: score against hyperparameter `x` (log axis), best one circled.

    `searches` maps a label to ``[(config, score), ...]`` as `course_lib.search.run_search`
    returns it.
    """
    figure = new_figure((6.5, 3.4))
    ax = figure.subplots()
    for (label, results), marker in zip(searches.items(), "os^v", strict=False):
        values = np.array([config[x] for config, _ in results], dtype=float)
        scores = np.array([score for _, score in results], dtype=float)
        points = ax.semilogx(values, scores, marker, alpha=0.75, linestyle="none",
                             label=f"{label}: {len(np.unique(values))} distinct {x} values")
        best = int(np.argmax(scores))
        ax.plot(values[best], scores[best], marker, markersize=14, fillstyle="none",
                color=points[0].get_color())
    ax.set(xlabel=x, ylabel="validation accuracy", title=title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return PNGFigure(figure)
