"""`nn.BatchNorm1d` against torch.nn.BatchNorm1d: forward, gradients, running stats, eval."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib import Tensor, nn

RNG = np.random.default_rng(0)


def _pair(num_features=5, **kwargs):
    ours = nn.BatchNorm1d(num_features, **kwargs)
    theirs = torch.nn.BatchNorm1d(num_features, dtype=torch.float64, **kwargs)
    if ours.affine:  # non-trivial gamma and beta
        gamma, beta = RNG.normal(size=num_features), RNG.normal(size=num_features)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(gamma))
            theirs.bias.copy_(torch.tensor(beta))
        ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def _step(ours, theirs, shape, what):
    data = RNG.normal(loc=2.0, scale=3.0, size=shape)
    x, tx = Tensor(data.copy(), requires_grad=True), torch.tensor(data, requires_grad=True)
    out, tout = ours(x), theirs(tx)
    np.testing.assert_allclose(
        out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=f"{what}: forward"
    )
    weights = RNG.normal(size=shape)
    (out * Tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(
        x.grad, tx.grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=f"{what}: grad wrt input"
    )
    if ours.affine:
        for name in ("weight", "bias"):
            np.testing.assert_allclose(
                getattr(ours, name).grad,
                getattr(theirs, name).grad.numpy(),
                rtol=1e-10,
                err_msg=f"{what}: grad wrt {name}",
            )
            getattr(ours, name).grad, getattr(theirs, name).grad = None, None


def _assert_same_state(ours, theirs, what):
    theirs_state = theirs.state_dict()
    assert list(ours.state_dict()) == list(theirs_state)
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(
            value.data, theirs_state[key].numpy(), rtol=1e-12, err_msg=f"{what}: {key}"
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"momentum": 0.3, "eps": 1e-3},
        {"affine": False},
        {"momentum": None},
    ],
)
@pytest.mark.parametrize("shape", [(8, 5), (6, 5, 3)])
def test_train_then_eval_matches_torch(kwargs, shape):
    ours, theirs = _pair(**kwargs)
    for step in range(4):
        _step(ours, theirs, shape, f"train step {step}")
        _assert_same_state(ours, theirs, f"after train step {step}")
    ours.eval(), theirs.eval()
    _step(ours, theirs, shape, "eval")
    _assert_same_state(ours, theirs, "eval leaves the running stats alone")


def test_without_running_stats_uses_batch_stats_in_eval_too():
    ours, theirs = _pair(track_running_stats=False)
    assert list(ours.state_dict()) == ["weight", "bias"]
    ours.eval(), theirs.eval()
    _step(ours, theirs, (7, 5), "eval without running stats")


def test_running_var_is_unbiased_and_normalization_biased():
    bn = nn.BatchNorm1d(1, momentum=1.0)
    data = np.array([[1.0], [2.0], [6.0]])
    out = bn(Tensor(data))
    assert bn.running_var.data[0] == pytest.approx(np.var(data, ddof=1))
    assert bn.running_mean.data[0] == pytest.approx(3.0)
    np.testing.assert_allclose(out.data.ravel(), (data.ravel() - 3) / np.sqrt(np.var(data) + 1e-5))


def test_errors_name_the_shapes():
    bn = nn.BatchNorm1d(16)
    with pytest.raises(
        ValueError,
        match=r"BatchNorm1d\(16\): expected input of shape \(N, 16\) "
        r"or \(N, 16, L\), got shape \(4, 8\)",
    ):
        bn(Tensor(np.zeros((4, 8))))
    with pytest.raises(
        ValueError,
        match=r"more than 1 value per channel when training, got "
        r"input of shape \(1, 16\)",
    ):
        bn(Tensor(np.zeros((1, 16))))
    assert int(bn.num_batches_tracked.item()) == 0, "a rejected batch must not be counted"
    np.testing.assert_array_equal(bn.running_mean.data, np.zeros(16))
    bn.eval()
    assert bn(Tensor(np.zeros((1, 16)))).shape == (1, 16)
