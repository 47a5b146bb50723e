"""Choosing a device, seeding every generator, and building loaders that suit the device.

These are the three things every torch training script starts with and that blog-post versions
get subtly wrong: a device choice that silently falls back to the CPU, a seed that leaves
cuDNN nondeterministic, and loaders with worker processes that cost more than they save.
"""

from __future__ import annotations

import logging
import os
import random

import numpy as np
import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
)

__all__ = ["get_device", "describe_device", "seed_everything", "make_loader"]

log = logging.getLogger("course_lib.training")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device(device: str | torch.device | None = "auto", *, verbose: bool = False
               ) -> torch.device:
    """Return the device to train on: CUDA if present, else Apple's MPS, else the CPU.

    `device` may also name one explicitly ("cpu", "cuda", "cuda:1", "mps"); asking for one that
    is not available raises instead of quietly training somewhere slower. With ``verbose=True``
    the choice and the reason for it are printed (see :func:`describe_device`).
    """
    if device is None or device == "auto":
        if torch.cuda.is_available():
            chosen = torch.device("cuda")
        elif _mps_available():
            chosen = torch.device("mps")
        else:
            chosen = torch.device("cpu")
    else:
        chosen = torch.device(device)
        if chosen.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {str(device)!r} was requested but torch sees no CUDA "
                               f"device (torch.cuda.is_available() is False; torch "
                               f"{torch.__version__} built with CUDA {torch.version.cuda})")
        if chosen.type == "mps" and not _mps_available():
            raise RuntimeError(f"device {str(device)!r} was requested but MPS is not available")
    message = describe_device(chosen)
    log.info("training device: %s", message)
    if verbose:
        print(f"Using {message}")
    return chosen


def describe_device(device: str | torch.device | None = None) -> str:
    """Say which device `device` (default: the automatic choice) is, and why it was chosen."""
    device = get_device("auto") if device is None else torch.device(device)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        name = torch.cuda.get_device_name(index)
        bf16 = "bf16 supported" if torch.cuda.is_bf16_supported() else "no bf16 (fp16 AMP)"
        return f"cuda:{index} ({name}, {bf16})"
    if device.type == "mps":
        return "mps (Apple GPU; no CUDA device found)"
    why = [f"torch {torch.__version__} sees no CUDA device"]
    if torch.version.cuda is None:
        why.append("this torch build has no CUDA support")
    if not _mps_available():
        why.append("no MPS")
    return f"cpu ({os.cpu_count()} cores; {', '.join(why)})"


def seed_everything(seed: int, *, deterministic: bool = True) -> None:
    """Seed Python's `random`, numpy, torch (CPU and every CUDA device) and course_lib.

    With ``deterministic=True`` cuDNN is told to pick deterministic kernels and not to
    benchmark (cheap for the small models of this course), so two runs give the same numbers.
    """
    from course_lib.random import manual_seed

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    manual_seed(seed)
    if deterministic:
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def _default_workers(dataset, device: torch.device) -> int:
    """Worker processes only pay off when loading is slow and there are cores to spare."""
    cores = os.cpu_count() or 1
    if isinstance(dataset, TensorDataset) or device.type == "cpu" or cores <= 2:
        return 0
    return min(4, cores - 1)


def make_loader(dataset, batch_size: int = 64, *, shuffle: bool = False,
                device: str | torch.device | None = "auto", num_workers: int | None = None,
                seed: int | None = None, drop_last: bool = False, **kwargs) -> DataLoader:
    """A `DataLoader` whose settings follow the device it feeds.

    * ``pin_memory`` is on when the device is CUDA (page-locked host memory lets `fit` copy
      batches with ``non_blocking=True``, overlapping the copy with computation).
    * ``num_workers`` (unless given) is 0 for in-memory tensors, on the CPU and on machines with
      two cores or fewer, where extra processes only add start-up and copying cost; otherwise
      up to 4, kept alive between epochs.
    * A `TensorDataset` is indexed a whole batch at a time (one fancy-indexing call per batch
      instead of one call per sample and a stack), which is several times faster.
    * ``seed`` gives the shuffling its own generator, so the batch order is reproducible and
      independent of other uses of torch's global generator.
    """
    device = get_device(device)
    workers = _default_workers(dataset, device) if num_workers is None else num_workers
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    options = {"num_workers": workers, "pin_memory": device.type == "cuda", **kwargs}
    if workers > 0:
        options.setdefault("persistent_workers", True)
    if isinstance(dataset, TensorDataset) and "collate_fn" not in kwargs:
        order = (RandomSampler(dataset, generator=generator) if shuffle
                 else SequentialSampler(dataset))
        sampler = BatchSampler(order, batch_size=batch_size, drop_last=drop_last)
        return DataLoader(dataset, batch_size=None, sampler=sampler, **options)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                      generator=generator, **options)
