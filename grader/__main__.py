"""python -m grader {release,autograde,feedback,export,colab}

release     regenerate lessons/ from solutions/ (generate_assignment)
autograde   grade a folder laid out as STUDENT/ASSIGNMENT/NOTEBOOK.ipynb
feedback    write HTML feedback for every graded submission
export      write every score to a CSV file
colab       rewrite each solution notebook's badge and Colab setup cell
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from gaplab.colab import badge_markdown, setup_cell_source
from grader.batch import (
    NotGraded,
    RunResult,
    Submission,
    failure_reason,
    grade_lesson,
    without_false_warnings,
)
from grader.submissions import edited_cells, submission_problems

GRADER = Path(__file__).resolve().parent
ROOT = GRADER.parent
SOLUTIONS = ROOT / "solutions"
LESSONS = ROOT / "lessons"


def work_folder() -> Path:
    """Where submissions, grades and feedback go (outside git)."""
    return Path(os.environ.get("GAPLAB_GRADER_WORK", GRADER / "work"))


def assignments() -> list[str]:
    """Assignment names: the folders of solutions/, in lesson order."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir())


def nbgrader_environment() -> dict[str, str]:
    """The environment nbgrader runs in: the virtual environment's bin/
    on PATH, because nbgrader runs the `alembic` executable when it
    creates a gradebook, and the course on PYTHONPATH, for its export
    plugin."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), env.get("PYTHONPATH")])
    )
    return env


def run_nbgrader(*args: str) -> RunResult:
    """Run an nbgrader command with the course's configuration; return
    its exit status and everything it printed."""
    command = [sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"]
    result = subprocess.run(
        command,
        cwd=GRADER,
        env=nbgrader_environment(),
        capture_output=True,
        text=True,
    )
    return RunResult(result.returncode, result.stdout + result.stderr)


def nbgrader(*args: str) -> None:
    """Run an nbgrader command that must succeed (release, export); exit
    with its log if it fails."""
    result = run_nbgrader(*args)
    log = without_false_warnings(result.output).strip()
    if log:
        print(log, file=sys.stderr)
    if result.returncode != 0:
        sys.exit(
            f"nbgrader {' '.join(args)} failed (exit {result.returncode})"
        )


def release(into: Path | None, names: list[str] | None = None) -> None:
    """Regenerate the student notebooks from the solution notebooks, and
    record their graded cells in the gradebook."""
    if into is not None:
        os.environ["GAPLAB_RELEASE_DIR"] = str(into.resolve())
    for name in names or assignments():
        nbgrader("generate_assignment", name, "--force")


def collect(
    folder: Path, staging: Path
) -> tuple[list[Submission], list[NotGraded]]:
    """The well-formed submissions in `folder`, copied into `staging` (for
    this batch) and into the work folder's submitted/ (the record), and
    the others with what is wrong with them. Edited checks are reported
    on stderr; nbgrader grades the released versions."""
    accepted, refused = [], []
    for notebook in sorted(folder.glob("*/*/*.ipynb")):
        assignment = notebook.parent.name
        student = notebook.parent.parent.name
        released = LESSONS / assignment / notebook.name
        if not released.is_file():
            problems = [
                f"{notebook}: no lesson {assignment}/{notebook.name}; check "
                "the folder and notebook names"
            ]
        else:
            problems = submission_problems(notebook, released)
        if problems:
            refused += [NotGraded(student, assignment, p) for p in problems]
            continue
        edited = edited_cells(notebook, released)
        if edited:
            print(
                f"EDITED CHECKS: {student} / {assignment}: the locked cells "
                f"{', '.join(edited)} differ from the release; they are "
                "graded in their released form",
                file=sys.stderr,
            )
        submission = Submission(student, assignment, notebook)
        for root in (staging, work_folder() / "submitted"):
            target = root / submission.nbgrader_id / assignment
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(notebook, target / notebook.name)
        accepted.append(submission)
    return accepted, refused


def autograded_path(submission: Submission) -> Path:
    """Where nbgrader leaves the executed notebook of a submission."""
    autograded = work_folder() / "autograded"
    return autograded / submission.nbgrader_id / submission.assignment


def autograde(folder: Path) -> int:
    """Grade every well-formed submission in `folder`, one nbgrader run
    per lesson, and report the rest by student and lesson. Submissions
    already in the work folder but not in `folder` keep their grades.

    Returns the number of submissions that could not be graded, so the
    command can exit non-zero after grading everyone else.
    """
    if not folder.is_dir():
        sys.exit(
            f"{folder} is not a folder: expected "
            "STUDENT/ASSIGNMENT/NOTEBOOK.ipynb files inside it"
        )
    staging = work_folder() / "batch"
    shutil.rmtree(staging, ignore_errors=True)
    accepted, refused = collect(folder, staging)
    if not accepted and not refused:
        sys.exit(f"no STUDENT/ASSIGNMENT/NOTEBOOK.ipynb files in {folder}")
    lessons = sorted({s.assignment for s in accepted})
    # The gradebook must know each assignment's graded cells: generate
    # them again, into the work folder so that lessons/ stays untouched.
    release(work_folder() / "release", lessons)
    failed = []
    for lesson in lessons:
        failed += grade_lesson(
            lesson,
            [s for s in accepted if s.assignment == lesson],
            lambda name: run_nbgrader(
                "autograde",
                name,
                "--force",
                f"--CourseDirectory.submitted_directory={staging}",
            ),
            lambda submission: autograded_path(submission).is_dir(),
        )
    for problem in refused + failed:
        print(problem.line(), file=sys.stderr)
    return len(refused) + len(failed)


def feedback() -> int:
    """HTML feedback, hidden tests removed, for each lesson that has
    autograded submissions (mid-course, later lessons have none yet).
    Returns the number of lessons whose feedback failed."""
    autograded = work_folder() / "autograded"
    failures = 0
    for name in assignments():
        if not any(autograded.glob(f"*/{glob.escape(name)}")):
            continue
        result = run_nbgrader("generate_feedback", name, "--force")
        if result.returncode != 0:
            failures += 1
            print(
                f"NO FEEDBACK: {name}: {failure_reason(result.output)}",
                file=sys.stderr,
            )
    return failures


def export(to: Path) -> None:
    """All scores in the gradebook, as a CSV file (see grader.export)."""
    nbgrader("export", f"--to={to.resolve()}")


def sync_colab_cells() -> None:
    """Make each solution notebook open with the badge and setup cell that
    gaplab.colab renders, the one place the repository address lives."""
    for path in sorted(SOLUTIONS.glob("*/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        lesson_path = f"lessons/{path.parent.name}/{path.name}"
        notebook.cells[0].source = badge_markdown(lesson_path)
        notebook.cells[1].source = setup_cell_source()
        nbformat.write(notebook, path)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(
        prog="python -m grader",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    release_parser = commands.add_parser("release", help="regenerate lessons/")
    release_parser.add_argument(
        "--into",
        type=Path,
        default=None,
        help="write the release here instead",
    )
    grade_parser = commands.add_parser("autograde", help="grade a folder")
    grade_parser.add_argument("folder", type=Path)
    commands.add_parser("feedback", help="write HTML feedback")
    export_parser = commands.add_parser("export", help="scores to CSV")
    export_parser.add_argument("--to", type=Path, default=Path("grades.csv"))
    commands.add_parser("colab", help="rewrite badge and setup cells")
    args = parser.parse_args(argv)
    if args.command == "release":
        release(args.into)
    elif args.command == "autograde":
        return 1 if autograde(args.folder) else 0
    elif args.command == "feedback":
        return 1 if feedback() else 0
    elif args.command == "export":
        export(args.to)
    else:
        sync_colab_cells()
    return 0


if __name__ == "__main__":
    sys.exit(main())
