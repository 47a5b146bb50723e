"""Kernels for student code: sandboxed with bubblewrap, resource-limited, and easy to kill.

The grader runs every submission with :func:`make_kernel_manager`, which returns an ordinary
``jupyter_client.KernelManager`` (so ``nbclient.NotebookClient(nb, km=km)`` drives it as usual)
whose kernel process lives in a bubblewrap sandbox (see :mod:`autograder.sandbox_command` for
what the sandbox contains and why each limit is set the way it is). The parent talks to the
kernel over ZeroMQ's IPC transport, through sockets in a short private directory bound into the
sandbox, because the sandbox has no network at all (not even the grader's loopback).

When bubblewrap is missing or cannot create namespaces here, kernels still start, unsandboxed,
with the same rlimits and scrubbed environment; :func:`isolation_status` says so, and the
``course`` command prints it loudly.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from jupyter_client import KernelManager

from . import sandbox_command as cmd
from .sandbox_monitor import DiskWatchdog, OutputTail, kill_group, private_memory

BWRAP_ENV = "COURSE_BWRAP"
"""Path of the bwrap binary to use; set it to ``none`` to force the unsandboxed fallback."""


@dataclass(frozen=True)
class SandboxSpec:
    """Where a kernel works and what it may use.

    `memory_bytes` caps private memory (RLIMIT_DATA; address space gets a fixed headroom above
    it), `max_procs` caps processes plus threads, `cpu_seconds` (optional) caps CPU time,
    `file_bytes` caps the size of one written file and `disk_bytes` the whole scratch directory.
    `readonly_paths` are extra host paths visible read-only inside (e.g. a shared data folder).
    """

    scratch: Path
    memory_bytes: int = 4 * 2**30
    max_procs: int = 64
    cpu_seconds: int | None = None
    readonly_paths: Sequence[Path] = ()
    network: bool = False
    file_bytes: int = 1 * 2**30
    disk_bytes: int = 2 * 2**30


def bwrap_path() -> str | None:
    """The bubblewrap binary to use, honouring :data:`BWRAP_ENV`; None when there is none."""
    override = os.environ.get(BWRAP_ENV)
    if override is not None:
        return None if override.lower() in ("", "none", "off") else override
    return shutil.which("bwrap")


def _run_probe(argv: list[str]) -> tuple[bool, str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, str(exc)
    if done.returncode == 0 and "sandbox-ok" in done.stdout:
        return True, ""
    lines = (done.stderr or done.stdout).strip().splitlines()
    return False, lines[-1] if lines else f"exit status {done.returncode}"


def _probe_argv(bwrap: str | None, uid: int | None) -> tuple[list[str], Path]:
    """A trivial sandboxed (or merely dropped-uid) command: start python, import numpy."""
    scratch = Path(tempfile.mkdtemp(prefix="agprobe-"))
    spec = SandboxSpec(scratch=scratch, memory_bytes=1 * 2**30)
    if uid is not None:
        os.chown(scratch, uid, uid)
    kernel = [sys.executable, "-c", "import numpy; print('sandbox-ok')"]
    argv = cmd.launcher_argv(spec, kernel, uid=uid, env=cmd.kernel_environment(spec, []))
    if bwrap:
        argv = [*cmd.bwrap_argv(bwrap, spec, scratch, as_root=os.geteuid() == 0), "--", *argv]
    return argv, scratch


def _probe(bwrap: str | None, uid: int | None) -> tuple[bool, str]:
    argv, scratch = _probe_argv(bwrap, uid)
    try:
        return _run_probe(argv)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@functools.lru_cache(maxsize=None)
def _status_for(bwrap: str | None, euid: int) -> tuple[bool, str, int | None]:
    """(sandboxed, description, uid for unsandboxed kernels); probed once per binary and euid."""
    limits = "memory, process count, file size and CPU limits"
    if bwrap:
        ok, why = _probe(bwrap, cmd.sandbox_uid() if euid == 0 else None)
        if ok:
            who = "a fresh unprivileged uid" if euid == 0 else "a user namespace"
            return True, (f"sandboxed with bubblewrap ({bwrap}): private filesystem view, no "
                          f"network, own pid namespace, kernel runs as {who}; {limits}"), None
        reason = f"bubblewrap at {bwrap} failed: {why}"
    else:
        reason = "bubblewrap (bwrap) is not installed"
    fallback_uid = None
    caveat = ""
    if euid == 0:
        candidate = cmd.sandbox_uid()
        if _probe(None, candidate)[0]:
            fallback_uid = candidate
        else:
            caveat = (" The process-count cap is NOT enforced: the grader runs as root, which "
                      "RLIMIT_NPROC exempts, and Python is not readable by another uid here.")
    return False, (f"REDUCED ISOLATION: {reason}. Student kernels run unsandboxed (they can read "
                   f"what the grader's user can read and use the network), with separate "
                   f"directories and {limits} only.{caveat} Install bubblewrap "
                   f"(scripts/install-system-deps.sh) for full isolation."), fallback_uid


def isolation_status() -> tuple[bool, str]:
    """Whether kernels are sandboxed here, and a sentence saying what protects the batch."""
    sandboxed, text, _ = _status_for(bwrap_path(), os.geteuid())
    return sandboxed, text


MEMORY_MARKERS = ("MemoryError", "Unable to allocate", "can't allocate memory",
                  "std::bad_alloc", "Cannot allocate memory", "out of memory")


def classify_death(exit_code_or_signal: int | None, stderr_tail: str = "",
                   kill_reason: str | None = None) -> str:
    """Name why a kernel ended: ``out_of_memory``, ``timeout``, ``disk_limit`` or ``kernel_died``.

    `exit_code_or_signal` is what ``Popen.poll()`` returned (negative: killed by that signal)
    or a shell-style ``128 + signal`` (bwrap's exit status when its child was killed).
    A MemoryError-like message in the last output, or a SIGKILL we did not send (the kernel's
    OOM killer), means out of memory; SIGXCPU means the CPU-seconds limit (a timeout);
    `kill_reason` set by the disk watchdog wins over both.
    """
    if kill_reason:
        return "disk_limit"
    sig = None
    if exit_code_or_signal is not None:
        if exit_code_or_signal < 0:
            sig = -exit_code_or_signal
        elif exit_code_or_signal > 128:
            sig = exit_code_or_signal - 128
    if any(marker in (stderr_tail or "") for marker in MEMORY_MARKERS) or sig == signal.SIGKILL:
        return "out_of_memory"
    if sig == signal.SIGXCPU:
        return "timeout"
    return "kernel_died"


class SandboxedKernelManager(KernelManager):
    """A KernelManager whose kernel is wrapped by the launcher (and bwrap when available).

    Besides the usual API it offers :meth:`exit_code`, :meth:`output_tail`, `kill_reason` and
    :meth:`death_status`, which the executor uses to say why a kernel died.
    """

    def __init__(self, spec: SandboxSpec, *, bwrap: str | None, uid: int | None, **kwargs):
        self._ipc_dir = Path(tempfile.mkdtemp(prefix="agk-", dir="/tmp"))
        # Removed at shutdown, or when this manager is collected (a kernel that was never
        # started, or died before the caller shut it down, leaves no socket folder behind).
        weakref.finalize(self, shutil.rmtree, str(self._ipc_dir), True)
        # nbclient awaits the client's get_msg to enforce cell timeouts; a blocking client
        # would wait forever on a silent infinite loop, so hand out asyncio clients.
        super().__init__(transport="ipc", ip=str(self._ipc_dir / "k"),
                         connection_file=str(self._ipc_dir / "connection.json"),
                         client_class="jupyter_client.asynchronous.AsyncKernelClient", **kwargs)
        self.spec = replace(spec, scratch=Path(spec.scratch).resolve())
        self._bwrap, self._uid = bwrap, uid
        self._process: subprocess.Popen | None = None
        self._tail: OutputTail | None = None
        self._watchdog: DiskWatchdog | None = None
        # Signals cannot cross into the sandbox's session: interrupt over the control channel.
        self.kernel_spec.interrupt_mode = "message"
        if uid is not None:
            os.chown(self._ipc_dir, uid, uid)
            os.chown(self.spec.scratch, uid, uid)

    @property
    def sandboxed(self) -> bool:
        return self._bwrap is not None

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        kernel = super().format_kernel_cmd(extra_arguments)
        venv_bin = str(Path(sys.prefix) / "bin")
        env = cmd.kernel_environment(self.spec, [venv_bin])
        argv = cmd.launcher_argv(self.spec, kernel, uid=self._uid, env=env)
        if self._bwrap:
            as_root = os.geteuid() == 0
            argv = [*cmd.bwrap_argv(self._bwrap, self.spec, self._ipc_dir, as_root=as_root),
                    "--", *argv]
        return argv

    async def _async_pre_start_kernel(self, **kw):
        kw.update(cwd=str(self.spec.scratch), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        if self._uid is not None:
            os.chown(self.connection_file, self._uid, self._uid)
        return kernel_cmd, kw

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        await super()._async_launch_kernel(kernel_cmd, **kw)
        process = self._process = self.provisioner.process
        self._tail = OutputTail(process.stdout)
        self._watchdog = DiskWatchdog([self.spec.scratch, self._ipc_dir], self.spec.disk_bytes,
                                      lambda: kill_group(process.pid))

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        if self._watchdog is not None:
            self._watchdog.stop()
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)

    def exit_code(self) -> int | None:
        """The launcher's exit status (negative: signal), or None while it runs."""
        return self._process.poll() if self._process is not None else None

    def output_tail(self, wait: float = 1.0) -> str:
        """The last 64 KiB the kernel process wrote to its own stdout/stderr."""
        return self._tail.text(wait) if self._tail is not None else ""

    @property
    def kill_reason(self) -> str | None:
        return self._watchdog.reason if self._watchdog is not None else None

    def at_memory_cap(self) -> bool:
        """Whether a process of this sandbox holds at least 90% of the memory cap right now.

        A kernel that filled its memory and kept it (``hog.append`` until MemoryError) often
        stops answering instead of dying: nbclient then reports a dead kernel (its heartbeat
        is lost) or a timeout, while the process is alive and full.
        """
        if self._process is None or self._process.poll() is not None:
            return False
        return private_memory(self._process.pid) >= 0.9 * self.spec.memory_bytes

    def death_status(self, text: str = "") -> str:
        """:func:`classify_death` for this kernel, before it is shut down.

        `text` is anything else the caller saw (the cells' outputs); a kernel that is still
        running but unresponsive at its memory cap counts as out of memory.
        """
        if self.at_memory_cap():
            return "out_of_memory"
        return classify_death(self.exit_code(), self.output_tail() + "\n" + text,
                              self.kill_reason)


def make_kernel_manager(spec: SandboxSpec, kernel_name: str = "python3") -> KernelManager:
    """A not-yet-started KernelManager for one submission's kernel, sandboxed when possible."""
    Path(spec.scratch).mkdir(parents=True, exist_ok=True)
    bwrap = bwrap_path()
    sandboxed, _, fallback_uid = _status_for(bwrap, os.geteuid())
    if sandboxed:
        uid = cmd.sandbox_uid() if os.geteuid() == 0 else None
        return SandboxedKernelManager(spec, bwrap=bwrap, uid=uid, kernel_name=kernel_name)
    uid = cmd.sandbox_uid() if fallback_uid is not None else None
    return SandboxedKernelManager(spec, bwrap=None, uid=uid, kernel_name=kernel_name)
