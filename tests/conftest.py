"""Shared pytest setup: headless plotting, repository paths, and the
grouping that lets `make test` run in two worker processes.

Every test process uses one torch thread: the small models here gain
almost nothing from a second thread, two threads in each of two xdist
workers (`pytest -n 2 --dist loadgroup`) on two cores would fight, and
the harness writes EVIDENCE.md with one thread too. Each test
joins a group that one worker runs whole: the lesson whose notebook it
uses, so that the notebook runs once per seed in the session, or else
its module, so that a module's fixtures (a graded class, the harness)
are built once.
"""

import os
import re
import sys
from pathlib import Path

import pytest
import torch

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gaplab.checks.own_work import EXERCISES  # noqa: E402
from grader.sandbox import SandboxUnavailable, check_sandbox  # noqa: E402
from tests.notebook_tools import solution_notebooks  # noqa: E402

LESSON_MODULE = re.compile(r"test_lesson(\d\d)_")


def pytest_configure(config: pytest.Config) -> None:
    """One torch thread in every test process (and in the kernels and
    processes it starts), with or without xdist: the trained numbers
    then match EVIDENCE.md, which the harness writes with one thread."""
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)


def lesson_of(item: pytest.Item, lessons: set[str]) -> str | None:
    """The lesson (one of `lessons`) whose solution notebook a test
    runs, if any: from its module (test_lessonNN_...) or from a
    parameter that names a lesson, a claim of one, or an exercise of
    one."""
    found = LESSON_MODULE.match(item.module.__name__.rsplit(".", 1)[-1])
    if found:
        return next(name for name in lessons if name[:2] == found.group(1))
    params = getattr(item, "callspec", None)
    for value in params.params.values() if params else ():
        lesson = getattr(value, "lesson", None)
        if isinstance(value, str) and value in lessons:
            return value
        if isinstance(value, str) and value in EXERCISES:
            return EXERCISES[value].lesson
        if isinstance(lesson, str):
            return lesson
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put each test in its xdist group (see the module's docstring).
    Grading modules build one class for all lessons: they keep their
    module's group, and come first, so that their long groups start at
    once instead of last. It runs first: xdist reads the groups in its
    own hook."""
    items.sort(key=lambda item: "grading" not in item.module.__name__)
    lessons = {path.parent.name for path in solution_notebooks()}
    for item in items:
        module = item.module.__name__
        lesson = None if "grading" in module else lesson_of(item, lessons)
        item.add_marker(pytest.mark.xdist_group(lesson or module))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a test that grades where bubblewrap cannot run, saying how to
    enable it; under CI (CI=true) fail instead, so a grader that cannot
    sandbox is never taken for a tested one."""
    if item.get_closest_marker("sandbox") is None:
        return
    try:
        check_sandbox()
    except SandboxUnavailable as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true, and grading cannot be tested: {error}")
        pytest.skip(f"grading needs its sandbox: {error}")
