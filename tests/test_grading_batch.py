"""A batch that never stops: real nbgrader and a real gradebook, on a
class of lesson 01 that holds what breaks graders.

A kernel that dies and metadata edited by hand are reported by student
and lesson, after everyone else was graded. Student ids with commas,
quotes, spaces, brackets, glob and percent signs and non-ASCII letters
are graded and exported as the folder spells them. An edited check is
named, and graded in its released form; nbgrader's false checksum
warnings stay out of the log.
A second batch grades only its own folder, and feedback works while
later lessons have no submissions.
"""

from __future__ import annotations

import csv
import os
import shutil

import nbformat
import pytest

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
FULL_MARKS = 9.0
ODD_IDS = ("a,b", "x [1]", "élève 50%*?")
BLANK = 'q"uote'  # hands in the lesson untouched


def solved() -> nbformat.NotebookNode:
    """The lesson as handed out, its answer cells filled in with the
    solution's code."""
    solution = read_notebook(solution_path(ASSIGNMENT))
    answers = {
        grade_id(cell): cell.source
        for cell in solution.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    return with_answers(read_notebook(LESSON), answers)


def first_test_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(cell for cell in notebook.cells if is_graded_test(cell))


def killed(notebook: nbformat.NotebookNode) -> None:
    """An answer that ends its own kernel."""
    answer = next(
        c
        for c in notebook.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    )
    answer.source += "\nimport os\nos._exit(1)\n"


def edited_schema(notebook: nbformat.NotebookNode) -> None:
    first_test_cell(notebook).metadata.nbgrader["schema_version"] = 99


def edited_check(notebook: nbformat.NotebookNode) -> None:
    first_test_cell(notebook).source = "pass"


def hand_in(folder, student, notebook) -> None:
    target = folder / student / ASSIGNMENT
    target.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target / LESSON.name)


def handed_in(edit) -> nbformat.NotebookNode:
    notebook = solved()
    edit(notebook)
    return notebook


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Autograde the class once; return the work folder and the result."""
    folder = tmp_path_factory.mktemp("class")
    work = tmp_path_factory.mktemp("work")
    hand_in(folder, "killed", handed_in(killed))
    hand_in(folder, "schema", handed_in(edited_schema))
    hand_in(folder, "edited", handed_in(edited_check))
    hand_in(folder, BLANK, read_notebook(LESSON))
    for student in ODD_IDS:
        hand_in(folder, student, solved())
    return work, run_grader(work, "autograde", str(folder), check=False)


def scores(work, tmp_path) -> dict[str, float]:
    grades = tmp_path / "grades.csv"
    run_grader(work, "export", "--to", str(grades))
    with grades.open(newline="", encoding="utf-8") as table:
        return {
            row["student_id"]: float(row["score"])
            for row in csv.DictReader(table)
        }


def not_graded(result) -> list[str]:
    return [
        line
        for line in result.stderr.splitlines()
        if line.startswith("NOT GRADED")
    ]


@pytest.mark.notebook
def test_failures_are_reported_by_student_after_everyone_is_graded(batch):
    _, result = batch
    assert result.returncode == 1
    reports = not_graded(result)
    assert len(reports) == 2, reports
    assert any(
        line.startswith(f"NOT GRADED: killed / {ASSIGNMENT}: its kernel died")
        for line in reports
    )
    assert any(
        line.startswith(f"NOT GRADED: schema / {ASSIGNMENT}:")
        and "schema_version" in line
        for line in reports
    )


@pytest.mark.notebook
def test_every_student_id_is_graded_and_exported_as_spelled(batch, tmp_path):
    work, _ = batch
    exported = scores(work, tmp_path)
    for student in ODD_IDS:
        assert exported[student] == FULL_MARKS, student
    assert exported[BLANK] == 0.0
    assert exported["killed"] == 0.0


@pytest.mark.notebook
def test_an_edited_check_is_named_and_graded_as_released(batch, tmp_path):
    work, result = batch
    assert f"EDITED CHECKS: edited / {ASSIGNMENT}" in result.stderr
    assert "checksum" not in result.stderr + result.stdout
    assert scores(work, tmp_path)["edited"] == FULL_MARKS


@pytest.mark.notebook
def test_a_second_batch_grades_only_its_own_folder(batch, tmp_path):
    work, _ = batch
    earlier = work / "autograded" / "a,b" / ASSIGNMENT / LESSON.name
    before = os.stat(earlier).st_mtime_ns
    folder = tmp_path / "late"
    hand_in(folder, "late", read_notebook(LESSON))
    result = run_grader(work, "autograde", str(folder))
    assert not_graded(result) == []
    assert os.stat(earlier).st_mtime_ns == before
    assert scores(work, tmp_path)["late"] == 0.0


@pytest.mark.notebook
def test_feedback_works_mid_course(batch):
    work, _ = batch
    run_grader(work, "feedback")
    lessons = {
        page.parent.name for page in (work / "feedback").rglob("*.html")
    }
    assert lessons == {ASSIGNMENT}
    shutil.rmtree(work / "feedback")
