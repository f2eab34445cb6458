"""Notebook hygiene: clean, valid nbgrader notebooks whose releases hold no
solutions, each opening with the Colab badge and setup cell."""

import re
import subprocess

import pytest
from nbgrader.nbgraderformat import MetadataValidator

from gaplab.colab import REPOSITORY, badge_markdown, setup_cell_source
from tests.notebook_tools import (
    LESSONS,
    ROOT,
    grade_id,
    lesson_notebooks,
    read_notebook,
    solution_notebooks,
)

ALL_NOTEBOOKS = solution_notebooks() + lesson_notebooks()
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS")


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def test_there_are_lessons():
    assert solution_notebooks(), "no notebooks under solutions/"
    names = [p.parent.name for p in solution_notebooks()]
    assert names == [p.parent.name for p in lesson_notebooks()], (
        "every solution notebook needs its release under lessons/: "
        "run `make release`"
    )


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_no_outputs_or_execution_counts(path):
    for index, cell in enumerate(read_notebook(path).cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"cell {index} has outputs"
            assert cell.execution_count is None, f"cell {index} has a count"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_nbgrader_metadata_is_valid_and_grade_ids_unique(path):
    notebook = read_notebook(path)
    MetadataValidator().validate_nb(notebook)
    ids = [grade_id(c) for c in notebook.cells if grade_id(c)]
    assert len(ids) == len(set(ids)), f"duplicate grade_ids in {ids}"
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", solution_notebooks(), ids=lambda p: p.name)
def test_every_answer_cell_is_followed_by_a_graded_test_cell(path):
    cells = read_notebook(path).cells
    answers = [
        i for i, c in enumerate(cells) if nbgrader_meta(c).get("solution")
    ]
    assert answers, "a lesson without exercises"
    for index in answers:
        assert "### BEGIN SOLUTION" in cells[index].source
        following = cells[index + 1]
        meta = nbgrader_meta(following)
        assert meta.get("grade") and meta.get("locked"), (
            f"cell {index + 1} after answer {grade_id(cells[index])!r} must "
            "be a locked graded test cell"
        )
        assert meta.get("points", 0) > 0
        assert "### BEGIN HIDDEN TESTS" in following.source


@pytest.mark.parametrize("path", lesson_notebooks(), ids=lambda p: p.name)
def test_released_lessons_hold_no_solutions_or_hidden_tests(path):
    text = path.read_text()
    for marker in MARKERS:
        assert marker not in text, f"{marker!r} left in the release"
    answers = [
        c
        for c in read_notebook(path).cells
        if nbgrader_meta(c).get("solution")
    ]
    assert all("raise NotImplementedError" in c.source for c in answers)


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_opens_with_the_colab_badge_and_setup_cell(path):
    cells = read_notebook(path).cells
    lesson = (
        path.relative_to(ROOT).as_posix().replace("solutions/", "lessons/", 1)
    )
    assert cells[0].source == badge_markdown(lesson), (
        "badge out of date: run `python -m grader colab`, then release"
    )
    assert cells[1].source == setup_cell_source()


def test_the_repository_address_is_defined_in_one_place():
    tracked = subprocess.run(
        ["git", "ls-files"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    holders = {
        name
        for name in tracked
        if not name.endswith(".ipynb")
        and (ROOT / name).is_file()
        and REPOSITORY in (ROOT / name).read_text(errors="ignore")
    }
    assert holders <= {"gaplab/colab.py"}, holders


def test_setup_cell_does_nothing_outside_colab():
    assert re.search(
        r'if "google\.colab" in sys\.modules:', setup_cell_source()
    )
    namespace: dict = {}
    exec(setup_cell_source(), namespace)  # must not try to install


def test_lessons_folder_holds_only_released_notebooks():
    stray = [
        p for p in LESSONS.rglob("*") if p.is_file() and p.suffix != ".ipynb"
    ]
    assert not stray, f"unexpected files in lessons/: {stray}"
