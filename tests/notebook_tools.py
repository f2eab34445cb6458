"""Reading and running pieces of the course notebooks in tests.

The exercise tests use these to run a solution notebook's real graded cell
(visible checks and hidden tests together) against an alternative answer,
so the checks are tested exactly as nbgrader runs them. The claims
(tests/claims/) read the same run's variables to test what the prose says.
"""

from __future__ import annotations

import ast
import copy
import functools
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import nbclient
import nbformat
import pytest

from gaplab.checks.own_work import EXERCISES

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


def is_graded_test(cell: nbformat.NotebookNode) -> bool:
    """Whether a cell is an nbgrader test cell (`grade: true`, no answer)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def is_parameters_cell(cell: nbformat.NotebookNode) -> bool:
    """Whether a cell is the notebook's parameters cell (`SEED = 0`),
    tagged `parameters` as papermill tags it."""
    return "parameters" in cell.get("metadata", {}).get("tags", [])


@dataclass(frozen=True)
class NotebookRun:
    """One in-process execution of a solution notebook.

    `namespaces[i]` is a shallow snapshot of the notebook's variables just
    before cell i, that is after every code cell above it ran; the last
    one is taken after the last cell. Shallow: an
    object that a later cell changes in place (a model trained further)
    is seen in its final state; rebinding a name is seen correctly.
    """

    notebook: nbformat.NotebookNode
    seed: int | None  # the SEED it ran with; None: the notebook has none
    namespaces: tuple[dict[str, Any], ...]

    def before(self, index: int) -> dict[str, Any]:
        """A fresh copy of the variables just before cell `index`."""
        return dict(self.namespaces[index])


def written_seed(assignment: str) -> int | None:
    """The SEED the solution notebook sets in its parameters cell, or
    None for a notebook without one (nothing random to vary)."""
    for cell in read_notebook(solution_path(assignment)).cells:
        if cell.cell_type == "code" and is_parameters_cell(cell):
            namespace: dict[str, Any] = {}
            run_source(cell.source, namespace)
            return namespace["SEED"]
    return None


@functools.cache
def solution_run(assignment: str, seed: int | None = None) -> NotebookRun:
    """Run a solution notebook top to bottom in this process, keeping a
    snapshot of its variables before every cell. Cached: each notebook
    runs once per test session and seed, and every test shares the run.

    With `seed=None`, or the seed the notebook is written with, it runs
    as written, graded cells included: the run the exercise tests need.
    Another seed replaces `SEED` right after the parameters cell and skips
    the graded test cells, which only check answers and would cost time.
    """
    as_written = written_seed(assignment)
    if seed is not None and seed == as_written:
        return solution_run(assignment)
    if seed is not None and as_written is None:
        raise ValueError(f"{assignment} has no parameters cell to set SEED")
    notebook = read_notebook(solution_path(assignment))
    namespace: dict[str, Any] = {"__name__": "__main__"}
    namespaces = []
    with warnings.catch_warnings():
        # plt.show() under the headless Agg backend warns; harmless here.
        warnings.simplefilter("ignore", UserWarning)
        for cell in notebook.cells:
            namespaces.append(dict(namespace))
            if cell.cell_type != "code":
                continue
            if seed is not None and is_graded_test(cell):
                continue
            run_source(cell.source, namespace)
            if seed is not None and is_parameters_cell(cell):
                namespace["SEED"] = seed
            plt.close("all")
    namespaces.append(dict(namespace))
    return NotebookRun(
        notebook, as_written if seed is None else seed, tuple(namespaces)
    )


def namespace_before(assignment: str, wanted: str) -> dict[str, Any]:
    """The notebook's variables just before the cell `wanted`: every code
    cell above it has run, solution cells included. The notebook runs once
    per test session; each call gets its own (shallow) copy."""
    run = solution_run(assignment)
    return run.before(cell_index(run.notebook, wanted))


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


def refuse_answer(
    assignment: str, test_id: str, name: str, answer: Any
) -> None:
    """Grade a wrong answer: it must fail with the AssertionError the
    checks raise. Any other exception would also score 0 under nbgrader,
    but a bank asks for the check's message, so it is reported."""
    try:
        grade_answer(assignment, test_id, name, answer)
    except AssertionError:
        return
    except Exception as error:  # noqa: BLE001
        pytest.fail(
            f"caught, but not by a check: {type(error).__name__}: {error}"
        )
    pytest.fail("a wrong answer was accepted")


def wrapper_source(load_line: str) -> str:
    """An answer cell that hides the library's reference behind a `def`
    for each name that `load_line` (`from M import a as b, c`) binds."""
    statement = ast.parse(load_line).body[0]
    assert isinstance(statement, ast.ImportFrom), load_line
    lines = [f"import {statement.module} as _library"]
    for alias in statement.names:
        lines += [
            "",
            "",
            f"def {alias.asname or alias.name}(*args, **kwargs):",
            f"    return _library.{alias.name}(*args, **kwargs)",
        ]
    return "\n".join(lines)


def reference_answers(
    assignment: str, answer: Callable[[str], str]
) -> dict[str, str]:
    """Sources for every answer cell of `assignment`, by grade_id:
    `answer(load_line)` where the library carries the exercise's
    reference, the solution's own code where it does not (lesson 03's
    run configs), so that every later cell has what it needs."""
    solution = read_notebook(solution_path(assignment))
    answers = {
        grade_id(cell): cell.source
        for cell in solution.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    for name, entry in EXERCISES.items():
        if entry.lesson == assignment:
            answers[name] = answer(entry.load_line)
    return answers


def with_answers(
    notebook: nbformat.NotebookNode, answers: dict[str, str]
) -> nbformat.NotebookNode:
    """A copy of `notebook` whose answer cells named in `answers` (by
    grade_id) hold the given source instead."""
    changed = copy.deepcopy(notebook)
    for cell in changed.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return changed
