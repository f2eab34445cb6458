"""The instructor's grading cycle on a hostile class: real nbgrader, a
real gradebook, every submission in the sandbox, two at a time.

The class of lesson 01 holds honest learners (full, blank, partial,
wrong), student ids that break naive graders (commas, quotes, brackets,
glob and percent signs, non-ASCII), submissions nbgrader cannot grade (a
kernel that kills itself, edited metadata, a garbled file), an edited
check, a bank of tampering techniques that would forge a score, and
cells that try to leave the sandbox. Every exported score is asserted;
every failure and every tampering is named by student; nothing escapes.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from tests.grading import run_grader
from tests.notebook_tools import (
    ROOT,
    grade_id,
    is_graded_test,
    lesson_notebooks,
    read_notebook,
    solution_path,
    with_answers,
)

pytestmark = [pytest.mark.notebook, pytest.mark.sandbox]

LESSON = lesson_notebooks()[0]
ASSIGNMENT = LESSON.parent.name
TOKEN = uuid.uuid4().hex  # what an escaped cell would leave behind
WRONG_MSE = (
    "def mse(predictions, targets, *, reduction='mean'):\n"
    "    errors = (predictions - targets).abs()\n"
    "    return errors.mean() if reduction == 'mean' else errors.sum()\n"
)
# Each technique, run in the cell of a wrong answer to the first exercise,
# would give that answer (and the rest) full marks if it worked; each
# must score 0 from there on and be named in the report.
TAMPERING = {
    "t-allclose": (
        "torch.allclose = lambda *a, **k: True",
        "rebinds torch.allclose",
    ),
    "t-check": ("check_mse = lambda *a, **k: None", "rebinds check_mse"),
    "t-library": (
        "import gaplab.checks.own_work as own\n"
        "own.require_own_work = lambda *a, **k: None",
        "require_own_work",
    ),
    "t-numpy": (
        "import numpy.testing\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None",
        "assert_allclose",
    ),
    "t-builtins": (
        "import builtins\nbuiltins.isinstance = lambda *a: True",
        "builtins",
    ),
    "t-hooks": (
        "ip = get_ipython()\n"
        "ip.set_custom_exc((Exception,), lambda *a, **k: None)\n"
        "ip.events.register('post_run_cell', "
        "lambda result: setattr(result, 'error_in_exec', None))",
        "custom exception handler",
    ),
    "t-trace": ("import sys\nsys.settrace(lambda *a: None)", "trace"),
    "t-exec": (
        "exec('torch.allclose = lambda *a, **k: True')",
        "exec",
    ),
    "t-alias": (
        "library = torch\nlibrary.allclose = lambda *a, **k: True",
        "rebinds allclose of torch",
    ),
    "t-transformer": (
        "get_ipython().input_transformers_cleanup.append(lambda lines: [])",
        "rewrites cells",
    ),
    "t-excepthook": (
        "import sys\nsys.excepthook = lambda *a: None",
        "exception hook",
    ),
    "t-modules": (
        "import sys\nsys.modules['torch'].allclose = lambda *a, **k: True",
        "sys.modules",
    ),
    "t-computed": (
        "setattr(torch, 'all' + 'close', lambda *a, **k: True)",
        "setattr on torch",
    ),
    "t-tensor": (
        "torch.Tensor.__sub__ = lambda a, b: torch.zeros(())",
        "rebinds torch.Tensor.__sub__",
    ),
}
ODD_IDS = ("a,b", "x [1]", "élève 50%*?")
BLANK = 'q"uote'


def listener() -> socket.socket:
    """A TCP server on the grading machine that no sandboxed cell may
    reach."""
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    return server


def escape_cells(class_folder: Path, work: Path, port: int) -> list[str]:
    """Cells that try to leave the sandbox; each prints TOKEN only if it
    got out."""
    solutions = ROOT / "solutions" / ASSIGNMENT / LESSON.name
    others = class_folder / "full" / ASSIGNMENT / LESSON.name
    return [
        f"try:\n    print(open({str(solutions)!r}).read()[:0] + {TOKEN!r})\n"
        "except OSError as error:\n    print('blocked:', error)",
        "import gaplab, pathlib\n"
        "root = pathlib.Path(gaplab.__file__).parents[1]\n"
        f"print(sorted(p.name for p in root.iterdir()))\n"
        f"if (root / 'solutions').exists():\n    print({TOKEN!r})",
        f"import os\ntry:\n    print(os.listdir({str(class_folder)!r}), "
        f"{TOKEN!r})\nexcept OSError as error:\n    print('blocked:', error)",
        f"try:\n    open({str(work / 'gradebook.db')!r}, 'a').close()\n"
        f"    print({TOKEN!r})\n"
        "except OSError as error:\n    print('blocked:', error)",
        f"try:\n    open({str(others)!r}, 'w').close()\n"
        f"    print({TOKEN!r})\n"
        "except OSError as error:\n    print('blocked:', error)",
        "import socket\ntry:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
        f"    print({TOKEN!r})\n"
        "except OSError as error:\n    print('blocked:', error)",
        "import subprocess\nsubprocess.Popen(['sleep', '600', "
        f"{TOKEN!r}], start_new_session=True)\n"
        f"open('/tmp/{TOKEN}', 'w').close()",
    ]


def solved() -> nbformat.NotebookNode:
    """The lesson as handed out, with the solution's answers."""
    solution = read_notebook(solution_path(ASSIGNMENT))
    answers = {
        grade_id(cell): cell.source
        for cell in solution.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    return with_answers(read_notebook(LESSON), answers)


def answer_cell(notebook, wanted: str) -> nbformat.NotebookNode:
    return next(c for c in notebook.cells if grade_id(c) == wanted)


def points() -> dict[str, float]:
    """Each graded check's points, by the answer it checks."""
    return {
        grade_id(cell).removesuffix("_tests"): float(
            cell.metadata.nbgrader["points"]
        )
        for cell in read_notebook(LESSON).cells
        if is_graded_test(cell)
    }


def partial() -> nbformat.NotebookNode:
    notebook = solved()
    blank = read_notebook(LESSON)
    for name in ("huber", "cross_entropy"):
        answer_cell(notebook, name).source = answer_cell(blank, name).source
    return notebook


def wrong() -> nbformat.NotebookNode:
    notebook = solved()
    answer_cell(notebook, "mse").source = WRONG_MSE
    return notebook


def tampered(technique: str) -> Callable[[], nbformat.NotebookNode]:
    def build() -> nbformat.NotebookNode:
        notebook = wrong()
        answer_cell(notebook, "mse").source += "\n" + technique + "\n"
        return notebook

    return build


def with_added_cells(sources: list[str]) -> nbformat.NotebookNode:
    """The solved lesson with cells added at the end, as JupyterLab adds
    them to a notebook of its format version."""
    notebook = solved()
    for source in sources:
        cell = nbformat.v4.new_code_cell(source)
        if notebook.nbformat_minor < 5:
            del cell["id"]
        notebook.cells.append(cell)
    return notebook


def killed() -> nbformat.NotebookNode:
    notebook = solved()
    answer_cell(notebook, "mse").source += "\nimport os\nos._exit(1)\n"
    return notebook


def edited_schema() -> nbformat.NotebookNode:
    notebook = solved()
    check = next(c for c in notebook.cells if is_graded_test(c))
    check.metadata.nbgrader["schema_version"] = 99
    return notebook


def edited_check() -> nbformat.NotebookNode:
    notebook = solved()
    next(c for c in notebook.cells if is_graded_test(c)).source = "pass"
    return notebook


def hand_in(folder: Path, student: str, notebook) -> None:
    target = folder / student / ASSIGNMENT
    target.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target / LESSON.name)


def expected_scores() -> dict[str, float]:
    """What each student of the class must get."""
    each = points()
    full = sum(each.values())
    expected = {"full": full, BLANK: 0.0, "edited": full}
    expected["partial"] = each["mse"] + each["mae"]
    expected["wrong"] = full - each["mse"]
    expected |= {student: full for student in ODD_IDS}
    expected |= {student: 0.0 for student in TAMPERING}
    expected |= {"killed": 0.0, "schema": 0.0, "garbled": 0.0}
    expected |= {"history": full, "escapes": full}
    return expected


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Hand in the class and grade it, two submissions at a time."""
    folder = tmp_path_factory.mktemp("class")
    work = tmp_path_factory.mktemp("work")
    server = listener()
    builders = {
        "full": solved,
        BLANK: lambda: read_notebook(LESSON),
        "partial": partial,
        "wrong": wrong,
        "edited": edited_check,
        "killed": killed,
        "schema": edited_schema,
        "history": lambda: with_added_cells(["print(In)"]),
        "escapes": lambda: with_added_cells(
            escape_cells(folder, work, server.getsockname()[1])
        ),
    }
    builders |= {student: solved for student in ODD_IDS}
    builders |= {s: tampered(code) for s, (code, _) in TAMPERING.items()}
    for student, build in builders.items():
        hand_in(folder, student, build())
    garbled = folder / "garbled" / ASSIGNMENT
    garbled.mkdir(parents=True)
    (garbled / LESSON.name).write_text('{"cells": [', encoding="utf-8")
    result = run_grader(
        work, "autograde", str(folder), "--jobs", "2", check=False
    )
    yield folder, work, result, server
    server.close()


def exported(work: Path, folder: Path) -> dict[str, float]:
    grades = folder / "grades.csv"
    run_grader(work, "export", "--to", str(grades))
    with grades.open(newline="", encoding="utf-8") as table:
        return {
            row["student_id"]: float(row["score"])
            for row in csv.DictReader(table)
        }


def report(result, kind: str) -> list[str]:
    return [
        line
        for line in result.stderr.splitlines()
        if line.startswith(kind + ":")
    ]


def test_every_exported_score_is_the_expected_one(graded, tmp_path):
    _, work, _, _ = graded
    scores = exported(work, tmp_path)
    assert scores == {
        student: score
        for student, score in expected_scores().items()
        if student != "garbled"  # never reached the gradebook
    }


def test_what_could_not_be_graded_is_named_after_the_rest(graded):
    _, _, result, _ = graded
    assert result.returncode == 1
    named = sorted(
        line.split(" / ")[0] for line in report(result, "NOT GRADED")
    )
    assert named == [
        "NOT GRADED: garbled",
        "NOT GRADED: killed",
        "NOT GRADED: schema",
    ]
    assert any("kernel died" in line for line in report(result, "NOT GRADED"))


@pytest.mark.parametrize("student", sorted(TAMPERING))
def test_each_tampering_is_named_with_its_technique(graded, student):
    _, _, result, _ = graded
    _, technique = TAMPERING[student]
    lines = [
        line
        for line in report(result, "TAMPERING")
        if line.startswith(f"TAMPERING: {student} / {ASSIGNMENT}: cell mse")
    ]
    assert any(technique in line for line in lines), (
        technique,
        report(result, "TAMPERING"),
    )


def test_honest_students_are_not_accused(graded):
    _, _, result, _ = graded
    accused = {
        line.removeprefix("TAMPERING: ").split(" / ")[0]
        for line in report(result, "TAMPERING")
    }
    assert accused == set(TAMPERING) | {"history"}


def test_reading_the_hidden_tests_is_named(graded):
    _, _, result, _ = graded
    lines = [
        line
        for line in report(result, "TAMPERING")
        if line.startswith("TAMPERING: history")
    ]
    assert any("cell history" in line for line in lines), lines
    assert any("quotes the hidden tests" in line for line in lines), lines


def test_nothing_escapes_the_sandbox(graded):
    folder, work, _, server = graded
    executed = read_notebook(
        work / "autograded" / "escapes" / ASSIGNMENT / LESSON.name
    )
    shown = "".join(
        output.get("text", "")
        for cell in executed.cells
        for output in cell.get("outputs", [])
    )
    assert TOKEN not in shown
    assert shown.count("blocked:") == 5
    with pytest.raises(BlockingIOError):
        server.accept()
    assert not Path(f"/tmp/{TOKEN}").exists()
    leftover = subprocess.run(
        ["pgrep", "-f", TOKEN], capture_output=True, text=True
    )
    assert leftover.stdout == ""
    others = folder / "full" / ASSIGNMENT / LESSON.name
    assert read_notebook(others) == solved()


def test_an_edited_check_is_named_and_no_false_checksum_warning(graded):
    _, _, result, _ = graded
    assert f"EDITED CHECKS: edited / {ASSIGNMENT}" in result.stderr
    assert "checksum" not in result.stderr + result.stdout


def test_feedback_never_shows_the_hidden_tests(graded):
    _, work, _, _ = graded
    run_grader(work, "feedback")
    pages = list((work / "feedback").rglob("*.html"))
    assert {page.parent.name for page in pages} == {ASSIGNMENT}
    solution = read_notebook(solution_path(ASSIGNMENT))
    hidden = [
        line.strip()
        for cell in solution.cells
        if is_graded_test(cell)
        for line in cell.source.split("### BEGIN HIDDEN TESTS")[1]
        .split("### END HIDDEN TESTS")[0]
        .splitlines()
        if len(line.strip()) >= 12
    ]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        shown = [line for line in hidden if line in text]
        assert shown == [], (page, shown[:3])
    shutil.rmtree(work / "feedback")


def test_a_parallel_batch_scores_as_a_sequential_one(graded, tmp_path):
    folder, work, _, _ = graded
    subset = tmp_path / "subset"
    for student in ("full", "partial", "wrong", "t-alias"):
        shutil.copytree(folder / student, subset / student)
    sequential = tmp_path / "work"
    run_grader(sequential, "autograde", str(subset))
    parallel = exported(work, tmp_path)
    assert exported(sequential, tmp_path) == {
        student: parallel[student]
        for student in ("full", "partial", "wrong", "t-alias")
    }


def test_a_later_batch_grades_its_own_folder_and_skips_the_graded(
    graded, tmp_path
):
    folder, work, _, _ = graded
    earlier = work / "autograded" / "a,b" / ASSIGNMENT / LESSON.name
    before = os.stat(earlier).st_mtime_ns
    late = tmp_path / "late"
    hand_in(late, "late", read_notebook(LESSON))
    shutil.copytree(folder / "a,b", late / "a,b")
    result = run_grader(work, "autograde", str(late))
    assert report(result, "NOT GRADED") == []
    assert os.stat(earlier).st_mtime_ns == before
    assert exported(work, tmp_path)["late"] == 0.0
    assert "a,b" not in result.stdout + result.stderr
