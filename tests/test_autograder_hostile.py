"""`course grade` on a class of hostile submissions beside honest ones, in one sandboxed batch.

Every hostile kind is one student's fx-basics notebook (its other answers are right). The test
asserts each row's exact status, flags and scores, that the honest rows are untouched, and that
nothing outside the hostile students' scratch folders changed: the other submissions, the
source notebooks and the gradebook hash the same before and after (the gradebook is compared
through its content for the honest students, since grading legitimately writes to it).
"""

from __future__ import annotations

import hashlib
import shutil

import pytest
from autograder_support import ANSWERS, Student, make_course, rows_by_key

from autograder.grade import grade
from autograder.kernel import GIB, Limits
from autograder.sandbox import isolation_status

pytestmark = [pytest.mark.slow]
LIMITS = Limits(cell_timeout=6, notebook_timeout=40, memory_bytes=1 * GIB, max_procs=32,
                output_bytes=200_000)
SQUARE = ANSWERS["square"]


def leak_probe(path: str, *, write: bool = False) -> str:
    """`square` is right unless the sandbox let `path` be read or written (then it is wrong)."""
    action = f"open({path!r}, 'a').write('pwned')" if write else f"open({path!r}).read()"
    return (SQUARE + "try:\n    " + action + "\n    def square(x):\n        return -1\n"
            "except OSError:\n    pass\n")


def hostile_answers(course, subs) -> dict[str, dict[str, str]]:
    source = str(course.source("fx-basics"))
    other = str(subs / "honest" / "fx-basics" / "fx-basics.ipynb")
    return {
        "membomb": {"mean": "blob = bytearray(10 * 2**30)\n"},
        "forkbomb": {"square": SQUARE + "import os\nwhile True:\n    try:\n        os.fork()\n"
                               "    except OSError:\n        pass\n"},
        "flooder": {"square": SQUARE + "for _ in range(100):\n    print('x' * 2**20)\n"},
        "looper": {"mean": "while True:\n    pass\n"},
        "solution_reader": {"square": leak_probe(source)},
        "peer_reader": {"square": leak_probe(other)},
        "gradebook_reader": {"square": leak_probe(str(course.root / "gradebook.db"))},
        "peer_writer": {"square": leak_probe(str(subs / "honest" / "fx-basics" / "x.txt"),
                                             write=True)},
        "patcher": {"square": SQUARE + "np.allclose = lambda *a, **k: True\n"},
        "transformer": {"square": SQUARE + "get_ipython().input_transformers_post.append("
                                           "lambda lines: lines)\n"},
        "rebinder": {"count_positive": "def count_positive(values):\n    return 0\n"
                                       "assert_equal = assert_close = lambda *a, **k: None\n"},
        "excuser": {"count_positive": "def count_positive(values):\n    return 0\n"
                                      "get_ipython().set_custom_exc((AssertionError,), "
                                      "lambda *a, **k: None)\n"},
        # Cheats where the static reader cannot see it, then kills the kernel as the probe
        # starts: the missing report is the only evidence, so it must be a flag.
        "probe_killer": {"count_positive": "def count_positive(values):\n    return 0\n"
                                           "globals()['assert_' + 'equal'] = lambda *a, **k: 0\n"
                                           "import os\nip = get_ipython()\n"
                                           "getattr(getattr(ip, 'ev' + 'ents'), 'reg' + 'ister')("
                                           "'pre_run_cell', lambda info: os._exit(0) if "
                                           "'integrity' in info.raw_cell else None)\n"},
        "rigger": {"count_positive": "class Yes(int):\n    def __eq__(self, other):\n"
                                     "        return True\n"
                                     "def count_positive(values):\n    return Yes(0)\n"},
    }


# student -> (raw points, status, flags); a flagged row's score is 0.
EXPECTED = {
    "honest": (6, "ok", ""),
    "honest2": (6, "ok", ""),
    "membomb": (3, "out_of_memory", ""),
    "forkbomb": (0, "timeout", ""),
    "flooder": (6, "output_limit", ""),
    "looper": (2, "timeout", ""),
    "solution_reader": (6, "ok", "static:path:notebook"),
    "peer_reader": (6, "ok", "static:path:notebook"),
    "gradebook_reader": (6, "ok", "static:path:gradebook"),
    "peer_writer": (6, "ok", ""),
    "patcher": (6, "ok", "monkeypatch:numpy.allclose;static:monkeypatch:numpy.allclose"),
    "transformer": (6, "ok", "ipython-hook:input_transformers_post;"
                             "static:ipython-hook:input_transformers_post"),
    "rebinder": (6, "ok", "monkeypatch:user_ns.assert_close;monkeypatch:user_ns.assert_equal"),
    "excuser": (5, "ok", "ipython-hook:set_custom_exc;static:ipython-hook:set_custom_exc"),
    "rigger": (5, "ok", "static:rigged-eq"),
    "probe_killer": (6, "kernel_died", "probe:no-report"),
}


def digest(paths) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed: the hostile batch needs the sandbox")
    assert isolation_status()[0], isolation_status()[1]
    tmp = tmp_path_factory.mktemp("hostile")
    course = make_course(tmp)
    subs = tmp / "submitted"
    for name in ("honest", "honest2"):
        student = Student(course, subs, name)
        student.write("fx-basics", student.notebook("fx-basics"))
    for name, answers in hostile_answers(course, subs).items():
        student = Student(course, subs, name)
        student.write("fx-basics", student.notebook("fx-basics", {**ANSWERS, **answers}))
    protected = [*subs.rglob("*"), *(course.root / "notebooks").rglob("*")]
    before = digest(protected)
    log = []
    status = grade(course, subs, tmp / "out", workers=2, limits=LIMITS, log=log.append)
    return {"status": status, "rows": rows_by_key(tmp / "out" / "grades.csv"), "log": log,
            "before": before, "after": digest(protected), "subs": subs, "course": course}


def test_the_batch_completes(batch):
    assert batch["status"] == 0


def outcomes(batch, students) -> tuple[dict, dict]:
    """(got, expected) as {student: (raw points, status, flags, score)} for `students`."""
    rows = {k[0]: r for k, r in batch["rows"].items() if k[1] == "fx-basics"}
    got = {s: (float(rows[s]["raw_score"]), rows[s]["status"], rows[s]["flags"],
               float(rows[s]["score"])) for s in students}
    want = {s: (float(EXPECTED[s][0]), EXPECTED[s][1], EXPECTED[s][2],
                0.0 if EXPECTED[s][2] else float(EXPECTED[s][0])) for s in students}
    return got, want


def test_every_hostile_row_has_its_exact_outcome(batch):
    rows = {k[0] for k in batch["rows"] if k[1] == "fx-basics"}
    assert rows == set(EXPECTED)
    got, want = outcomes(batch, sorted(set(EXPECTED) - {"flooder", "probe_killer"}))
    assert got == want


def test_an_output_flood_ends_as_output_limit(batch):
    got, want = outcomes(batch, ["flooder"])
    assert got == want


def test_a_missing_probe_report_is_a_flag(batch):
    """A kernel that dies as the last probe starts hides whatever it patched: flag it."""
    got, want = outcomes(batch, ["probe_killer"])
    assert got == want


def test_nothing_outside_the_scratch_folders_changed(batch):
    assert batch["after"] == batch["before"]
    assert not (batch["subs"] / "honest" / "fx-basics" / "x.txt").exists()


def test_the_gradebook_keeps_the_honest_scores(batch):
    from nbgrader.api import Gradebook

    with Gradebook(batch["course"].db_url) as gb:
        for name in ("honest", "honest2"):
            assert gb.find_submission("fx-basics", name).score == 6
