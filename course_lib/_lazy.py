"""Let a package expose the public names of all its submodules without listing them.

`course_lib.widgets`, `course_lib.plotting` and `course_lib.data` each hold one module per
lesson topic; `from course_lib.widgets import learning_rate_explorer` should work without an
import list that every new lesson has to edit (and without importing torch for lesson 01).
"""

from __future__ import annotations

import importlib
import pkgutil


def submodule_getattr(package_name: str, package_path):
    """Return a module-level ``__getattr__`` that finds `name` in the package's submodules."""

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        for info in sorted(pkgutil.iter_modules(package_path), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package_name}.{info.name}")
            if info.name == name:
                return module
            if name in getattr(module, "__all__", ()):
                return getattr(module, name)
        raise AttributeError(f"module {package_name!r} has no attribute {name!r}")

    return __getattr__
