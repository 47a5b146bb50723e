"""The integrity probe in real sandboxed kernels: tampering is flagged, honest work is not.

Kinds that cannot interfere with each other share one kernel (kernel starts are the cost); the
expected flags are compared as exact sets, so a kind that misses its flag or raises another
one fails the test either way.
"""

from __future__ import annotations

import json
import os
import textwrap

import pytest
from hostile_cases import run_cells

from autograder.integrity import probe_cells, read_probe_report
from autograder.sandbox import SandboxSpec

pytestmark = [pytest.mark.slow]
NONCE = "n0nce42"


def probe(tmp_path, *cells: str) -> list[str]:
    first, last = probe_cells(NONCE)
    scratch = tmp_path / "scratch"
    run_cells(SandboxSpec(scratch=scratch, memory_bytes=2 * 2**30),
              [first, *map(textwrap.dedent, cells), last], timeout=90)
    return read_probe_report(scratch, NONCE)


HONEST = """
    import dataclasses, warnings
    import numpy as np, torch, matplotlib
    import matplotlib.pyplot as plt
    from IPython.display import display, HTML
    from tqdm.auto import tqdm
    import ipywidgets as widgets
    import course_lib
    from course_lib.checks import assert_close, assert_shape, check
    np.random.seed(0); torch.manual_seed(0); warnings.filterwarnings("ignore")
    np.set_printoptions(precision=3)

    class Point:
        def __init__(self, x):
            self.x = x
        def __eq__(self, other):
            return self.x == other.x

    @dataclasses.dataclass
    class Config:
        lr: float = 0.1

    p, cfg, sum_ = Point(1), Config(), 0
    for _ in tqdm(range(3)):
        pass
    slider = widgets.FloatSlider(value=0.5)
    display(slider, HTML("<b>hi</b>"))
    fig, ax = plt.subplots()
    ax.plot(np.arange(5))
    plt.show()
    assert_close(np.ones(3), np.ones(3))
    assert_shape(torch.zeros(2, 3), (2, 3))
    check(p == p, "eq")
"""
INLINE = """
    %matplotlib inline
    import matplotlib.pyplot as plt
    plt.plot([1, 2, 3]); plt.show()
    x = course_lib.Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert_close(x.grad, [2.0, 4.0])
"""


def test_honest_notebook_raises_no_flag(tmp_path):
    assert probe(tmp_path, HONEST, INLINE) == []


def test_ipython_hooks_are_flagged(tmp_path):
    hooks = """
        import ast
        ip = get_ipython()
        ip.input_transformers_post.append(lambda lines: lines)
        ip.input_transformers_cleanup.append(lambda lines: lines)
        class Same(ast.NodeTransformer):
            pass
        ip.ast_transformers.append(Same())
        ip.events.register("pre_run_cell", lambda *a: None)
        ip.set_custom_exc((ZeroDivisionError,), lambda *a, **k: None)
        ip.display_formatter.formatters["text/plain"].for_type(complex, lambda *a: None)
        ip.showtraceback = lambda *a, **k: None
    """
    assert probe(tmp_path, hooks) == sorted([
        "ipython-hook:input_transformers_post", "ipython-hook:input_transformers_cleanup",
        "ipython-hook:ast_transformers", "ipython-hook:events.pre_run_cell",
        "ipython-hook:set_custom_exc", "ipython-hook:display_formatter",
        "ipython-hook:override.shell.showtraceback"])


def test_sys_hooks_are_flagged(tmp_path):
    hooks = """
        import sys
        class Finder:
            def find_spec(self, *args):
                return None
        def quiet(*args):
            return None
        sys.meta_path.insert(0, Finder())
        sys.path_hooks.append(quiet)
        sys.setprofile(quiet)
        sys.settrace(quiet)
    """
    # (IPython restores sys.excepthook after every cell, so a student cannot keep one.)
    assert probe(tmp_path, hooks) == sorted([
        "sys-hook:meta_path", "sys-hook:path_hooks",
        "sys-hook:setprofile", "sys-hook:settrace"])


def test_monkeypatches_are_flagged(tmp_path):
    patches = """
        import builtins, math
        import numpy as np, numpy.testing, torch
        import course_lib.checks as checks
        yes = lambda *a, **k: True
        np.allclose = yes
        np.testing.assert_allclose = yes
        torch.allclose = yes
        torch.Tensor.__eq__ = yes
        math.isclose = yes
        builtins.abs = yes
        checks.assert_close = yes
        checks._isclose = np.ones_like
    """
    assert probe(tmp_path, patches) == sorted([
        "monkeypatch:numpy.allclose", "monkeypatch:numpy.testing.assert_allclose",
        "monkeypatch:torch.allclose", "monkeypatch:torch.Tensor.__eq__",
        "monkeypatch:torch.Tensor",  # the class now carries a method from the notebook
        "monkeypatch:math.isclose", "monkeypatch:builtins.abs",
        "monkeypatch:course_lib.checks.assert_close", "monkeypatch:course_lib.checks._isclose"])


def test_fake_module_installed_before_import_is_flagged(tmp_path):
    fake = """
        import sys, types
        fake = types.ModuleType("numpy")
        fake.__file__ = sys.modules["os"].__file__
        fake.allclose = lambda *a, **k: True
        sys.modules["numpy"] = fake
    """
    assert probe(tmp_path, fake, "import numpy as np\nnp.allclose(1, 2)") == [
        "monkeypatch:numpy.allclose", "sys.modules:numpy"]


def test_rigged_answers_and_restored_patches_are_flagged(tmp_path):
    rigged = """
        import numpy as np
        class Answer:
            def __eq__(self, other):
                return True
        answer = Answer()
        Sneaky = type("Sneaky", (), {"__eq__": lambda self, other: 1})
        sneaky = Sneaky()
        genuine = np.allclose
        np.allclose = lambda *a, **k: True
    """
    restore = "np.allclose = genuine"
    assert probe(tmp_path, rigged, restore) == [
        "monkeypatch:numpy.allclose", "rigged-eq:Answer", "rigged-eq:Sneaky"]


def test_rebinding_an_imported_check_is_flagged(tmp_path):
    imports = "import numpy as np\nfrom course_lib.checks import assert_close, check"
    rebind = "assert_close = lambda *a, **k: None\ndel check\nnp = np"
    assert probe(tmp_path, imports, rebind) == [
        "monkeypatch:user_ns.assert_close", "monkeypatch:user_ns.check"]


def test_removing_the_monitor_is_flagged(tmp_path):
    remove = """
        ip = get_ipython()
        for callback in list(ip.events.callbacks["post_run_cell"]):
            ip.events.unregister("post_run_cell", callback)
    """
    assert probe(tmp_path, remove) == ["probe:monitor-removed"]


def test_a_kernel_that_exits_leaves_no_report(tmp_path):
    assert probe(tmp_path, "import os\nos._exit(0)") == ["probe:no-report"]


def test_reports_are_read_defensively(tmp_path):
    path = tmp_path / f".probe-{NONCE}.json"
    path.write_text(json.dumps({"nonce": "other", "flags": []}))
    assert read_probe_report(tmp_path, NONCE) == ["probe:bad-report"]
    path.write_text("{not json")
    assert read_probe_report(tmp_path, NONCE) == ["probe:bad-report"]
    path.write_text(json.dumps({"nonce": NONCE, "flags": [1]}))
    assert read_probe_report(tmp_path, NONCE) == ["probe:bad-report"]
    path.unlink()
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"nonce": NONCE, "flags": []}))
    os.symlink(secret, path)
    assert read_probe_report(tmp_path, NONCE) == ["probe:bad-report"]
    path.unlink()
    path.write_text(json.dumps({"nonce": NONCE, "flags": ["b", "a", "a"]}))
    assert read_probe_report(tmp_path, NONCE) == ["a", "b"]


def test_the_nonce_appears_only_in_the_last_cell():
    first, last = probe_cells(NONCE)
    assert NONCE not in first and NONCE in last
    with pytest.raises(ValueError, match="letters and digits"):
        probe_cells("../x")
