"""Static integrity flags: what a submission's own code *says* it does, read from its AST.

The probe cells (:mod:`autograder.integrity_probe`) see what is patched at run time; this module
sees intent that leaves no trace by then: an answer class whose ``__eq__`` always says yes, a
path into the gradebook or another student's folder, a hook installed and removed again.

Only the cells a student may edit are read (nbgrader's locked and test cells are the
instructor's). IPython syntax (``%magic``, ``!shell``) is translated first, so ``!cat
../bob/...`` is seen too; a cell that still does not parse is read block by block, and blocks
that fail are searched as text. Flags are short strings such as ``static:rigged-eq`` or
``static:monkeypatch:numpy.allclose``.

False positives cost an instructor's time and a student's trust, so each rule needs a clear
sign of intent: an ``__eq__`` that compares is fine, assigning ``torch.backends.cudnn.benchmark
= True`` is fine; replacing ``np.allclose`` with a function is not.
"""

from __future__ import annotations

import ast
import re

from .integrity_scan import CLASS_METHODS, TARGETS

PATCHED_ROOTS = ("numpy", "torch", "course_lib", "builtins", "math", "IPython", "ipykernel",
                 "nbgrader", "sys", "os", "json", "numbers", "unittest", "pytest")
RELIED_ON = ({a for attrs in TARGETS.values() for a in attrs}
             | {m for methods in CLASS_METHODS.values() for m in methods}
             | {"assert_close", "assert_shape", "assert_array", "assert_equal", "assert_between",
                "assert_scalar", "check", "run_case", "to_numpy", "CheckFailure", "_fail",
                "_asarray", "_isclose", "_abs", "_argmax", "_unravel", "_isfinite", "_ndarray"})
IPYTHON_HOOKS = {"input_transformers_cleanup", "input_transformers_post", "ast_transformers",
                 "input_transformer_manager", "set_custom_exc", "CustomTB", "custom_exceptions",
                 "showtraceback", "_showtraceback", "showsyntaxerror", "display_formatter",
                 "display_pub", "register_magic_function"}
SYS_HOOKS = {"excepthook", "displayhook", "settrace", "setprofile", "meta_path", "path_hooks",
             "_getframe", "f_locals", "f_back", "f_globals"}
# Comparison dunders, and the constant truthiness that makes each one lie.
RIGGABLE = {"__eq__": True, "__ne__": False, "__bool__": True, "__le__": True, "__ge__": True}
# (substring, flag) for string constants that look like paths (they contain / or \ or *).
PROTECTED_PATHS = (("gradebook", "static:path:gradebook"), (".probe-", "static:path:probe"),
                   ("autograder", "static:path:autograder"),
                   ("nbgrader_config", "static:path:autograder"),
                   (".ipynb", "static:path:notebook"))
# Unparsable code never runs as written, but a transformer hook could run it: only the
# unambiguous signs are looked for there.
TEXT_SIGNS = {**{name: f"static:ipython-hook:{name}" for name in (
    "input_transformers_cleanup", "input_transformers_post", "ast_transformers", "set_custom_exc")},
    "events.register": "static:ipython-hook:events", "sys.modules[": "static:sys.modules"}
EXEC_FUNCTIONS = ("exec", "eval", "builtins.exec", "builtins.eval")


def _code_cells(nb):
    """(source, editable by the student) for every code cell."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        yield source, not (meta.get("locked") or (meta.get("grade") and not meta.get("solution")))


def _translate(source: str) -> str:
    """IPython syntax to plain Python (magics become ``get_ipython().run_line_magic(...)``)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - an untranslatable cell is read as it is
        return source


def _trees(source: str):
    """(trees, unparsable text): the whole cell, or its top-level blocks one by one."""
    text = _translate(source)
    try:
        return [ast.parse(text)], ""
    except (SyntaxError, ValueError):
        pass
    trees, broken = [], []
    for block in re.split(r"\n(?=\S)", text):
        try:
            trees.append(ast.parse(block))
        except (SyntaxError, ValueError):
            broken.append(block)
    return trees, "\n".join(broken)


def _always(node: ast.AST | None, truthy: bool) -> bool:
    """Whether an expression is a constant (or an `or`/`and` forcing one) of that truthiness."""
    if isinstance(node, ast.Constant):
        return bool(node.value) is truthy
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _always(node.operand, not truthy)
    if isinstance(node, ast.BoolOp):
        forcing = ast.Or if truthy else ast.And
        return isinstance(node.op, forcing) and any(_always(v, truthy) for v in node.values)
    return False


def _rigged_function(node: ast.AST, truthy: bool) -> bool:
    if isinstance(node, ast.Lambda):
        return _always(node.body, truthy)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        returns = [n for n in ast.walk(node) if isinstance(n, ast.Return)]
        return bool(returns) and all(_always(r.value, truthy) for r in returns)
    return False


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.flags: set[str] = set()
        self.aliases: dict[str, str] = {"__builtins__": "builtins"}
        self.defined: set[str] = set()

    # --- names -------------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._imported(alias.name, alias.asname or alias.name.split(".")[0],
                           alias.name if alias.asname else alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            self._imported(f"{node.module}.{alias.name}", alias.asname or alias.name,
                           f"{node.module}.{alias.name}")

    def _imported(self, full: str, local: str, target: str) -> None:
        if full.split(".")[0] in ("ctypes", "_ctypes"):
            self.flags.add("static:ctypes")
        if full in ("gc.get_referrers", "gc.get_referents", "gc.get_objects"):
            self.flags.add("static:gc")
        self.aliases[local] = target

    def _dotted(self, node: ast.AST) -> str | None:
        """`np.testing.x` -> ``numpy.testing.x`` when the root is an imported module."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.aliases:
            return ".".join([self.aliases[node.id], *reversed(parts)])
        return None

    # --- definitions -------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.defined.add(node.name)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in RIGGABLE:
                if _rigged_function(item, RIGGABLE[item.name]):
                    self.flags.add("static:rigged-eq")
            if isinstance(item, ast.Assign):
                for target in item.targets:
                    name = getattr(target, "id", None)
                    if name in RIGGABLE and _rigged_function(item.value, RIGGABLE[name]):
                        self.flags.add("static:rigged-eq")
        self.defined.add(node.name)
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:  # type("X", (), {"__eq__": lambda *a: True})
        for key, value in zip(node.keys, node.values, strict=True):
            name = getattr(key, "value", None)
            if name in RIGGABLE and _rigged_function(value, RIGGABLE[name]):
                self.flags.add("static:rigged-eq")
        self.generic_visit(node)

    # --- assignments -------------------------------------------------------------------------
    def _patched(self, target: ast.AST, value: ast.AST | None) -> None:
        if isinstance(target, ast.Attribute):
            dotted = self._dotted(target)
            if dotted and dotted.split(".")[0] in PATCHED_ROOTS and self._patch_like(
                    target.attr, value):
                self.flags.add(f"static:monkeypatch:{dotted}")
            if target.attr == "__code__":
                self.flags.add("static:code-forgery")
            if target.attr in RIGGABLE and _rigged_function(value, RIGGABLE[target.attr]):
                self.flags.add("static:rigged-eq")
        elif isinstance(target, ast.Subscript):
            container = self._dotted(target.value)
            if container == "sys.modules":
                self.flags.add("static:sys.modules")
            owner = self._namespace_of(target.value)
            if owner:
                key = getattr(target.slice, "value", "*")
                self.flags.add(f"static:monkeypatch:{owner}.{key}")
            if isinstance(target.value, ast.Name) and target.value.id == "__builtins__":
                self.flags.add("static:monkeypatch:builtins")
        elif isinstance(target, ast.Name) and target.id == "__builtins__":
            self.flags.add("static:monkeypatch:builtins")
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._patched(element, None)

    def _namespace_of(self, node: ast.AST) -> str | None:
        """The module behind ``np.__dict__`` or ``vars(np)``, if it is one tests rely on."""
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            owner = self._dotted(node.value)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "vars" and node.args:
            owner = self._dotted(node.args[0])
        else:
            return None
        return owner if owner and owner.split(".")[0] in PATCHED_ROOTS else None

    def _patch_like(self, attr: str, value: ast.AST | None) -> bool:
        """Replacing something tests rely on, or installing the student's own callable."""
        if attr in RELIED_ON or attr in SYS_HOOKS or attr in IPYTHON_HOOKS:
            return True
        return isinstance(value, ast.Lambda) or (
            isinstance(value, ast.Name) and value.id in self.defined)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._patched(target, node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._patched(node.target, node.value)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._patched(target, None)
        self.generic_visit(node)

    # --- calls and attributes ----------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = self._dotted(node.func) or getattr(node.func, "id", "")
        if func in EXEC_FUNCTIONS and node.args:
            code = node.args[0]
            if isinstance(code, ast.Constant) and type(code.value) is str:
                for tree in _trees(code.value)[0]:  # code in a string is still code
                    self.visit(tree)
            else:
                self.flags.add("static:exec")
        if func in ("setattr", "builtins.setattr", "delattr", "builtins.delattr") and node.args:
            owner = self._dotted(node.args[0]) or ""
            name = getattr(node.args[1], "value", None) if len(node.args) > 1 else None
            value = node.args[2] if len(node.args) > 2 else None
            if owner.split(".")[0] in PATCHED_ROOTS and (
                    type(name) is not str or self._patch_like(name, value)):
                self.flags.add(f"static:monkeypatch:{owner}.{name if type(name) is str else '*'}")
            if type(name) is str and name in RIGGABLE and value is not None and _rigged_function(
                    value, RIGGABLE[name]):
                self.flags.add("static:rigged-eq")
        if func in ("sys.modules.update", "sys.modules.pop", "sys.modules.setdefault",
                    "sys.modules.__setitem__", "sys.modules.clear"):
            self.flags.add("static:sys.modules")
        if func in ("types.FunctionType", "types.CodeType", "types.LambdaType") or (
                func == "compile" and len(node.args) >= 2):
            self.flags.add("static:code-forgery")
        if func.startswith(("gc.get_referrers", "gc.get_referents", "gc.get_objects")):
            self.flags.add("static:gc")
        if func.startswith("ctypes."):
            self.flags.add("static:ctypes")
        if func in ("sys._getframe", "inspect.currentframe", "inspect.stack"):
            self.flags.add("static:sys-hook:frames")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in IPYTHON_HOOKS:
            self.flags.add(f"static:ipython-hook:{node.attr}")
        if node.attr in ("register", "unregister", "callbacks") and getattr(
                node.value, "attr", None) == "events":
            self.flags.add("static:ipython-hook:events")
        frame_trick = node.attr in ("f_locals", "f_back", "f_globals")
        if frame_trick or (node.attr in SYS_HOOKS and self._dotted(node) in (
                f"sys.{node.attr}", f"threading.{node.attr}")):
            self.flags.add(f"static:sys-hook:{node.attr}")
        if node.attr in ("co_filename", "co_code"):
            self.flags.add("static:code-forgery")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if type(node.value) is str:
            self.flags |= _path_flags(node.value)
            if node.value in IPYTHON_HOOKS:
                self.flags.add(f"static:ipython-hook:{node.value}")
        self.generic_visit(node)


def _path_flags(text: str) -> set[str]:
    """Flags for a string that names a protected path (prose that mentions one is not)."""
    if not any(c in text for c in "/\\*") and not text.startswith(".probe-"):
        return set()
    flags = {flag for needle, flag in PROTECTED_PATHS if needle in text}
    if re.search(r"(?<![\w.])\.\.(?=[/\\]|$)", text):
        flags.add("static:path:parent-dir")
    return flags


def _text_flags(text: str) -> set[str]:
    """Signs of tampering in code that does not even parse (it may still run in parts)."""
    flags = {flag for sign, flag in TEXT_SIGNS.items() if sign in text}
    for literal in re.findall(r"""(["'])(.*?)\1""", text):
        flags |= _path_flags(literal[1])
    return flags


def static_flags(nb) -> list[str]:
    """Sorted ``static:`` flags for the student-editable code cells of notebook `nb`."""
    visitor = _Visitor()
    flags: set[str] = set()
    cells = list(_code_cells(nb))
    for source, editable in cells:  # the import cell is locked, but its aliases count
        if not editable:
            for tree in _trees(source)[0]:
                for node in ast.walk(tree):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        _Visitor.visit(visitor, node)
    visitor.flags.clear()
    for source, editable in cells:
        if not editable:
            continue
        trees, broken = _trees(source)
        for tree in trees:
            visitor.visit(tree)
        if broken:
            flags |= _text_flags(broken)
    return sorted(flags | visitor.flags)
