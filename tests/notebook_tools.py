"""Reading and running pieces of the course notebooks in tests.

The exercise tests use these to run a solution notebook's real graded cell
(visible checks and hidden tests together) against an alternative answer,
so the checks are tested exactly as nbgrader runs them.
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import nbclient
import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
LESSONS = ROOT / "lessons"

os.environ.setdefault("MPLBACKEND", "Agg")


def solution_notebooks() -> list[Path]:
    """Every solution notebook, in lesson order."""
    return sorted(SOLUTIONS.glob("*/*.ipynb"))


def lesson_notebooks() -> list[Path]:
    """Every released lesson notebook, in lesson order."""
    return sorted(LESSONS.glob("*/*.ipynb"))


def solution_path(assignment: str) -> Path:
    """The solution notebook of an assignment such as '01-losses'."""
    return SOLUTIONS / assignment / f"{assignment}.ipynb"


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A notebook as nbformat version 4."""
    return nbformat.read(path, as_version=4)


def execute_notebook(path: Path) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh python3 kernel, in its own
    folder as JupyterLab would; return it with its outputs."""
    notebook = read_notebook(path)
    nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return notebook


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    """The nbgrader grade_id of a cell, or None for an ordinary cell."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def cell_index(notebook: nbformat.NotebookNode, wanted: str) -> int:
    """Position of the cell whose grade_id is `wanted`."""
    for index, cell in enumerate(notebook.cells):
        if grade_id(cell) == wanted:
            return index
    raise KeyError(f"no cell with grade_id {wanted!r}")


def run_source(source: str, namespace: dict[str, Any]) -> None:
    """Execute one cell's code in `namespace`."""
    exec(compile(source, "<cell>", "exec"), namespace)


@functools.cache
def graded_cell_snapshots(assignment: str) -> dict[str, dict[str, Any]]:
    """Run a solution notebook once, keeping a snapshot of its variables
    just before each nbgrader cell, by grade_id."""
    notebook = read_notebook(solution_path(assignment))
    namespace: dict[str, Any] = {"__name__": "__main__"}
    snapshots = {}
    with warnings.catch_warnings():
        # plt.show() under the headless Agg backend warns; harmless here.
        warnings.simplefilter("ignore", UserWarning)
        for cell in notebook.cells:
            if grade_id(cell):
                snapshots[grade_id(cell)] = dict(namespace)
            if cell.cell_type == "code":
                run_source(cell.source, namespace)
    plt.close("all")
    return snapshots


def namespace_before(assignment: str, wanted: str) -> dict[str, Any]:
    """The notebook's variables just before the cell `wanted`: every code
    cell above it has run, solution cells included. The notebook runs once
    per test session; each call gets its own (shallow) copy."""
    return dict(graded_cell_snapshots(assignment)[wanted])


def run_graded_cell(
    assignment: str, wanted: str, namespace: dict[str, Any]
) -> None:
    """Run the graded cell `wanted` (visible and hidden tests) in
    `namespace`; it raises AssertionError when the answer is wrong."""
    notebook = read_notebook(solution_path(assignment))
    run_source(notebook.cells[cell_index(notebook, wanted)].source, namespace)


def grade_answer(
    assignment: str, test_id: str, name: str, answer: Any
) -> None:
    """Run graded cell `test_id` with `answer` bound to the learner's
    `name`, in the notebook's state just before that cell. A wrong answer
    raises AssertionError, as it would under nbgrader."""
    namespace = namespace_before(assignment, test_id)
    namespace[name] = answer
    try:
        run_graded_cell(assignment, test_id, namespace)
    finally:
        plt.close("all")
