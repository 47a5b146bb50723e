"""The integrity scan that runs *inside* the student's kernel (stdlib only, no autograder import).

:mod:`autograder.integrity_probe` embeds this file's source in the two probe cells. The first
cell calls :func:`install`: it records a baseline of the kernel's hooks before any student code
runs and registers a monitor on IPython's ``post_run_cell`` event, so a patch
that is made for the test cells and undone afterwards is still seen at a cell boundary. The last
cell calls :func:`report`, which scans once more with freshly defined code and writes the flags.

Checks prefer *genuineness* to comparison with a baseline, so a patch made before numpy or torch
was imported is caught too: a function is genuine when its code lives in a file under the
trusted install prefixes (the Python installation, the venv, course_lib) and carries the
expected name; a C function when it has the expected name; a module when it is the object its
own functions belong to (their ``__globals__``/``__self__``) and its file is trusted.

Everything uses ``type(x) is ...`` rather than ``isinstance`` (a ``__class__`` property can lie)
and every check that raises counts as a failure, so a booby-trapped object flags itself.
"""

import json
import os
import sys
import types

HEAPTYPE = 1 << 9
_C_CALLABLES = (types.BuiltinFunctionType, types.WrapperDescriptorType,
                types.MethodDescriptorType, types.MethodWrapperType,
                types.ClassMethodDescriptorType, types.GetSetDescriptorType,
                types.MemberDescriptorType)

# Functions and types that tests rely on, by module. A value is the attribute's expected
# __name__ when it differs from the attribute name.
TARGETS = {
    "numpy": {"allclose": 0, "isclose": 0, "array_equal": 0, "array_equiv": 0, "asarray": 0,
              "array": 0, "all": 0, "any": 0, "abs": "absolute", "isfinite": 0, "argmax": 0,
              "unravel_index": 0, "where": 0, "ndarray": 0},
    "numpy.testing": {"assert_allclose": 0, "assert_array_equal": 0, "assert_equal": 0,
                      "assert_array_almost_equal": 0, "assert_almost_equal": 0},
    "torch": {"allclose": 0, "equal": 0, "isclose": 0, "tensor": 0, "as_tensor": 0,
              "from_numpy": 0, "is_tensor": 0, "Tensor": 0},
    "torch.testing": {"assert_close": 0},
    "math": {"isclose": 0, "isfinite": 0, "fabs": 0},
    "builtins": {n: 0 for n in (
        "abs", "all", "any", "isinstance", "issubclass", "len", "float", "int", "bool", "round",
        "sum", "min", "max", "type", "print", "getattr", "setattr", "hasattr", "open",
        "__import__", "AssertionError", "Exception", "repr", "str", "range", "zip", "sorted",
        "exec", "eval", "compile", "id", "callable", "iter", "next", "list", "tuple", "dict")},
}
# Methods of (Python-level) classes whose replacement would change a comparison's outcome.
CLASS_METHODS = {("torch", "Tensor"): (
    "__eq__", "__ne__", "__bool__", "__float__", "__int__", "__index__", "__array__",
    "numpy", "item", "tolist", "detach", "cpu", "allclose", "equal", "__sub__", "abs", "all",
    "any", "__torch_function__")}
WATCHED_MODULES = ("numpy", "numpy.testing", "torch", "torch.testing", "math", "builtins",
                   "course_lib", "course_lib.checks", "numbers", "json")
CHECKS_CAPTURED = {"_asarray": "asarray", "_isclose": "isclose", "_abs": "absolute",
                   "_argmax": "argmax", "_unravel": "unravel_index", "_isfinite": "isfinite",
                   "_ndarray": "ndarray"}
MONITOR_MARK = "__autograder_probe__"


class Scanner:
    """Genuineness checks relative to a set of trusted directories."""

    def __init__(self, roots, realpath=os.path.realpath, isfile=os.path.isfile):
        # The path functions come from the first cell when it ran, so a later patch of
        # os.path cannot make every file look trusted.
        self._realpath, self._isfile = realpath, isfile
        self.roots = tuple(realpath(r) for r in roots)
        self._path_cache = {}

    def trusted_path(self, path):
        """A real file under a trusted root, or a frozen standard-library module."""
        if type(path) is not str:
            return False
        if path.startswith("<frozen ") and path.endswith(">"):
            return path[8:-1].split(".")[0] in sys.stdlib_module_names
        if path not in self._path_cache:
            real = self._realpath(path)
            self._path_cache[path] = self._isfile(real) and any(
                real == r or real.startswith(r + os.sep) for r in self.roots)
        return self._path_cache[path]

    def genuine(self, obj, name=None, depth=0):
        """Whether `obj` is library code (and named `name`, when given)."""
        try:
            return self._genuine(obj, name, depth)
        except Exception:  # noqa: BLE001 - a booby-trapped object is not genuine
            return False

    def _genuine(self, obj, name, depth):
        kind = type(obj)
        if depth > 4:
            return False
        if kind is types.FunctionType:
            return self.trusted_path(obj.__code__.co_filename) and (
                name is None or obj.__name__ == name)
        if kind is types.MethodType:
            return self._genuine(obj.__func__, name, depth + 1)
        if kind in _C_CALLABLES:
            return name is None or obj.__name__ == name
        if kind in (staticmethod, classmethod):
            return self._genuine(obj.__func__, name, depth + 1)
        if kind is property:
            return all(f is None or self._genuine(f, None, depth + 1)
                       for f in (obj.fget, obj.fset, obj.fdel))
        if kind.__module__ == "functools" and kind.__name__ == "partial":
            return self._genuine(obj.func, None, depth + 1) and name is None
        if issubclass(kind, type):
            return self.genuine_type(obj, name, depth)
        if not self.genuine_type(kind, None, depth):
            return False
        if name is not None and getattr(obj, "__name__", None) != name:
            return False
        implementation = getattr(obj, "_implementation", None)  # numpy's array-function wrapper
        return implementation is None or self._genuine(implementation, None, depth + 1)

    def genuine_type(self, cls, name=None, depth=0):
        """A C (static) type, or a class from a trusted module all of whose functions are too.

        A class the notebook defines (module ``__main__``) is never library code, even one
        without methods of its own.
        """
        try:
            if name is not None and cls.__name__ != name:
                return False
            if not cls.__flags__ & HEAPTYPE:
                return True
            for klass in cls.__mro__:
                if klass is object or not klass.__flags__ & HEAPTYPE:
                    continue
                home = sys.modules.get(klass.__module__)
                if home is None or klass.__module__ == "__main__":
                    return False
                path = getattr(home, "__file__", None)
                if path is not None and not self.trusted_path(path):
                    return False
                for value in vars(klass).values():
                    if type(value) in (types.FunctionType, staticmethod, classmethod, property) \
                            and not self._genuine(value, None, depth + 1):
                        return False
            return True
        except Exception:  # noqa: BLE001
            return False

    def genuine_module(self, mod, name):
        """The real module `name`, loaded from its own trusted file.

        Its spec's origin is its ``__file__``, the file is named after the module, and the
        functions defined in that file (a fake module copies them) belong to this very object.
        """
        try:
            if type(mod) is not types.ModuleType and not self.genuine_type(type(mod)):
                return False
            if mod.__dict__.get("__name__") != name:
                return False
            spec = mod.__dict__.get("__spec__")
            origin = getattr(spec, "origin", None)
            if origin in ("built-in", "frozen"):
                return getattr(spec, "name", None) == name
            path = mod.__dict__.get("__file__")
            if not path or path != origin or not self.trusted_path(path):
                return False
            stem = os.path.basename(path).split(".")[0]
            if stem == "__init__":
                stem = os.path.basename(os.path.dirname(path))
            if stem != name.rpartition(".")[2]:
                return False
            return self._owns_functions(mod, path, name)
        except Exception:  # noqa: BLE001
            return False

    @staticmethod
    def _owns_functions(mod, path, name):
        for value in list(mod.__dict__.values())[:1000]:
            kind = type(value)
            if kind is types.FunctionType and value.__code__.co_filename == path:
                return value.__globals__ is mod.__dict__
            owner = getattr(value, "__self__", None) if kind is types.BuiltinFunctionType \
                else None
            if type(owner) is types.ModuleType and owner.__dict__.get("__name__") == name:
                return owner is mod
        return "__builtins__" in mod.__dict__


def _shell_objects(ip):
    """The objects that turn a cell's outcome into messages: their methods must be genuine."""
    objects = {"shell": ip, "displayhook": ip.displayhook, "display_pub": ip.display_pub,
               "compile": ip.compile}
    kernel = getattr(ip, "kernel", None)
    if kernel is not None:
        objects["kernel"] = kernel
        objects["session"] = kernel.session
    return objects


def hooks(ip):
    """Every hook a cell could use to change how later cells run or report, by kind."""
    found = {
        "ipython-hook:input_transformers_cleanup": list(ip.input_transformers_cleanup),
        "ipython-hook:input_transformers_post": list(ip.input_transformers_post),
        "ipython-hook:ast_transformers": list(ip.ast_transformers),
        "sys-hook:excepthook": [sys.excepthook],
        "sys-hook:displayhook": [sys.displayhook],
        "sys-hook:meta_path": list(sys.meta_path),
        "sys-hook:path_hooks": list(sys.path_hooks),
        "sys-hook:settrace": [f for f in (sys.gettrace(),) if f is not None],
        "sys-hook:setprofile": [f for f in (sys.getprofile(),) if f is not None],
    }
    manager = ip.input_transformer_manager
    found["ipython-hook:input_transformer_manager"] = [
        manager, *manager.line_transforms, *manager.token_transformers]
    for event, callbacks in ip.events.callbacks.items():
        found[f"ipython-hook:events.{event}"] = [c for c in callbacks
                                                 if not getattr(c, MONITOR_MARK, None)]
    printers = []
    for formatter in ip.display_formatter.formatters.values():
        printers.append(formatter)
        for table in ("type_printers", "deferred_printers", "singleton_printers"):
            printers.extend(getattr(formatter, table, {}).values())
    found["ipython-hook:display_formatter"] = printers
    threading = sys.modules.get("threading")
    if threading is not None:
        found["sys-hook:threading.settrace"] = [f for f in (
            getattr(threading, "_trace_hook", None), getattr(threading, "_profile_hook", None))
            if f is not None]
    return found


def overrides(ip):
    """Instance attributes that shadow a method of the shell, kernel, session or hooks."""
    found = {}
    for label, obj in _shell_objects(ip).items():
        for attr, value in vars(obj).items():
            if callable(getattr(type(obj), attr, None)):
                found[f"ipython-hook:override.{label}.{attr}"] = value
    return found


def snapshot(ip):
    """What the first cell remembers: every hook and override present before student code."""
    return {"hooks": hooks(ip), "overrides": overrides(ip),
            "custom_exceptions": tuple(ip.custom_exceptions)}


def _new(items, before):
    seen = {id(x) for x in before}
    return [x for x in items if id(x) not in seen]


def scan(ip, scanner, baseline, config, deep=False):
    """The flags for everything that is not as the library or the baseline left it.

    `deep` adds the slower checks (every method of the shell's classes; rigged ``__eq__``
    among the user's variables, which calls student code): only the last cell does them, the
    per-cell monitor keeps to what costs a few milliseconds.
    """
    flags = set()

    def check(flag, test):
        try:
            if not test():
                flags.add(flag)
        except Exception:  # noqa: BLE001 - a check that raises is itself suspicious
            flags.add(flag)

    base_hooks = baseline["hooks"] if baseline else {}
    for kind, items in hooks(ip).items():
        for item in _new(items, base_hooks.get(kind, [])):
            check(kind, lambda item=item: scanner.genuine(item))
    # IPython wraps a custom exception handler in its own function, so any change counts.
    base_custom = baseline["custom_exceptions"] if baseline else ()
    check("ipython-hook:set_custom_exc", lambda: tuple(ip.custom_exceptions) == base_custom)
    base_over = baseline["overrides"] if baseline else {}
    for flag, value in overrides(ip).items():
        if base_over.get(flag) is not value:
            check(flag, lambda value=value: scanner.genuine(value))
    if deep:
        for label, obj in _shell_objects(ip).items():
            check(f"ipython-hook:class.{label}",
                  lambda obj=obj: scanner.genuine_type(type(obj)))
    for name in WATCHED_MODULES:
        if name in sys.modules:
            check(f"sys.modules:{name}", lambda name=name: scanner.genuine_module(
                sys.modules[name], name))
    for module_name, attrs in TARGETS.items():
        mod = sys.modules.get(module_name)
        if mod is None:
            continue
        for attr, expected in attrs.items():
            if attr in mod.__dict__ or module_name == "builtins":
                check(f"monkeypatch:{module_name}.{attr}", lambda mod=mod, a=attr, e=expected:
                      scanner.genuine(mod.__dict__[a], e or a))
    for (module_name, cls_name), methods in CLASS_METHODS.items():
        cls = getattr(sys.modules.get(module_name), cls_name, None)
        for method in methods if isinstance(cls, type) else ():
            if method in cls.__dict__:
                check(f"monkeypatch:{module_name}.{cls_name}.{method}",
                      lambda cls=cls, m=method: scanner.genuine(cls.__dict__[m]))
    builtins_module = baseline["builtins"] if baseline else sys.modules.get("builtins")
    check("sys.modules:user_ns.__builtins__",
          lambda: ip.user_ns.get("__builtins__") is builtins_module)
    _scan_checks(check, scanner, config)
    if deep:
        _scan_user_namespace(ip, flags, scanner)
    return flags


def _scan_checks(check, scanner, config):
    checks = sys.modules.get("course_lib.checks")
    if checks is None:
        return
    own_file = os.path.realpath(config["checks_file"])
    for name in config["checks_functions"]:
        check(f"monkeypatch:course_lib.checks.{name}", lambda name=name: (
            type(checks.__dict__[name]) is types.FunctionType
            and os.path.realpath(checks.__dict__[name].__code__.co_filename) == own_file))
    for name, expected in CHECKS_CAPTURED.items():
        check(f"monkeypatch:course_lib.checks.{name}", lambda name=name, e=expected:
              scanner.genuine(checks.__dict__[name], e))
    check("monkeypatch:course_lib.checks.np", lambda: checks.__dict__["np"] is sys.modules[
        "numpy"] and scanner.genuine_module(checks.__dict__["np"], "numpy"))


class _Stranger:
    """Compares equal to nothing honest: an answer equal to it has a rigged ``__eq__``."""


def _scan_user_namespace(ip, flags, scanner):
    """Flag variables whose class, defined by the student, claims to equal a stranger.

    An honest ``__eq__`` returns False or NotImplemented for an unrelated object, or raises
    (``other.x`` does not exist): none of these is flagged.
    """
    stranger = _Stranger()
    for name, value in list(ip.user_ns.items())[:5000]:
        if name.startswith("_"):
            continue
        try:
            eq = next(k.__dict__["__eq__"] for k in type(value).__mro__ if "__eq__" in k.__dict__)
            if scanner.genuine(eq):
                continue
            verdict = eq(value, stranger)
            rigged = verdict is not NotImplemented and verdict is not False and bool(verdict)
        except Exception:  # noqa: BLE001 - an __eq__ that fails is not a rigged one
            continue
        if rigged:
            flags.add(f"rigged-eq:{type(value).__qualname__}")


def _protected(value, config):
    """Whether a user variable holds something the tests import: a watched module or a check."""
    if type(value) is types.ModuleType:
        return value.__dict__.get("__name__") in WATCHED_MODULES
    checks = sys.modules.get("course_lib.checks")
    return type(value) is types.FunctionType and checks is not None and any(
        checks.__dict__.get(name) is value for name in config["checks_functions"])


def watch_names(ip, state):
    """Flag a rebound name that held a module or check the (locked) import cell provided.

    ``assert_close = lambda *a, **k: None`` in a student cell patches no module, yet the test
    cells would call it; the monitor remembers each such name once it appears and flags the
    name when it later refers to something else.
    """
    seen = state.setdefault("names", {})
    for name, value in list(ip.user_ns.items()):
        if name in seen:
            if value is not seen[name]:
                state["violations"].add(f"monkeypatch:user_ns.{name}")
        elif not name.startswith("_") and _protected(value, state["config"]):
            seen[name] = value
    for name in seen:
        if name not in ip.user_ns:
            state["violations"].add(f"monkeypatch:user_ns.{name}")


def _monitors(ip):
    return [c for callbacks in ip.events.callbacks.values() for c in callbacks
            if getattr(c, MONITOR_MARK, None) is not None]


def install(ip, config):
    """First probe cell: remember the baseline and watch every later cell boundary."""
    scanner = Scanner(config["roots"])
    baseline = snapshot(ip)
    baseline["builtins"] = sys.modules["builtins"]
    state = {"baseline": baseline, "violations": set(), "config": config, "cwd": os.getcwd(),
             "io": (os.open, os.write, os.close, os.replace, json.dumps),
             "paths": (os.path.realpath, os.path.isfile)}

    def watch(*_):
        state["violations"] |= scan(ip, scanner, state["baseline"], config)
        watch_names(ip, state)

    # After each cell: a patch applied for the tests and undone later is still seen, and a
    # student's own post_run_cell hook (which could undo it first) is itself a flag.
    def monitor(*args):
        watch(*args)

    setattr(monitor, MONITOR_MARK, state)
    ip.events.register("post_run_cell", monitor)


def report(ip, config):
    """Last probe cell: one fresh scan plus what the monitor saw, as JSON in the scratch dir.

    The scratch dir is the kernel's working directory when the first cell ran (a student's
    ``os.chdir`` does not move the report).
    """
    monitors = _monitors(ip)
    states = {id(getattr(m, MONITOR_MARK)): getattr(m, MONITOR_MARK) for m in monitors}
    state = next(iter(states.values())) if len(states) == 1 and len(monitors) == 1 else None
    paths = state["paths"] if state else (os.path.realpath, os.path.isfile)
    flags = scan(ip, Scanner(config["roots"], *paths), state["baseline"] if state else None,
                 config, deep=True)
    if state is None:
        flags.add("probe:monitor-removed")
    else:
        watch_names(ip, state)
        flags |= state["violations"]
    open_, write, close, replace, dumps = state["io"] if state else (
        os.open, os.write, os.close, os.replace, json.dumps)
    data = dumps({"nonce": config["nonce"], "flags": sorted(flags)}).encode()
    path = os.path.join(state["cwd"] if state else os.getcwd(), f".probe-{config['nonce']}.json")
    temporary = path + ".tmp"
    fd = open_(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write(fd, data)
    finally:
        close(fd)
    replace(temporary, path)
