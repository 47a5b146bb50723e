"""The optimizer comparison: several optimizers race across the same surface, side by side.

Built on lesson 01's `DescentExplorer` (same figure, same surfaces, same readout style): the
controls are the optimizers' hyperparameters, and `compute()` returns one `DescentRun` per
selected optimizer from `course_lib.update_rules`, whose rules follow `torch.optim` exactly.
The plain-SGD family (SGD, momentum, Nesterov) shares one learning-rate slider and the adaptive
family (RMSprop, Adam, AdamW) another, because their useful rates differ by orders of magnitude:
the adaptive ones move about `lr` per step whatever the gradient's size.

Everything is readable from Python (`comparison.runs`, `comparison.final_losses`), and setting a
control's `.value` redraws exactly as dragging it does; that is how the tests drive it.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course_lib.descent import DescentRun
from course_lib.surfaces import SURFACES, get_surface
from course_lib.update_rules import run_optimizer
from course_lib.widgets.descent import DescentExplorer

__all__ = ["OPTIMIZERS", "OptimizerComparison", "optimizer_comparison"]

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
_NAMES = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "rmsprop": "RMSprop",
          "adam": "Adam", "adamw": "AdamW"}
# Starting rates per surface: for the SGD family, well below the stability limit, where plain
# SGD visibly crawls; for the adaptive family, which moves about lr per step, a fraction of the
# distance to travel.
_SGD_LR = {"bowl": 0.1, "ravine": 0.02, "local_minimum": 0.05, "rosenbrock": 1e-3}
_ADAPTIVE_LR = {"bowl": 0.3, "ravine": 0.3, "local_minimum": 0.1, "rosenbrock": 0.05}


def _log_slider(value, low, high, description):
    return widgets.FloatLogSlider(value=value, base=10, min=low, max=high, step=0.05,
                                  description=description, readout_format=".2e",
                                  continuous_update=False)


def _slider(value, low, high, step, description):
    return widgets.FloatSlider(value=value, min=low, max=high, step=step,
                               description=description, readout_format=".3f",
                               continuous_update=False)


class OptimizerComparison(DescentExplorer):
    """Selected optimizers on one surface, with the hyperparameters of each as sliders."""

    def __init__(self, surface: str = "ravine", optimizers=("sgd", "momentum", "adam"),
                 steps: int = 100):
        unknown = set(optimizers) - set(OPTIMIZERS)
        if unknown:
            raise ValueError(f"unknown optimizers {sorted(unknown)}; choose from {OPTIMIZERS}")
        surf = get_surface(surface)
        controls = {
            "surface": widgets.Dropdown(options=[(s.title.split(":")[0].split("(")[0].strip(),
                                                  name) for name, s in SURFACES.items()],
                                        value=surf.name, description="surface"),
            "optimizers": widgets.SelectMultiple(
                options=[(_NAMES[name], name) for name in OPTIMIZERS], value=tuple(optimizers),
                rows=6, description="optimizers"),
            "steps": widgets.IntSlider(value=steps, min=1, max=500, description="steps",
                                       continuous_update=False),
            "lr": _log_slider(_SGD_LR.get(surf.name, surf.default_lr), -4, 0, "SGD-family η"),
            "momentum": _slider(0.9, 0.0, 0.99, 0.01, "momentum"),
            "adaptive_lr": _log_slider(_ADAPTIVE_LR[surf.name], -3, 0, "adaptive η"),
            "beta1": _slider(0.9, 0.0, 0.99, 0.01, "β1 (Adam)"),
            "beta2": _slider(0.999, 0.5, 0.9999, 0.0001, "β2 / α"),
            "weight_decay": _slider(0.1, 0.0, 1.0, 0.01, "AdamW decay"),
        }
        super().__init__(controls)
        # Nine controls do not fit in one row: regroup them (the image and readout stay).
        c = self.controls
        rows = widgets.HBox([
            widgets.VBox([c["surface"], c["steps"], c["optimizers"]]),
            widgets.VBox([c["lr"], c["momentum"]]),
            widgets.VBox([c["adaptive_lr"], c["beta1"], c["beta2"], c["weight_decay"]]),
        ])
        self._box.children = (rows,) + tuple(self._box.children[1:])

    def on_surface_change(self) -> None:
        """Each surface starts from rates that work on it (Rosenbrock needs a tiny SGD rate)."""
        self.controls["lr"].value = _SGD_LR.get(self.surface.name, self.surface.default_lr)
        self.controls["adaptive_lr"].value = _ADAPTIVE_LR.get(self.surface.name, 0.1)

    def hyperparameters(self, name: str) -> dict:
        """The keyword arguments `course_lib.update_rules.make_rule(name, ...)` gets now."""
        c = {key: control.value for key, control in self.controls.items()}
        if name in ("sgd", "momentum", "nesterov"):
            return {"lr": c["lr"]} | ({} if name == "sgd" else {"momentum": c["momentum"]})
        if name == "rmsprop":
            return {"lr": c["adaptive_lr"], "alpha": c["beta2"]}
        hparams = {"lr": c["adaptive_lr"], "beta1": c["beta1"], "beta2": c["beta2"]}
        return hparams | ({"weight_decay": c["weight_decay"]} if name == "adamw" else {})

    def compute(self) -> dict[str, DescentRun]:
        steps = self.controls["steps"].value
        return {self.label(name): run_optimizer(name, self.surface, steps,
                                                **self.hyperparameters(name))
                for name in self.controls["optimizers"].value}

    def label(self, name: str) -> str:
        """The legend entry of optimizer `name`, with its learning rate."""
        return f"{_NAMES[name]} (η = {self.hyperparameters(name)['lr']:.2g})"

    @property
    def final_losses(self) -> dict[str, float]:
        """Optimizer name -> loss at the end of its run (``inf`` if it diverged)."""
        by_label = {self.label(name): name for name in self.controls["optimizers"].value}
        return {by_label[label]: (float("inf") if run.diverged else run.final_loss)
                for label, run in self.runs.items()}

    def describe(self, runs: dict[str, DescentRun]) -> str:
        if not runs:
            return "Select at least one optimizer."
        gap = self.surface.min_value
        rows = "".join(
            f"<tr><td>{html.escape(label)}</td><td>{run.status}</td>"
            f"<td>{'—' if run.diverged else f'{run.final_loss - gap:.3g}'}</td></tr>"
            for label, run in runs.items())
        return ("<table><tr><th>optimizer</th><th>verdict</th><th>final loss − minimum</th>"
                f"</tr>{rows}</table>")


def optimizer_comparison(surface: str = "ravine", optimizers=("sgd", "momentum", "adam"),
                         steps: int = 100) -> OptimizerComparison:
    """The lesson-08 widget: optimizers' trajectories side by side on one surface.

    ``comparison.controls["momentum"].value = 0.5`` redraws as dragging the slider does; read
    ``comparison.runs`` (label -> `DescentRun`) and ``comparison.final_losses`` back.
    """
    return OptimizerComparison(surface, optimizers, steps)
