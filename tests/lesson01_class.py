"""Submissions of lesson 01 as learners hand them in, for the grading
tests: solved, blank, partial and wrong, and the exported scores."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat

from tests.grading import run_grader
from tests.notebook_tools import (
    grade_id,
    is_graded_test,
    lesson_notebooks,
    read_notebook,
    solution_path,
    with_answers,
)

LESSON = lesson_notebooks()[0]
ASSIGNMENT = LESSON.parent.name
WRONG_MSE = (
    "def mse(predictions, targets, *, reduction='mean'):\n"
    "    errors = (predictions - targets).abs()\n"
    "    return errors.mean() if reduction == 'mean' else errors.sum()\n"
)


def blank() -> nbformat.NotebookNode:
    """The lesson as handed out."""
    return read_notebook(LESSON)


def solved() -> nbformat.NotebookNode:
    """The lesson as handed out, with the solution's answers."""
    solution = read_notebook(solution_path(ASSIGNMENT))
    answers = {
        grade_id(cell): cell.source
        for cell in solution.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    return with_answers(blank(), answers)


def answer_cell(notebook, wanted: str) -> nbformat.NotebookNode:
    return next(c for c in notebook.cells if grade_id(c) == wanted)


def points() -> dict[str, float]:
    """Each graded check's points, by the answer it checks."""
    return {
        grade_id(cell).removesuffix("_tests"): float(
            cell.metadata.nbgrader["points"]
        )
        for cell in blank().cells
        if is_graded_test(cell)
    }


def partial() -> nbformat.NotebookNode:
    """The first two exercises answered, the last two untouched."""
    notebook = solved()
    for name in ("huber", "cross_entropy"):
        answer_cell(notebook, name).source = answer_cell(blank(), name).source
    return notebook


def wrong() -> nbformat.NotebookNode:
    """Every exercise answered, the first one wrongly (its MAE)."""
    notebook = solved()
    answer_cell(notebook, "mse").source = WRONG_MSE
    return notebook


def honest_scores() -> dict[str, float]:
    """What `full`, `blank`, `partial` and `wrong` must score."""
    each = points()
    full = sum(each.values())
    return {
        "full": full,
        "blank": 0.0,
        "partial": each["mse"] + each["mae"],
        "wrong": full - each["mse"],
    }


HONEST = {"full": solved, "blank": blank, "partial": partial, "wrong": wrong}


def hand_in(folder: Path, student: str, notebook) -> None:
    """Put a notebook where a submissions folder keeps it."""
    target = folder / student / ASSIGNMENT
    target.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target / LESSON.name)


def exported(
    work: Path, folder: Path, environment: dict[str, str] | None = None
) -> dict[str, float]:
    """Every student's score on lesson 01, as `grader export` writes it."""
    grades = folder / "grades.csv"
    run_grader(work, "export", "--to", str(grades), environment=environment)
    with grades.open(newline="", encoding="utf-8") as table:
        return {
            row["student_id"]: float(row["score"])
            for row in csv.DictReader(table)
            if row["assignment"] == ASSIGNMENT
        }
