"""Train a small MLP on the digits and watch its loss and accuracy curves grow, epoch by epoch.

The controls choose the model and the run (hidden units, optimizer, learning rate, epochs, how
many training examples); "Train" builds a fresh model and calls `LiveCurves.update` after
every epoch, which replaces the PNG of one image in place, so the curves grow while the model
trains. `explorer.train()` does the same from code (that is how the tests and a headless run
use it); `explorer.history` holds the numbers of the last run.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course_lib import optim
from course_lib.data.digits import DigitsSplits, Split, load_digits_splits
from course_lib.plotting.training import LiveCurves
from course_lib.random import manual_seed
from course_lib.training_loop import evaluate, fit, make_mlp

__all__ = ["TrainingExplorer", "training_explorer"]

_OPTIMIZERS = {"SGD + momentum 0.9": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9),
               "Adam": lambda p, lr: optim.Adam(p, lr=lr)}


class TrainingExplorer:
    """Controls + live curves for one MLP training run on fixed digits splits."""

    def __init__(self, data: DigitsSplits | None = None, *, hidden: int = 64, lr: float = 0.05,
                 epochs: int = 20, n_train: int | None = None, seed: int = 0):
        self.data = data if data is not None else load_digits_splits()
        n_max = len(self.data.train)
        style = {"description_width": "110px"}
        self.controls = {
            "hidden": widgets.IntSlider(value=hidden, min=4, max=256, step=4,
                                        description="hidden units", style=style),
            "optimizer": widgets.Dropdown(options=list(_OPTIMIZERS), description="optimizer",
                                          style=style),
            "lr": widgets.FloatLogSlider(value=lr, base=10, min=-4, max=0, step=0.1,
                                         description="learning rate", style=style,
                                         readout_format=".1e"),
            "epochs": widgets.IntSlider(value=epochs, min=1, max=100, description="epochs",
                                        style=style),
            "n_train": widgets.IntSlider(value=n_train or n_max, min=20, max=n_max, step=10,
                                         description="train examples", style=style),
        }
        self.seed = seed
        self.button = widgets.Button(description="Train", button_style="primary",
                                     icon="play")
        self.status = widgets.HTML("Press <b>Train</b> to train a fresh model.")
        self.curves = LiveCurves()
        self.history: dict[str, list[float]] = {}
        self.model = None
        self.button.on_click(lambda _: self.train())
        controls = list(self.controls.values())
        self.widget = widgets.VBox([widgets.HBox([widgets.VBox(controls[:3]),
                                                  widgets.VBox(controls[3:] + [self.button])]),
                                    self.status, self.curves.image])

    def train(self) -> dict[str, list[float]]:
        """Train a fresh model with the current settings, updating the curves every epoch."""
        c = {name: control.value for name, control in self.controls.items()}
        manual_seed(self.seed)
        train = Split(self.data.train.X[: c["n_train"]], self.data.train.y[: c["n_train"]])
        self.model = make_mlp([train.X.shape[1], c["hidden"], 10])
        optimizer = _OPTIMIZERS[c["optimizer"]](self.model.parameters(), c["lr"])
        self.curves.clear()
        self.button.disabled = True
        self.status.value = f"training on {len(train)} examples ..."
        try:
            self.history = fit(self.model, optimizer, train, self.data.val, epochs=c["epochs"],
                               batch_size=32, rng=np.random.default_rng(self.seed),
                               on_epoch=self.curves.update)
        finally:
            self.curves.flush()
            self.button.disabled = False
        best = int(np.argmin(self.history["val_loss"]))
        _, test_acc = evaluate(self.model, self.data.test.X, self.data.test.y)
        self.status.value = (
            f"final: train accuracy {self.history['train_acc'][-1]:.3f}, validation accuracy "
            f"{self.history['val_acc'][-1]:.3f}; lowest validation loss at epoch {best + 1} of "
            f"{c['epochs']}; test accuracy {test_acc:.3f} (look at it only once you have chosen)")
        return self.history

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def training_explorer(data: DigitsSplits | None = None, **settings) -> TrainingExplorer:
    """The lesson-03 experiment: live training curves of an MLP on the digits."""
    return TrainingExplorer(data, **settings)
