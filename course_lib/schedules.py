"""Learning-rate schedules as PyTorch computes them, and the learning-rate range test.

Lesson 08 plots schedules (step, cosine, warm-up + cosine) from `torch.optim.lr_scheduler`
itself, so what the student sees is what training with those schedulers does, and checks the
student's warm-up + cosine formula against the same numbers.

The range test (Smith 2017, "Cyclical Learning Rates for Training Neural Networks") trains for
one short run while the learning rate grows geometrically from tiny to huge, recording the loss
at each step: the loss is flat while the rate is too small, falls once it is useful, and shoots
up once it is too large. A good learning rate sits on the falling part, about ten times below
the point of lowest (smoothed) loss.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

__all__ = ["scheduler_lrs", "warmup_cosine_scheduler", "smooth_losses", "suggest_lr",
           "RangeTest", "lr_range_test"]


def scheduler_lrs(make_scheduler, steps: int, base_lr: float = 1.0) -> np.ndarray:
    """The learning rate a torch scheduler sets at each of `steps` optimizer steps.

    `make_scheduler(optimizer)` builds the scheduler on a throwaway SGD optimizer whose base
    learning rate is `base_lr`; entry ``t`` is the rate used by step ``t`` (the first is step 0).
    """
    import torch

    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=base_lr)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(lrs)


def warmup_cosine_scheduler(optimizer, warmup_steps: int, total_steps: int, min_lr: float = 0.0):
    """Linear warm-up over `warmup_steps` steps, then cosine annealing down to `min_lr`.

    Built from torch's own schedulers: `LinearLR` from ``base_lr / warmup_steps`` up to
    ``base_lr`` (reached at step ``warmup_steps - 1``), then `CosineAnnealingLR` over the
    remaining ``total_steps - warmup_steps`` steps.
    """
    from torch.optim import lr_scheduler

    if not 1 <= warmup_steps < total_steps:
        raise ValueError(f"need 1 <= warmup_steps < total_steps, got warmup_steps="
                         f"{warmup_steps}, total_steps={total_steps}")
    warmup = lr_scheduler.LinearLR(optimizer, start_factor=1.0 / warmup_steps, end_factor=1.0,
                                   total_iters=max(warmup_steps - 1, 1))
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps,
                                            eta_min=min_lr)
    return lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])


def smooth_losses(losses, beta: float = 0.8) -> np.ndarray:
    """Bias-corrected exponential moving average of a loss sequence (Adam's trick, lesson 08).

    ``s_t = beta s_{t-1} + (1 - beta) loss_t`` with ``s_{-1} = 0``, reported as
    ``s_t / (1 - beta^(t+1))`` so the first values are not dragged towards zero.
    """
    losses = np.asarray(losses, dtype=float)
    out = np.empty_like(losses)
    s = 0.0
    for t, loss in enumerate(losses):
        s = beta * s + (1 - beta) * loss
        out[t] = s / (1 - beta ** (t + 1))
    return out


def suggest_lr(lrs, losses, *, beta: float = 0.8, diverge_factor: float = 4.0) -> float:
    """A learning rate from a range test: a tenth of the rate at the lowest smoothed loss.

    Points from the first one whose smoothed loss is not finite or exceeds `diverge_factor`
    times the best so far are ignored (the run has diverged there).
    """
    lrs = np.asarray(lrs, dtype=float)
    smoothed = smooth_losses(losses, beta)
    if lrs.shape != smoothed.shape or lrs.ndim != 1 or len(lrs) == 0:
        raise ValueError(f"suggest_lr: lrs and losses must be 1-d and of equal length, got "
                         f"shapes {lrs.shape} and {smoothed.shape}")
    best = np.inf
    end = len(smoothed)
    for t, value in enumerate(smoothed):
        if not np.isfinite(value) or value > diverge_factor * best:
            end = t
            break
        best = min(best, value)
    return float(lrs[int(np.argmin(smoothed[:max(end, 1)]))] / 10)


@dataclass(frozen=True)
class RangeTest:
    """What a range test recorded: the rate and the raw loss at every step until divergence."""

    lrs: np.ndarray
    losses: np.ndarray

    @property
    def smoothed(self) -> np.ndarray:
        return smooth_losses(self.losses)

    @property
    def suggestion(self) -> float:
        return suggest_lr(self.lrs, self.losses)


def lr_range_test(model, X, y, *, loss_fn=None, optimizer: str = "sgd", start_lr: float = 1e-4,
                  end_lr: float = 10.0, steps: int = 100, batch_size: int = 64,
                  seed: int = 0) -> RangeTest:
    """Smith's range test on a torch model: one mini-batch per step, the rate growing geometrically.

    The model is trained on a copy, so `model` is unchanged. The test stops early once the loss
    is not finite or exceeds four times the best loss so far.
    """
    import torch

    from course_lib.stability import single_thread

    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    work = copy.deepcopy(model)
    make = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer]
    opt = make(work.parameters(), lr=start_lr)
    factor = (end_lr / start_lr) ** (1.0 / steps)
    generator = torch.Generator().manual_seed(seed)
    lrs, losses = [], []
    work.train()
    with single_thread():
        for step in range(steps):
            lr = start_lr * factor**step
            for group in opt.param_groups:
                group["lr"] = lr
            index = torch.randint(0, len(X), (batch_size,), generator=generator)
            loss = loss_fn(work(X[index]), y[index])
            value = loss.item()
            if not np.isfinite(value) or (losses and value > 4 * min(losses)):
                break
            lrs.append(lr)
            losses.append(value)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return RangeTest(np.array(lrs), np.array(losses))
