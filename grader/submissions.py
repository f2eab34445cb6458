"""Checks a submission before nbgrader sees it.

nbgrader skips an unreadable notebook with a log line, and silently scores 0
a notebook whose nbgrader cell metadata was stripped. Both deserve a clear
message to the instructor instead.
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
    expected = graded_cell_ids(nbformat.read(released, as_version=4))
    missing = sorted(expected - graded_cell_ids(notebook))
    if missing:
        return [
            f"{submitted}: the graded cells {', '.join(missing)} are missing "
            "or lost their nbgrader metadata, so nbgrader would score them 0; "
            "ask the student to copy their answers into a fresh copy of the "
            "lesson and resubmit"
        ]
    return []
