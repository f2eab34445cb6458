"""Checks a submission before nbgrader sees it.

nbgrader skips an unreadable notebook with a log line, silently scores 0
a notebook whose nbgrader cell metadata was stripped, and stops the whole
assignment's run on metadata whose schema_version was edited. Each
deserves a clear message to the instructor instead. A locked cell whose
source was edited is graded from the release's version anyway; the
instructor is told who edited it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat


def graded_cell_ids(notebook: nbformat.NotebookNode) -> set[str]:
    """grade_ids of the cells nbgrader scores or takes answers from."""
    ids = set()
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") or meta.get("solution"):
            ids.add(meta["grade_id"])
    return ids


def nbgrader_cells(
    notebook: nbformat.NotebookNode,
) -> dict[str, nbformat.NotebookNode]:
    """The cells with nbgrader metadata, by grade_id."""
    return {
        cell.metadata.nbgrader["grade_id"]: cell
        for cell in notebook.cells
        if "grade_id" in cell.get("metadata", {}).get("nbgrader", {})
    }


def edited_schema(
    notebook: nbformat.NotebookNode, released: nbformat.NotebookNode
) -> list[str]:
    """grade_ids of the cells whose nbgrader schema_version differs from
    the release's."""
    ours = nbgrader_cells(released)
    return sorted(
        grade_id
        for grade_id, cell in nbgrader_cells(notebook).items()
        if grade_id in ours
        and cell.metadata.nbgrader.get("schema_version")
        != ours[grade_id].metadata.nbgrader.get("schema_version")
    )


def edited_cells(submitted: Path, released: Path) -> list[str]:
    """grade_ids of the locked cells (the checks) whose source differs
    from the release's: nbgrader grades the release's version, but an
    edit to a check is worth the instructor's attention."""
    ours = nbgrader_cells(nbformat.read(released, as_version=4))
    theirs = nbgrader_cells(nbformat.read(submitted, as_version=4))
    return sorted(
        grade_id
        for grade_id, cell in ours.items()
        if cell.metadata.nbgrader.get("locked")
        and grade_id in theirs
        and theirs[grade_id].source != cell.source
    )


def submission_problems(submitted: Path, released: Path) -> list[str]:
    """What stops `submitted` from being graded fairly; empty if nothing.

    `released` is the lesson as handed out, whose graded cells the
    submission must still carry.
    """
    try:
        notebook = nbformat.read(submitted, as_version=4)
    except Exception as error:  # any parse failure: report, do not crash
        return [
            f"{submitted}: not a readable notebook ({type(error).__name__}: "
            f"{error}); ask the student to download it again from JupyterLab "
            "(File > Download) and resubmit"
        ]
    release = nbformat.read(released, as_version=4)
    expected = graded_cell_ids(release)
    missing = sorted(expected - graded_cell_ids(notebook))
    if missing:
        return [
            f"{submitted}: the graded cells {', '.join(missing)} are missing "
            "or lost their nbgrader metadata, so nbgrader would score them 0; "
            "ask the student to copy their answers into a fresh copy of the "
            "lesson and resubmit"
        ]
    edited = edited_schema(notebook, release)
    if edited:
        return [
            f"{submitted}: the nbgrader metadata of the cells "
            f"{', '.join(edited)} was edited (schema_version), which stops "
            "nbgrader; ask the student to copy their answers into a fresh "
            "copy of the lesson and resubmit"
        ]
    return []
