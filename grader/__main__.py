"""python -m grader COMMAND: the instructor's commands.

release      regenerate lessons/ from solutions/ (generate_assignment)
students     add the students of a CSV roster to the gradebook
zip-collect  unpack submissions downloaded from an LMS into submitted/
autograde    grade a folder laid out as STUDENT/ASSIGNMENT/NOTEBOOK.ipynb,
             each notebook in a sandbox, --jobs at a time
feedback     write HTML feedback for every graded submission
export       write every score to a CSV file
colab        rewrite each solution notebook's badge and Colab setup cell

docs/INSTRUCTOR_GUIDE.md walks through a term with these commands.
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from gaplab.colab import badge_markdown, setup_cell_source
from grader.batch import (
    Flagged,
    NotGraded,
    RunResult,
    Submission,
    failure_reason,
    grade_lesson,
    nbgrader_student_id,
    shards,
    without_false_warnings,
)
from grader.sandbox import SandboxUnavailable, check_sandbox
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


def graded_digest_path(submission: Submission) -> Path:
    """Where the grader notes which version of a submission it graded."""
    graded = work_folder() / "graded"
    return graded / submission.nbgrader_id / f"{submission.assignment}.sha256"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def already_graded(submission: Submission) -> bool:
    """Whether this very notebook (the same bytes) was graded before."""
    noted = graded_digest_path(submission)
    return (
        noted.is_file()
        and noted.read_text() == digest(submission.path)
        and autograded_path(submission).is_dir()
    )


def note_graded(submissions: list[Submission]) -> None:
    """Note the version of each submission that was just graded."""
    for submission in submissions:
        noted = graded_digest_path(submission)
        noted.parent.mkdir(parents=True, exist_ok=True)
        noted.write_text(digest(submission.path))


def collect(
    folder: Path, regrade: bool
) -> tuple[list[Submission], list[NotGraded]]:
    """The well-formed submissions in `folder` that need grading (all of
    them with `regrade`, otherwise those not graded as they are now),
    copied into the work folder's submitted/ (the record, unless they
    are there already: nbgrader's collect and zip_collect put them
    there), and the others with what is wrong with them. Edited checks
    are reported on stderr; nbgrader grades the released versions."""
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
        submission = Submission(student, assignment, notebook)
        if not regrade and already_graded(submission):
            continue
        edited = edited_cells(notebook, released)
        if edited:
            print(
                f"EDITED CHECKS: {student} / {assignment}: the locked cells "
                f"{', '.join(edited)} differ from the release; they are "
                "graded in their released form",
                file=sys.stderr,
            )
        if folder.resolve() != (work_folder() / "submitted").resolve():
            stage([submission], work_folder() / "submitted")
        accepted.append(submission)
    return accepted, refused


def stage(submissions: list[Submission], root: Path) -> None:
    """Copy the submissions into `root` as nbgrader lays them out."""
    for submission in submissions:
        target = root / submission.nbgrader_id / submission.assignment
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(submission.path, target / submission.path.name)


def submitted_path(submission: Submission) -> Path:
    """Where the work folder keeps the record of a submission."""
    submitted = work_folder() / "submitted"
    return submitted / submission.nbgrader_id / submission.assignment


def autograded_path(submission: Submission) -> Path:
    """Where nbgrader leaves the executed notebook of a submission."""
    autograded = work_folder() / "autograded"
    return autograded / submission.nbgrader_id / submission.assignment


def grade_shard(
    lesson: str, shard: list[Submission], staging: Path
) -> tuple[list[NotGraded], list[Flagged]]:
    """Grade some of one lesson's submissions in one nbgrader run, over a
    folder that holds only them."""
    stage(shard, staging)
    return grade_lesson(
        lesson,
        shard,
        lambda name: run_nbgrader(
            "autograde",
            name,
            "--force",
            f"--CourseDirectory.submitted_directory={staging}",
        ),
        lambda submission: autograded_path(submission).is_dir(),
    )


def autograde(
    folder: Path,
    jobs: int = 1,
    regrade: bool = False,
    timeout: int | None = None,
) -> int:
    """Grade every well-formed submission in `folder` (except those graded
    before as they are, unless `regrade`), in up to `jobs` nbgrader runs
    at once, each cell interrupted after `timeout` seconds (the
    configuration's limit if None), and report the rest by student and
    lesson. Submissions in the work folder but not in `folder` keep
    their grades.

    Returns the number of submissions that could not be graded, so the
    command can exit non-zero after grading everyone else.
    """
    if not folder.is_dir():
        sys.exit(
            f"{folder} is not a folder: expected "
            "STUDENT/ASSIGNMENT/NOTEBOOK.ipynb files inside it"
        )
    try:
        check_sandbox()
    except SandboxUnavailable as error:
        sys.exit(f"cannot grade: {error}")
    if not any(folder.glob("*/*/*.ipynb")):
        sys.exit(f"no STUDENT/ASSIGNMENT/NOTEBOOK.ipynb files in {folder}")
    accepted, refused = collect(folder, regrade)
    if not accepted and not refused:
        print(
            f"nothing to grade in {folder}: every notebook there was "
            "graded as it is (--regrade grades them again)"
        )
        return 0
    lessons = sorted({s.assignment for s in accepted})
    # The gradebook must know each assignment's graded cells: generate
    # them again, into the work folder so that lessons/ stays untouched.
    release(work_folder() / "release", lessons)
    # Each kernel gets its share of the cores (grader.sandbox).
    os.environ["GAPLAB_GRADER_JOBS"] = str(jobs)
    if timeout is not None:
        os.environ["GAPLAB_GRADER_TIMEOUT"] = str(timeout)
    staging = work_folder() / "batch"
    shutil.rmtree(staging, ignore_errors=True)
    units = [
        (lesson, shard)
        for lesson in lessons
        for shard in shards(
            [s for s in accepted if s.assignment == lesson], jobs
        )
    ]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(
            pool.map(
                grade_shard,
                [lesson for lesson, _ in units],
                [shard for _, shard in units],
                [staging / str(number) for number in range(len(units))],
            )
        )
    failed = [problem for not_graded, _ in results for problem in not_graded]
    flagged = [report for _, reports in results for report in reports]
    not_graded = {(problem.student, problem.assignment) for problem in failed}
    note_graded(
        [s for s in accepted if (s.student, s.assignment) not in not_graded]
    )
    for problem in flagged + refused + failed:
        print(problem.line(), file=sys.stderr)
    return len(refused) + len(failed)


def feedback(show_hidden_tests: bool = False) -> int:
    """HTML feedback for each lesson that has autograded submissions
    (mid-course, later lessons have none yet), hidden tests removed
    unless the instructor asks for them. Returns the number of lessons
    whose feedback failed."""
    if show_hidden_tests:
        os.environ["GAPLAB_FEEDBACK_SHOWS_HIDDEN_TESTS"] = "1"
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


def add_students(roster: Path) -> None:
    """Add or update the students of a CSV roster (columns id, last_name,
    first_name, email; only id is required) in the gradebook, so that
    exports carry their names."""
    with roster.open(newline="", encoding="utf-8") as table:
        rows = list(csv.DictReader(table))
    if not rows or "id" not in rows[0]:
        sys.exit(
            f"{roster}: expected a CSV file whose header names the columns "
            "id, last_name, first_name, email (only id is required)"
        )
    encoded = work_folder() / "roster.csv"
    encoded.parent.mkdir(parents=True, exist_ok=True)
    with encoded.open("w", newline="", encoding="utf-8") as table:
        writer = csv.DictWriter(table, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow(row | {"id": nbgrader_student_id(row["id"])})
    nbgrader("db", "student", "import", str(encoded))


def zip_collect(assignment: str) -> None:
    """Unpack the submissions downloaded from an LMS for `assignment`
    (zip files or notebooks in work/downloaded/ASSIGNMENT/archive/) into
    work/submitted/, named by the LMS's file names (the pattern is
    c.FileNameCollectorPlugin.named_regexp in grader/nbgrader_config.py)."""
    archive = work_folder() / "downloaded" / assignment / "archive"
    if not any(archive.glob("*")):
        sys.exit(
            f"nothing in {archive}: put the files downloaded from the LMS "
            "for this lesson there (zip archives or notebooks)"
        )
    nbgrader("zip_collect", assignment, "--force")
    submitted = work_folder() / "submitted"
    collected = list(submitted.glob(f"*/{glob.escape(assignment)}/*.ipynb"))
    if not collected:
        sys.exit(
            f"no notebook of {assignment} was collected from {archive}: "
            "check that the file names match "
            "c.FileNameCollectorPlugin.named_regexp in "
            "grader/nbgrader_config.py"
        )
    print(f"{len(collected)} submissions of {assignment} in {submitted}")


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
    grade_parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="grade this many submissions at once, each kernel in its own "
        "sandbox with its share of the cores (default 1)",
    )
    grade_parser.add_argument(
        "--timeout",
        type=int,
        default=None,
        help="interrupt a cell after this many seconds; the rest of the "
        "notebook is still graded (default 120)",
    )
    grade_parser.add_argument(
        "--regrade",
        action="store_true",
        help="grade again the notebooks already graded as they are",
    )
    feedback_parser = commands.add_parser(
        "feedback", help="write HTML feedback"
    )
    feedback_parser.add_argument(
        "--show-hidden-tests",
        action="store_true",
        help="show learners the hidden tests too (by default they never "
        "see them, nor the lines of them a traceback quotes)",
    )
    export_parser = commands.add_parser("export", help="scores to CSV")
    export_parser.add_argument("--to", type=Path, default=Path("grades.csv"))
    students_parser = commands.add_parser(
        "students", help="add the students of a CSV roster"
    )
    students_parser.add_argument("roster", type=Path)
    collect_parser = commands.add_parser(
        "zip-collect", help="unpack an LMS download into submitted/"
    )
    collect_parser.add_argument("assignment")
    commands.add_parser("colab", help="rewrite badge and setup cells")
    args = parser.parse_args(argv)
    if args.command == "release":
        release(args.into)
    elif args.command == "autograde":
        if args.jobs < 1:
            parser.error("--jobs must be 1 or more")
        if args.timeout is not None and args.timeout < 1:
            parser.error("--timeout must be 1 second or more")
        failed = autograde(args.folder, args.jobs, args.regrade, args.timeout)
        return 1 if failed else 0
    elif args.command == "feedback":
        return 1 if feedback(args.show_hidden_tests) else 0
    elif args.command == "export":
        export(args.to)
    elif args.command == "students":
        add_students(args.roster)
    elif args.command == "zip-collect":
        zip_collect(args.assignment)
    else:
        sync_colab_cells()
    return 0


if __name__ == "__main__":
    sys.exit(main())
