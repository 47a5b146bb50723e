"""Real kernels in the bubblewrap sandbox: what student code can see, touch and use up."""

from __future__ import annotations

import json
import shutil
import socket
import textwrap
from pathlib import Path

import pytest
from hostile_cases import (
    FORK_BOMB,
    GROWING_LIST,
    INFINITE_LOOP,
    MEMORY_BOMB,
    OUTPUT_FLOOD,
    RAW_FD_FLOOD,
    processes_of,
    run_cells,
)

import autograder
from autograder.sandbox import SandboxSpec, isolation_status

GIB = 2**30
REPO = Path(autograder.__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module", autouse=True)
def sandbox_available():
    """Skip only where bwrap is not installed; an installed bwrap that fails is a failure."""
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (scripts/install-system-deps.sh installs it)")
    sandboxed, description = isolation_status()
    assert sandboxed, description


@pytest.fixture
def world(tmp_path):
    """A scratch dir plus the things beside it a student must not reach."""
    other = tmp_path / "other-student" / "fx-basics"
    other.mkdir(parents=True)
    (other / "fx-basics.ipynb").write_text("SECRET-OTHER-SUBMISSION")
    (tmp_path / "gradebook.db").write_text("SECRET-GRADEBOOK")
    scratch = tmp_path / "scratch" / "alice"
    scratch.mkdir(parents=True)
    return tmp_path, scratch


def probe_source(tmp_path: Path, port: int) -> str:
    other = str(tmp_path / "other-student/fx-basics/fx-basics.ipynb")
    return textwrap.dedent(f"""
        import json, os, socket, sys
        def attempt(action):
            try:
                action()
                return True
            except OSError as exc:
                return type(exc).__name__
        def read(path):
            with open(path, "rb") as f:
                f.read(16)
        def write(path):
            with open(path, "w") as f:
                f.write("pwned")
        facts = {{
            "uid": os.getuid(), "cwd": os.getcwd(), "home": os.environ.get("HOME"),
            "env": sorted(os.environ),
            "read_other": attempt(lambda: read({other!r})),
            "read_gradebook": attempt(lambda: read({str(tmp_path / "gradebook.db")!r})),
            "read_source_notebooks": attempt(lambda: os.listdir({str(REPO / "notebooks")!r})),
            "read_autograder": attempt(lambda: read({autograder.__file__!r})),
            "write_venv": attempt(lambda: write(os.path.join(sys.prefix, "pwned"))),
            "write_other": attempt(lambda: write({str(tmp_path / "other-student/pwned")!r})),
            "write_scratch": attempt(lambda: write("mine.txt")),
            "write_tmp": attempt(lambda: write("/tmp/sandbox-private-marker")),
            "network": attempt(lambda: socket.create_connection(("127.0.0.1", {port}), timeout=3)),
            "visible_pids": len([p for p in os.listdir("/proc") if p.isdigit()]),
        }}
        print(json.dumps(facts))
    """)


LIBRARIES = textwrap.dedent("""
    import json, os, resource
    import matplotlib, numpy, torch, course_lib
    try:
        import autograder
        grader = "importable"
    except ImportError as exc:
        grader = type(exc).__name__
    limits = {n: resource.getrlimit(getattr(resource, n))[0]
              for n in ("RLIMIT_DATA", "RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_FSIZE")}
    print(json.dumps({"backend": matplotlib.get_backend(), "grader": grader,
                      "omp": os.environ.get("OMP_NUM_THREADS"),
                      "torch_threads": torch.get_num_threads(), "limits": limits}))
""")

TRAINING_STEP = textwrap.dedent("""
    import json, torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(512, 64), torch.randint(0, 10, (512,))
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    print(json.dumps({"first": losses[0], "last": losses[-1]}))
""")

ALIVE = "import json\nprint(json.dumps({'alive': True}))"


def test_kernel_sees_only_its_scratch_and_the_libraries(world, monkeypatch):
    tmp_path, scratch = world
    monkeypatch.setenv("COURSE_TEST_SECRET", "hunter2")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        cells = [probe_source(tmp_path, port), LIBRARIES, TRAINING_STEP, MEMORY_BOMB, ALIVE]
        run = run_cells(SandboxSpec(scratch=scratch), cells)
    finally:
        listener.close()
    facts = run.facts(0)
    assert facts["uid"] != 0
    assert facts["cwd"] == facts["home"] == str(scratch.resolve())
    assert "COURSE_TEST_SECRET" not in facts["env"]
    for key in ("read_other", "read_gradebook", "read_source_notebooks", "read_autograder"):
        assert facts[key] == "FileNotFoundError", (key, facts[key])
    assert facts["write_venv"] == "OSError"  # read-only file system
    assert facts["write_other"] == "FileNotFoundError"
    assert facts["write_scratch"] is True and (scratch / "mine.txt").read_text() == "pwned"
    assert facts["write_tmp"] is True and not Path("/tmp/sandbox-private-marker").exists()
    assert facts["network"] in ("ConnectionRefusedError", "OSError", "TimeoutError")
    assert facts["visible_pids"] < 10  # its own pid namespace
    assert (tmp_path / "gradebook.db").read_text() == "SECRET-GRADEBOOK"
    assert not (tmp_path / "other-student" / "pwned").exists()

    libs = run.facts(1)
    assert libs["backend"].lower() == "agg" and libs["grader"] == "ModuleNotFoundError"
    assert libs["omp"] == "1" and libs["torch_threads"] == 1
    assert libs["limits"]["RLIMIT_DATA"] == 4 * GIB and libs["limits"]["RLIMIT_NPROC"] == 64
    assert libs["limits"]["RLIMIT_AS"] == 5 * GIB
    training = run.facts(2)
    assert training["last"] < training["first"]  # torch trains under the default 4 GiB cap
    assert run.error(3) == "MemoryError"
    assert run.facts(4) == {"alive": True} and not run.died


def test_memory_and_fork_bombs_are_contained(tmp_path):
    spec = SandboxSpec(scratch=tmp_path / "s", memory_bytes=1 * GIB, max_procs=32)
    counts = []

    def count_processes(km, index):
        if index == 2:
            counts.append(len(processes_of(km._uid)))

    # The bomb lets go of its memory once refused, so the kernel can format the MemoryError
    # even on a loaded machine (holding the full cap there, it was sometimes aborted instead).
    bomb = GROWING_LIST.replace("while True:\n    hog.append(bytearray(2**20))",
                                "try:\n    while True:\n        hog.append(bytearray(2**20))\n"
                                "except MemoryError:\n    hog.clear()\n    raise")
    assert bomb != GROWING_LIST
    shared_map = "del hog\nimport mmap\nm = mmap.mmap(-1, 3 * 2**30)"
    run = run_cells(spec, [bomb, shared_map, FORK_BOMB, ALIVE], during=count_processes)
    assert "MemoryError" in run.text(0)
    assert run.error(1) == "OSError"  # shared anonymous memory is capped by RLIMIT_AS
    text = "".join(o.get("text", "") for o in run.nb.cells[2].outputs)
    assert text.startswith("forked ") and int(text.split()[1]) < 32
    assert counts and 1 < counts[0] <= 32
    assert run.facts(3) == {"alive": True}
    assert processes_of(run.uid) == []  # nothing outlives the sandbox


def test_a_kernel_that_fills_its_memory_and_holds_it_is_seen_at_the_cap(tmp_path):
    spec = SandboxSpec(scratch=tmp_path / "s", memory_bytes=1 * GIB)
    at_cap = []
    run = run_cells(spec, [GROWING_LIST, "del hog", ALIVE], timeout=20,
                    during=lambda km, index: at_cap.append(km.at_memory_cap()))
    assert "MemoryError" in run.text(0)
    # Full after the bomb, so a kernel that stops answering now is diagnosed out_of_memory
    # (km.death_status); once the memory is released it is not at the cap any more.
    assert at_cap[:2] == [True, False]
    if run.died:
        assert run.death_status == "out_of_memory"
    else:
        assert run.facts(2) == {"alive": True}


def test_infinite_loops_are_interruptible_and_killable(tmp_path):
    deaf = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n" + INFINITE_LOOP
    run = run_cells(SandboxSpec(scratch=tmp_path / "s"), [ALIVE, INFINITE_LOOP, ALIVE, deaf],
                    timeout=3)
    assert run.timed_out == [1, 3]
    assert run.error(1) == "KeyboardInterrupt"  # the interrupt crosses into the sandbox
    assert run.facts(2) == {"alive": True}
    assert processes_of(run.uid) == []


def test_output_floods_reach_neither_the_terminal_nor_memory(tmp_path, capfd):
    run = run_cells(SandboxSpec(scratch=tmp_path / "s"), [OUTPUT_FLOOD, RAW_FD_FLOOD, ALIVE])
    assert run.output_bytes >= 200 * 2**20  # every byte was seen and counted...
    kept = sum(len(o.get("text", "")) for c in run.nb.cells for o in c.outputs)
    assert kept <= 200_000  # ...but only the first 100 kB kept
    assert len(run.output_tail) <= 64 * 1024
    out, err = capfd.readouterr()
    assert len(out) + len(err) < 100_000


def test_disk_limits_end_the_kernel(tmp_path):
    spec = SandboxSpec(scratch=tmp_path / "s", file_bytes=20 * 2**20, disk_bytes=60 * 2**20)
    big_file = "open('big.bin', 'wb').write(b'0' * 30 * 2**20)"
    many_files = textwrap.dedent("""
        import time
        for i in range(100):
            with open(f"chunk{i}.bin", "wb") as f:
                f.write(b"1" * 10 * 2**20)
            time.sleep(0.1)
    """)
    run = run_cells(spec, [big_file, many_files])
    assert run.error(0) == "OSError"  # File too large (RLIMIT_FSIZE; Python ignores SIGXFSZ)
    assert run.died and run.death_status == "disk_limit"


def test_fallback_without_bwrap_still_limits_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_BWRAP", "none")
    sandboxed, description = isolation_status()
    assert not sandboxed and description.startswith("REDUCED ISOLATION")
    assert "bubblewrap (bwrap) is not installed" in description
    monkeypatch.setenv("COURSE_TEST_SECRET", "hunter2")
    facts = textwrap.dedent("""
        import json, os, resource
        print(json.dumps({"cwd": os.getcwd(), "secret": "COURSE_TEST_SECRET" in os.environ,
                          "data": resource.getrlimit(resource.RLIMIT_DATA)[0]}))
    """)
    scratch = tmp_path / "s"
    run = run_cells(SandboxSpec(scratch=scratch, memory_bytes=1 * GIB), [facts, MEMORY_BOMB, ALIVE])
    assert run.facts(0) == {"cwd": str(scratch.resolve()), "secret": False, "data": GIB}
    assert run.error(1) == "MemoryError"
    assert run.facts(2) == {"alive": True}


def test_isolation_status_describes_the_sandbox():
    sandboxed, description = isolation_status()
    assert sandboxed and description.startswith("sandboxed with bubblewrap")
    assert json.dumps(description)  # a plain printable sentence
