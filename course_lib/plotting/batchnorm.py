"""Figures for lesson 09: what batch norm does to activations, and the stability experiments.

Like the other lessons' figures they are pyplot-free `PNGFigure`s, displayed once as a cell's
value (or with `display`).
"""

from __future__ import annotations

import warnings

import numpy as np

from course_lib.plotting._canvas import PNGFigure, new_figure

__all__ = ["plot_normalization", "plot_loss_curves", "plot_layer_gradients"]


def plot_normalization(before: np.ndarray, after: np.ndarray, *, features=(0, 1, 2)
                       ) -> PNGFigure:
    """Histograms of a few features of a mini-batch before and after batch normalization.

    Before, each feature has its own mean and spread; after, each is centred at 0 with unit
    spread (then gamma and beta would move it to wherever training wants it).
    """
    before, after = np.asarray(before), np.asarray(after)
    if before.shape != after.shape or before.ndim != 2:
        raise ValueError(f"plot_normalization: expected two (batch, features) arrays of the same "
                         f"shape, got {before.shape} and {after.shape}")
    figure = new_figure((9.0, 3.0))
    axes = figure.subplots(1, 2, sharey=True)
    for axis, data, title in zip(axes, (before, after), ("before: x", "after: x_hat"),
                                 strict=True):
        for feature in features:
            axis.hist(data[:, feature], bins=20, alpha=0.5, label=f"feature {feature}")
        axis.set(title=title, xlabel="value")
    axes[0].set_ylabel("count in the mini-batch")
    axes[0].legend(fontsize=8)
    return PNGFigure(figure)


def plot_loss_curves(curves: dict, *, title: str = "", ylim=(0.0, 3.0)) -> PNGFigure:
    """Mean training-loss curve (over seeds) of each labelled run; a diverged run ends with an x.

    `curves` maps a label to an array of shape ``(seeds, steps)`` (NaN after divergence).
    """
    figure = new_figure((6.5, 3.6))
    ax = figure.subplots()
    for label, losses in curves.items():
        losses = np.atleast_2d(losses)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all seeds NaN after divergence
            mean = np.nanmean(losses, axis=0)
        (line,) = ax.plot(mean, label=label)
        if np.isnan(losses).any() and np.isfinite(mean).any():
            last = int(np.flatnonzero(np.isfinite(mean))[-1])
            ax.plot(last, min(mean[last], ylim[1]), "x", color=line.get_color(), markersize=10)
    ax.set(xlabel="SGD step", ylabel="training loss (mean over seeds)", ylim=ylim, title=title)
    ax.legend(fontsize="small")
    return PNGFigure(figure)


def plot_layer_gradients(norms: dict) -> PNGFigure:
    """Gradient norm at each hidden layer's output (input side on the left), one line per net."""
    figure = new_figure((6.5, 3.6))
    ax = figure.subplots()
    for label, values in norms.items():
        ax.semilogy(np.arange(1, len(values) + 1), values, "o-", label=label)
    ax.set(xlabel="hidden layer (1 = next to the input)", ylabel="|dL/dh| (log scale)",
           title="How much gradient reaches each layer")
    ax.legend()
    return PNGFigure(figure)
