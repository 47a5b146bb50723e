"""The `Optimizer` base class: parameter groups, per-parameter state, `zero_grad`, `step`.

It mirrors `torch.optim.Optimizer` so the optimizer lesson's code ports to torch unchanged:
``param_groups`` is a list of dicts (``optimizer.param_groups[0]["lr"] = 0.01`` changes the
learning rate, which is all a scheduler does), ``state[p]`` holds a parameter's buffers, and
groups given as dicts carry their own options (fine-tuning a backbone at a smaller lr).

Optimizers work on numpy: they read ``p.grad`` and update ``p.data`` in place, so no graph is
recorded and the same array objects stay inside the model.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["Optimizer"]


def _check_param(param, where: str):
    if not (isinstance(getattr(param, "data", None), np.ndarray) and hasattr(param, "grad")):
        raise TypeError(
            f"optimizer can only optimize Tensors, but {where} is a {type(param).__name__}"
        )
    return param


class Optimizer:
    """Base class: subclasses define `defaults` via `__init__` and the update in `_update`.

    `_update(group, param, grad, state)` receives numpy arrays: `grad` is ``param.grad`` and
    `state` is ``self.state[param]`` (an empty dict on the first step). Parameters whose grad is
    None (frozen, or unused in this forward pass) are skipped, as in torch.
    """

    def __init__(self, params, defaults: dict):
        _check_options(defaults)
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        if hasattr(params, "data") and isinstance(params.data, np.ndarray):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got a single {type(params).__name__}; wrap it in a list"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (missing ones come from defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("a parameter group needs a 'params' entry")
        if isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs; use a list"
            )
        if hasattr(params, "data"):
            params = [params]
        group["params"] = [
            _check_param(p, f"param {i} of group {len(self.param_groups)}")
            for i, p in enumerate(params)
        ]
        unknown = sorted(set(group) - set(self.defaults) - {"params", "initial_lr"})
        if unknown:
            raise ValueError(
                f"unknown option(s) {unknown} in parameter group; "
                f"{type(self).__name__} accepts {sorted(self.defaults)}"
            )
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        _check_options(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients before the next backward (else they accumulate).

        As in torch, the default sets them to None; ``set_to_none=False`` fills them with 0.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad[...] = 0.0

    def step(self, closure=None):
        """Update every parameter that has a gradient; `closure` recomputes and returns the loss."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = np.asarray(p.grad)
                if grad.shape != p.data.shape:
                    raise ValueError(
                        f"{type(self).__name__}.step: grad of shape {grad.shape} does not match "
                        f"its parameter of shape {p.data.shape}"
                    )
                state = self.state.setdefault(p, {})
                self._update(group, p, grad, state)
        return loss

    def state_dict(self) -> dict:
        """Torch's layout: ``{"state": {index: buffers}, "param_groups": [options + indices]}``.

        Parameters are numbered in group order; buffers are copied, so the snapshot does not
        move on with training (save it with the model's state_dict to resume a run).
        """
        index = {id(p): i for i, p in enumerate(p for g in self.param_groups for p in g["params"])}
        groups = [
            {
                **{k: v for k, v in g.items() if k != "params"},
                "params": [index[id(p)] for p in g["params"]],
            }
            for g in self.param_groups
        ]
        state = {
            index[id(p)]: {k: _copied(v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore options and buffers saved by `state_dict` (checked before anything changes)."""
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved)} parameter groups, but the "
                f"optimizer has {len(self.param_groups)}"
            )
        params = []
        for i, (group, saved_group) in enumerate(zip(self.param_groups, saved, strict=True)):
            if len(group["params"]) != len(saved_group["params"]):
                raise ValueError(
                    f"parameter group {i}: the loaded state dict has "
                    f"{len(saved_group['params'])} parameters, the optimizer has "
                    f"{len(group['params'])}"
                )
            params += list(zip(saved_group["params"], group["params"], strict=True))
        new_state = {}
        for index, param in params:
            buffers = state_dict["state"].get(index)
            if buffers is None:
                continue
            for name, value in buffers.items():
                shape = np.shape(value)
                if shape not in ((), param.data.shape):
                    raise ValueError(
                        f"state of parameter {index}: {name!r} has shape {shape}, "
                        f"the parameter has shape {param.data.shape}"
                    )
            new_state[param] = {k: _copied(v) for k, v in buffers.items()}
        for group, saved_group in zip(self.param_groups, saved, strict=True):
            group.update({k: v for k, v in saved_group.items() if k != "params"})
        self.state = new_state

    def _update(self, group: dict, param, grad: np.ndarray, state: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define an update rule")

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


# Options that must be >= 0, with the names torch's messages use ("Invalid learning rate: -0.1").
_NON_NEGATIVE = {
    "lr": "learning rate",
    "eps": "epsilon value",
    "momentum": "momentum value",
    "weight_decay": "weight_decay value",
    "alpha": "alpha value",
}


def _check_options(group: dict) -> None:
    """Reject out-of-range hyperparameters in defaults and in each parameter group."""
    for key, name in _NON_NEGATIVE.items():
        if key in group and group[key] < 0.0:
            raise ValueError(f"Invalid {name}: {group[key]}")
    for i, beta in enumerate(group.get("betas", ())):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def options(arguments: dict) -> dict:
    """A constructor's hyperparameters (its `locals()` minus self/params) as the defaults."""
    return {k: v for k, v in arguments.items() if k not in ("self", "params", "__class__")}


def _copied(value):
    """An independent copy of a state entry: arrays copied, counters (like "step") as is."""
    return np.array(value, copy=True) if np.ndim(value) else value


def params_list(parameters: Iterable) -> list:
    """A list of parameters from one Tensor or an iterable of them (torch's convention)."""
    if hasattr(parameters, "data") and isinstance(parameters.data, np.ndarray):
        return [parameters]
    return list(parameters)
