"""How a student's kernel is launched: the bubblewrap command line, the rlimits and the environment.

The kernel command that jupyter_client would run (``python -m ipykernel_launcher -f conn.json``)
is wrapped twice:

1. ``bwrap ...`` gives the kernel its own mount, pid, ipc, uts and network namespaces and a
   minimal filesystem: read-only system directories, the Python installation, the virtual
   environment and ``course_lib``; the scratch directory read-write; a private ``/tmp``. Nothing
   else of the host (the repository's notebooks, other students, the gradebook) exists inside.
2. A tiny launcher (:data:`LAUNCHER`, run with ``python -I -S -c``) then drops to an unprivileged
   uid, applies the rlimits *inside* the sandbox and ``execve``-s the kernel with a scrubbed
   environment. Both steps matter and were measured on the grading machine:

   * ``RLIMIT_NPROC`` is ignored for real uid 0 (the kernel exempts ``INIT_USER`` whatever the
     capabilities), so a fork bomb running as root is not contained. When the grader runs as
     root, bwrap runs without a user namespace, keeps only CAP_SETUID/CAP_SETGID, and the
     launcher switches to a fresh uid (random, above 200000) per kernel, so the process cap counts
     only that kernel's tasks. An unprivileged grader gets a user namespace from bwrap instead;
     the rlimit is set after the namespace exists, so the cap counts the sandbox's tasks only.
   * ``RLIMIT_DATA`` (private writable memory) is the memory cap: it is what a ``bytearray``, a
     growing list, a numpy or torch buffer allocate, while ``import torch`` adds ~0.5 GiB of
     file-backed mappings that are not memory the student uses. ``RLIMIT_AS`` is set one
     headroom above it so shared anonymous mappings (``mmap.mmap(-1, n)``) cannot bypass it.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

GIB = 2**30
MIB = 2**20
# Virtual memory beyond the private-memory cap: shared libraries (torch's alone are ~0.4 GiB),
# thread stacks and allocator reservations. Measured: numpy+torch+matplotlib+sklearn in a kernel
# map ~1.1 GiB of address space for ~0.5 GiB of private data.
ADDRESS_SPACE_HEADROOM = 1 * GIB
SANDBOX_UID_BASE = 200_000
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "TORCH_NUM_THREADS")

# Runs as `python -I -S -c LAUNCHER CONFIG_JSON KERNEL_ARGV...`: stdlib only, no site, so it needs
# nothing from the course and starts in milliseconds. Order matters: drop the uid first (which
# also clears every capability), then lower the limits, then exec with the clean environment.
LAUNCHER = """
import ctypes, json, os, resource, signal, sys
cfg = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
if cfg["uid"] is not None:
    os.setgroups([])
    os.setresgid(cfg["uid"], cfg["uid"], cfg["uid"])
    os.setresuid(cfg["uid"], cfg["uid"], cfg["uid"])
libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: no setuid binary can give privileges back
libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG (after setuid, which clears it)
for name, (soft, hard) in cfg["limits"].items():
    resource.setrlimit(getattr(resource, name), (soft, hard))
os.umask(0o022)
os.chdir(cfg["cwd"])
os.execve(sys.argv[2], sys.argv[2:], cfg["env"])
"""


def rlimits(spec) -> dict[str, tuple[int, int]]:
    """The (soft, hard) rlimits a kernel runs under, by `resource` constant name."""
    limits = {
        "RLIMIT_DATA": (spec.memory_bytes, spec.memory_bytes),
        "RLIMIT_AS": (spec.memory_bytes + ADDRESS_SPACE_HEADROOM,) * 2,
        "RLIMIT_NPROC": (spec.max_procs, spec.max_procs),
        "RLIMIT_FSIZE": (spec.file_bytes, spec.file_bytes),
        "RLIMIT_CORE": (0, 0),
        "RLIMIT_NOFILE": (1024, 1024),
    }
    if spec.cpu_seconds is not None:
        # SIGXCPU at the soft limit ends the kernel; the hard limit is a SIGKILL backstop.
        limits["RLIMIT_CPU"] = (spec.cpu_seconds, spec.cpu_seconds + 5)
    # Never ask for more than the grader itself may have (an unprivileged grader cannot raise).
    for name, (soft, hard) in list(limits.items()):
        _, own_hard = resource.getrlimit(getattr(resource, name))
        if own_hard != resource.RLIM_INFINITY:
            limits[name] = (min(soft, own_hard), min(hard, own_hard))
    return limits


def kernel_environment(spec, extra_path: list[str]) -> dict[str, str]:
    """A scrubbed environment: nothing of the grader's (no tokens, no instructor paths)."""
    home = str(spec.scratch)
    env = {
        "PATH": os.pathsep.join([*extra_path, "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": home,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": "/tmp",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(home, ".config", "matplotlib"),
        "IPYTHONDIR": os.path.join(home, ".ipython"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONHASHSEED": "0",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    env.update({name: "1" for name in THREAD_VARIABLES})
    return env


def launcher_argv(spec, kernel_argv: list[str], *, uid: int | None,
                  env: dict[str, str]) -> list[str]:
    """``python -I -S -c LAUNCHER config kernel_argv...`` for the given target uid."""
    config = {"uid": uid, "limits": rlimits(spec), "env": env, "cwd": str(spec.scratch)}
    return [sys.executable, "-I", "-S", "-c", LAUNCHER, json.dumps(config), *kernel_argv]


def trusted_roots() -> list[Path]:
    """Directories whose code the kernel needs read-only: the Python install, venv, course_lib."""
    import course_lib

    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
             Path(sys.executable).resolve().parent.parent,
             Path(course_lib.__file__).resolve().parent}
    # A nested root is covered by its parent; binding both would only slow bwrap down.
    return sorted(r for r in roots if not any(o != r and o in r.parents for o in roots))


class _Mounts:
    """Builds bwrap mount arguments, creating each destination's parents world-readable first.

    bwrap makes missing parent directories mode 0700 (owned by root), which an unprivileged
    kernel could not traverse to reach, say, ``/root/.pyenv/versions/3.11.7``.
    """

    def __init__(self) -> None:
        self.args: list[str] = []
        self._made = {"/"}

    def _parents(self, dest: str) -> None:
        for parent in reversed(Path(dest).parents):
            if str(parent) not in self._made:
                self._made.add(str(parent))
                self.args += ["--perms", "0755", "--dir", str(parent)]

    def add(self, *flags_src_dest: str) -> None:
        """Add one mount: the flags (``--ro-bind SRC``, ``--perms 1777 --tmpfs``...) then DEST."""
        dest = flags_src_dest[-1]
        self._parents(dest)
        self._made.add(dest)
        self.args += list(flags_src_dest)


def _system_mounts(mounts: _Mounts) -> None:
    mounts.add("--ro-bind", "/usr", "/usr")
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            mounts.add("--symlink", os.readlink(top), top)
        elif os.path.isdir(top):
            mounts.add("--ro-bind", top, top)
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives",
                 "passwd", "group", "nsswitch.conf", "hosts", "mime.types", "fonts"):
        if os.path.exists(f"/etc/{name}"):
            mounts.add("--ro-bind", f"/etc/{name}", f"/etc/{name}")


def bwrap_argv(bwrap: str, spec, ipc_dir: Path, *, as_root: bool) -> list[str]:
    """The bubblewrap command line up to (not including) the command it runs.

    No ``--chdir``: as root, bwrap has already dropped CAP_DAC_OVERRIDE and cannot enter a
    scratch directory owned by the sandbox uid; the launcher changes directory after setuid.
    """
    args = [bwrap, "--die-with-parent", "--new-session",
            "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try",
            "--hostname", "sandbox"]
    if not spec.network:
        args.append("--unshare-net")
    if as_root:
        # No user namespace: the launcher needs real CAP_SETUID to become an unprivileged uid,
        # and every other capability is gone from the start.
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user"]
    mounts = _Mounts()
    _system_mounts(mounts)
    tmp_size = str(min(spec.memory_bytes, 512 * MIB))
    mounts.add("--proc", "/proc")
    mounts.add("--dev", "/dev")
    mounts.add("--perms", "1777", "--size", tmp_size, "--tmpfs", "/tmp")
    mounts.add("--perms", "1777", "--size", tmp_size, "--tmpfs", "/dev/shm")
    # After the private /tmp, so that a checkout or venv living under /tmp stays visible.
    for root in [*trusted_roots(), *(Path(p).resolve() for p in spec.readonly_paths)]:
        mounts.add("--ro-bind", str(root), str(root))
    mounts.add("--bind", str(ipc_dir), str(ipc_dir))
    mounts.add("--bind", str(spec.scratch), str(spec.scratch))
    return args + mounts.args


def sandbox_uid() -> int:
    """A fresh unprivileged uid, so each kernel's process count is its own."""
    import secrets

    return SANDBOX_UID_BASE + secrets.randbelow(2**20)
