"""The two places the grader meets the sandbox: making a kernel and the integrity probes.

Everything isolation-specific lives in :mod:`autograder.sandbox` and :mod:`autograder.integrity`;
this module is the narrow door the pipeline uses, so the executor can also run with a plain
kernel (``sandbox=False``, used by unit tests of the executor itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3


@dataclass(frozen=True)
class Limits:
    """Per-submission limits; the defaults are what `course grade` uses without options."""

    cell_timeout: float = 60.0
    notebook_timeout: float = 600.0
    memory_bytes: int = 4 * GIB
    max_procs: int = 64
    output_bytes: int = 2_000_000


def make_kernel(scratch: Path, limits: Limits, *, sandbox: bool = True):
    """A not-yet-started kernel manager whose kernel works in `scratch` under `limits`."""
    if not sandbox:
        from jupyter_client import KernelManager

        return KernelManager(kernel_name="python3")
    from .sandbox import SandboxSpec, make_kernel_manager

    spec = SandboxSpec(scratch=scratch, memory_bytes=limits.memory_bytes,
                       max_procs=limits.max_procs)
    return make_kernel_manager(spec, kernel_name="python3")


def isolation_status() -> tuple[bool, str]:
    from .sandbox import isolation_status as status

    return status()


def probe_cells(nonce: str) -> tuple[str, str]:
    from .integrity import probe_cells as cells

    return cells(nonce)


def read_probe_report(scratch: Path, nonce: str) -> list[str]:
    from .integrity import read_probe_report as report

    return report(scratch, nonce)


def static_flags(nb) -> list[str]:
    from .integrity import static_flags as flags

    return flags(nb)
