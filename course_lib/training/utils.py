"""Evaluation, prediction, parameter bookkeeping (count, freeze) and throughput measurement."""

from __future__ import annotations

import time

import torch
from torch import nn

from course_lib.training.amp import AmpPolicy, resolve_amp
from course_lib.training.device import get_device
from course_lib.training.metrics import resolve_metrics

__all__ = ["evaluate", "predict", "count_parameters", "freeze", "unfreeze",
           "measure_throughput"]


def to_device(obj, device: torch.device, non_blocking: bool = False):
    """Move a tensor, or the tensors inside a tuple/list/dict, to `device`."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=non_blocking)
    if isinstance(obj, (tuple, list)):
        return type(obj)(to_device(o, device, non_blocking) for o in obj)
    if isinstance(obj, dict):
        return {k: to_device(v, device, non_blocking) for k, v in obj.items()}
    return obj


def split_batch(batch, index: int = 0):
    """``(inputs, targets)`` from a loader's batch, or a clear error saying what came instead."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    got = (f"a {type(batch).__name__} of length {len(batch)}"
           if isinstance(batch, (tuple, list)) else f"a {type(batch).__name__}")
    raise TypeError(f"batch {index}: expected (inputs, targets) from the loader, got {got}")


class _Mode:
    """Put a model in eval mode for a block and restore its previous mode afterwards."""

    def __init__(self, model: nn.Module, train: bool):
        self.model, self.train = model, train

    def __enter__(self):
        self.was_training = self.model.training
        self.model.train(self.train)

    def __exit__(self, *exc):
        self.model.train(self.was_training)


def _policy(amp, device) -> AmpPolicy:
    return amp if isinstance(amp, AmpPolicy) else resolve_amp(amp, device)


def evaluate(model: nn.Module, loader, loss_fn=None, *, metrics="auto", device="auto",
             amp="auto") -> dict[str, float]:
    """Mean loss (if `loss_fn` is given) and metrics of `model` over `loader`, in eval mode.

    Averages are over samples (batches weighted by their size). The model's train/eval mode is
    restored afterwards. Returns e.g. ``{"loss": 0.31, "accuracy": 0.91}``.
    """
    device = get_device(device)
    policy = _policy(amp, device)
    metric_fns = resolve_metrics(metrics, loss_fn)
    sums = {name: torch.zeros((), device=device) for name in metric_fns}
    if loss_fn is not None:
        sums = {"loss": torch.zeros((), device=device), **sums}
    seen = 0
    non_blocking = device.type == "cuda"
    with _Mode(model, False), torch.no_grad():
        for index, batch in enumerate(loader):
            inputs, targets = split_batch(batch, index)
            inputs = to_device(inputs, device, non_blocking)
            targets = to_device(targets, device, non_blocking)
            with policy.autocast():
                outputs = model(inputs)
                if loss_fn is not None:
                    sums["loss"] += loss_fn(outputs, targets).float() * len(targets)
            for name, fn in metric_fns.items():
                sums[name] += fn(outputs.float(), targets) * len(targets)
            seen += len(targets)
    if seen == 0:
        raise ValueError("evaluate: the loader yielded no samples")
    return {name: total.item() / seen for name, total in sums.items()}


def predict(model: nn.Module, data, *, device="auto", amp="off",
            batch_size: int = 256) -> torch.Tensor:
    """The model's outputs for `data`, concatenated on the CPU, in eval mode without gradients.

    `data` is a tensor of inputs (split into batches of `batch_size`) or a loader yielding
    inputs or ``(inputs, targets)`` batches (the targets are ignored).
    """
    device = get_device(device)
    policy = _policy(amp, device)
    batches = data.split(batch_size) if isinstance(data, torch.Tensor) else data
    outputs = []
    with _Mode(model, False), torch.no_grad():
        for batch in batches:
            inputs = batch[0] if isinstance(batch, (tuple, list)) else batch
            with policy.autocast():
                outputs.append(model(to_device(inputs, device)).float().cpu())
    if not outputs:
        raise ValueError("predict: no inputs were given")
    return torch.cat(outputs)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of scalar parameters (only those with ``requires_grad`` unless told otherwise)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def freeze(module: nn.Module) -> nn.Module:
    """Turn off ``requires_grad`` for every parameter of `module` (returned, for chaining).

    Frozen parameters get no gradient, so no optimizer changes them. Note that freezing does
    not switch off batch-norm's running statistics: call ``module.eval()`` for that.
    """
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module


def unfreeze(module: nn.Module) -> nn.Module:
    """Turn ``requires_grad`` back on for every parameter of `module` (returned)."""
    for parameter in module.parameters():
        parameter.requires_grad_(True)
    return module


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def measure_throughput(model: nn.Module, example_batch, device="auto", *, steps: int = 20,
                       warmup: int = 5, train: bool = False, amp="off", loss_fn=None,
                       targets=None) -> float:
    """Samples per second of `model` on `example_batch` (inference, or training steps).

    The batch is moved to the device once; `warmup` untimed iterations let lazy initialisation,
    cuDNN's algorithm search and caches settle; the device is synchronised before the clock
    starts and stops, because CUDA calls return before the work is done. With ``train=True``
    each step is forward + backward (with `loss_fn` and `targets`, else the outputs' sum) and
    the gradients are discarded: the model's weights do not change.
    """
    if steps < 1 or warmup < 0:
        raise ValueError(f"need steps >= 1 and warmup >= 0, got steps={steps}, warmup={warmup}")
    device = get_device(device)
    policy = _policy(amp, device)
    model.to(device)
    inputs = to_device(example_batch, device)
    targets = to_device(targets, device) if targets is not None else None
    n = len(inputs) if not isinstance(inputs, (tuple, list)) else len(inputs[0])

    def step():
        with policy.autocast():
            outputs = model(inputs)
            if train:
                loss = loss_fn(outputs, targets) if loss_fn is not None else outputs.sum()
        if train:
            loss.backward()

    with _Mode(model, train), torch.set_grad_enabled(train):
        for _ in range(warmup):
            step()
        _synchronize(device)
        start = time.perf_counter()
        for _ in range(steps):
            step()
        _synchronize(device)
        elapsed = time.perf_counter() - start
    if train:
        model.zero_grad(set_to_none=True)
    return n * steps / elapsed
