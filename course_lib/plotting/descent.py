"""Contour maps of a loss surface with optimizer trajectories, and their loss curves.

`DescentPlot` owns one matplotlib `Figure` (created without pyplot, so it is never displayed or
collected behind the caller's back) with two panels: the surface's contours with any number of
named trajectories on the left, and each trajectory's loss minus the minimum on a log scale on
the right. `show(runs)` updates the same lines in place; `to_png()` renders the figure, which
is how the widgets show it (an `ipywidgets.Image` whose bytes are replaced on every change).
Lesson 01 uses it with one trajectory; the optimizers lesson with several side by side.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm

from course_lib.plotting._canvas import PNGFigure, new_figure
from course_lib.surfaces import Surface, get_surface

__all__ = ["DescentPlot", "plot_descent", "plot_slopes"]

# Smallest loss gap drawn on the log axis (a run that hits the minimum exactly shows this).
_FLOOR = 1e-16
_COLORS = ("tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown")


def _clip_to_view(points: np.ndarray, bounds) -> np.ndarray:
    """Clamp points to a box three times the plot window, so escaping runs draw to the edge."""
    (x0, x1), (y0, y1) = bounds
    dx, dy = x1 - x0, y1 - y0
    low = np.array([x0 - dx, y0 - dy])
    high = np.array([x1 + dx, y1 + dy])
    return np.clip(points, low, high)


class DescentPlot(PNGFigure):
    """One figure: surface contours + named trajectories (left) and their loss curves (right).

    >>> plot = DescentPlot("ravine")
    >>> plot.show({"lr = 0.05": trajectory})          # doctest: +SKIP
    >>> png = plot.to_png()                            # doctest: +SKIP
    """

    def __init__(self, surface: str | Surface, *, figsize=(9.5, 4.0), dpi: int = 80):
        super().__init__(new_figure(figsize, dpi, layout=None))
        self.ax_surface, self.ax_loss = self.figure.subplots(1, 2, width_ratios=(1.1, 1.0))
        self.figure.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.86, wspace=0.25)
        self._lines: dict[str, tuple] = {}
        self.surface = None
        self.set_surface(surface)

    # -- drawing ------------------------------------------------------------------------------
    def set_surface(self, surface: str | Surface) -> None:
        """Draw a new surface's contours (and forget the trajectories drawn on the old one)."""
        surf = get_surface(surface)
        if surf is self.surface:
            return
        self.surface = surf
        ax = self.ax_surface
        ax.clear()
        self._lines.clear()
        w1, w2, loss = surf.grid(120)
        gap = loss - loss.min() + 1e-3
        levels = np.geomspace(gap.min(), gap.max(), 14)
        ax.contour(w1, w2, gap, levels=levels, norm=LogNorm(), cmap="viridis", linewidths=0.8)
        for i, m in enumerate(surf.minima):
            ax.plot(*m, marker="*", markersize=13 if i == 0 else 10, linestyle="none",
                    color="gold" if i == 0 else "silver", markeredgecolor="black", zorder=5,
                    label="global minimum" if i == 0 else ("local minimum" if i == 1 else None))
        ax.plot(*surf.start, marker="o", color="black", linestyle="none", label="start", zorder=5)
        (x0, x1), (y0, y1) = surf.bounds
        ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="$w_1$", ylabel="$w_2$", title=surf.title)
        ax.set_aspect("equal", adjustable="box")
        self.ax_loss.clear()
        self.ax_loss.set(yscale="log", xlabel="step", ylabel="loss − minimum",
                         title="Loss along the way")
        self.ax_loss.grid(True, which="major", alpha=0.3)

    def show(self, runs: dict[str, np.ndarray] | np.ndarray, *, title: str | None = None) -> None:
        """Draw `runs` (label -> trajectory of shape (k, 2), or one bare trajectory) in place.

        Lines whose label is already drawn are updated; labels no longer present are removed.
        """
        if isinstance(runs, np.ndarray):
            runs = {"gradient descent": runs}
        for label in list(self._lines):
            if label not in runs:
                for artist in self._lines.pop(label):
                    artist.remove()
        longest = 1
        for i, (label, trajectory) in enumerate(runs.items()):
            path, losses = self._path_and_losses(np.asarray(trajectory, dtype=float))
            longest = max(longest, len(path))
            if label not in self._lines:
                color = _COLORS[i % len(_COLORS)]
                (line,) = self.ax_surface.plot([], [], "-o", color=color, markersize=2.5,
                                               linewidth=1.3, label=label, zorder=4)
                (curve,) = self.ax_loss.plot([], [], "-", color=color, label=label)
                self._lines[label] = (line, curve)
            line, curve = self._lines[label]
            line.set_data(path[:, 0], path[:, 1])
            line.set_marker("o" if len(path) <= 150 else "")  # long runs: a plain line
            curve.set_data(np.arange(len(losses)), losses)
        self._rescale_loss_axis(longest)
        self.ax_surface.legend(loc="lower right", fontsize=8, framealpha=0.8)
        if title is not None:
            self.figure.suptitle(title, fontsize=10)

    def _path_and_losses(self, trajectory: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(over="ignore", invalid="ignore"):
            gaps = self.surface.value(trajectory) - self.surface.min_value
        finite = np.isfinite(gaps)
        gaps = np.where(finite, np.maximum(gaps, _FLOOR), np.nan)
        return _clip_to_view(trajectory, self.surface.bounds), gaps

    def _rescale_loss_axis(self, longest: int) -> None:
        values = np.concatenate([c.get_ydata() for _, c in self._lines.values()] or [[1.0]])
        values = values[np.isfinite(values)]
        low = max(values.min(), _FLOOR) if values.size else 1e-3
        high = values.max() if values.size else 1.0
        self.ax_loss.set_xlim(0, max(longest - 1, 1))
        self.ax_loss.set_ylim(low / 3.0, high * 3.0)


def plot_descent(surface: str | Surface, runs, *, title: str | None = None) -> DescentPlot:
    """A one-off `DescentPlot` for a static figure in a lesson (it displays as a PNG)."""
    plot = DescentPlot(surface)
    plot.show(runs, title=title)
    return plot


def plot_slopes(loss, derivative, points, *, w_range=(-1.0, 3.0), xlabel="w",
                title="The derivative is the slope of the loss") -> PNGFigure:
    """A 1-d loss curve with its tangent line at each of `points` and the downhill direction.

    The arrow under each point shows where gradient descent moves: against the slope.
    """
    figure = new_figure((6.5, 3.6))
    ax = figure.subplots()
    w = np.linspace(*w_range, 300)
    ax.plot(w, [loss(v) for v in w], color="black", label="loss")
    width = 0.35 * (w_range[1] - w_range[0])
    for i, p in enumerate(points):
        slope, height = derivative(p), loss(p)
        color = _COLORS[i % len(_COLORS)]
        span = np.linspace(p - width / 2, p + width / 2, 2)
        ax.plot(span, height + slope * (span - p), "--", color=color,
                label=f"slope at w = {p:g}: {slope:+.2f}")
        ax.annotate("", xy=(p - 0.12 * np.sign(slope) * width, height), xytext=(p, height),
                    arrowprops={"arrowstyle": "->", "color": color, "linewidth": 2})
        ax.plot(p, height, "o", color=color)
    ax.set(xlabel=xlabel, ylabel="loss", title=title)
    ax.legend(fontsize=8)
    return PNGFigure(figure)
