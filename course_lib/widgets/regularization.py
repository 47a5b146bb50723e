"""The regularization explorer: dropout probability and weight decay against the generalization gap
(lesson 05).

Each setting trains `course_lib.regularization.regularization_run` once (70 full-batch epochs
of a 3 x 128 MLP on 100 digits, a fraction of a second) and caches it, so returning to a setting
only redraws. The unregularized run is always drawn in grey for comparison. Tests set
``explorer.controls["dropout"].value`` / ``["weight_decay"]`` and read ``explorer.run``,
``explorer.gap`` and ``explorer.plot.plotted``.
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib.plotting.regularization import RegularizationPlot
from course_lib.regularization import cached_run
from course_lib.widgets.initialization import PlotExplorer

__all__ = ["RegularizationExplorer", "regularization_explorer", "DROPOUT_VALUES",
           "WEIGHT_DECAY_VALUES"]

DROPOUT_VALUES = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7)
WEIGHT_DECAY_VALUES = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
BASELINE = "no regularization"


class RegularizationExplorer(PlotExplorer):
    """Dropout p and weight decay -> training/validation curves and the generalization gap."""

    def __init__(self, dropout: float = 0.5, weight_decay: float = 1e-2, seed: int = 0):
        self.seed = seed
        controls = {
            "dropout": widgets.SelectionSlider(options=list(DROPOUT_VALUES), value=dropout,
                                               description="dropout p",
                                               continuous_update=False),
            "weight_decay": widgets.SelectionSlider(
                options=[(f"{v:g}", v) for v in WEIGHT_DECAY_VALUES], value=weight_decay,
                description="weight decay", continuous_update=False),
        }
        self.run = self.baseline = None
        super().__init__(controls, RegularizationPlot(fixed_layout=True))

    def compute(self) -> None:
        v = self.values
        self.baseline = cached_run(0.0, 0.0, self.seed)
        self.run = cached_run(float(v["dropout"]), float(v["weight_decay"]), self.seed)

    @property
    def label(self) -> str:
        v = self.values
        return f"p = {v['dropout']:g}, weight decay = {v['weight_decay']:g}"

    def draw(self) -> None:
        runs = {BASELINE: self.baseline}
        if self.run is not self.baseline:
            runs[self.label] = self.run
        self.plot.show(runs)

    @property
    def gap(self) -> float:
        """Training minus validation accuracy after the last epoch of the current setting."""
        return self.run.gap

    def describe(self) -> str:
        final, base = self.run.final, self.baseline.final
        return (f"<b>{self.label}</b>: training accuracy {final['accuracy']:.1%}, validation "
                f"{final['val_accuracy']:.1%}, <b>gap {self.run.gap:.1%}</b>, validation loss "
                f"{final['val_loss']:.3f}<br>{BASELINE}: training {base['accuracy']:.1%}, "
                f"validation {base['val_accuracy']:.1%}, gap {self.baseline.gap:.1%}, "
                f"validation loss {base['val_loss']:.3f}")


def regularization_explorer(dropout: float = 0.5, weight_decay: float = 1e-2,
                            seed: int = 0) -> RegularizationExplorer:
    """The lesson-05 widget; `dropout` and `weight_decay` must be values on its sliders
    (`DROPOUT_VALUES`, `WEIGHT_DECAY_VALUES`)."""
    for name, value, allowed in (("dropout", dropout, DROPOUT_VALUES),
                                 ("weight_decay", weight_decay, WEIGHT_DECAY_VALUES)):
        if value not in allowed:
            raise ValueError(f"{name}={value!r} is not on the slider; choose one of {allowed}")
    return RegularizationExplorer(dropout, weight_decay, seed)
