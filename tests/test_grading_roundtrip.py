"""The nbgrader round trip with real nbgrader and a real gradebook.

One class, four students: `full` hands in the solutions and must get full
marks; `blank` hands in the lessons untouched and must score 0 on every
graded cell; `garbled` and `stripped` hand in broken files, which must be
reported clearly without stopping anyone else's grading.
"""

import csv
import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook

from tests.grading import run_grader
from tests.notebook_tools import lesson_notebooks, solution_notebooks

ASSIGNMENTS = [p.parent.name for p in solution_notebooks()]


def hand_in(folder, student, notebook_path):
    target = folder / student / notebook_path.parent.name
    target.mkdir(parents=True, exist_ok=True)
    return shutil.copy(notebook_path, target / notebook_path.name)


def strip_nbgrader_metadata(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        cell.metadata.pop("nbgrader", None)
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Autograde the class once; return the work folder and the command's
    result."""
    folder = tmp_path_factory.mktemp("submissions")
    work = tmp_path_factory.mktemp("work")
    for path in solution_notebooks():
        hand_in(folder, "full", path)
    for path in lesson_notebooks():
        hand_in(folder, "blank", path)
    first_lesson = lesson_notebooks()[0]
    hand_in(folder, "garbled", first_lesson).write_text("{not json")
    strip_nbgrader_metadata(hand_in(folder, "stripped", first_lesson))
    result = run_grader(work, "autograde", str(folder), check=False)
    return work, result


def submission(work, assignment, student):
    with Gradebook(f"sqlite:///{work / 'gradebook.db'}", "gaplab") as book:
        notebook = book.find_submission_notebook(
            assignment, assignment, student
        )
        return (
            notebook.score,
            notebook.max_score,
            {grade.name: grade.score for grade in notebook.grades},
        )


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solutions_score_full_marks(graded, assignment):
    work, _ = graded
    score, max_score, cells = submission(work, assignment, "full")
    assert max_score > 0
    assert score == max_score, f"cells short of full marks: {cells}"


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_blank_lesson_scores_zero_on_every_graded_cell(graded, assignment):
    work, _ = graded
    _, _, cells = submission(work, assignment, "blank")
    assert cells and all(score == 0 for score in cells.values()), cells


@pytest.mark.notebook
def test_broken_submissions_are_reported_and_the_rest_still_graded(graded):
    _, result = graded
    assert result.returncode == 1
    assert "garbled" in result.stderr and "not a readable notebook" in (
        result.stderr
    )
    assert "stripped" in result.stderr and "lost their nbgrader metadata" in (
        result.stderr
    )


@pytest.mark.notebook
def test_export_and_feedback(graded, tmp_path):
    work, _ = graded
    grades = tmp_path / "grades.csv"
    run_grader(work, "export", "--to", str(grades))
    rows = list(csv.DictReader(grades.open()))
    students = {row["student_id"] for row in rows}
    assert students == {"full", "blank"}
    for row in rows:
        expected = row["max_score"] if row["student_id"] == "full" else "0.0"
        assert row["score"] == expected, row
    run_grader(work, "feedback")
    pages = list((work / "feedback" / "full").rglob("*.html"))
    assert len(pages) == len(ASSIGNMENTS)
    for page in pages:
        assert "BEGIN HIDDEN TESTS" not in page.read_text()


def test_autograde_explains_a_missing_folder(tmp_path):
    result = run_grader(
        tmp_path, "autograde", str(tmp_path / "nope"), check=False
    )
    assert result.returncode != 0
    assert "is not a folder" in result.stderr
