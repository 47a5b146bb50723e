"""`Parameter` and `Module`: the containers that make a model out of engine Tensors.

Shaped like `torch.nn.Module`, so lesson code ports to torch unchanged: assigning a
`Parameter` or a `Module` to an attribute registers it (``self.fc = Linear(2, 3)`` is all it
takes for ``model.parameters()`` to find ``fc.weight``); ``train()``/``eval()`` flip
``.training`` on the whole tree (dropout and batch norm read it); ``state_dict()`` names every
parameter and buffer by its dotted path, and forward hooks let a lesson watch each layer's
output (and, through ``output.register_hook``, its gradient) without touching the model.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from course_lib.engine import Tensor, no_grad
from course_lib.engine.autograd import RemovableHandle

__all__ = ["Parameter", "Module"]

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A Tensor that a Module treats as one of its weights (requires_grad=True by default)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True, dtype=None):
        super().__init__(np.empty(0) if data is None else data, requires_grad, dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        copied = Parameter(self.data.copy(), self.requires_grad)
        copied.grad = None if self.grad is None else self.grad.copy()
        memo[id(self)] = copied
        return copied


def _as_array(value, key: str) -> np.ndarray:
    """A state_dict value (course_lib Tensor, numpy array or torch tensor) as an ndarray."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor: no torch import
        return value.detach().cpu().numpy()
    try:
        return np.asarray(value)
    except Exception as error:
        raise TypeError(
            f"state_dict entry {key!r}: cannot use a {type(value).__name__} as an array ({error})"
        ) from None


def _indent(text: str, spaces: int = 2) -> str:
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


class Module:
    """Base class of every layer and model: subclasses set attributes and define `forward`."""

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    # ------------------------------------------------------------------ registration
    def _registries(self, name: str) -> tuple:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() call: call "
                f"super().__init__() first in {type(self).__name__}.__init__"
            )
        return self._parameters, self._buffers, self._modules

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, (Parameter, Module)) or name in self.__dict__.get("_parameters", {}):
            if not (value is None or isinstance(value, (Parameter, Module))):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} "
                    "(nn.Parameter or None expected)"
                )
            params, buffers, modules = self._registries(name)
            for registry in (params, buffers, modules):
                registry.pop(name, None)
            self.__dict__.pop(name, None)
            (modules if isinstance(value, Module) else params)[name] = value
        elif name in self.__dict__.get("_buffers", {}):
            if value is not None and not isinstance(value, Tensor):
                value = Tensor(value, dtype=np.asarray(value).dtype)
            self._buffers[name] = value
        elif name in self.__dict__.get("_modules", {}):
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module {name!r} "
                    "(nn.Module or None expected)"
                )
            self._modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        # Only called when normal lookup fails: look in the registries.
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(registry, {}):
                del self.__dict__[registry][name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` (or None, for an absent optional weight such as a missing bias)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__} as parameter {name!r} "
                "(nn.Parameter or None expected)"
            )
        self._registries(name)[0][name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register state that is saved in `state_dict` but not trained (running statistics)."""
        self._registries(name)
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor, dtype=np.asarray(tensor).dtype)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            hint = " (add parentheses to create an instance)" if isinstance(module, type) else ""
            raise TypeError(
                f"add_module({name!r}): expected a Module instance, got "
                f"{type(module).__name__} {module!r:.60}{hint}"
            )
        self._registries(name)[2][name] = module

    # -------------------------------------------------------------------- traversal
    def named_modules(self, memo: set | None = None, prefix: str = ""):
        """(dotted name, module) for this module and every descendant, each once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """(dotted name, parameter) pairs, each shared parameter once."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn):
        """Call `fn(module)` on every descendant, then on this module (e.g. custom init)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ training state
    def train(self, mode: bool = True):
        """Set training mode on this module and all its descendants; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        """Evaluation mode: dropout keeps everything, batch norm uses its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        """Freeze (False) or unfreeze (True) every parameter; returns self."""
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (None by default, as in torch)."""
        for param in self.parameters():
            if param.grad is not None:
                if set_to_none:
                    param.grad = None
                else:
                    param.grad[...] = 0.0

    # ----------------------------------------------------------------------- forward
    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            replaced = hook(self, args, output)
            if replaced is not None:
                output = replaced
        return output

    def register_forward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward; returns a handle.

        The hook may return a replacement output. ``handle.remove()`` unregisters it. To record
        the gradient flowing into the output, call ``output.register_hook(fn)`` inside the hook.
        """
        key = max(self._forward_hooks, default=-1) + 1
        self._forward_hooks[key] = hook
        return RemovableHandle(self._forward_hooks, key)

    # --------------------------------------------------------------------- state dict
    def _state_items(self):
        """(key, tensor) for every parameter and persistent buffer, in torch's order."""
        for prefix, module in self.named_modules():
            dot = f"{prefix}." if prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    yield dot + name, param
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent_buffers:
                    yield dot + name, buffer

    def state_dict(self) -> OrderedDict:
        """Every parameter and buffer by dotted name, as detached Tensors.

        The values share memory with the model (as in torch): training on changes them. Take a
        snapshot with ``copy.deepcopy(model.state_dict())``.
        """
        return OrderedDict((key, tensor.detach()) for key, tensor in self._state_items())

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values into this model's parameters and buffers (in place, keeping dtypes).

        Values may be course_lib Tensors, numpy arrays or torch tensors. Everything is checked
        before anything is copied, so a failed load leaves the model untouched. With
        ``strict=False`` missing and unexpected keys are returned instead of raised.
        """
        targets = OrderedDict(self._state_items())
        missing = [key for key in targets if key not in state_dict]
        unexpected = [key for key in state_dict if key not in targets]
        errors, arrays = [], {}
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = _as_array(state_dict[key], key)
            if value.shape != target.shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {value.shape} from "
                    f"checkpoint, the shape in current model is {target.shape}."
                )
            arrays[key] = value
        if strict and unexpected:
            errors.insert(
                0,
                "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".",
            )
        if strict and missing:
            errors.insert(
                0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + "."
            )
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        with no_grad():
            for key, value in arrays.items():
                targets[key].data[...] = value
        return _IncompatibleKeys(missing, unexpected)

    # -------------------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr (its configuration)."""
        return ""

    def __repr__(self) -> str:
        children = [f"({name}): {child!r}" for name, child in self._modules.items()]
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = ([extra] if extra else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(_indent(x) for x in lines) + "\n)"
