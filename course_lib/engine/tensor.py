"""`Tensor`: a numpy array that records how it was computed, so gradients can flow back.

Every operation does two things, written next to each other: it computes its result with numpy
(the *forward*), and it defines a small closure, `backward`, that turns the gradient of the loss
with respect to the result into gradients with respect to the operation's inputs (one local step
of the chain rule). `Tensor.backward()` hands the recorded graph to `autograd.backpropagate`.
"""

from __future__ import annotations

import numpy as np

from course_lib.engine import grad_mode
from course_lib.engine._shapes import (
    broadcasting,
    expand_reduced,
    reducing,
    shape_args,
    unbroadcast,
)
from course_lib.engine.autograd import RemovableHandle, backpropagate


def _float_dtype(data, dtype) -> np.dtype:
    """The dtype a new Tensor gets: the one asked for, else a float array's own, else float64."""
    if dtype is not None:
        return np.dtype(dtype)
    if isinstance(data, (np.ndarray, Tensor)) and data.dtype.kind == "f":
        return data.dtype  # a float32 array stays float32, as with torch.tensor(array)
    return np.dtype(np.float64)


def _values(x):
    """The array inside a Tensor; anything else as it is."""
    return x.data if isinstance(x, Tensor) else x


class Tensor:
    """An n-dimensional array that remembers how it was computed, so gradients can flow back.

    `Tensor(data, requires_grad=False, dtype=None)` copies `data` (a number, nested list,
    numpy array or Tensor) into a fresh ndarray, float64 unless `dtype` says otherwise.
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "_op", "_hooks",
                 "_retains_grad", "__weakref__")
    __array_ufunc__ = None  # `ndarray + Tensor` must call Tensor.__radd__, not numpy's loop
    __hash__ = object.__hash__  # `==` is elementwise, but tensors still work as dict keys

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        dtype = _float_dtype(data, dtype)
        if isinstance(data, Tensor):
            data = data.data
        self.data = np.array(data, dtype=dtype)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._parents, self._backward, self._op = (), None, ""
        self._hooks = self._retains_grad = None

    @staticmethod
    def _from_op(data: np.ndarray, parents: tuple, backward, op: str) -> Tensor:
        """Wrap the result of an operation and, if gradients are needed, record how to undo it.

        `backward(out_grad)` must return one gradient (an ndarray of the parent's shape, or None)
        per parent, and must not modify `out_grad` in place (other tensors may share it).
        This is the extension point for fused operations such as cross-entropy.
        """
        out = Tensor.__new__(Tensor)
        if type(data) is not np.ndarray:  # numpy returns scalars, not 0-d arrays, from 0-d math
            data = np.asarray(data)
        out.data, out.grad, out._op = data, None, op
        out._hooks = out._retains_grad = None
        if grad_mode.enabled and any(p.requires_grad for p in parents):
            out.requires_grad, out._parents, out._backward = True, parents, backward
        else:
            out.requires_grad, out._parents, out._backward = False, (), None
        return out

    def _lift(self, other) -> Tensor:
        """A constant operand as a Tensor of this tensor's dtype (no copy when it already fits)."""
        if isinstance(other, Tensor):
            return other
        return Tensor._from_op(np.asarray(other, dtype=self.data.dtype), (), None, "const")

    # ----------------------------------------------------------------- properties and conversions
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size, doc="Number of elements (torch: numel()).")
    is_leaf = property(lambda self: self._backward is None)
    T = property(lambda self: self.transpose())

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to Python "
                             f"scalars; got shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied, as in torch)."""
        return self.data

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same values, cut off from the graph (shares memory with this tensor)."""
        return Tensor._from_op(self.data, (), None, "detach")

    def __array__(self, dtype=None, copy=None):
        """Lets numpy and matplotlib read a Tensor directly: `np.asarray(t)`, `plt.plot(t)`."""
        return self.data if dtype is None and not copy else np.array(self.data, dtype=dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __bool__(self) -> bool:
        return bool(self.data)

    def __format__(self, spec: str) -> str:
        return format(self.item(), spec) if spec and self.data.size == 1 else repr(self)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = [] if self.dtype == np.float64 else [f"dtype={self.dtype}"]
        if self._backward is not None:
            extras.append(f"grad_fn=<{''.join(w.capitalize() for w in self._op.split('_'))}"
                          "Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({', '.join([body, *extras])})"

    # ------------------------------------------------------------------------------ backward
    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves always keep it)."""
        self._retains_grad = True

    def register_hook(self, hook) -> RemovableHandle:
        """Call `hook(grad)` when this gradient is computed; a returned array replaces it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "does not require grad")
        if self._hooks is None:
            self._hooks = {}
        key = max(self._hooks, default=-1) + 1
        self._hooks[key] = hook
        return RemovableHandle(self._hooks, key)

    def backward(self, grad=None) -> None:
        """Backpropagate from this tensor: add d(self)/d(leaf) into `.grad` of every leaf.

        A scalar needs no `grad`; any other tensor needs the gradient of some scalar with
        respect to it, of its own shape (as in torch).
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no graph "
                               "(was it computed under no_grad(), or from constants only?)")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; "
                                   f"got shape {self.shape}")
            grad = np.ones_like(self.data)
        else:
            grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward: grad of shape {grad.shape} does not match the "
                                 f"tensor's shape {self.shape}")
        backpropagate(self, grad)

    # ------------------------------------------------------------------- elementwise, binary
    def __add__(self, other):
        a, b = self, self._lift(other)

        def backward(g):
            return unbroadcast(g, a.shape), unbroadcast(g, b.shape)

        return Tensor._from_op(broadcasting("add", np.add, a, b), (a, b), backward, "add")

    def __sub__(self, other):
        a, b = self, self._lift(other)

        def backward(g):
            return unbroadcast(g, a.shape), unbroadcast(-g, b.shape)

        return Tensor._from_op(broadcasting("sub", np.subtract, a, b), (a, b), backward, "sub")

    def __mul__(self, other):
        a, b = self, self._lift(other)

        def backward(g):
            return unbroadcast(g * b.data, a.shape), unbroadcast(g * a.data, b.shape)

        return Tensor._from_op(broadcasting("mul", np.multiply, a, b), (a, b), backward, "mul")

    def __truediv__(self, other):
        a, b = self, self._lift(other)
        out = broadcasting("div", np.divide, a, b)

        def backward(g):
            ga = g / b.data
            return unbroadcast(ga, a.shape), unbroadcast(-ga * out, b.shape)

        return Tensor._from_op(out, (a, b), backward, "div")

    def __pow__(self, other):
        a, b = self, self._lift(other)
        out = broadcasting("pow", np.power, a, b)

        def backward(g):
            ga = unbroadcast(g * b.data * a.data ** (b.data - 1), a.shape)
            if not b.requires_grad:  # the usual x ** 2: skip the log, which needs a > 0
                return ga, None
            return ga, unbroadcast(g * out * np.log(a.data), b.shape)

        return Tensor._from_op(out, (a, b), backward, "pow")

    def __matmul__(self, other):
        a, b = self, self._lift(other)
        try:
            out = a.data @ b.data
        except ValueError:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned") from None

        def backward(g):
            if a.data.ndim == 2 and b.data.ndim == 2:  # the common case, kept fast
                return (g @ b.data.T if a.requires_grad else None,
                        a.data.T @ g if b.requires_grad else None)
            A = a.data if a.ndim > 1 else a.data[None, :]  # a vector is a one-row matrix ...
            B = b.data if b.ndim > 1 else b.data[:, None]  # ... or a one-column matrix
            G = g.reshape(np.broadcast_shapes(A.shape[:-2], B.shape[:-2]) + A.shape[-2:-1]
                          + B.shape[-1:])
            ga = unbroadcast(G @ np.swapaxes(B, -1, -2), A.shape).reshape(a.shape)
            gb = unbroadcast(np.swapaxes(A, -1, -2) @ G, B.shape).reshape(b.shape)
            return ga, gb

        return Tensor._from_op(out, (a, b), backward, "matmul")

    def __radd__(self, other):
        return self._lift(other) + self

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rmul__(self, other):
        return self._lift(other) * self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def __rpow__(self, other):
        return self._lift(other) ** self

    def __rmatmul__(self, other):
        return self._lift(other) @ self

    def __neg__(self):
        return Tensor._from_op(-self.data, (self,), lambda g: (-g,), "neg")

    # Comparisons give plain boolean arrays: they are not differentiable.
    def __lt__(self, other):
        return self.data < _values(other)

    def __le__(self, other):
        return self.data <= _values(other)

    def __gt__(self, other):
        return self.data > _values(other)

    def __ge__(self, other):
        return self.data >= _values(other)

    def __eq__(self, other):
        return self.data == _values(other)

    def __ne__(self, other):
        return self.data != _values(other)

    # -------------------------------------------------------------------- elementwise, unary
    def exp(self):
        out = np.exp(self.data)
        return Tensor._from_op(out, (self,), lambda g: (g * out,), "exp")

    def log(self):
        x = self.data
        return Tensor._from_op(np.log(x), (self,), lambda g: (g / x,), "log")

    def sqrt(self):
        out = np.sqrt(self.data)
        return Tensor._from_op(out, (self,), lambda g: (g / (2 * out),), "sqrt")

    def abs(self):
        x = self.data
        return Tensor._from_op(np.abs(x), (self,), lambda g: (g * np.sign(x),), "abs")

    def tanh(self):
        out = np.tanh(self.data)
        return Tensor._from_op(out, (self,), lambda g: (g * (1 - out * out),), "tanh")

    def sigmoid(self):
        out = 0.5 * (1 + np.tanh(0.5 * self.data))  # = 1 / (1 + exp(-x)), without overflow
        return Tensor._from_op(out, (self,), lambda g: (g * out * (1 - out),), "sigmoid")

    def relu(self):
        x = self.data
        return Tensor._from_op(np.maximum(x, 0), (self,), lambda g: (g * (x > 0),), "relu")

    def clip(self, min=None, max=None):
        """Limit values to [min, max]; the gradient passes only where x lies inside (inclusive)."""
        x = self.data
        inside = (x >= (-np.inf if min is None else min)) & (x <= (np.inf if max is None else max))
        return Tensor._from_op(np.clip(x, min, max), (self,), lambda g: (g * inside,), "clip")

    clamp = clip

    # ---------------------------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims=False):
        shape, ndim = self.shape, self.ndim

        def backward(g):
            return (np.broadcast_to(expand_reduced(g, axis, keepdims, ndim), shape),)

        return Tensor._from_op(reducing("sum", np.sum, self, axis, keepdims), (self,),
                               backward, "sum")

    def mean(self, axis=None, keepdims=False):
        out = reducing("mean", np.mean, self, axis, keepdims)
        count = self.data.size // max(out.size, 1) if self.data.size else 1
        shape, ndim = self.shape, self.ndim

        def backward(g):
            return (np.broadcast_to(expand_reduced(g, axis, keepdims, ndim) / count, shape),)

        return Tensor._from_op(out, (self,), backward, "mean")

    def max(self, axis=None, keepdims=False):
        """Largest value along `axis`; ties share the gradient evenly (like torch.amax)."""
        x = self.data
        out = reducing("max", np.max, self, axis, keepdims)

        def backward(g):
            is_max = x == expand_reduced(out, axis, keepdims, x.ndim)
            share = is_max / is_max.sum(axis=axis, keepdims=True)
            return (expand_reduced(g, axis, keepdims, x.ndim) * share,)

        return Tensor._from_op(out, (self,), backward, "max")

    # ------------------------------------------------------------------------ shape changes
    def reshape(self, *shape):
        shape = shape_args(shape)
        try:
            out = self.data.reshape(shape)
        except (ValueError, TypeError):
            raise ValueError(f"reshape: cannot reshape {self.shape} ({self.size} elements) "
                             f"into {shape}") from None
        old = self.shape
        return Tensor._from_op(out, (self,), lambda g: (g.reshape(old),), "reshape")

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge axes start_dim..end_dim into one (all of them by default), as in torch."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1:])

    def permute(self, *dims):
        """Reorder the axes: result axis i is input axis dims[i]."""
        dims = shape_args(dims)
        order = [d % self.ndim for d in dims] if self.ndim else list(dims)
        if sorted(order) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not an ordering of the axes of a tensor of "
                             f"shape {self.shape}")
        inverse = np.argsort(order)
        return Tensor._from_op(self.data.transpose(order), (self,),
                               lambda g: (g.transpose(inverse),), "transpose")

    def transpose(self, *axes):
        """No axes: reverse them (numpy, `.T`). Two axes: swap them (torch). More: permute."""
        axes = shape_args(axes)
        if len(axes) != 2:
            return self.permute(axes or tuple(reversed(range(self.ndim))))
        order = list(range(self.ndim))
        try:
            order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
        except IndexError:
            raise ValueError(f"transpose: axes {axes} do not fit a tensor of shape "
                             f"{self.shape}") from None
        return self.permute(order)

    def __getitem__(self, index):
        """Indexing as in numpy; repeated integer indices accumulate their gradients."""
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        try:
            out = self.data[index]
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor of shape {self.shape})") from None
        x = self.data

        def backward(g):
            full = np.zeros_like(x)
            np.add.at(full, index, g)
            return (full,)

        return Tensor._from_op(out, (self,), backward, "getitem")
