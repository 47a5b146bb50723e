"""Static integrity flags: each tampering idiom is named, ordinary student code is not."""

from __future__ import annotations

import nbformat
import pytest

from autograder.integrity import static_flags


def flags_of(*sources: str, locked: bool = False) -> list[str]:
    cells = [nbformat.v4.new_code_cell(s) for s in sources]
    if locked:
        for cell in cells:
            cell.metadata["nbgrader"] = {"locked": True, "grade": True, "solution": False,
                                         "grade_id": "t", "points": 1}
    return static_flags(nbformat.v4.new_notebook(cells=cells))


HONEST = {
    "numpy use": "import numpy as np\nx = np.ones(3)\nprint(np.allclose(x, 1), np.isclose(1, 1))",
    "comparing __eq__": (
        "class Point:\n    def __init__(self, x):\n        self.x = x\n"
        "    def __eq__(self, other):\n"
        "        return isinstance(other, Point) and self.x == other.x\n"
        "    def __ne__(self, other):\n        return not self == other\n"),
    "dataclass": "from dataclasses import dataclass\n@dataclass\nclass P:\n    x: int = 0",
    "constant __len__": "class Data:\n    def __len__(self):\n        return 100",
    "torch settings": "import torch\ntorch.backends.cudnn.benchmark = True\ntorch.manual_seed(0)",
    "matplotlib settings": "import matplotlib.pyplot as plt\nplt.rcParams['figure.dpi'] = 80",
    "magics": "%matplotlib inline\n%timeit sum(range(10))\n!ls",
    "prose mentions": "print('the autograder and the gradebook check this notebook.ipynb')",
    "own files": ("open('data.csv').read()\n"
                  "with open('results/out.json', 'w') as f:\n    f.write('1')"),
    "syntax error": "def f(:\n    return 1",
    "shadowing builtins": "sum = 0\nlen_ = 3\nimport os\nos.environ['SEED'] = '1'",
    "re.compile": "import re\npattern = re.compile('a+')",
}


@pytest.mark.parametrize("source", HONEST.values(), ids=HONEST.keys())
def test_honest_code_raises_no_flag(source):
    assert flags_of(source) == []


HOSTILE = {
    "eq returns True": ("class A:\n    def __eq__(self, other):\n        return True",
                        ["static:rigged-eq"]),
    "eq lambda": ("class A:\n    __eq__ = lambda self, other: True", ["static:rigged-eq"]),
    "eq in type()": ("B = type('B', (), {'__eq__': lambda *a: True})", ["static:rigged-eq"]),
    "ne returns False": ("class A:\n    def __ne__(self, o):\n        return False",
                         ["static:rigged-eq"]),
    "eq with print": ("class A:\n    def __eq__(self, o):\n        print(o)\n        return 1 or o",
                      ["static:rigged-eq"]),
    "other student": ("open('../../bob/fx-basics/fx-basics.ipynb').read()",
                      ["static:path:notebook", "static:path:parent-dir"]),
    "gradebook": ("open('/course/gradebook.db', 'rb')", ["static:path:gradebook"]),
    "probe report": ("import glob\nglob.glob('.probe-*')", ["static:path:probe"]),
    "shell escape": ("!cat ../alice/fx-basics/fx-basics.ipynb",
                     ["static:path:notebook", "static:path:parent-dir"]),
    "events": ("get_ipython().events.register('post_run_cell', print)",
               ["static:ipython-hook:events"]),
    "transformer": ("ip = get_ipython()\nip.input_transformers_post.append(lambda lines: lines)",
                    ["static:ipython-hook:input_transformers_post"]),
    "custom exc": ("get_ipython().set_custom_exc((AssertionError,), lambda *a, **k: None)",
                   ["static:ipython-hook:set_custom_exc"]),
    "sys.modules": ("import sys\nsys.modules['numpy'] = object()", ["static:sys.modules"]),
    "numpy patch": ("import numpy as np\nnp.allclose = lambda *a, **k: True",
                    ["static:monkeypatch:numpy.allclose"]),
    "setattr patch": ("import numpy as np\ndef yes(*a, **k):\n    return True\n"
                      "setattr(np, 'allclose', yes)", ["static:monkeypatch:numpy.allclose"]),
    "dict patch": ("import numpy\nvars(numpy)['isclose'] = None",
                   ["static:monkeypatch:numpy.isclose"]),
    "builtins patch": ("import builtins\ndef my_abs(x):\n    return 0\nbuiltins.abs = my_abs",
                       ["static:monkeypatch:builtins.abs"]),
    "checks patch": ("import course_lib.checks as c\nc.assert_close = lambda *a, **k: None",
                     ["static:monkeypatch:course_lib.checks.assert_close"]),
    "from-import patch": ("from course_lib import checks\nchecks._isclose = print",
                          ["static:monkeypatch:course_lib.checks._isclose"]),
    "tensor eq": ("import torch\ntorch.Tensor.__eq__ = lambda s, o: True",
                  ["static:monkeypatch:torch.Tensor.__eq__", "static:rigged-eq"]),
    "ctypes": ("import ctypes\nctypes.pythonapi", ["static:ctypes"]),
    "gc": ("import gc\ngc.get_referrers(1)", ["static:gc"]),
    "settrace": ("import sys\nsys.settrace(lambda *a: None)", ["static:sys-hook:settrace"]),
    "frames": ("import sys\nsys._getframe(1).f_locals['x'] = 1",
               ["static:sys-hook:_getframe", "static:sys-hook:f_locals", "static:sys-hook:frames"]),
    "code forgery": ("def f():\n    return 1\nf.__code__ = (lambda: True).__code__",
                     ["static:code-forgery"]),
    "exec string": ("import numpy as np\nexec('np.allclose = lambda *a, **k: True')",
                    ["static:monkeypatch:numpy.allclose"]),
    "exec computed": ("exec(''.join(['x', '=1']))", ["static:exec"]),
    "broken cell": ("get_ipython().input_transformers_post.append(f)\ndef g(:\n    pass",
                    ["static:ipython-hook:input_transformers_post"]),
}


@pytest.mark.parametrize("source, expected", HOSTILE.values(), ids=HOSTILE.keys())
def test_tampering_idioms_are_named(source, expected):
    assert flags_of(source) == sorted(expected)


def test_locked_instructor_cells_are_not_read():
    assert flags_of("import numpy as np\nnp.allclose = lambda *a, **k: True", locked=True) == []


def test_aliases_come_from_locked_cells_too():
    locked = nbformat.v4.new_code_cell("import numpy as np", metadata={"nbgrader": {
        "locked": True, "grade": False, "solution": False, "grade_id": "imports"}})
    nb = nbformat.v4.new_notebook(cells=[locked, nbformat.v4.new_code_cell("np.isclose = abs")])
    assert static_flags(nb) == ["static:monkeypatch:numpy.isclose"]


def test_aliases_carry_across_cells():
    assert flags_of("import numpy as xp", "xp.array_equal = None") == [
        "static:monkeypatch:numpy.array_equal"]
