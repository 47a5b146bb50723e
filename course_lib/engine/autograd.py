"""The backward pass: walk the recorded graph from a result back to its leaves.

Each tensor produced by an operation remembers its parents and a `_backward` closure (the
operation's local chain rule). Backpropagation visits the tensors in reverse topological order,
so by the time a tensor is reached every tensor that consumed it has already passed its share
of the gradient back: its gradient is complete, and can be handed on to its own parents.
"""

from __future__ import annotations

import numpy as np


class RemovableHandle:
    """Returned by `Tensor.register_hook`; `.remove()` unregisters the hook."""

    __slots__ = ("_hooks", "_key")

    def __init__(self, hooks: dict, key: int):
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


def topological_order(root) -> list:
    """Every tensor `root` depends on that needs a gradient, each after all of its parents.

    An iterative depth-first search with an explicit stack: a recursive one would overflow
    Python's call stack on a long chain of operations (an RNN unrolled, a 100,000-step loop).
    """
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))  # comes off the stack again after all its parents
            stack.extend((p, False) for p in node._parents
                         if p.requires_grad and id(p) not in visited)
    return order


def backpropagate(root, grad: np.ndarray) -> None:
    """Push `grad` (d loss / d root) back through the graph, accumulating into leaves' `.grad`."""
    grads = {id(root): grad}  # gradients in flight, by tensor id
    for node in reversed(topological_order(root)):
        g = grads.pop(id(node), None)  # complete now: all of node's consumers came before it
        if g is None:  # every path to it was cut (a backward rule returned None)
            continue
        if node._hooks:
            for hook in list(node._hooks.values()):
                replaced = hook(g)
                g = g if replaced is None else np.asarray(replaced, dtype=node.dtype)
        if node._backward is None or node._retains_grad:  # a leaf, or asked to keep it
            # Accumulate, as torch does; the first gradient is copied so that no two
            # tensors share one array (optimizers may update `.grad` in place).
            if node.grad is None:
                node.grad = np.array(g, dtype=node.dtype)
            else:
                node.grad = (node.grad + g).astype(node.dtype, copy=False)
        if node._backward is None:
            continue
        for parent, parent_grad in zip(node._parents, node._backward(g), strict=True):
            if parent_grad is None or not parent.requires_grad:
                continue
            key = id(parent)
            grads[key] = grads[key] + parent_grad if key in grads else parent_grad
