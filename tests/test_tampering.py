"""The tampering bank against both layers of the grader's defence,
without nbgrader: the reading of the learner's source, and the guard in
a sandboxed kernel. tests/test_grading_cycle.py runs part of the bank
through the whole grading cycle.
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from grader.preprocessors import learner_cells
from grader.sandbox import SandboxedKernelManager
from grader.tampering import read_submission
from tests.notebook_tools import (
    lesson_notebooks,
    read_notebook,
    solution_notebooks,
)
from tests.tampering_bank import TECHNIQUES

LESSON = lesson_notebooks()[0]
RELEASED = [
    cell.source
    for cell in read_notebook(LESSON).cells
    if cell.cell_type == "code"
]


def techniques_read(source: str) -> list[str]:
    return [
        finding.technique
        for finding in read_submission([(0, source)], RELEASED)
    ]


@pytest.mark.parametrize("name", sorted(TECHNIQUES))
def test_reading_the_source_names_each_technique_it_can_see(name):
    technique = TECHNIQUES[name]
    found = techniques_read(technique.source)
    if technique.read is None:
        assert found == [], "the bank says the reading misses this one"
    else:
        assert any(technique.read in line for line in found), found


@pytest.mark.parametrize(
    "path", solution_notebooks(), ids=lambda path: path.parent.name
)
def test_honest_answers_and_lessons_are_never_flagged(path):
    """Every answer of every solution, and every cell of the lesson read
    as if the learner had written it, is honest."""
    lesson = read_notebook(path)
    released = read_notebook(
        path.parents[2] / "lessons" / path.parent.name / path.name
    )
    sources = [c.source for c in released.cells if c.cell_type == "code"]
    answers = learner_cells(lesson, set(sources))
    assert answers, "the solution's answer cells count as the learner's"
    assert read_submission(answers, sources) == []


def test_honest_idioms_are_not_flagged():
    honest = [
        "import torch\nfrom gaplab.checks.losses import check_mse",
        "%timeit mse(torch.zeros(3), torch.ones(3))",
        "model.fc.weight = torch.nn.Parameter(torch.zeros(2, 2))",
        "def mse(p, t, *, reduction='mean'):\n    F = (p - t) ** 2\n"
        "    return F.mean()",
        "errors = {}\nerrors['a'] = 1\nsetattr(errors_holder, 'x', 1)",
        "import numpy as np\nx = np.zeros(3)\nx[0] = 1",
        "with torch.no_grad():\n    w = getattr(model, 'weight')",
    ]
    for source in honest:
        assert techniques_read(source) == [], source


def guarded_run(sources: list[str]) -> list[str]:
    """Run `sources` in a sandboxed, guarded kernel, each followed by a
    call to the guard; return the guard's line after each (or "" where
    none came)."""
    notebook = nbformat.v4.new_notebook()
    cells = ['__gaplab_guard__("start")']
    for number, source in enumerate(sources):
        cells += [source, f'__gaplab_guard__("{number}")']
    notebook.cells = [nbformat.v4.new_code_cell(s) for s in cells]
    setup = read_notebook(LESSON).cells[3].source  # the lesson's imports
    notebook.cells.insert(0, nbformat.v4.new_code_cell(setup))
    NotebookClient(
        notebook,
        kernel_manager_class=SandboxedKernelManager,
        allow_errors=True,
        timeout=60,
    ).execute()
    lines = []
    for number in range(len(sources)):
        cell = notebook.cells[2 + 2 * number + 1]
        text = "".join(o.get("text", "") for o in cell.outputs)
        prefix = f"gaplab guard {number}: "
        lines.append(
            next(
                (
                    line
                    for line in text.splitlines()
                    if line.startswith(prefix)
                ),
                "",
            )
        )
    return lines


@pytest.mark.sandbox
def test_the_guard_names_each_technique_it_can_see():
    """One kernel runs the techniques one after the other; each must
    show up in the guard's line right after it and not before."""
    seen = [t for t in TECHNIQUES.values() if t.guard is not None]
    last = TECHNIQUES["input-transformer"]  # blinds every later cell
    lines = guarded_run([t.source for t in seen] + [last.source])
    for before, after, technique in zip(
        ["ok"] + lines, lines, seen + [last], strict=False
    ):
        if technique is last:
            assert after == "", "a rewritten guard cell reports nothing"
        else:
            assert technique.guard in after, (technique.source, after)
            assert technique.guard not in before, (technique.source, before)
