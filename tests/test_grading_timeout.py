"""A cell that never ends is interrupted at the time limit, named by
student and cell, and the rest of the notebook is still graded.

nbgrader interrupts a cell past `Execute.timeout`; in the sandbox the
interrupt travels as a message (a signal to bwrap would not reach the
kernel). Two learners of lesson 01, graded two at a time with a short
limit: one left an endless loop in a cell of their own after a correct
notebook, one wrote an `mae` that never returns.
"""

from __future__ import annotations

import nbformat
import pytest

from tests.grading import run_grader
from tests.lesson01_class import (
    ASSIGNMENT,
    answer_cell,
    exported,
    hand_in,
    points,
    solved,
)

pytestmark = [pytest.mark.notebook, pytest.mark.sandbox]

# Long enough for every cell of a correct lesson 01 on a loaded machine,
# short enough to keep the test brief.
TIMEOUT_SECONDS = 8
ENDLESS_LOOP = "while True:\n    pass\n"


def stuck_after_the_answers() -> nbformat.NotebookNode:
    notebook = solved()
    notebook.cells.append(nbformat.v4.new_code_cell(ENDLESS_LOOP))
    return notebook


def mae_never_returns() -> nbformat.NotebookNode:
    notebook = solved()
    answer_cell(notebook, "mae").source = (
        "def mae(predictions, targets, *, reduction='mean'):\n"
        + "\n".join("    " + line for line in ENDLESS_LOOP.splitlines())
    )
    return notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    work = tmp_path_factory.mktemp("work")
    folder = work / "class"
    hand_in(folder, "stuck", stuck_after_the_answers())
    hand_in(folder, "endless-mae", mae_never_returns())
    result = run_grader(
        work,
        "autograde",
        str(folder),
        "--jobs",
        "2",
        "--timeout",
        str(TIMEOUT_SECONDS),
    )
    return work, result


def timeouts(result, student: str) -> list[str]:
    prefix = f"TIMEOUT: {student} / {ASSIGNMENT}: "
    return [
        line.removeprefix(prefix)
        for line in result.stderr.splitlines()
        if line.startswith(prefix)
    ]


def test_the_rest_of_each_notebook_is_graded(graded, tmp_path):
    work, _ = graded
    full = sum(points().values())
    assert exported(work, tmp_path) == {
        "stuck": full,
        "endless-mae": full - points()["mae"],
    }


def test_each_timeout_names_the_student_and_the_cell(graded):
    _, result = graded
    assert timeouts(result, "stuck") == [
        "a cell the learner added or edited after cell cross_entropy_tests"
        f" (cell {len(solved().cells) + 1}) ran past the time limit and "
        "was interrupted; the rest of the notebook was graded "
        "(autograde --timeout SECONDS allows longer)"
    ]
    reported = timeouts(result, "endless-mae")
    assert reported[0].startswith(
        "cell mae_tests ran past the time limit and was interrupted; "
        "it scores 0, the rest of the notebook was graded"
    ), result.stderr
    assert all("a cell the learner" not in line for line in reported)


def test_nbgrader_lines_that_name_no_student_are_left_out(graded):
    _, result = graded
    assert "Interrupting kernel" not in result.stderr + result.stdout
