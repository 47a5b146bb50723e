"""Callbacks: code that `fit` runs at the end of every epoch (early stopping, checkpoints).

A callback sees the running :class:`~course_lib.training.fit.TrainingRun` (model, optimizer,
history, ...) and may set ``run.stop_training = True``. Callbacks run in ascending ``order``
(stable), so a `Checkpoint` (order 100) saves *after* `EarlyStopping` has updated its counters
and the saved state is consistent. ``state_dict`` / ``load_state_dict`` let a resumed run
continue with the same counters and best values.
"""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path

import torch

from course_lib.training.history import _resolve_mode

__all__ = ["Callback", "EarlyStopping", "Checkpoint", "load_checkpoint"]


class Callback:
    """Base class: override the hooks you need."""

    order = 0

    def on_fit_start(self, run) -> None:
        """Called once before the first epoch (also when resuming)."""

    def on_epoch_end(self, run, logs: dict[str, float]) -> None:
        """Called after each epoch's training and validation, with that epoch's logs."""

    def on_fit_end(self, run) -> None:
        """Called once after the last epoch, also after an early stop."""

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what `state_dict` returned."""


class _Monitor:
    """Tracks the best value of one logged quantity ("val_loss", "val_accuracy", ...)."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0):
        self.monitor = monitor
        self.mode = _resolve_mode(mode, monitor)
        self.min_delta = abs(min_delta)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = -1

    def value(self, logs: dict[str, float]) -> float:
        if self.monitor not in logs:
            hint = (" (pass a val_loader to fit, or monitor 'loss')"
                    if self.monitor.startswith("val_") else "")
            raise KeyError(f"cannot monitor {self.monitor!r}: this epoch logged "
                           f"{sorted(logs)}{hint}")
        return logs[self.monitor]

    def improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def update(self, epoch: int, logs: dict[str, float]) -> bool:
        value = self.value(logs)
        if not self.improved(value):
            return False
        self.best, self.best_epoch = value, epoch
        return True


class _MonitoringCallback(Callback):
    """A callback that follows the best value of one logged quantity."""

    _monitor: _Monitor

    @property
    def best(self) -> float:
        """The best value of the monitored quantity so far."""
        return self._monitor.best

    @property
    def best_epoch(self) -> int:
        """The epoch of that best value (-1 before the first epoch)."""
        return self._monitor.best_epoch

    def _load_best(self, state: dict) -> None:
        self._monitor.best, self._monitor.best_epoch = state["best"], state["best_epoch"]


class EarlyStopping(_MonitoringCallback):
    """Stop when `monitor` has not improved for `patience` epochs; restore the best weights.

    "Improved" means better than the best so far by more than `min_delta`. With
    ``restore_best=True`` the model ends with the weights of its best epoch (kept in memory),
    not those of the last, worse, epoch. After `fit`: ``best_epoch``, ``best`` and
    ``stopped_epoch`` (None when training ran to the end).
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, mode: str = "auto",
                 min_delta: float = 0.0, restore_best: bool = True):
        if patience < 0:
            raise ValueError(f"patience must be >= 0, got {patience}")
        self._monitor = _Monitor(monitor, mode, min_delta)
        self.monitor, self.mode, self.patience = monitor, self._monitor.mode, patience
        self.restore_best = restore_best
        self.wait = 0
        self.stopped_epoch: int | None = None
        self.best_state: dict | None = None

    def on_epoch_end(self, run, logs):
        if self._monitor.update(run.epoch, logs):
            self.wait = 0
            if self.restore_best:
                self.best_state = copy.deepcopy(run.model.state_dict())
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = run.epoch
            run.stop_training = True

    def on_fit_end(self, run):
        if self.restore_best and self.best_state is not None:
            run.model.load_state_dict(self.best_state)

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "best_state": self.best_state}

    def load_state_dict(self, state):
        self._load_best(state)
        self.wait, self.best_state = state["wait"], state["best_state"]


class Checkpoint(_MonitoringCallback):
    """Save the training state to `path` when `monitor` improves (every epoch if not best-only).

    A checkpoint holds everything needed to continue: model, optimizer, scheduler and
    gradient-scaler state, the epoch count, the history, the other callbacks' state and every
    random generator. Continue an interrupted run with ``fit(..., resume_from=path)`` (or
    ``resume_from=checkpoint.last_path``); load just the weights with
    ``load_checkpoint(path, model)``.

    With ``save_last=True`` (default) the latest epoch is also written to ``last_path``
    (``<stem>-last<suffix>`` beside `path`): resuming from it continues exactly where training
    stopped, while `path` keeps the best model.
    """

    order = 100

    def __init__(self, path, monitor: str = "val_loss", mode: str = "auto",
                 save_best_only: bool = True, save_last: bool = True):
        self.path = Path(path)
        self.last_path = self.path.with_name(f"{self.path.stem}-last{self.path.suffix}")
        self._monitor = _Monitor(monitor, mode)
        self.monitor, self.save_best_only, self.save_last = monitor, save_best_only, save_last

    def on_epoch_end(self, run, logs):
        improved = self._monitor.update(run.epoch, logs)
        if improved or not self.save_best_only or self.save_last:
            state = run.checkpoint_state()
            if improved or not self.save_best_only:
                _atomic_save(state, self.path)
            if self.save_last:
                _atomic_save(state, self.last_path)

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state):
        self._load_best(state)

    @staticmethod
    def resume(path, model, optimizer=None, scheduler=None, map_location="cpu") -> dict:
        """Load a checkpoint's weights (and optimizer/scheduler state if given); return it."""
        return load_checkpoint(path, model, optimizer, scheduler, map_location=map_location)


def _atomic_save(state: dict, path: Path) -> None:
    """Write to a temporary file first, so an interrupted save never leaves half a checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path, model=None, optimizer=None, scheduler=None, *,
                    map_location="cpu") -> dict:
    """Read a checkpoint written by `Checkpoint`; load its parts into the objects given."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    state = torch.load(path, map_location=map_location, weights_only=False)
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a course_lib.training checkpoint (expected a dict "
                         f"with format={CHECKPOINT_FORMAT!r})")
    if model is not None:
        model.load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state.get("scheduler") is not None:
        scheduler.load_state_dict(state["scheduler"])
    return state


CHECKPOINT_FORMAT = "course_lib.training/1"
