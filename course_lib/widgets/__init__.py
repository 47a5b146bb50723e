"""course_lib.widgets: one module per lesson topic; public names are found via each module's `__all__`."""

from course_lib._lazy import submodule_getattr

__getattr__ = submodule_getattr(__name__, __path__)
