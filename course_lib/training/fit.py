"""`fit`: the training loop every lesson from 06 on uses, written once and tested.

One call trains a torch model for some epochs and returns a :class:`History`. It does what a
careful hand-written loop does and no more per batch (the benchmark `benchmarks/fit_overhead.py`
keeps it within a few percent of one): move the batch to the device, forward under autocast,
backward (through a gradient scaler for fp16), optional clipping by global norm, the optimizer
step, and loss/metric sums kept on the device so that the GPU is not synchronised every batch.

**When the scheduler steps.** ``scheduler_interval="auto"`` steps `OneCycleLR` and `CyclicLR`
after every batch (they are defined in steps) and every other scheduler once after each epoch,
after validation; `ReduceLROnPlateau` is stepped with ``val_loss`` (``loss`` without a
validation loader). Pass ``"batch"`` or ``"epoch"`` to override.
"""

from __future__ import annotations

import math
import random

import numpy as np
import torch
from torch.optim import lr_scheduler as schedulers

from course_lib.training.amp import resolve_amp
from course_lib.training.callbacks import CHECKPOINT_FORMAT, load_checkpoint
from course_lib.training.device import get_device
from course_lib.training.history import History
from course_lib.training.metrics import resolve_metrics
from course_lib.training.utils import evaluate, split_batch, to_device

__all__ = ["fit", "TrainingRun", "NonFiniteLossError"]

_PER_BATCH_SCHEDULERS = (schedulers.OneCycleLR, schedulers.CyclicLR)


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite: stop rather than train on garbage."""


class TrainingRun:
    """The state of one `fit` call, as callbacks see it."""

    def __init__(self, model, optimizer, scheduler, scaler, callbacks, train_loader, history):
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.scaler, self.callbacks, self.train_loader = scaler, callbacks, train_loader
        self.history = history
        self.epoch = -1
        self.stop_training = False

    def checkpoint_state(self) -> dict:
        """Everything needed to continue this run after the current epoch."""
        return {
            "format": CHECKPOINT_FORMAT,
            "epoch": self.epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "history": self.history.state_dict(),
            "callbacks": [{"class": type(cb).__name__, "state": cb.state_dict()}
                          for cb in self.callbacks],
            "rng": _rng_state(self.train_loader),
        }

    def restore(self, state: dict) -> None:
        """Continue from a checkpoint written by `checkpoint_state`."""
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state["scaler"] is not None:
            self.scaler.load_state_dict(state["scaler"])
        self.history = History.from_state_dict(state["history"])
        saved = state["callbacks"]
        for index, callback in enumerate(self.callbacks):
            if index < len(saved) and saved[index]["class"] == type(callback).__name__:
                callback.load_state_dict(saved[index]["state"])
        _set_rng_state(state["rng"], self.train_loader)
        self.epoch = state["epoch"]


def _loader_generator(loader):
    """The torch.Generator that shuffles `loader`, if it has its own (see make_loader)."""
    for owner in (loader, getattr(loader, "sampler", None),
                  getattr(getattr(loader, "sampler", None), "sampler", None),
                  getattr(getattr(loader, "batch_sampler", None), "sampler", None)):
        generator = getattr(owner, "generator", None)
        if isinstance(generator, torch.Generator):
            return generator
    return None


def _rng_state(loader) -> dict:
    generator = _loader_generator(loader)
    numpy_state = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": (numpy_state[0], numpy_state[1].tolist(), *numpy_state[2:]),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "loader": generator.get_state() if generator is not None else None,
    }


def _set_rng_state(state: dict, loader) -> None:
    random.setstate(state["python"])
    kind, keys, *rest = state["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if state["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    generator = _loader_generator(loader)
    if generator is not None and state["loader"] is not None:
        generator.set_state(state["loader"])


def _scheduler_interval(scheduler, interval: str) -> str | None:
    if scheduler is None:
        return None
    if interval not in ("auto", "batch", "epoch"):
        raise ValueError(f"scheduler_interval must be 'auto', 'batch' or 'epoch', got "
                         f"{interval!r}")
    if interval != "auto":
        return interval
    return "batch" if isinstance(scheduler, _PER_BATCH_SCHEDULERS) else "epoch"


def fit(model, train_loader, val_loader=None, *, epochs: int, optimizer, loss_fn,
        metrics="auto", device="auto", amp="auto", grad_clip: float | None = None,
        scheduler=None, callbacks=(), progress: bool = True, resume_from=None,
        scheduler_interval: str = "auto", sync_every: int | None = None) -> History:
    """Train `model` for `epochs` epochs on `train_loader`; return the :class:`History`.

    Parameters
    ----------
    train_loader, val_loader : iterables of ``(inputs, targets)`` batches (e.g. `make_loader`).
        Validation runs after every epoch, in eval mode without gradients.
    epochs : total number of epochs (a resumed run trains the ones still missing).
    optimizer, loss_fn : a `torch.optim` optimizer over the model's parameters; a loss
        ``loss_fn(outputs, targets)`` returning the batch mean.
    metrics : "auto" (accuracy for cross-entropy/NLL), names, functions or ``{name: fn}``.
    device : "auto" (CUDA, else MPS, else CPU) or a device; model and batches are moved there.
    amp : "auto" (bf16 autocast on CUDA when supported, else fp16 with a gradient scaler; off
        on CPU), "bf16", "fp16", or "off"/False (see `course_lib.training.amp`).
    grad_clip : clip the gradients' global L2 norm to this value before each step.
    scheduler, scheduler_interval : a learning-rate scheduler, stepped per batch or per epoch
        (the rule is in this module's docstring).
    callbacks : e.g. ``[EarlyStopping(patience=3), Checkpoint("best.pt")]``.
    progress : a tqdm bar (a widget in JupyterLab, text in a terminal); False for silence.
    resume_from : a checkpoint path written by `Checkpoint`; training continues after its epoch
        with its optimizer, scheduler, history, callback and random-generator state.
    sync_every : on an accelerator, check the loss for NaN/inf every this many batches (default
        16: each check waits for the device); on the CPU, where it is free, every batch.

    Raises
    ------
    NonFiniteLossError (a FloatingPointError) naming the epoch and batch where the loss became
    NaN or infinite.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    device = get_device(device)
    policy = resolve_amp(amp, device)
    metric_fns = resolve_metrics(metrics, loss_fn)
    interval = _scheduler_interval(scheduler, scheduler_interval)
    sync_every = sync_every or 16
    callbacks = sorted(callbacks, key=lambda cb: getattr(cb, "order", 0))
    model.to(device)
    run = TrainingRun(model, optimizer, scheduler, policy.make_scaler(), callbacks,
                      train_loader, History())
    if resume_from is not None:
        run.restore(load_checkpoint(resume_from, model, map_location=device))
    try:
        steps = len(train_loader)
    except TypeError:
        steps = None
    if steps == 0:
        raise ValueError("train_loader yields no batches (is the dataset empty, or "
                         "batch_size larger than it with drop_last=True?)")
    bar = _progress_bar(progress, epochs, run.epoch + 1, steps)
    for callback in callbacks:
        callback.on_fit_start(run)
    try:
        for epoch in range(run.epoch + 1, epochs):
            run.epoch = epoch
            lr = optimizer.param_groups[0]["lr"]
            logs = _train_epoch(run, device, policy, loss_fn, metric_fns, grad_clip,
                                interval, sync_every, bar, epochs)
            if val_loader is not None:
                scores = evaluate(model, val_loader, loss_fn, metrics=metric_fns,
                                  device=device, amp=policy)
                logs.update({f"val_{name}": value for name, value in scores.items()})
            if interval == "epoch":
                _step_epoch_scheduler(scheduler, logs)
            logs["lr"] = lr
            run.history.append(epoch, logs)
            if bar is not None:
                bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k != "lr"})
            for callback in callbacks:
                callback.on_epoch_end(run, logs)
            if run.stop_training:
                break
    finally:
        if bar is not None:
            bar.close()
    for callback in callbacks:
        callback.on_fit_end(run)
    return run.history


def _progress_bar(progress, epochs, first_epoch, steps):
    if not progress:
        return None
    from tqdm.auto import tqdm

    total = None if steps is None else (epochs - first_epoch) * steps
    return tqdm(total=total, desc=f"epoch {first_epoch + 1}/{epochs}", unit="batch",
                leave=True, dynamic_ncols=True)


def _step_epoch_scheduler(scheduler, logs):
    if isinstance(scheduler, schedulers.ReduceLROnPlateau):
        scheduler.step(logs.get("val_loss", logs["loss"]))
    else:
        scheduler.step()


def _train_epoch(run, device, policy, loss_fn, metric_fns, grad_clip, interval, sync_every,
                 bar, epochs):
    """One pass over the training loader; returns the epoch's mean loss and metrics."""
    model, optimizer, scaler, scheduler = run.model, run.optimizer, run.scaler, run.scheduler
    model.train()
    non_blocking = device.type == "cuda"
    on_cpu = device.type == "cpu"
    loss_sum = torch.zeros((), device=device)
    loss_total = 0.0
    metric_sums = {name: torch.zeros((), device=device) for name in metric_fns}
    seen = checked = 0
    if bar is not None:
        bar.set_description(f"epoch {run.epoch + 1}/{epochs}")
    for index, batch in enumerate(run.train_loader):
        inputs, targets = split_batch(batch, index)
        if not on_cpu:
            inputs = to_device(inputs, device, non_blocking)
            targets = to_device(targets, device, non_blocking)
        with policy.autocast():
            outputs = model(inputs)
            loss = loss_fn(outputs, targets)
        optimizer.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
            if grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            if grad_clip is not None:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            scaler.step(optimizer)
            scaler.update()
        if interval == "batch":
            scheduler.step()
        n = len(targets)
        seen += n
        if on_cpu:  # a host sync costs nothing here: check every batch, sum like a hand loop
            value = loss.item()
            if not math.isfinite(value):
                _raise_non_finite(value, run.epoch, index, index)
            loss_total += value * n
        else:
            loss_sum += loss.detach().float() * n
            if index - checked + 1 >= sync_every:
                _check_finite(loss_sum, run.epoch, checked, index)
                checked = index + 1
        if metric_fns:
            detached = outputs.detach().float()
            for name, fn in metric_fns.items():
                metric_sums[name] += fn(detached, targets) * n
        if bar is not None:
            bar.update(1)
    if seen == 0:
        raise ValueError(f"epoch {run.epoch}: the training loader yielded no batches")
    if not on_cpu:
        _check_finite(loss_sum, run.epoch, checked, index)
        loss_total = loss_sum.item()
    logs = {"loss": loss_total / seen}
    logs.update({name: total.item() / seen for name, total in metric_sums.items()})
    return logs


def _check_finite(loss_sum, epoch, first, last) -> None:
    value = loss_sum.item()
    if not math.isfinite(value):
        _raise_non_finite(value, epoch, first, last)


def _raise_non_finite(value, epoch, first, last) -> None:
    where = f"batch {last}" if first >= last else f"one of batches {first}-{last}"
    raise NonFiniteLossError(
        f"the training loss became {value} in epoch {epoch}, {where}: stopping instead of "
        f"training on garbage. Usual causes: a learning rate that is too large (the weights "
        f"diverged), log(0) or a division by zero in the loss, or NaN in the inputs.")
