"""course_lib.checks against rigged answers: containers of objects that claim to equal anything."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import CheckFailure, assert_close, assert_equal


class Yes:
    """An answer that claims to equal everything."""

    def __eq__(self, other):
        return True


class YesInt(int):
    __module__ = "builtins"

    def __eq__(self, other):
        return True


class YesFloat(np.float64):
    __module__ = "numpy"

    def __eq__(self, other):
        return True


@pytest.mark.parametrize("got, expected", [
    ((Yes(),), (3,)), ([Yes()], [3]), ({"a": Yes()}, {"a": 1}), ((1, (2, Yes())), (1, (2, 3))),
    (YesInt(0), 5), ([YesInt(0)], [5]),
], ids=["tuple", "list", "dict", "nested", "int subclass", "list of int subclass"])
def test_rigged_elements_fail_assert_equal(got, expected):
    with pytest.raises(CheckFailure, match="expected"):
        assert_equal(got, expected)


def test_rigged_numpy_scalar_fails_assert_close():
    with pytest.raises(CheckFailure, match="expected 5, got 0"):
        assert_close(YesFloat(0.0), 5.0)


@pytest.mark.parametrize("got, expected", [
    ((1, 2), (1, 2)), ([1, "a", (2, 3)], [1, "a", (2, 3)]),
    ({"a": [1], "b": 2}, {"a": [1], "b": 2}), ((np.int64(3), 2), (3, 2)),
    ("abc", "abc"), (True, True),
])
def test_honest_values_still_pass_assert_equal(got, expected):
    assert_equal(got, expected)


def test_a_wrong_element_is_reported():
    with pytest.raises(CheckFailure, match=r"expected \(1, 3\), got \(1, 2\)"):
        assert_equal((1, 2), (1, 3))
