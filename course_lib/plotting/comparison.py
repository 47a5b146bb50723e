"""Bar charts comparing methods over several seeds (lessons 06 and 07's measured claims)."""

from __future__ import annotations

import numpy as np

from course_lib.plotting._canvas import PNGFigure, new_figure

__all__ = ["seed_comparison"]


def seed_comparison(results: dict[str, list[float]], *, ylabel: str = "validation accuracy",
                    title: str | None = None) -> PNGFigure:
    """One bar per method at its mean over seeds, with every seed's value as a dot on it."""
    if not results:
        raise ValueError("seed_comparison: no results to plot")
    figure = new_figure(figsize=(1.6 + 1.5 * len(results), 3.2))
    ax = figure.add_subplot()
    for index, (name, values) in enumerate(results.items()):
        values = np.asarray(values, dtype=float)
        ax.bar(index, values.mean(), width=0.6, alpha=0.7, label=name)
        ax.scatter(np.full(len(values), index) + np.linspace(-0.15, 0.15, len(values)),
                   values, color="black", s=12, zorder=3)
        ax.text(index, values.mean() + 0.01, f"{values.mean():.3f}", ha="center",
                va="bottom", fontsize=9)
    ax.set_xticks(range(len(results)), list(results))
    lows = min(min(v) for v in results.values())
    ax.set_ylim(max(0.0, lows - 0.15), 1.0)
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"mean over {len(next(iter(results.values())))} seeds (dots: seeds)")
    ax.grid(axis="y", alpha=0.3)
    return PNGFigure(figure)
