"""What `fit` returns: per-epoch training and validation numbers, with a plot."""

from __future__ import annotations

import math

from course_lib.plotting._canvas import PNGFigure

__all__ = ["History", "HistoryFigure"]


class HistoryFigure(PNGFigure):
    """The figure of `History.plot`: shown as PNG, with the matplotlib axes at hand."""

    @property
    def axes(self):
        return self.figure.axes

    def savefig(self, *args, **kwargs):
        return self.figure.savefig(*args, **kwargs)


class History:
    """Per-epoch logs of a training run, in the shape Keras users know.

    ``history.history`` maps a name to one value per epoch: ``"loss"`` and each training metric
    (e.g. ``"accuracy"``), their validation counterparts prefixed ``"val_"``, and ``"lr"`` (the
    first parameter group's learning rate during that epoch). ``history.epoch`` lists the
    epoch numbers (0-based); a resumed run continues the numbering.
    """

    def __init__(self, history: dict[str, list[float]] | None = None,
                 epoch: list[int] | None = None):
        self.history: dict[str, list[float]] = {k: list(v) for k, v in (history or {}).items()}
        self.epoch: list[int] = list(epoch or [])

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record one epoch's logs (a name missing in earlier epochs is padded with NaN)."""
        for key, value in logs.items():
            self.history.setdefault(key, [math.nan] * len(self.epoch)).append(float(value))
        for key, values in self.history.items():
            if key not in logs:
                values.append(math.nan)
        self.epoch.append(epoch)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __len__(self) -> int:
        return len(self.epoch)

    def last(self) -> dict[str, float]:
        """The most recent epoch's logs."""
        return {key: values[-1] for key, values in self.history.items()} if self.epoch else {}

    def best(self, monitor: str = "val_loss", mode: str = "auto") -> tuple[int, float]:
        """``(epoch, value)`` of the best epoch by `monitor` (mode as in `EarlyStopping`)."""
        if monitor not in self.history:
            raise KeyError(f"{monitor!r} was not recorded; recorded: {sorted(self.history)}")
        values = self.history[monitor]
        sign = 1.0 if _resolve_mode(mode, monitor) == "min" else -1.0
        index = min(range(len(values)), key=lambda i: sign * values[i])
        return self.epoch[index], values[index]

    def state_dict(self) -> dict:
        return {"history": {k: list(v) for k, v in self.history.items()},
                "epoch": list(self.epoch)}

    @classmethod
    def from_state_dict(cls, state: dict) -> History:
        return cls(state["history"], state["epoch"])

    def plot(self, keys=None, *, figsize=None):
        """Plot loss and each metric against epochs, training and validation side by side.

        Returns a :class:`HistoryFigure`: it displays once as a PNG in a notebook (it is not
        registered with pyplot, so it is not shown a second time at the end of the cell), and
        ``.figure`` / ``.axes`` give the matplotlib objects. `keys` restricts the panels, e.g.
        ``history.plot(["loss"])``.
        """
        from course_lib.plotting._canvas import new_figure  # matplotlib only when plotting

        names = [k for k in self.history if not k.startswith("val_") and k != "lr"]
        names += [k[4:] for k in self.history if k.startswith("val_") and k[4:] not in names]
        if keys is not None:
            names = [k for k in names if k in keys]
        if not names:
            raise ValueError(f"nothing to plot: recorded {sorted(self.history)}, keys={keys}")
        fig = new_figure(figsize=figsize or (4.2 * len(names), 3.2))
        axes = fig.subplots(1, len(names), squeeze=False)
        for ax, name in zip(axes[0], names, strict=True):
            for key, label in ((name, "train"), (f"val_{name}", "validation")):
                if key in self.history:
                    ax.plot(self.epoch, self.history[key], marker="o", ms=3, label=label)
            ax.set_xlabel("epoch")
            ax.set_title(name)
            ax.legend()
            ax.grid(alpha=0.3)
        return HistoryFigure(fig)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v:.4g}" for k, v in self.last().items())
        return f"History({len(self)} epochs; last: {last})"


def _resolve_mode(mode: str, monitor: str) -> str:
    """"auto": minimise anything named like a loss or an error, maximise the rest."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    return "min" if ("loss" in monitor or "error" in monitor) else "max"
