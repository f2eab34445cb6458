"""The nbgrader round trip with real nbgrader and a real gradebook.

One class, six students: `full` hands in the solutions and must get full
marks; `blank` hands in the lessons untouched and must score 0 on every
graded cell; `loads` answers every exercise with the line that loads the
library's reference, and `wraps` with a function that calls it: both must
score 0 on those exercises, with the message that asks for their own
code (`wraps` hands in two lessons, a function's and a class's: the rule
that catches it is the same in every lesson, and tests/test_own_work.py
tries every disguise on every exercise, in process); `garbled` and
`stripped` hand in broken files, which must be reported clearly without
stopping anyone else's grading.

Autograding executes every notebook once, and the tests read what it
left: `full`'s notebooks are the solutions run top to bottom, `loads`'s
are the lessons run on the library's references.
"""

import csv
import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook

from gaplab.checks.own_work import EXERCISES
from tests.grading import run_grader
from tests.notebook_tools import (
    grade_id,
    is_graded_test,
    lesson_notebooks,
    read_notebook,
    reference_answers,
    solution_notebooks,
    with_answers,
    wrapper_source,
)

pytestmark = pytest.mark.sandbox
ASSIGNMENTS = [p.parent.name for p in solution_notebooks()]
# How the students who hand in the library's references answer, and the
# lessons they hand in: `loads` all of them, so that every lesson is
# shown to run on the references; `wraps` lesson 01 (functions) and
# lesson 05 (a class).
BORROWERS = {
    "loads": (lambda load_line: load_line, ASSIGNMENTS),
    "wraps": (wrapper_source, ["01-losses", "05-early-stopping"]),
}
BORROWED = [
    (student, assignment)
    for student, (_, assignments) in BORROWERS.items()
    for assignment in assignments
]


def hand_in(folder, student, notebook_path):
    target = folder / student / notebook_path.parent.name
    target.mkdir(parents=True, exist_ok=True)
    return shutil.copy(notebook_path, target / notebook_path.name)


def hand_in_references(folder, student, notebook_path, answer):
    """The lesson with every answer that has a library reference replaced
    by `answer(load_line)`, and the others by the solution's."""
    answers = reference_answers(notebook_path.parent.name, answer)
    path = hand_in(folder, student, notebook_path)
    nbformat.write(with_answers(read_notebook(path), answers), path)


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
        for student, (answer, assignments) in BORROWERS.items():
            if path.parent.name in assignments:
                hand_in_references(folder, student, path, answer)
    first_lesson = lesson_notebooks()[0]
    hand_in(folder, "garbled", first_lesson).write_text("{not json")
    strip_nbgrader_metadata(hand_in(folder, "stripped", first_lesson))
    result = run_grader(
        work, "autograde", str(folder), "--jobs", "2", check=False
    )
    return work, result


def autograded(work, assignment, student):
    """The student's notebook as autograding executed it."""
    return read_notebook(
        work / "autograded" / student / assignment / f"{assignment}.ipynb"
    )


def errors_and_stderr(notebook):
    """(cell index, grade_id, what went wrong) for every error a cell
    raised and every stderr a graded cell wrote: nbgrader scores a graded
    cell with stderr 0 even when every assert passed."""
    problems = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                problems.append((index, grade_id(cell), output.evalue))
            elif is_graded_test(cell) and output.get("name") == "stderr":
                problems.append((index, grade_id(cell), output.text))
    return problems


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
def test_the_solutions_run_cleanly(graded, assignment):
    """No cell raises, and no graded cell writes to stderr."""
    work, _ = graded
    problems = errors_and_stderr(autograded(work, assignment, "full"))
    assert not problems, problems


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_demo_cell_runs_on_the_references(graded, assignment):
    """A stuck learner who loads the references can finish the lesson:
    only the graded cells of the exercises they skipped fail."""
    work, _ = graded
    notebook = autograded(work, assignment, "loads")
    problems = [
        problem
        for problem in errors_and_stderr(notebook)
        if not is_graded_test(notebook.cells[problem[0]])
    ]
    assert not problems, problems


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_blank_lesson_scores_zero_on_every_graded_cell(graded, assignment):
    work, _ = graded
    _, _, cells = submission(work, assignment, "blank")
    assert cells and all(score == 0 for score in cells.values()), cells


@pytest.mark.notebook
@pytest.mark.parametrize(("student", "assignment"), BORROWED)
def test_handing_in_the_references_scores_zero(graded, student, assignment):
    work, _ = graded
    _, _, cells = submission(work, assignment, student)
    covered = [
        f"{name}_tests"
        for name, entry in EXERCISES.items()
        if entry.lesson == assignment
    ]
    assert covered and {cells[cell] for cell in covered} == {0}, cells
    for cell in autograded(work, assignment, student).cells:
        if grade_id(cell) in covered:
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert errors and "asks for your own code" in (errors[0].evalue), (
                grade_id(cell),
                errors,
            )


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
    assert students == {"full", "blank", *BORROWERS}
    for row in rows:
        pair = (row["student_id"], row["assignment"])
        if pair[0] in BORROWERS and pair not in BORROWED:
            # not handed in: nbgrader exports a 0 without a timestamp
            assert float(row["score"]) == 0 and not row["timestamp"], row
            continue
        score, _, _ = submission(work, row["assignment"], row["student_id"])
        assert float(row["score"]) == score, row
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
