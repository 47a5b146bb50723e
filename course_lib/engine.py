"""A reference autograd engine on numpy, shaped like PyTorch.

Every operation does two things, written next to each other: it computes its result with numpy
(the *forward*), and it defines a small closure, `backward`, that turns the gradient of the loss
with respect to the result into gradients with respect to the operation's inputs (the chain rule,
one local step). `Tensor.backward()` walks the recorded graph from the output back to the leaves
in reverse topological order and calls those closures.

Names and semantics follow PyTorch (`requires_grad`, `.grad`, `.backward()`, `no_grad()`,
gradients that *accumulate* across backward calls), so a lesson can swap `course_lib` for
`torch` without relearning anything. Differences worth knowing:

* float64 by default (gradient checks need the precision); pass `dtype="float32"` for float32.
* `backward()` keeps the graph, as if `retain_graph=True` were always given.
* `max` sends the gradient to the maximal entries, split evenly between ties (like `torch.amax`).
* Non-leaf tensors keep `.grad` only after `retain_grad()`, as in torch.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["Tensor", "tensor", "zeros", "ones", "no_grad", "is_grad_enabled"]

_grad_enabled = True


def is_grad_enabled() -> bool:
    """Whether new operations record the graph (False inside `no_grad()`)."""
    return _grad_enabled


class no_grad:
    """Switch off graph recording: a context manager (`with no_grad():`) and a decorator.

    Inside it, operations compute values only: nothing is recorded, so nothing can be
    backpropagated and no memory is spent on the graph. Use it for parameter updates and
    evaluation. Nests freely; the flag is global to the process (not per thread).
    """

    def __new__(cls, func=None):
        self = super().__new__(cls)
        return self if func is None else self(func)  # bare `@no_grad` works like `@no_grad()`

    def __enter__(self):
        global _grad_enabled
        self._previous, _grad_enabled = _grad_enabled, False
        return self

    def __exit__(self, *exc_info):
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, func):
        @functools.wraps(func)
        def without_grad(*args, **kwargs):
            with no_grad():
                return func(*args, **kwargs)

        return without_grad


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` back down to `shape`: the one place where broadcasting is undone.

    If an input of shape (3, 1) was broadcast to (2, 3, 4) in the forward pass, each of its
    entries was used 2 * 4 times, so its gradient is the sum over those copies.
    """
    if grad.shape == shape:
        return grad
    leading = grad.ndim - len(shape)
    stretched = tuple(i + leading for i, n in enumerate(shape) if n == 1)
    return grad.sum(axis=tuple(range(leading)) + stretched, keepdims=True).reshape(shape)


def _broadcasting(name: str, ufunc, a: Tensor, b: Tensor) -> np.ndarray:
    """Apply a binary numpy ufunc, turning numpy's broadcasting error into one that names `name`."""
    try:
        return ufunc(a.data, b.data)
    except ValueError:
        raise ValueError(f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast") from None


def _reducing(name: str, reduce, a: Tensor, axis, keepdims: bool) -> np.ndarray:
    """Apply a numpy reduction, with an error naming the axis and the shape if `axis` is wrong."""
    try:
        return np.asarray(reduce(a.data, axis=axis, keepdims=keepdims))
    except (ValueError, IndexError):
        raise ValueError(f"{name}: axis {axis} is out of range for shape {a.shape}") from None


def _expand_reduced(grad: np.ndarray, axis, keepdims: bool, ndim: int) -> np.ndarray:
    """Re-insert the axes a reduction removed, so `grad` broadcasts against the input."""
    if keepdims:
        return grad
    if axis is None:
        return grad.reshape((1,) * ndim)
    return np.expand_dims(grad, axis)


def _shape_args(args: tuple) -> tuple:
    """Accept both spellings torch accepts: `f(2, 3)` and `f((2, 3))`."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


def _float_dtype(data, dtype) -> np.dtype:
    if dtype is not None:
        return np.dtype(dtype)
    if isinstance(data, (np.ndarray, Tensor)) and data.dtype.kind == "f":
        return data.dtype  # a float32 array stays float32, as with torch.tensor(array)
    return np.dtype(np.float64)


class _RemovableHandle:
    """Returned by `register_hook`; `.remove()` unregisters the hook."""

    __slots__ = ("_hooks", "_key")

    def __init__(self, hooks: dict, key: int):
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


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
        per parent. This is the extension point for fused operations such as cross-entropy.
        """
        out = Tensor.__new__(Tensor)
        if type(data) is not np.ndarray:  # numpy returns scalars, not 0-d arrays, from 0-d math
            data = np.asarray(data)
        out.data, out.grad, out._op = data, None, op
        out._hooks = out._retains_grad = None
        if _grad_enabled and any(p.requires_grad for p in parents):
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
        return self.data if dtype is None else self.data.astype(dtype)

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

    def register_hook(self, hook) -> _RemovableHandle:
        """Call `hook(grad)` when this gradient is computed; a returned array replaces it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "does not require grad")
        if self._hooks is None:
            self._hooks = {}
        key = max(self._hooks, default=-1) + 1
        self._hooks[key] = hook
        return _RemovableHandle(self._hooks, key)

    def _topological_order(self) -> list:
        """Every tensor this one depends on that needs a gradient, inputs before results.

        Iterative depth-first search with an explicit stack (a recursive one would overflow
        Python's stack on a long chain of operations).
        """
        order, visited, stack = [], set(), [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in visited:
                visited.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents
                             if p.requires_grad and id(p) not in visited)
        return order

    def backward(self, grad=None) -> None:
        """Backpropagate from this tensor: add d(self)/d(leaf) into `.grad` of every leaf."""
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
        grads = {id(self): grad}
        for node in reversed(self._topological_order()):
            g = grads.pop(id(node))  # complete: every consumer of `node` has been visited
            if node._hooks:
                for hook in list(node._hooks.values()):
                    replaced = hook(g)
                    g = g if replaced is None else np.asarray(replaced, dtype=node.dtype)
            if node._backward is None or node._retains_grad:  # a leaf, or asked to keep it
                node.grad = np.array(g, node.dtype) if node.grad is None else node.grad + g
            if node._backward is None:
                continue
            for parent, parent_grad in zip(node._parents, node._backward(g), strict=True):
                if parent_grad is None or not parent.requires_grad:
                    continue
                key = id(parent)
                grads[key] = grads[key] + parent_grad if key in grads else parent_grad

    # ------------------------------------------------------------------- elementwise, binary
    def __add__(self, other):
        a, b = self, self._lift(other)

        def backward(g):
            return _unbroadcast(g, a.shape), _unbroadcast(g, b.shape)

        return Tensor._from_op(_broadcasting("add", np.add, a, b), (a, b), backward, "add")

    def __sub__(self, other):
        a, b = self, self._lift(other)

        def backward(g):
            return _unbroadcast(g, a.shape), _unbroadcast(-g, b.shape)

        return Tensor._from_op(_broadcasting("sub", np.subtract, a, b), (a, b), backward, "sub")

    def __mul__(self, other):
        a, b = self, self._lift(other)

        def backward(g):
            return _unbroadcast(g * b.data, a.shape), _unbroadcast(g * a.data, b.shape)

        return Tensor._from_op(_broadcasting("mul", np.multiply, a, b), (a, b), backward, "mul")

    def __truediv__(self, other):
        a, b = self, self._lift(other)
        out = _broadcasting("div", np.divide, a, b)

        def backward(g):
            ga = g / b.data
            return _unbroadcast(ga, a.shape), _unbroadcast(-ga * out, b.shape)

        return Tensor._from_op(out, (a, b), backward, "div")

    def __pow__(self, other):
        a, b = self, self._lift(other)
        out = _broadcasting("pow", np.power, a, b)

        def backward(g):
            ga = g * b.data * a.data ** (b.data - 1)
            gb = g * out * np.log(a.data) if b.requires_grad else None  # only for a > 0
            return _unbroadcast(ga, a.shape), gb if gb is None else _unbroadcast(gb, b.shape)

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
            ga = _unbroadcast(G @ np.swapaxes(B, -1, -2), A.shape).reshape(a.shape)
            gb = _unbroadcast(np.swapaxes(A, -1, -2) @ G, B.shape).reshape(b.shape)
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
        return self.data < self._lift(other).data

    def __le__(self, other):
        return self.data <= self._lift(other).data

    def __gt__(self, other):
        return self.data > self._lift(other).data

    def __ge__(self, other):
        return self.data >= self._lift(other).data

    def __eq__(self, other):
        return self.data == self._lift(other).data

    def __ne__(self, other):
        return self.data != self._lift(other).data

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
            return (np.broadcast_to(_expand_reduced(g, axis, keepdims, ndim), shape),)

        return Tensor._from_op(_reducing("sum", np.sum, self, axis, keepdims), (self,),
                               backward, "sum")

    def mean(self, axis=None, keepdims=False):
        out = _reducing("mean", np.mean, self, axis, keepdims)
        count = self.data.size // max(out.size, 1) if self.data.size else 1
        shape, ndim = self.shape, self.ndim

        def backward(g):
            return (np.broadcast_to(_expand_reduced(g, axis, keepdims, ndim) / count, shape),)

        return Tensor._from_op(out, (self,), backward, "mean")

    def max(self, axis=None, keepdims=False):
        """Largest value along `axis`; ties share the gradient evenly (like torch.amax)."""
        x = self.data
        out = _reducing("max", np.max, self, axis, keepdims)

        def backward(g):
            is_max = x == _expand_reduced(out, axis, keepdims, x.ndim)
            share = is_max / is_max.sum(axis=axis, keepdims=True)
            return (_expand_reduced(g, axis, keepdims, x.ndim) * share,)

        return Tensor._from_op(out, (self,), backward, "max")

    # ------------------------------------------------------------------------ shape changes
    def reshape(self, *shape):
        shape = _shape_args(shape)
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
        dims = _shape_args(dims)
        order = [d % self.ndim for d in dims] if self.ndim else list(dims)
        if sorted(order) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not an ordering of the axes of a tensor of "
                             f"shape {self.shape}")
        inverse = np.argsort(order)
        return Tensor._from_op(self.data.transpose(order), (self,),
                               lambda g: (g.transpose(inverse),), "transpose")

    def transpose(self, *axes):
        """No axes: reverse them (numpy, `.T`). Two axes: swap them (torch). More: permute."""
        axes = _shape_args(axes)
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


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Same as `Tensor(...)`: the torch spelling."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def _filled(value, shape, requires_grad, dtype):
    shape = _shape_args(shape)
    return Tensor(np.full(shape, value, dtype=dtype or np.float64), requires_grad)


def zeros(*shape, requires_grad: bool = False, dtype=None) -> Tensor:
    """A tensor of zeros: `zeros(2, 3)` or `zeros((2, 3))`."""
    return _filled(0.0, shape, requires_grad, dtype)


def ones(*shape, requires_grad: bool = False, dtype=None) -> Tensor:
    """A tensor of ones: `ones(2, 3)` or `ones((2, 3))`."""
    return _filled(1.0, shape, requires_grad, dtype)
