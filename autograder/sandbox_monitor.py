"""Watching a running kernel from the grader's side: its raw output and its disk use.

Two things rlimits cannot bound on their own:

* **Raw output.** Whatever the kernel writes to its own stdout/stderr file descriptors (C
  libraries, ``os.write(2, ...)``, a crash trace) would otherwise land on the grader's terminal.
  It goes to a pipe instead; a thread drains it and keeps only the last :data:`TAIL_BYTES`, which
  :func:`autograder.sandbox.classify_death` reads after a crash.
* **Disk.** ``RLIMIT_FSIZE`` caps one file, not a thousand of them. A thread measures the scratch
  directory every :data:`POLL_S` seconds and kills the kernel when it holds more than the
  submission's disk allowance or too many files.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import deque
from pathlib import Path

TAIL_BYTES = 64 * 1024
POLL_S = 0.5
MAX_FILES = 20_000


class OutputTail:
    """Drains a pipe in a daemon thread, remembering only its last `TAIL_BYTES` bytes."""

    def __init__(self, pipe) -> None:
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, args=(pipe,), daemon=True)
        self._thread.start()

    def _drain(self, pipe) -> None:
        with pipe:
            for chunk in iter(lambda: pipe.read1(65536), b""):
                with self._lock:
                    self._chunks.append(chunk)
                    self._size += len(chunk)
                    while self._size - len(self._chunks[0]) >= TAIL_BYTES:
                        self._size -= len(self._chunks.popleft())

    def text(self, wait: float = 0.0) -> str:
        """The remembered tail as text; `wait` seconds for the writer's last bytes first."""
        if wait:
            self._thread.join(wait)
        with self._lock:
            data = b"".join(self._chunks)[-TAIL_BYTES:]
        return data.decode("utf-8", "replace")


def disk_usage(root: Path, limit_files: int = MAX_FILES) -> tuple[int, int]:
    """(bytes allocated, entries) under `root`, not following symlinks; stops past the file cap."""
    total, entries, stack = 0, 0, [str(root)]
    while stack and entries <= limit_files:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    entries += 1
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += st.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return total, entries


class DiskWatchdog:
    """Calls `kill` when the files under `roots` outgrow `max_bytes` or the file-count cap."""

    def __init__(self, roots: list[Path], max_bytes: int, kill) -> None:
        self.roots, self.max_bytes, self._kill = roots, max_bytes, kill
        self.reason: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(POLL_S):
            used = [disk_usage(root) for root in self.roots]
            size, files = sum(u[0] for u in used), sum(u[1] for u in used)
            if size > self.max_bytes or files > MAX_FILES:
                self.reason = (f"the submission wrote {size / 2**20:.0f} MiB in {files} files, "
                               f"over its {self.max_bytes / 2**20:.0f} MiB / {MAX_FILES} files "
                               f"allowance")
                self._kill()
                return

    def stop(self) -> None:
        self._stop.set()


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (the sandbox's processes hang under bwrap)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # the command name may contain spaces: the ppid follows the last ')'
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def private_memory(pid: int) -> int:
    """The largest private data size (VmData, bytes) among `pid` and its descendants."""
    largest = 0
    for proc in descendants(pid):
        try:
            with open(f"/proc/{proc}/status") as status:
                for line in status:
                    if line.startswith("VmData:"):
                        largest = max(largest, int(line.split()[1]) * 1024)
        except (OSError, ValueError):
            continue
    return largest


def kill_group(pid: int | None) -> None:
    """SIGKILL the process group led by `pid` (bwrap takes the sandbox down with it)."""
    if pid is None:
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
