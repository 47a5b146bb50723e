"""`course_lib.nn.init` against torch.nn.init: same gains, fans, bounds and variances.

The statistical checks use 256 x 1024 = 262,144 draws, so an empirical std has a relative
standard error of about 0.14 %; the 3 % tolerance is ~20 standard errors wide (it cannot fail
by chance) yet far narrower than the gap to any plausible wrong formula (fan_out for fan_in:
x2, a forgotten gain: x1.41 or more), which each test asserts explicitly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import course_lib
from course_lib import Tensor
from course_lib.nn import init

SHAPE = (256, 1024)  # (out_features, in_features): fan_in = 1024, fan_out = 256
FAN_IN, FAN_OUT = 1024, 256
REL_TOL = 0.03
NONLINEARITIES = [
    ("linear", None),
    ("conv1d", None),
    ("conv2d", None),
    ("conv3d", None),
    ("conv_transpose1d", None),
    ("conv_transpose2d", None),
    ("conv_transpose3d", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0.2),
    ("leaky_relu", math.sqrt(5)),
    ("selu", None),
]


def _within(value: float, target: float) -> bool:
    return abs(value - target) <= REL_TOL * target


def _assert_std(name: str, got: float, expected: float, wrong: dict[str, float]) -> None:
    assert _within(got, expected), f"{name}: empirical std {got:.6g}, formula {expected:.6g}"
    for what, value in wrong.items():
        assert not _within(value, expected), (
            f"{name}: the wrong formula '{what}' ({value:.6g}) would pass the tolerance"
        )


@pytest.mark.parametrize("nonlinearity,param", NONLINEARITIES)
def test_calculate_gain_matches_torch(nonlinearity, param):
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


def test_calculate_gain_rejects_unknown_names_and_bad_slopes():
    with pytest.raises(ValueError, match="Unsupported nonlinearity 'gelu'"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True is not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(7, 3), (5, 4, 3), (8, 2, 3, 3), (2, 6, 1, 2, 5)])
def test_fan_in_and_fan_out_match_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(Tensor(np.empty(shape))) == expected


def test_fans_need_two_dimensions():
    for fn in (init.xavier_uniform_, init.xavier_normal_, init.kaiming_normal_):
        with pytest.raises(ValueError, match=r"fewer than 2 dimensions \(got shape \(5,\)\)"):
            fn(Tensor(np.zeros(5)))


def test_bad_mode_is_named():
    with pytest.raises(ValueError, match="Mode 'fan_avg' not supported.*fan_in, fan_out"):
        init.kaiming_uniform_(Tensor(np.zeros((3, 4))), mode="fan_avg")


@pytest.mark.parametrize("gain", [1.0, 5.0 / 3])
def test_xavier_uniform_bound_and_std(gain):
    course_lib.manual_seed(1)
    w = Tensor(np.zeros(SHAPE))
    assert init.xavier_uniform_(w, gain=gain) is w
    bound = gain * math.sqrt(6.0 / (FAN_IN + FAN_OUT))
    assert np.abs(w.data).max() <= bound
    assert np.abs(w.data).max() > 0.999 * bound
    torch_w = torch.nn.init.xavier_uniform_(torch.empty(SHAPE, dtype=torch.float64), gain=gain)
    assert float(torch_w.abs().max()) <= bound
    expected = gain * math.sqrt(2.0 / (FAN_IN + FAN_OUT))
    _assert_std(
        "xavier_uniform_",
        float(w.data.std()),
        expected,
        {"sqrt(1/fan_in)": gain / math.sqrt(FAN_IN), "bound used as std": bound},
    )
    assert _within(float(torch_w.std()), float(w.data.std()))


@pytest.mark.parametrize("gain", [1.0, 5.0 / 3])
def test_xavier_normal_std(gain):
    course_lib.manual_seed(2)
    w = init.xavier_normal_(Tensor(np.zeros(SHAPE)), gain=gain)
    expected = gain * math.sqrt(2.0 / (FAN_IN + FAN_OUT))
    wrong = {"sqrt(1/fan_in)": gain / math.sqrt(FAN_IN), "sqrt(1/fan_out)": gain / FAN_OUT**0.5}
    if gain != 1.0:
        wrong["no gain"] = expected / gain
    _assert_std("xavier_normal_", float(w.data.std()), expected, wrong)
    assert abs(float(w.data.mean())) < 0.01 * expected
    torch_w = torch.nn.init.xavier_normal_(torch.empty(SHAPE, dtype=torch.float64), gain=gain)
    assert _within(float(torch_w.std()), float(w.data.std()))


KAIMING_CASES = [
    (0.0, "fan_in", "relu"),
    (0.0, "fan_out", "relu"),
    (0.0, "fan_in", "leaky_relu"),
    (0.2, "fan_in", "leaky_relu"),
    (math.sqrt(5), "fan_in", "leaky_relu"),
    (0.0, "fan_out", "tanh"),
    (0.0, "FAN_IN", "relu"),
]


def _kaiming_std(a: float, mode: str, nonlinearity: str) -> float:
    fan = FAN_IN if mode.lower() == "fan_in" else FAN_OUT
    return torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _kaiming_wrong(a, mode, nonlinearity, expected) -> dict[str, float]:
    other_fan = FAN_OUT if mode.lower() == "fan_in" else FAN_IN
    gain = torch.nn.init.calculate_gain(nonlinearity, a)
    wrong = {"the other fan": gain / math.sqrt(other_fan), "gain squared": expected * gain}
    if gain > 1.1 or gain < 0.9:
        wrong["no gain"] = expected / gain
    return wrong


@pytest.mark.parametrize("a,mode,nonlinearity", KAIMING_CASES)
def test_kaiming_normal_std_matches_formula_and_torch(a, mode, nonlinearity):
    course_lib.manual_seed(3)
    w = Tensor(np.zeros(SHAPE))
    assert init.kaiming_normal_(w, a=a, mode=mode, nonlinearity=nonlinearity) is w
    expected = _kaiming_std(a, mode, nonlinearity)
    wrong = _kaiming_wrong(a, mode, nonlinearity, expected)
    _assert_std("kaiming_normal_", float(w.data.std()), expected, wrong)
    torch_w = torch.nn.init.kaiming_normal_(
        torch.empty(SHAPE, dtype=torch.float64), a=a, mode=mode, nonlinearity=nonlinearity
    )
    assert _within(float(torch_w.std()), float(w.data.std()))


@pytest.mark.parametrize("a,mode,nonlinearity", KAIMING_CASES)
def test_kaiming_uniform_bound_and_std(a, mode, nonlinearity):
    course_lib.manual_seed(4)
    w = init.kaiming_uniform_(Tensor(np.zeros(SHAPE)), a=a, mode=mode, nonlinearity=nonlinearity)
    expected = _kaiming_std(a, mode, nonlinearity)
    bound = math.sqrt(3.0) * expected
    assert np.abs(w.data).max() <= bound
    assert np.abs(w.data).max() > 0.999 * bound
    torch_w = torch.nn.init.kaiming_uniform_(
        torch.empty(SHAPE, dtype=torch.float64), a=a, mode=mode, nonlinearity=nonlinearity
    )
    assert float(torch_w.abs().max()) <= bound
    _assert_std(
        "kaiming_uniform_",
        float(w.data.std()),
        expected,
        _kaiming_wrong(a, mode, nonlinearity, expected),
    )


def test_kaiming_uses_receptive_field_for_conv_weights():
    course_lib.manual_seed(5)
    w = init.kaiming_normal_(Tensor(np.zeros((64, 32, 5, 5))), nonlinearity="relu")
    expected = math.sqrt(2.0 / (32 * 25))
    _assert_std(
        "kaiming_normal_ (conv)",
        float(w.data.std()),
        expected,
        {"fan without kernel": math.sqrt(2.0 / 32)},
    )


def test_uniform_and_normal_and_constants():
    course_lib.manual_seed(6)
    w = init.uniform_(Tensor(np.zeros(SHAPE)), -2.0, 3.0)
    assert w.data.min() >= -2.0 and w.data.max() < 3.0
    assert abs(float(w.data.mean()) - 0.5) < 0.02
    _assert_std("uniform_", float(w.data.std()), 5 / math.sqrt(12), {"U(0, 1)": 1 / 12**0.5})
    w = init.normal_(Tensor(np.zeros(SHAPE)), mean=1.5, std=0.2)
    assert abs(float(w.data.mean()) - 1.5) < 0.01
    _assert_std("normal_", float(w.data.std()), 0.2, {"variance for std": 0.04})
    t = Tensor(np.full((3, 2), 7.0))
    assert init.zeros_(t) is t and np.all(t.data == 0)
    assert np.all(init.ones_(t).data == 1)
    assert np.all(init.constant_(t, -0.25).data == -0.25)


def test_init_is_in_place_and_keeps_dtype():
    w = Tensor(np.zeros((4, 5), dtype=np.float32), dtype=np.float32)
    storage = w.data
    init.xavier_normal_(w)
    assert w.data is storage and w.data.dtype == np.float32 and np.any(w.data != 0)


def test_manual_seed_makes_init_reproducible():
    course_lib.manual_seed(42)
    first = init.kaiming_uniform_(Tensor(np.zeros((10, 10)))).data.copy()
    course_lib.manual_seed(42)
    second = init.kaiming_uniform_(Tensor(np.zeros((10, 10)))).data
    assert np.array_equal(first, second)
    assert not np.array_equal(first, init.kaiming_uniform_(Tensor(np.zeros((10, 10)))).data)


def test_zero_element_tensor_warns_and_is_left_alone():
    w = Tensor(np.zeros((0, 3)))
    with pytest.warns(UserWarning, match="zero-element"):
        assert init.kaiming_normal_(w) is w


def test_non_tensor_is_rejected_with_its_type():
    with pytest.raises(TypeError, match="got list"):
        init.zeros_([1.0, 2.0])
