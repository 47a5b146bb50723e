"""course_lib.data: one module per lesson topic.

Public names are found through each submodule's `__all__` (see `course_lib._lazy`).
"""

from course_lib._lazy import submodule_getattr

__getattr__ = submodule_getattr(__name__, __path__)
