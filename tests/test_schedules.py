"""course_lib.schedules: torch-computed schedules, loss smoothing and the range test."""

import math

import numpy as np
import pytest
import torch

from course_lib.schedules import (
    lr_range_test,
    scheduler_lrs,
    smooth_losses,
    suggest_lr,
    warmup_cosine_scheduler,
)


def test_warmup_cosine_scheduler_follows_the_formula():
    base, warmup, total, low = 0.5, 4, 12, 0.01
    got = scheduler_lrs(lambda opt: warmup_cosine_scheduler(opt, warmup, total, low), total, base)
    want = [base * (t + 1) / warmup if t < warmup else
            low + (base - low) * (1 + math.cos(math.pi * (t - warmup) / (total - warmup))) / 2
            for t in range(total)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_scheduler_lrs_reads_step_lr():
    lrs = scheduler_lrs(lambda opt: torch.optim.lr_scheduler.StepLR(opt, 3, gamma=0.1), 7, 2.0)
    np.testing.assert_allclose(lrs, [2, 2, 2, 0.2, 0.2, 0.2, 0.02])


def test_warmup_cosine_rejects_impossible_lengths():
    with pytest.raises(ValueError, match="warmup_steps=5, total_steps=5"):
        scheduler_lrs(lambda opt: warmup_cosine_scheduler(opt, 5, 5), 5)


def test_smoothing_is_bias_corrected():
    np.testing.assert_allclose(smooth_losses([3.0, 3.0, 3.0]), [3.0, 3.0, 3.0])
    s = smooth_losses([1.0, 0.0], beta=0.5)
    np.testing.assert_allclose(s, [1.0, (0.25) / 0.75])


def test_suggest_lr_is_a_tenth_of_the_best_point_and_ignores_the_divergence():
    lrs = np.geomspace(1e-4, 10, 50)
    losses = 2.0 - np.exp(-((np.log10(lrs) + 1) ** 2))  # lowest at lr = 0.1
    losses[40:] = [5.0, 50.0, np.nan] + [0.0] * 7   # diverged, then garbage
    assert suggest_lr(lrs, losses) == pytest.approx(lrs[np.argmin(smooth_losses(losses[:40]))]
                                                    / 10)
    assert 0.01 <= suggest_lr(lrs, losses) < 0.05  # smoothing lags: a little past 0.1 / 10
    with pytest.raises(ValueError, match="shapes \\(50,\\) and \\(3,\\)"):
        suggest_lr(lrs, [1.0, 2.0, 3.0])


@pytest.fixture(scope="module")
def digits():
    from course_lib.stability import digits_tensors

    return digits_tensors()


def test_range_test_leaves_the_model_alone_and_stops_when_the_loss_explodes(digits):
    X, y = digits
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    before = [p.detach().clone() for p in model.parameters()]
    result = lr_range_test(model, X, y, start_lr=1e-4, end_lr=100.0, steps=80)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert len(result.lrs) < 80, "the rate reaches 100: the run must stop at the divergence"
    np.testing.assert_allclose(result.lrs[1] / result.lrs[0], (100 / 1e-4) ** (1 / 80))
    assert result.smoothed.min() < result.smoothed[0] - 0.5
    assert 1e-3 < result.suggestion < 1.0
