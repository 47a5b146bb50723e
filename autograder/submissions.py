"""Find every (student, assignment) notebook in a SUBMISSIONS folder, zips included.

Accepted layouts, per student:

* ``<student>/<assignment>/<assignment>.ipynb`` (nbgrader's ``submitted/`` layout);
* ``<student>.zip`` holding ``<assignment>/<assignment>.ipynb`` (an LMS export), optionally
  under one top-level folder. Only ``.ipynb`` members are extracted, into the output folder;
  members with absolute paths, ``..`` parts or symlinks are refused and flagged (zip-slip).

Each (student, assignment) gets exactly one outcome: the notebook to grade (with a note when it
was renamed or had company), or none (status ``missing``). A zip that cannot be opened makes all
of that student's rows ``malformed``.
"""

from __future__ import annotations

import hashlib
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_ZIP_MEMBER_BYTES = 50 * 2**20


@dataclass
class Submission:
    student: str
    assignment: str
    notebook: Path | None
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    malformed: str = ""

    @property
    def sha256(self) -> str:
        if self.notebook is None:
            return "missing:" + self.malformed
        return hashlib.sha256(self.notebook.read_bytes()).hexdigest()


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "__MACOSX", "__pycache__"))


def _safe_member(info: zipfile.ZipInfo) -> PurePosixPath | None:
    name = PurePosixPath(info.filename.replace("\\", "/"))
    is_link = stat.S_ISLNK(info.external_attr >> 16)
    if name.is_absolute() or ".." in name.parts or ":" in info.filename or is_link:
        return None
    return name


def _extract(archive: Path, dest: Path, assignments: set[str]) -> tuple[Path, list[str]]:
    """Extract the notebooks of `archive` into `dest`; returns the student root and flags."""
    flags = []
    with zipfile.ZipFile(archive) as zf:
        members = []
        for info in zf.infolist():
            name = _safe_member(info)
            if name is None:
                flags.append(f"zip_unsafe_path:{info.filename}")
            elif not info.is_dir() and name.suffix == ".ipynb" and _visible(Path(name.parts[0])):
                members.append((info, name))
        tops = {name.parts[0] for _, name in members if len(name.parts) > 1}
        strip = len(tops) == 1 and not tops & assignments and all(
            len(n.parts) > 2 for _, n in members)
        for info, name in members:
            if info.file_size > MAX_ZIP_MEMBER_BYTES:
                flags.append(f"zip_member_too_large:{info.filename}")
                continue
            parts = name.parts[1:] if strip else name.parts
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
    return dest, flags


def _pick(folder: Path, assignment: str) -> tuple[Path | None, list[str]]:
    """The notebook that stands for `assignment` in a student's folder for it."""
    if not folder.is_dir():
        return None, []
    found = sorted(p for p in folder.glob("*.ipynb") if p.is_file() and _visible(p))
    exact = folder / f"{assignment}.ipynb"
    if exact in found:
        extra = [p.name for p in found if p != exact]
        return exact, [f"ignored extra notebook(s): {', '.join(extra)}"] if extra else []
    if not found:
        return None, []
    named = [p for p in found if assignment in p.name] or found
    chosen = max(named, key=lambda p: p.stat().st_mtime)
    note = f"no {assignment}.ipynb; graded {chosen.name}"
    if len(found) > 1:
        note += f" (of {', '.join(p.name for p in found)})"
    return chosen, [note]


def discover(submissions: Path, assignments: list[str], extract_dir: Path,
             exclude: tuple[Path, ...] = ()) -> tuple[list[Submission], list[str]]:
    """Every (student, assignment) for the assignments that at least one student handed in.

    Returns the submissions (sorted by student, then assignment) and warnings about entries
    that were ignored. Entries in `exclude` (the output folder, when it sits inside
    SUBMISSIONS) are skipped.
    """
    known, warnings, students = set(assignments), [], {}
    skip = {path.resolve() for path in exclude}
    for entry in sorted(submissions.iterdir()):
        if not _visible(entry) or entry.resolve() in skip:
            continue
        if entry.is_dir():
            students[entry.name] = (entry, [], "")
        elif entry.suffix == ".zip":
            if entry.stem in students:
                warnings.append(f"{entry.name}: ignored, the folder {entry.stem}/ is graded")
                continue
            try:
                root, flags = _extract(entry, extract_dir / entry.stem, known)
                students[entry.stem] = (root, flags, "")
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                students[entry.stem] = (None, [], f"{entry.name} is not a readable zip ({exc})")
        else:
            warnings.append(f"{entry.name}: ignored (neither a student folder nor a .zip)")
    handed_in = set()
    for student, (root, _, _) in students.items():
        if root is None:
            continue
        for child in root.iterdir():
            if child.is_dir() and child.name in known:
                handed_in.add(child.name)
            elif child.is_dir() and _visible(child):
                warnings.append(f"{student}/{child.name}: ignored, not an assignment of this "
                                f"course")
    batch = [a for a in assignments if a in handed_in]
    found = []
    for student, (root, flags, broken) in sorted(students.items()):
        for assignment in batch:
            sub = Submission(student, assignment, None, flags=list(flags), malformed=broken)
            if root is not None:
                sub.notebook, sub.notes = _pick(root / assignment, assignment)
            found.append(sub)
    return found, warnings
