"""Training parity: the same MLP trained by course_lib and by torch follows the same path.

Both start from identical weights (copied from torch with `load_state_dict`), see the same
seeded mini-batches, and run 20 steps of forward, cross-entropy, backward, optional gradient
clipping, optimizer step and optional scheduler step, in float64. Every step's loss and the
final weights must agree to 1e-6 relative.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib import Tensor, nn, optim
from course_lib.nn import functional as F
from course_lib.optim import lr_scheduler

STEPS, BATCH = 20, 16
RTOL = 1e-6

OPTIMIZERS = {
    "sgd-nesterov-wd": ("SGD", dict(lr=0.2, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    "sgd-dampening": ("SGD", dict(lr=0.2, momentum=0.8, dampening=0.2, weight_decay=1e-3)),
    "rmsprop": ("RMSprop", dict(lr=0.01)),
    "rmsprop-centered-momentum": (
        "RMSprop",
        dict(lr=0.003, momentum=0.9, centered=True, weight_decay=1e-2),
    ),
    "adam": ("Adam", dict(lr=0.01)),
    "adam-amsgrad-wd": ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=1e-2, amsgrad=True)),
    "adamw": ("AdamW", dict(lr=0.01, weight_decay=0.1)),
}
SCHEDULERS = {
    "none": None,
    "step": ("StepLR", dict(step_size=6, gamma=0.5)),
    "cosine": ("CosineAnnealingLR", dict(T_max=8, eta_min=1e-4)),
}


def _models(batch_norm: bool):
    torch.manual_seed(0)
    norm_t = [torch.nn.BatchNorm1d(16)] if batch_norm else []
    norm = [nn.BatchNorm1d(16)] if batch_norm else []
    theirs = torch.nn.Sequential(
        torch.nn.Linear(8, 16),
        *norm_t,
        torch.nn.ReLU(),
        torch.nn.Linear(16, 16),
        torch.nn.Tanh(),
        torch.nn.Linear(16, 3),
    ).double()
    ours = nn.Sequential(
        nn.Linear(8, 16), *norm, nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3)
    )
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8))
    y = (x[:, 0] + x[:, 1] ** 2 > 1).astype(int) + (x[:, 2] > 0.5)
    batches = [rng.choice(64, size=BATCH, replace=False) for _ in range(STEPS)]
    return x, y, batches


def _train(ours, theirs, opt_spec, sched_spec, max_norm):
    name, kwargs = opt_spec
    opt = getattr(optim, name)(ours.parameters(), **kwargs)
    ref = getattr(torch.optim, name)(theirs.parameters(), foreach=False, **kwargs)
    sched = ref_sched = None
    if sched_spec is not None:
        sched = getattr(lr_scheduler, sched_spec[0])(opt, **sched_spec[1])
        ref_sched = getattr(torch.optim.lr_scheduler, sched_spec[0])(ref, **sched_spec[1])
    x, y, batches = _data()
    clipped = 0
    for step, idx in enumerate(batches):
        opt.zero_grad()
        ref.zero_grad()
        loss = F.cross_entropy(ours(Tensor(x[idx])), y[idx])
        ref_loss = torch.nn.functional.cross_entropy(
            theirs(torch.tensor(x[idx])), torch.tensor(y[idx])
        )
        assert loss.item() == pytest.approx(ref_loss.item(), rel=RTOL), f"loss at step {step}"
        loss.backward()
        ref_loss.backward()
        if max_norm is not None:
            norm = optim.clip_grad_norm_(ours.parameters(), max_norm)
            ref_norm = torch.nn.utils.clip_grad_norm_(theirs.parameters(), max_norm)
            assert float(norm) == pytest.approx(float(ref_norm), rel=RTOL), f"norm, step {step}"
            clipped += float(norm) > max_norm
        opt.step()
        ref.step()
        if sched is not None:
            sched.step()
            ref_sched.step()
            assert sched.get_last_lr() == pytest.approx(ref_sched.get_last_lr(), rel=1e-12)
    return clipped


def _assert_same_weights(ours, theirs):
    ref_state = theirs.state_dict()
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(
            value.data, ref_state[key].numpy(), rtol=RTOL, atol=1e-10, err_msg=f"final {key}"
        )


@pytest.mark.parametrize("sched", list(SCHEDULERS))
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_training_matches_torch(opt, sched):
    ours, theirs = _models(batch_norm=False)
    _train(ours, theirs, OPTIMIZERS[opt], SCHEDULERS[sched], max_norm=None)
    _assert_same_weights(ours, theirs)


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_training_with_clipping_matches_torch(opt):
    ours, theirs = _models(batch_norm=False)
    clipped = _train(ours, theirs, OPTIMIZERS[opt], SCHEDULERS["cosine"], max_norm=0.3)
    assert clipped > 0, "max_norm was never reached: the test would not exercise clipping"
    _assert_same_weights(ours, theirs)


@pytest.mark.parametrize("opt", ["sgd-nesterov-wd", "adamw"])
def test_training_with_batch_norm_matches_torch(opt):
    ours, theirs = _models(batch_norm=True)
    _train(ours, theirs, OPTIMIZERS[opt], SCHEDULERS["step"], max_norm=1.0)
    _assert_same_weights(ours, theirs)
    ours.eval(), theirs.eval()
    x = _data()[0]
    np.testing.assert_allclose(
        ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=RTOL
    )


def test_training_actually_learns():
    ours, theirs = _models(batch_norm=False)
    x, y, _ = _data()
    before = F.cross_entropy(ours(Tensor(x)), y).item()
    _train(ours, theirs, OPTIMIZERS["adam"], None, max_norm=None)
    after = F.cross_entropy(ours(Tensor(x)), y).item()
    assert after < 0.8 * before, f"20 Adam steps moved the loss only from {before} to {after}"
