"""Mixed precision: which autocast dtype to use on which device, and whether a scaler is needed.

bf16 has float32's exponent range, so gradients neither underflow nor overflow and no loss
scaling is needed; fp16 has a narrow range, so its gradients are scaled up before `backward`
(and unscaled before clipping and the step) by a `GradScaler`. On the CPU, autocast costs
more than it saves for small models, so "auto" leaves it off there.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

__all__ = ["AmpPolicy", "resolve_amp"]

_CHOICES = ("auto", "bf16", "fp16", "off", True, False, None)


@dataclass(frozen=True)
class AmpPolicy:
    """The resolved mixed-precision set-up for one device."""

    device_type: str
    dtype: torch.dtype | None  # None: full precision

    @property
    def enabled(self) -> bool:
        return self.dtype is not None

    @property
    def needs_scaler(self) -> bool:
        return self.dtype == torch.float16

    def autocast(self):
        """The context manager for forward passes (a no-op when AMP is off)."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device_type, dtype=self.dtype)

    def make_scaler(self):
        """A `GradScaler` for fp16, else None."""
        return torch.amp.GradScaler(self.device_type) if self.needs_scaler else None

    def __str__(self) -> str:
        name = {None: "off", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]
        return f"{name} on {self.device_type}"


def resolve_amp(amp, device: torch.device) -> AmpPolicy:
    """Turn ``amp`` ("auto", "bf16", "fp16", "off", True/False/None) into an :class:`AmpPolicy`.

    "auto" (and True): on CUDA bf16 where the GPU supports it, else fp16 with a gradient
    scaler; "auto" is off on CPU and MPS, while True means bf16 there too. "bf16"/"fp16"
    force that dtype on any device; "off", False and None disable it.
    """
    if amp not in _CHOICES:
        raise ValueError(f"amp must be one of {_CHOICES}, got {amp!r}")
    kind = device.type
    if amp in ("off", False, None):
        return AmpPolicy(kind, None)
    if amp == "bf16":
        return AmpPolicy(kind, torch.bfloat16)
    if amp == "fp16":
        return AmpPolicy(kind, torch.float16)
    if kind == "cuda":
        bf16 = torch.cuda.is_bf16_supported()
        return AmpPolicy(kind, torch.bfloat16 if bf16 else torch.float16)
    if amp is True:
        return AmpPolicy(kind, torch.bfloat16)
    return AmpPolicy(kind, None)
