"""Rebuild the notebook to grade from a student's submission and the lesson's source.

A submission is untrusted: cells may be deleted, duplicated, edited, turned into markdown or
stripped of metadata. nbgrader's OverwriteCells handles only edits. Here every graded or locked
cell of the source is put back exactly (hidden tests included) and every solution cell carries
the student's code, whatever happened to the submission:

* cells are matched to source cells by ``grade_id``, then by cell id, then by their text;
* a locked or test cell is restored from the source (its type, metadata and source);
* a missing one is re-inserted after the source cell it follows; a missing solution cell gets
  the release's placeholder (its tests then fail, with the reason in the notes);
* a duplicate of a locked cell is dropped; a duplicate of a solution cell keeps its code but
  loses its grade id (as nbgrader's DeduplicateIds does);
* metadata claiming a grade id the source does not have is removed (no invented points).

Every repair is described in the returned notes, which end up in grades.csv and the feedback.
"""

from __future__ import annotations

import copy
import uuid

import nbformat

from . import cells as C


def _protected(cell) -> bool:
    return C.grade_id(cell) is not None and (C.is_locked(cell) or C.is_test(cell))


def _fresh(cell):
    cell = copy.deepcopy(cell)
    cell.metadata.pop("execution", None)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


class _Matcher:
    """Finds, for each submitted cell, the source cell it stands for (or None)."""

    def __init__(self, source, release):
        self.source = [c for c in source.cells if C.grade_id(c)]
        self.by_gid = {C.grade_id(c): c for c in self.source}
        self.by_id = {c.get("id"): c for c in self.source if c.get("id")}
        self.by_text = {}
        for reference in (source, release):
            for c in reference.cells:
                gid = C.grade_id(c)
                if gid and _protected(self.by_gid.get(gid, c)) and C.source_text(c).strip():
                    self.by_text.setdefault(C.source_text(c).strip(), gid)

    def match(self, cell) -> tuple[str | None, str]:
        gid = C.grade_id(cell)
        if gid in self.by_gid:
            return gid, ""
        by_id = self.by_id.get(cell.get("id"))
        if by_id is not None:
            return C.grade_id(by_id), "its nbgrader metadata was missing (matched by cell id)"
        by_text = self.by_text.get(C.source_text(cell).strip())
        if by_text is not None:
            return by_text, "its nbgrader metadata was missing (matched by its text)"
        return None, f"unknown grade id {gid!r} removed" if gid else ""


def rebuild(submission, source, release):
    """The notebook to execute and the list of repairs made, from three NotebookNodes."""
    matcher = _Matcher(source, release)
    release_by_gid = {C.grade_id(c): c for c in release.cells if C.grade_id(c)}
    out, placed, notes = [], {}, []
    for cell in submission.cells:
        gid, why = matcher.match(cell)
        if gid is None:
            cell = _fresh(cell)
            if why:
                notes.append(f"a cell's {why}")
                cell.metadata.pop("nbgrader", None)
            out.append(cell)
            continue
        original = matcher.by_gid[gid]
        if gid in placed:
            if _protected(original):
                notes.append(f"{gid}: duplicate cell removed")
                continue
            duplicate = _fresh(cell)
            duplicate.metadata.pop("nbgrader", None)
            notes.append(f"{gid}: duplicate solution cell kept as ordinary code")
            out.append(duplicate)
            continue
        placed[gid] = len(out)
        out.append(_restore(cell, original, release_by_gid.get(gid), why, notes))
    _insert_missing(source, release_by_gid, matcher, out, placed, notes)
    nb = nbformat.v4.new_notebook(metadata=copy.deepcopy(source.metadata), cells=out)
    _unique_ids(nb)
    return nb, notes


def _restore(cell, original, released, why: str, notes: list[str]):
    gid = C.grade_id(original)
    problems = [why] if why else []
    if cell.cell_type != original.cell_type:
        problems.append(f"it had been turned into a {cell.cell_type} cell")
    if _protected(original):
        shown = released if released is not None else original
        if C.source_text(cell).strip() not in (C.source_text(shown).strip(),
                                               C.source_text(original).strip()):
            problems.append("it had been edited")
        restored = _fresh(original)
        restored["id"] = cell.get("id") or original.get("id")
        verb = "restored from the source"
    else:
        restored = _fresh(original)
        restored.source = C.source_text(cell)
        restored["id"] = cell.get("id") or original.get("id")
        verb = "kept your code"
    if problems:
        notes.append(f"{gid}: {'; '.join(problems)}; {verb}")
    return restored


def _insert_missing(source, release_by_gid, matcher, out, placed, notes) -> None:
    """Put every source cell with a grade id that the submission lacks after its predecessor."""
    previous = None
    for cell in source.cells:
        gid = C.grade_id(cell)
        if gid is None:
            continue
        if gid not in placed:
            position = placed[previous] + 1 if previous is not None else 0
            if _protected(cell):
                new, how = _fresh(cell), "missing; restored from the source"
            else:
                new = _fresh(release_by_gid.get(gid, cell))
                how = "solution cell missing; the release's empty version was used"
            out.insert(position, new)
            for key, value in placed.items():
                if value >= position:
                    placed[key] = value + 1
            placed[gid] = position
            notes.append(f"{gid}: {how}")
        previous = gid


def _unique_ids(nb) -> None:
    seen = set()
    for cell in nb.cells:
        if not cell.get("id") or cell["id"] in seen:
            cell["id"] = uuid.uuid4().hex[:12]
        seen.add(cell["id"])
