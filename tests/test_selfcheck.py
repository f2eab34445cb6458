"""The learner's self-check: the visible checks scored as the grader
scores them, without nbgrader, on a solved and a blank lesson."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from gaplab.selfcheck import NOT_ANSWERED, run_checks
from tests.lesson01_class import ASSIGNMENT, LESSON, solved
from tests.notebook_tools import namespace_before, read_notebook


def solved_lesson(folder) -> Path:
    """The solved lesson saved in `folder`, as a learner saves it."""
    path = folder / LESSON.name
    nbformat.write(solved(), path)
    return path


def self_check(path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gaplab.selfcheck", str(path)],
        capture_output=True,
        text=True,
    )


@pytest.mark.notebook
def test_a_solved_lesson_gets_every_point(tmp_path):
    result = self_check(solved_lesson(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "total 9/9 points (visible checks only)"
    assert [line.split()[:2] for line in lines[:-1]] == [
        ["ok", "mse"],
        ["ok", "mae"],
        ["ok", "huber"],
        ["ok", "cross_entropy"],
    ]


@pytest.mark.notebook
def test_a_blank_lesson_gets_none_and_says_what_is_missing():
    result = self_check(LESSON)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[-1] == "total 0/9 points (visible checks only)"
    assert all(
        line.startswith("FAIL") and line.endswith(NOT_ANSWERED)
        for line in lines[:-1]
    ), lines


def test_in_a_session_each_check_runs_against_the_answers_defined():
    namespace = namespace_before(ASSIGNMENT, "cross_entropy_tests")
    wrong_and_blank = (
        "def mae(predictions, targets, *, reduction='mean'):\n"
        "    errors = predictions - targets\n"
        "    return errors.mean() if reduction == 'mean' else errors.sum()\n"
        "def huber(predictions, targets, *, delta=1.0, reduction='mean'):\n"
        "    raise NotImplementedError()\n"
    )
    exec(wrong_and_blank, namespace)
    lesson = json.loads(nbformat.writes(read_notebook(LESSON)))
    results = {r.exercise: r for r in run_checks(lesson, namespace)}
    assert results["mse"].earned == results["mse"].points == 2
    assert results["mae"].earned == 0
    assert results["mae"].problem.startswith("AssertionError: ")
    assert results["huber"].problem == NOT_ANSWERED
    assert results["cross_entropy"].earned == 3


def test_a_missing_notebook_is_named():
    result = self_check("no/such/lesson.ipynb")
    assert result.returncode == 2
    assert "no/such/lesson.ipynb is not a file" in result.stderr
