"""`course_lib.optim` update rules, clipping and schedules against torch.optim, step by step.

The same seeded gradient sequence is fed to a course_lib optimizer and to torch's; the
parameters must agree after every step. (tests/test_optim_training.py does the same through
a whole MLP trained on a loss.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib import Tensor, optim
from course_lib.optim import lr_scheduler

SHAPES = [(3, 4), (4,), (2, 2, 3)]

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, eps=1e-6)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, eps=1e-4)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.3, amsgrad=True, betas=(0.5, 0.99))),
]


def _pair(seed: int = 0):
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=s) for s in SHAPES]
    ours = [Tensor(v.copy(), requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    return ours, theirs


def _set_grads(ours, theirs, rng, step):
    for i, (p, q) in enumerate(zip(ours, theirs, strict=True)):
        if i == 1 and step % 3 == 2:  # an unused parameter: grad None must be skipped
            p.grad, q.grad = None, None
            continue
        g = rng.normal(scale=1.0 + step, size=p.shape)
        p.grad, q.grad = g.copy(), torch.tensor(g)


def _assert_params_close(ours, theirs, what):
    for i, (p, q) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(
            p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=f"{what}: param {i}"
        )


@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_update_rule_matches_torch(name, kwargs):
    ours, theirs = _pair()
    opt = getattr(optim, name)(ours, **kwargs)
    ref = getattr(torch.optim, name)(theirs, foreach=False, **kwargs)
    rng = np.random.default_rng(1)
    for step in range(12):
        _set_grads(ours, theirs, rng, step)
        opt.step()
        ref.step()
        _assert_params_close(ours, theirs, f"{name}({kwargs}) step {step}")


def test_param_groups_carry_their_own_options():
    ours, theirs = _pair()
    groups = lambda ps: [{"params": ps[:1], "lr": 0.5}, {"params": ps[1:]}]  # noqa: E731
    opt = optim.SGD(groups(ours), lr=0.1, momentum=0.9)
    ref = torch.optim.SGD(groups(theirs), lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1]
    assert opt.param_groups[1]["momentum"] == 0.9
    rng = np.random.default_rng(2)
    for step in range(4):
        _set_grads(ours, theirs, rng, step)
        opt.step()
        ref.step()
    _assert_params_close(ours, theirs, "per-group lr")
    opt.param_groups[0]["lr"] = 0.0
    before = ours[0].data.copy()
    _set_grads(ours, theirs, rng, 0)
    opt.step()
    assert np.array_equal(ours[0].data, before), "a group with lr=0 still moved its weights"


def test_state_is_per_parameter_and_named_like_torch():
    ours, _ = _pair()
    opt = optim.Adam(ours, lr=0.1, amsgrad=True)
    for p in ours:
        p.grad = np.ones(p.shape)
    opt.step()
    opt.step()
    state = opt.state[ours[2]]
    assert state["step"] == 2
    assert set(state) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert state["exp_avg"].shape == SHAPES[2]


def test_zero_grad_sets_none_or_zero():
    ours, _ = _pair()
    opt = optim.SGD(ours, lr=0.1)
    for p in ours:
        p.grad = np.ones(p.shape)
    opt.zero_grad(set_to_none=False)
    assert all(np.array_equal(p.grad, np.zeros(p.shape)) for p in ours)
    opt.zero_grad()
    assert all(p.grad is None for p in ours)


def test_bad_arguments_are_named():
    ours, _ = _pair()
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        optim.SGD(ours, lr=-0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.Adam([{"params": ours[:1], "lr": -1}, {"params": ours[1:]}])
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero damp"):
        optim.SGD(ours, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam(ours, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid epsilon value: -1"):
        optim.RMSprop(ours, eps=-1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="single Tensor; wrap it in a list"):
        optim.SGD(ours[0], lr=0.1)
    with pytest.raises(TypeError, match="param 1 of group 0 is a ndarray"):
        optim.SGD([ours[0], np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": ours}, {"params": ours[:1]}], lr=0.1)
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['momentun'\]"):
        optim.SGD([{"params": ours, "momentun": 0.9}], lr=0.1)
    opt = optim.SGD(ours, lr=0.1)
    ours[0].grad = np.ones((4, 3))
    with pytest.raises(ValueError, match=r"grad of shape \(4, 3\) does not match .* \(3, 4\)"):
        opt.step()


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = _pair()
    _set_grads(ours, theirs, np.random.default_rng(3), step=2)  # leaves one grad None
    total = optim.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert float(total) == pytest.approx(float(expected), rel=1e-12)
    assert total.item() == float(total)
    for p, q in zip(ours, theirs, strict=True):
        if q.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)
    if max_norm < float(expected):
        clipped = np.linalg.norm(
            np.concatenate([p.grad.ravel() for p in ours if p.grad is not None]), ord=norm_type
        )
        assert clipped == pytest.approx(max_norm, rel=1e-5)


def test_clip_grad_norm_accepts_a_generator_like_model_parameters():
    ours, theirs = _pair()
    _set_grads(ours, theirs, np.random.default_rng(4), step=0)
    optim.clip_grad_norm_((p for p in ours), 0.1)
    torch.nn.utils.clip_grad_norm_((q for q in theirs), 0.1)
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_single_tensor_and_no_grads():
    p = Tensor(np.zeros(3), requires_grad=True)
    assert float(optim.clip_grad_norm_(p, 1.0)) == 0.0
    p.grad = np.array([3.0, 4.0, 0.0])
    assert float(optim.clip_grad_norm_(p, 1.0)) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad, np.array([0.6, 0.8, 0.0]) * 5 / (5 + 1e-6))
    p.grad = np.array([np.inf, 1.0, 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        optim.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def _scheduled(make_ours, make_theirs, epochs=25):
    ours, theirs = _pair()
    opt = optim.SGD([{"params": ours[:1]}, {"params": ours[1:], "lr": 0.3}], lr=1.0)
    ref = torch.optim.SGD([{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.3}], lr=1.0)
    sched, ref_sched = make_ours(opt), make_theirs(ref)
    for epoch in range(epochs):
        assert sched.get_last_lr() == pytest.approx(
            ref_sched.get_last_lr(), rel=1e-12, abs=1e-15
        ), f"epoch {epoch}: {sched.get_last_lr()} vs torch {ref_sched.get_last_lr()}"
        assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()
        opt.step()
        ref.step()
        sched.step()
        ref_sched.step()
    return sched


@pytest.mark.parametrize("step_size,gamma", [(1, 0.5), (3, 0.1), (7, 0.9)])
def test_step_lr_matches_torch(step_size, gamma):
    sched = _scheduled(
        lambda o: lr_scheduler.StepLR(o, step_size, gamma=gamma),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma=gamma),
    )
    assert sched.get_last_lr()[0] == pytest.approx(gamma ** (25 // step_size))


@pytest.mark.parametrize("T_max,eta_min", [(10, 0.0), (7, 0.05), (1, 0.01)])
def test_cosine_annealing_matches_torch_past_t_max(T_max, eta_min):
    sched = _scheduled(
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max, eta_min=eta_min),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max, eta_min=eta_min),
        epochs=3 * T_max + 2,
    )
    t = sched.last_epoch
    closed = eta_min + (1.0 - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2
    assert sched.get_last_lr()[0] == pytest.approx(closed, abs=1e-9)


def test_lambda_lr_warm_up_matches_torch():
    warm = lambda epoch: min(1.0, (epoch + 1) / 5)  # noqa: E731
    _scheduled(
        lambda o: lr_scheduler.LambdaLR(o, warm),
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, warm),
        epochs=8,
    )


def test_scheduler_records_initial_lr_and_checks_arguments():
    ours, _ = _pair()
    opt = optim.Adam(ours, lr=0.2)
    lr_scheduler.StepLR(opt, 2)
    assert opt.param_groups[0]["initial_lr"] == 0.2
    with pytest.raises(ValueError, match="step_size must be a positive int, got 0"):
        lr_scheduler.StepLR(opt, 0)
    with pytest.raises(ValueError, match="T_max must be positive, got -3"):
        lr_scheduler.CosineAnnealingLR(opt, -3)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], 2)


@pytest.mark.parametrize("name,kwargs", [CONFIGS[3], CONFIGS[7], CONFIGS[10], CONFIGS[12]])
def test_state_dict_resumes_a_run_exactly(name, kwargs):
    ours, theirs = _pair()
    resumed = [Tensor(p.data.copy(), requires_grad=True) for p in ours]
    opt = getattr(optim, name)(ours, **kwargs)
    rng = np.random.default_rng(5)
    grads = [[rng.normal(size=s) for s in SHAPES] for _ in range(6)]
    for step in range(3):
        for p, g in zip(ours, grads[step], strict=True):
            p.grad = g
        opt.step()
    saved = opt.state_dict()
    assert set(saved["state"]) == {0, 1, 2} and saved["param_groups"][0]["params"] == [0, 1, 2]
    for p, q in zip(resumed, ours, strict=True):
        p.data[...] = q.data
    fresh = getattr(optim, name)(resumed, lr=123.0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == kwargs["lr"]
    for step in range(3, 6):
        for opt_, params in ((opt, ours), (fresh, resumed)):
            for p, g in zip(params, grads[step], strict=True):
                p.grad = g.copy()
            opt_.step()
    for p, q in zip(resumed, ours, strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_load_state_dict_rejects_a_different_layout():
    ours, _ = _pair()
    saved = optim.SGD(ours, lr=0.1, momentum=0.9).state_dict()
    with pytest.raises(
        ValueError,
        match="parameter group 0: the loaded state dict has 3 parameters, the optimizer has 2",
    ):
        optim.SGD(ours[:2], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="has 1 parameter groups, but the optimizer has 2"):
        optim.SGD([{"params": ours[:1]}, {"params": ours[1:]}], lr=0.1).load_state_dict(saved)
