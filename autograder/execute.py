"""Run one prepared notebook in its own kernel, cell by cell, under the grading limits.

nbgrader's Execute preprocessor stops at the first timeout or dead kernel and then the whole
notebook is an error. Here every cell that finished keeps its outputs, the run ends with a
status (``ok``, ``timeout``, ``kernel_died``, ``out_of_memory``, ``output_limit``), and the
caller scores the tests that ran. Outputs beyond ``Limits.output_bytes`` are dropped in the
grader's process, so 100 MB of prints cannot exhaust its memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.asynchronous import AsyncKernelClient
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .kernel import Limits, make_kernel

PROBE_TAG = "autograder_probe"
FINAL_PROBE_TIMEOUT_S = 15


@dataclass
class Execution:
    """What happened: which cells completed, the status, and the time it took."""

    status: str = "ok"
    completed: set[int] = field(default_factory=set)
    failed: dict[int, str] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0
    cells_seconds: float = 0.0
    final_probe_ran: bool = False


class LimitedClient(NotebookClient):
    """An nbclient that stops keeping outputs once a notebook has produced too many bytes."""

    def __init__(self, *args, output_limit: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.output_limit = output_limit
        self.output_seen = 0
        self.overflowed = False
        self.failed: dict[int, str] = {}

    async def _check_raise_for_error(self, cell, cell_index, exec_reply):
        """Remember every cell whose reply says it raised, even when the error output is lost
        (IPython prints a MemoryError's traceback to stderr when it cannot format it)."""
        content = (exec_reply or {}).get("content", {})
        if content.get("status") == "error":
            ename, evalue = content.get('ename', 'Error'), content.get('evalue', '')
            self.failed[cell_index] = f"{ename}: {evalue}"
        return await super()._check_raise_for_error(cell, cell_index, exec_reply)

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(str(content.get("text", ""))) + sum(len(str(v)) for v in
                                                        content.get("data", {}).values())
        room = self.output_limit - self.output_seen
        self.output_seen += size
        if self.output_seen > self.output_limit and room > 0 and "text" in content:
            msg = {**msg, "content": {**content, "text": str(content["text"])[:room]}}
            super().output(outs, msg, display_id, cell_index)
        if self.output_seen > self.output_limit:
            if not self.overflowed:
                self.overflowed = True
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text=f"\n[grader: output beyond {self.output_limit:,} bytes was dropped]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)


def _death_status(km, nb) -> str:
    """Why the kernel died: the sandbox's own diagnosis where it has one, else the exit code."""
    if hasattr(km, "death_status"):
        return km.death_status()
    process = getattr(getattr(km, "provisioner", None), "process", None)
    code = process.poll() if process is not None else None
    return "out_of_memory" if code in (-9, 137) or _raised_memory_error(nb) else "kernel_died"


DEATH_MESSAGES = {
    "out_of_memory": "the kernel was killed for using more memory than the limit",
    "timeout": "the kernel was stopped for using more CPU time than the limit",
    "disk_limit": "the kernel was stopped for writing more to disk than the limit",
    "kernel_died": "the kernel died (the process exited or crashed) during a cell",
}


def _raised_memory_error(nb) -> bool:
    return any(out.get("ename") == "MemoryError" for cell in nb.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []) if out.get("output_type") == "error")


def run(nb, scratch: Path, limits: Limits, *, sandbox: bool = True) -> Execution:
    """Execute `nb` in place (outputs land in its cells); never raises for what the code does."""
    result = Execution()
    km = make_kernel(scratch, limits, sandbox=sandbox)
    # A blocking client would block nbclient's event loop while a cell runs, so no timeout
    # could ever fire: the kernel manager must hand out asynchronous clients.
    km.client_factory = AsyncKernelClient
    client = LimitedClient(nb, km=km, timeout=limits.cell_timeout, allow_errors=True,
                           kernel_name="python3", output_limit=limits.output_bytes,
                           resources={"metadata": {"path": str(scratch)}},
                           shutdown_kernel="immediate", record_timing=True)
    start = time.monotonic()
    deadline = start + limits.notebook_timeout
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    try:
        with client.setup_kernel(cwd=str(scratch)):
            for index, cell in cells:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    result.status, result.message = "timeout", _notebook_timeout(limits)
                    break
                client.timeout = max(1, int(min(limits.cell_timeout, remaining) + 0.999))
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    result.status = "timeout"
                    result.message = (_notebook_timeout(limits) if remaining < limits.cell_timeout
                                      else f"a cell ran longer than the {limits.cell_timeout:g} s "
                                           f"cell timeout")
                    _run_final_probe(client, km, nb, cells, result)
                    break
                result.completed.add(index)
                if cell.metadata.get(PROBE_TAG) == "last":
                    result.final_probe_ran = True
    except DeadKernelError:
        result.status = _death_status(km, nb)
        result.message = DEATH_MESSAGES.get(result.status, DEATH_MESSAGES["kernel_died"])
    finally:
        _shutdown(client, km)
    result.failed = dict(client.failed)
    memory_error = any(m.startswith("MemoryError") for m in result.failed.values())
    if result.status == "ok" and (memory_error or _raised_memory_error(nb)):
        result.status, result.message = "out_of_memory", "a cell ran out of memory (MemoryError)"
    if result.status == "ok" and client.overflowed:
        result.status = "output_limit"
        result.message = f"the notebook printed more than {limits.output_bytes:,} bytes"
    result.seconds = time.monotonic() - start
    result.cells_seconds = sum(_cell_seconds(c) for c in nb.cells)
    return result


def _cell_seconds(cell) -> float:
    """How long the kernel spent on a cell (nbclient's execute_input to execute_reply times)."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    from datetime import datetime

    def parse(stamp: str) -> datetime:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))

    return max(0.0, (parse(end) - parse(start)).total_seconds())


def _shutdown(client, km) -> None:
    """nbclient leaves a kernel it did not create running: stop ours, whatever state it is in."""
    try:
        if client.kc is not None:
            client.kc.stop_channels()
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    except Exception:  # noqa: BLE001 - a kernel already gone is what we wanted
        pass


def _notebook_timeout(limits: Limits) -> str:
    return f"the notebook ran longer than the {limits.notebook_timeout:g} s notebook timeout"


def _run_final_probe(client, km, nb, cells, result: Execution) -> None:
    """After a timeout, interrupt the kernel and still run the integrity probe's last cell."""
    last = [(i, c) for i, c in cells if c.metadata.get(PROBE_TAG) == "last"]
    if not last:
        return
    try:
        km.interrupt_kernel()
        client.timeout = FINAL_PROBE_TIMEOUT_S
        client.execute_cell(last[0][1], last[0][0])
        result.final_probe_ran = True
    except (CellTimeoutError, DeadKernelError, RuntimeError):
        pass
