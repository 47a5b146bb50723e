"""Integrity checks for graded submissions: tampering is flagged, never silently rewarded.

Two complementary views, combined by the grader into a row's ``flags``:

* :func:`probe_cells` / :func:`read_probe_report` (:mod:`autograder.integrity_probe`): what is
  *actually* hooked or patched in the student's kernel, seen by cells the grader wraps around
  the notebook.
* :func:`static_flags` (:mod:`autograder.integrity_static`): what the student's code *says* it
  does, from its syntax tree.

Flag vocabulary (each a short string; a flagged submission scores 0 until an instructor
accepts it):

``ipython-hook:<what>``   an IPython input/AST transformer, event callback, custom exception
                          handler, display formatter or shell method that is not library code
``sys-hook:<what>``       ``sys.excepthook``/``displayhook``/``settrace``/``setprofile``,
                          ``sys.meta_path``/``path_hooks`` additions
``monkeypatch:<name>``    a function or type tests rely on is not the library's own
                          (``user_ns.<name>``: a name the import cell bound was rebound)
``sys.modules:<name>``    the module object is not the genuine one from its file
``rigged-eq:<class>``     a variable's class claims to equal an unrelated object
``probe:no-report``       the last probe cell did not run or its report is missing
``probe:bad-report``      the report is unreadable, not a regular file, or for another nonce
``probe:monitor-removed`` the first cell's watcher was removed or duplicated
``static:...``            the same families, seen in the source (``static:rigged-eq``,
                          ``static:monkeypatch:numpy.allclose``, ``static:path:gradebook``...)
"""

from .integrity_probe import probe_cells, read_probe_report
from .integrity_static import static_flags

__all__ = ["probe_cells", "read_probe_report", "static_flags"]
