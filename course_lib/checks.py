"""Strict, readable assertions for the lessons' test cells.

Every graded test in the course is written with these helpers, for two reasons:

* **Feedback a student can act on.** A failure says what was checked, what was expected, what
  came back and (optionally) a hint: ``grad at w=[1, 2]: expected [4. 6.], got [2. 3.]
  (max abs diff 3, at index (1,)). Hint: did you forget the factor 2/n?``
* **No rigged answers.** Values are checked for their exact type before they are compared, and
  compared with numpy functions captured when this module is imported, so an object with a
  custom ``__eq__`` or a later monkeypatch of ``np.allclose`` cannot fake a pass.

All helpers raise :class:`CheckFailure`, a subclass of ``AssertionError``, so nbgrader counts a
failed check like any failed assertion.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

# Captured at import: a student who later replaces np.allclose or np.asarray changes nothing here.
_asarray = np.asarray
_isclose = np.isclose
_abs = np.abs
_argmax = np.argmax
_unravel = np.unravel_index
_isfinite = np.isfinite
_ndarray = np.ndarray
_REAL_TYPES = (int, float, np.integer, np.floating)


class CheckFailure(AssertionError):
    """A test expectation that the student's answer did not meet."""


def _fail(message: str, hint: str | None = None) -> None:
    if hint:
        message = f"{message}\nHint: {hint}"
    raise CheckFailure(message)


def _fmt(value) -> str:
    """A short, readable rendering of a scalar or array for failure messages."""
    if isinstance(value, _ndarray):
        with np.printoptions(precision=6, threshold=20, edgeitems=3, suppress=True):
            text = np.array2string(value, separator=", ")
        return text if value.ndim == 0 else f"{text} (shape {value.shape})"
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def _describe_type(value) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


def to_numpy(value, *, name: str = "value") -> np.ndarray:
    """Convert an answer to a float/int/bool ndarray, accepting only honest types.

    Accepted: Python and numpy scalars, ``np.ndarray`` (not subclasses), lists/tuples of those,
    ``torch.Tensor`` and ``course_lib.Tensor`` (exact types). Anything else, in particular an
    object that merely pretends to compare equal, is rejected with a message naming its type.
    """
    kind = type(value)
    if kind is bool or kind is np.bool_:
        return _asarray(value)
    numpy_scalar = isinstance(value, (np.integer, np.floating)) and kind.__module__ == "numpy"
    if kind in (int, float) or numpy_scalar:
        return _asarray(value)
    if kind is _ndarray:
        if value.dtype.kind not in "biuf":
            _fail(f"{name}: expected a numeric array, got an array of dtype {value.dtype}")
        return value
    if kind in (list, tuple):
        items = [to_numpy(v, name=f"{name}[{i}]") for i, v in enumerate(value)]
        try:
            return _asarray(items)
        except ValueError:
            _fail(f"{name}: the nested lists have ragged lengths, so they are not an array")
    if kind.__module__ == "torch" and kind.__name__ in ("Tensor", "Parameter"):
        return value.detach().cpu().numpy()
    engine_modules = ("course_lib.engine", "course_lib.engine.tensor")
    if kind.__module__ in engine_modules and kind.__name__ == "Tensor":
        return value.data
    _fail(f"{name}: expected a number or an array, got an object of type {_describe_type(value)}")


def assert_scalar(value, *, name: str = "value") -> float:
    """Check that `value` is one real number (a 0-d or size-1 array counts) and return it."""
    array = to_numpy(value, name=name)
    if array.size != 1:
        _fail(f"{name}: expected a single number, got an array of shape {array.shape}")
    number = float(array.reshape(-1)[0])
    return number


def assert_shape(value, shape, *, name: str = "value", hint: str | None = None) -> None:
    """Check an array's shape; `None` in `shape` matches any length on that axis."""
    array = to_numpy(value, name=name)
    shape = tuple(shape)
    matches = len(array.shape) == len(shape) and all(
        want is None or want == got for want, got in zip(shape, array.shape, strict=True)
    )
    if not matches:
        _fail(f"{name}: expected shape {shape}, got shape {array.shape}", hint)


def assert_array(value, *, name: str = "value", shape=None, dtype=None, kind=np.ndarray) -> None:
    """Check that `value` is exactly of type `kind` (default np.ndarray), with optional shape/dtype.

    `dtype` may be a numpy dtype or a dtype kind letter such as ``"f"`` (any float).
    """
    if type(value) is not kind:
        _fail(f"{name}: expected an object of type {kind.__module__}.{kind.__qualname__}, "
              f"got {_describe_type(value)}")
    if shape is not None:
        assert_shape(value, shape, name=name)
    if dtype is not None:
        got = to_numpy(value, name=name).dtype
        by_kind = isinstance(dtype, str) and len(dtype) == 1
        ok = got.kind == dtype if by_kind else got == np.dtype(dtype)
        if not ok:
            _fail(f"{name}: expected dtype {dtype}, got {got}")


def assert_close(got, expected, *, name: str = "value", rtol: float = 1e-6, atol: float = 1e-8,
                 hint: str | None = None) -> None:
    """Check that `got` equals `expected` elementwise within ``atol + rtol * |expected|``.

    Shapes must match exactly (no silent broadcasting of a (3, 1) answer against (3,)).
    NaN or infinity in the answer fails unless the expected value has it in the same place.
    """
    got_arr = to_numpy(got, name=name).astype(float)
    exp_arr = _asarray(expected, dtype=float)
    if got_arr.shape != exp_arr.shape:
        _fail(f"{name}: expected shape {exp_arr.shape}, got shape {got_arr.shape}", hint)
    close = _isclose(got_arr, exp_arr, rtol=rtol, atol=atol, equal_nan=True)
    if bool(close.all()):
        return
    diff = _abs(got_arr - exp_arr)
    diff = np.where(_isfinite(diff), diff, np.inf)
    if got_arr.ndim == 0:
        _fail(f"{name}: expected {_fmt(float(exp_arr))}, got {_fmt(float(got_arr))}", hint)
    worst = _unravel(int(_argmax(np.where(close, -1.0, diff))), got_arr.shape)
    _fail(
        f"{name}: expected {_fmt(exp_arr)}, got {_fmt(got_arr)}; {int((~close).sum())} of "
        f"{close.size} entries differ, the largest at index {tuple(int(i) for i in worst)} "
        f"(expected {exp_arr[worst]:.6g}, got {got_arr[worst]:.6g})",
        hint,
    )


def assert_equal(got, expected, *, name: str = "value", hint: str | None = None) -> None:
    """Exact equality for plain values (ints, strings, tuples, bools) of the same type."""
    if type(got) is not type(expected) and not (
        isinstance(got, numbers.Integral) and isinstance(expected, numbers.Integral)
        and type(got).__module__ in ("builtins", "numpy")
    ):
        _fail(f"{name}: expected a value of type {type(expected).__name__}, "
              f"got {_describe_type(got)} ({got!r})", hint)
    if isinstance(got, _REAL_TYPES):
        same = int(got) == int(expected) if isinstance(got, numbers.Integral) else got == expected
    elif type(got) in _CONTAINERS:
        same = _same_items(got, expected)
    else:
        same = got == expected
    if type(same) is not bool or not same:
        _fail(f"{name}: expected {_fmt(expected)}, got {_fmt(got)}", hint)


_CONTAINERS = (list, tuple, dict)


def _same_items(got, expected) -> bool:
    """Element-wise equality of containers whose elements have the expected elements' types.

    ``(Rigged(),) == (3,)`` calls ``Rigged.__eq__``, so a tuple of objects that claim to equal
    anything would pass a plain ``==``; requiring each element's exact type closes that.
    """
    if type(got) is not type(expected) or len(got) != len(expected):
        return False
    if type(got) is dict:
        if set(map(type, got)) - {str, int, bool, tuple} or set(got) != set(expected):
            return False
        return all(_same_value(got[k], expected[k]) for k in expected)
    return all(_same_value(g, e) for g, e in zip(got, expected, strict=True))


def _same_value(got, expected) -> bool:
    if _plain_int(got) and _plain_int(expected):
        return int(got) == int(expected)
    if type(got) is not type(expected):
        return False
    if type(got) in _CONTAINERS:
        return _same_items(got, expected)
    return (got == expected) is True


def _plain_int(value) -> bool:
    return isinstance(value, numbers.Integral) and type(value).__module__ in ("builtins", "numpy")


def assert_between(got, low: float, high: float, *, name: str = "value",
                   hint: str | None = None) -> float:
    """Check that one real number lies in the closed interval [low, high]; returns it."""
    number = assert_scalar(got, name=name)
    if not (math.isfinite(number) and low <= number <= high):
        _fail(f"{name}: expected a value between {low:g} and {high:g}, got {number:.6g}", hint)
    return number


def check(condition, message: str, *, hint: str | None = None) -> None:
    """Assert a plain condition with an explanatory message (the condition must be a real bool)."""
    if type(condition) is np.bool_:
        condition = bool(condition)
    if type(condition) is not bool:
        _fail(f"internal check expected True/False, got {_describe_type(condition)}: {message}")
    if not condition:
        _fail(message, hint)


def run_case(label: str, fn, *args, **kwargs):
    """Call a student's function, turning an exception into a message that names the case.

    ``NotImplementedError`` (the release notebook's placeholder) becomes "not implemented yet".
    """
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        _fail(f"{label}: your function is not implemented yet (it raised NotImplementedError)")
    except CheckFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - any student error becomes readable feedback
        _fail(f"{label}: your function raised {type(exc).__name__}: {exc}")
