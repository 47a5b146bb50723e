"""Figures made without pyplot, displayed as PNG images.

The lessons' figures are built on `matplotlib.figure.Figure` directly: pyplot would register
each figure globally and the inline backend would display it again at the end of the cell
(or never close it, when a widget redraws it many times). An object with `_repr_png_` displays
exactly once, where it is the value of a cell, in JupyterLab and in headless runs alike.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def new_figure(figsize=(9.5, 4.0), dpi: int = 80, layout: str | None = "constrained") -> Figure:
    """A pyplot-free figure with an Agg canvas (constrained layout unless told otherwise).

    Widgets that redraw often pass ``layout=None`` and fix the margins themselves: the
    constrained layout engine costs about as much as drawing the figure.
    """
    figure = Figure(figsize=figsize, dpi=dpi, layout=layout)
    FigureCanvasAgg(figure)
    return figure


class PNGFigure:
    """Wraps a `Figure`; displays as PNG in a notebook, `to_png()` gives the bytes."""

    def __init__(self, figure: Figure):
        self.figure = figure

    def to_png(self) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        return buffer.getvalue()

    def _repr_png_(self) -> bytes:
        return self.to_png()

    def __repr__(self) -> str:
        axes = self.figure.get_axes()
        titles = ", ".join(repr(ax.get_title()) for ax in axes if ax.get_title())
        return f"<{type(self).__name__}: {len(axes)} panel(s) {titles}>"
