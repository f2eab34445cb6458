"""python -m grader {release,autograde,feedback,export,colab}

release     regenerate lessons/ from solutions/ (generate_assignment)
autograde   grade a folder laid out as STUDENT/ASSIGNMENT/NOTEBOOK.ipynb
feedback    write HTML feedback for every graded submission
export      write every score to a CSV file
colab       rewrite each solution notebook's badge and Colab setup cell
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from gaplab.colab import badge_markdown, setup_cell_source
from grader.submissions import submission_problems

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


def nbgrader(*args: str) -> None:
    """Run an nbgrader command with the course's configuration.

    The virtual environment's bin/ goes on PATH because nbgrader runs the
    `alembic` executable when it creates a gradebook.
    """
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    command = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(command, cwd=GRADER, env=env)
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
        nbgrader("generate_assignment", name, "--force", "--log-level=WARN")


def autograde(folder: Path) -> int:
    """Copy well-formed submissions in and grade them; report the rest.

    Returns the number of submissions that could not be graded, so the
    command can exit non-zero while still grading everyone else.
    """
    if not folder.is_dir():
        sys.exit(
            f"{folder} is not a folder: expected "
            "STUDENT/ASSIGNMENT/NOTEBOOK.ipynb files inside it"
        )
    submitted = work_folder() / "submitted"
    problems: list[str] = []
    graded_assignments: set[str] = set()
    for notebook in sorted(folder.glob("*/*/*.ipynb")):
        assignment = notebook.parent.name
        released = LESSONS / assignment / notebook.name
        if not released.is_file():
            problems.append(
                f"{notebook}: no lesson {assignment}/{notebook.name}; check "
                "the folder and notebook names"
            )
            continue
        found = submission_problems(notebook, released)
        if found:
            problems += found
            continue
        student = notebook.parent.parent.name
        target = submitted / student / assignment
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(notebook, target / notebook.name)
        graded_assignments.add(assignment)
    # The gradebook must know each assignment's graded cells: generate
    # them again, into the work folder so that lessons/ stays untouched.
    release(work_folder() / "release", sorted(graded_assignments))
    for assignment in sorted(graded_assignments):
        nbgrader("autograde", assignment, "--force", "--log-level=WARN")
    if not graded_assignments and not problems:
        sys.exit(f"no STUDENT/ASSIGNMENT/NOTEBOOK.ipynb files in {folder}")
    for problem in problems:
        print(f"NOT GRADED: {problem}", file=sys.stderr)
    return len(problems)


def feedback() -> None:
    """HTML feedback for each autograded submission, hidden tests removed."""
    for name in assignments():
        nbgrader("generate_feedback", name, "--force", "--log-level=WARN")


def export(to: Path) -> None:
    """All scores in the gradebook, as nbgrader's CSV export."""
    nbgrader("export", f"--to={to.resolve()}", "--log-level=WARN")


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
        feedback()
    elif args.command == "export":
        export(args.to)
    else:
        sync_colab_cells()
    return 0


if __name__ == "__main__":
    sys.exit(main())
