"""Hostile student code, and a small runner that executes cells in a real (sandboxed) kernel.

The snippets here are shared by the sandbox tests, the integrity tests and the batch-grading
hostile test, so every layer is tested against the same attacks.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from autograder.sandbox import SandboxSpec, make_kernel_manager

MEMORY_BOMB = "blob = bytearray(10 * 2**30)"
GROWING_LIST = "hog = []\nwhile True:\n    hog.append(bytearray(2**20))"
INFINITE_LOOP = "while True:\n    pass"
# Every process forks as fast as it can for 3 s: exponential without a cap, bounded in time so a
# failing test cannot take the machine down with it.
FORK_BOMB = """
import os, time
deadline = time.time() + 3
children = 0
while time.time() < deadline:
    try:
        if os.fork() == 0:
            children = 0
        else:
            children += 1
    except OSError:
        time.sleep(0.01)
print("forked", children)
"""
OUTPUT_FLOOD = "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 2**20)"
RAW_FD_FLOOD = "import os\nfor _ in range(100):\n    os.write(1, b'y' * 2**20)"


@dataclass
class Run:
    """What a run left behind: per-cell outputs, which cell timed out, how the kernel ended."""

    nb: object
    timed_out: list[int] = field(default_factory=list)
    died: bool = False
    death_status: str | None = None
    output_tail: str = ""
    uid: int | None = None
    output_bytes: int = 0
    exit_code: int | None = None

    def facts(self, index: int) -> dict:
        """The JSON object the cell printed last (cells report facts as one JSON line)."""
        text = "".join(o.get("text", "") for o in self.nb.cells[index].outputs
                       if o.get("output_type") == "stream" and o.get("name") == "stdout")
        return json.loads(text.strip().splitlines()[-1])

    def error(self, index: int) -> str | None:
        """The exception name a cell raised, or None."""
        errors = [o["ename"] for o in self.nb.cells[index].outputs
                  if o.get("output_type") == "error"]
        return errors[0] if errors else None

    def text(self, index: int) -> str:
        """Everything a cell printed, with its error's name and traceback if it raised.

        Out of memory, IPython may fail to format the traceback and print a plain one instead
        (an stderr stream, no error output): tests look for the exception's name in here.
        """
        parts = []
        for out in self.nb.cells[index].outputs:
            parts.append(out.get("text", ""))
            if out.get("output_type") == "error":
                parts += [out["ename"], *out.get("traceback", [])]
        return "\n".join(parts)


class CountingClient(NotebookClient):
    """Keeps at most `keep` bytes of output per notebook, counting the rest (like the grader).

    A timed-out cell is interrupted by nbclient itself (``interrupt_on_timeout``): after a
    raised CellTimeoutError, nbclient's orphaned output poller would swallow the next cell's
    outputs. `timed_out` lists the cells that hit the timeout.
    """

    def __init__(self, *args, keep: int = 100_000, **kwargs):
        super().__init__(*args, interrupt_on_timeout=True, error_on_timeout={
            "ename": "CellTimeout", "evalue": "cell timed out", "traceback": []}, **kwargs)
        self.keep, self.seen = keep, 0
        self.timed_out: list[int] = []
        self.current = -1

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out.append(self.current)
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):
        self.seen += len(msg.get("content", {}).get("text", ""))
        if self.seen > self.keep:
            return None
        return super().output(outs, msg, display_id, cell_index)


def run_cells(spec: SandboxSpec, sources: list[str], *, timeout: int = 60,
              during=None) -> Run:
    """Execute `sources` one cell at a time in a fresh kernel for `spec`, then kill the kernel.

    A timed-out cell is recorded and the kernel interrupted, so later cells still run; a dead
    kernel ends the run. `during(km, index)` is called after each cell, kernel still running.
    """
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    km = make_kernel_manager(spec)
    client = CountingClient(nb, km=km, timeout=timeout, allow_errors=True)
    run = Run(nb=nb, uid=getattr(km, "_uid", None))
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.current = index
                client.execute_cell(cell, index)
                if during is not None:
                    during(km, index)
    except DeadKernelError:
        run.died = True
    finally:
        run.output_bytes, run.timed_out = client.seen, client.timed_out
        run.death_status = km.death_status() if run.died else None  # before we kill it
        km.shutdown_kernel(now=True)
        run.exit_code = km.exit_code()
        run.output_tail = km.output_tail()
    return run


def processes_of(uid: int) -> list[int]:
    """Pids of the host's processes whose real uid is `uid` (a sandbox's uid is unique)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                line = next(x for x in status if x.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if int(line.split()[1]) == uid:
            pids.append(int(entry))
    return pids
