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
import zipfile
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from tests.grading import run_grader
from tests.lesson01_class import (
    ASSIGNMENT,
    HONEST,
    LESSON,
    answer_cell,
    blank,
    exported,
    hand_in,
    honest_scores,
    solved,
    wrong,
)
from tests.notebook_tools import (
    ROOT,
    is_graded_test,
    read_notebook,
    solution_path,
)
from tests.tampering_bank import TECHNIQUES

pytestmark = [pytest.mark.notebook, pytest.mark.sandbox]

TOKEN = uuid.uuid4().hex  # what an escaped cell would leave behind
# Each technique, run in the cell of a wrong answer to the first exercise,
# would give that answer (and the rest) full marks if it worked; each
# must score 0 from there on and be named in the report. These are the
# bank's techniques that forged scores before the guard, and those only
# the guard inside the kernel sees (tests/test_tampering.py holds the
# whole bank, read and run without nbgrader).
TAMPERING = {
    name: TECHNIQUES[name]
    for name in (
        "allclose",
        "ipython-hooks",
        "input-transformer",
        "trace",
        "alias",
        "library-alias",
    )
}
ODD_IDS = ("a,b", "x [1]", "élève 50%*?", 'q"uote')


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
        "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', "
        f"'import time; time.sleep(600)  # {TOKEN}'],\n"
        "    start_new_session=True)\n"
        f"open('/tmp/{TOKEN}', 'w').close()",
    ]


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


def expected_scores() -> dict[str, float]:
    """What each student of the class must get."""
    honest = honest_scores()
    full = honest["full"]
    expected = {name: score for name, score in honest.items()}
    expected |= {student: full for student in ODD_IDS}
    expected["edited"] = full
    expected |= {student: 0.0 for student in TAMPERING}
    expected |= {"killed": 0.0, "schema": 0.0, "garbled": 0.0}
    expected |= {"history": full, "escapes": full}
    expected |= {"lms-ada": full, "lms-bob": 0.0}
    return expected


ROSTER = {
    "a,b": ("O'Neil, Jr.", "Ann"),
    "élève 50%*?": ("Dupré", "Élodie"),
    "full": ("Lovelace", "Ada"),
}
# Handed in through an LMS: Canvas names each file
# login_userid_submissionid_filename.
LMS = {"lms-ada": solved, "lms-bob": blank}


def add_roster(work: Path, folder: Path) -> None:
    roster = folder / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as table:
        writer = csv.writer(table)
        writer.writerow(["id", "last_name", "first_name", "email"])
        for student, (last, first) in ROSTER.items():
            writer.writerow([student, last, first, ""])
    run_grader(work, "students", str(roster))


def download_from_lms(work: Path) -> None:
    """The LMS's zip of the lesson's submissions, where zip-collect
    looks for it."""
    archive = work / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as download:
        for number, (student, build) in enumerate(LMS.items()):
            name = f"{student}_{100 + number}_{200 + number}_{LESSON.name}"
            download.writestr(name, nbformat.writes(build()))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The cycle: add students, collect (a folder as nbgrader's exchange
    fills it, and an LMS download), grade two at a time."""
    work = tmp_path_factory.mktemp("work")
    folder = work / "submitted"
    server = listener()
    add_roster(work, tmp_path_factory.mktemp("roster"))
    builders = HONEST | {
        "edited": edited_check,
        "killed": killed,
        "schema": edited_schema,
        "history": lambda: with_added_cells(["print(In)"]),
        "escapes": lambda: with_added_cells(
            escape_cells(folder, work, server.getsockname()[1])
        ),
    }
    builders |= {student: solved for student in ODD_IDS}
    builders |= {s: tampered(t.source) for s, t in TAMPERING.items()}
    for student, build in builders.items():
        hand_in(folder, student, build())
    garbled = folder / "garbled" / ASSIGNMENT
    garbled.mkdir(parents=True)
    (garbled / LESSON.name).write_text('{"cells": [', encoding="utf-8")
    download_from_lms(work)
    run_grader(work, "zip-collect", ASSIGNMENT)
    result = run_grader(
        work, "autograde", str(folder), "--jobs", "2", check=False
    )
    yield folder, work, result, server
    server.close()


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
        if student not in ("garbled", "schema")  # refused before nbgrader
    }


def test_exported_names_come_from_the_roster(graded, tmp_path):
    _, work, _, _ = graded
    grades = tmp_path / "grades.csv"
    run_grader(work, "export", "--to", str(grades))
    with grades.open(newline="", encoding="utf-8") as table:
        names = {
            row["student_id"]: (row["last_name"], row["first_name"])
            for row in csv.DictReader(table)
        }
    assert {student: names[student] for student in ROSTER} == ROSTER


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
    technique = TAMPERING[student].reported
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
    visible = {
        line.strip()
        for cell in read_notebook(LESSON).cells
        for line in cell.source.splitlines()
    }
    hidden = [
        line.strip()
        for cell in read_notebook(solution_path(ASSIGNMENT)).cells
        if is_graded_test(cell)
        for line in cell.source.split("### BEGIN HIDDEN TESTS")[1]
        .split("### END HIDDEN TESTS")[0]
        .splitlines()
        if len(line.strip()) >= 12 and line.strip() not in visible
    ]
    assert hidden, "lesson 01 has hidden tests to keep hidden"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        shown = [line for line in hidden if line in text]
        assert shown == [], (page, shown[:3])
    shutil.rmtree(work / "feedback")


def test_a_parallel_batch_scores_as_a_sequential_one(graded, tmp_path):
    folder, work, _, _ = graded
    subset = tmp_path / "subset"
    for student in ("partial", "alias"):
        shutil.copytree(folder / student, subset / student)
    sequential = tmp_path / "work"
    run_grader(sequential, "autograde", str(subset))
    parallel = exported(work, tmp_path)
    assert exported(sequential, tmp_path) == {
        student: parallel[student] for student in ("partial", "alias")
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
