"""Grading a batch of submissions so that one bad notebook stops nobody.

nbgrader grades one assignment for every student in one run. It goes on
past a notebook whose kernel dies or times out, but its log does not say
which student failed, and metadata whose schema_version was edited stops
the run (`submissions.submission_problems` refuses those first). Here
each lesson is graded in one run over a folder that holds only the
submissions handed to `autograde`; the others already in the work folder
keep their grades. Each submission nbgrader did not grade is reported by
student and lesson, with the reason its part of the log gives. Student
ids are the folder names, whatever characters they hold (see
`nbgrader_student_id`).

nbgrader warns that the checksum of every graded cell with hidden tests
"has changed", even in an untouched notebook: it records the checksum
before the hidden tests are removed from the release (nbgrader issue
1961). That warning is dropped from the log; `submissions.edited_cells`
compares the locked cells with the release instead, and names the
student who edited one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

# What a failed nbgrader run prints, and what it means for the instructor.
FAILURE_CAUSES = (
    (
        "DeadKernelError",
        "its kernel died while running it: a cell may exit the process "
        "(os._exit, sys.exit in a thread) or use up the memory",
    ),
    (
        "CellTimeoutError",
        "a cell ran past the time limit (Execute.timeout in "
        "grader/nbgrader_config.py): an endless loop, or a much slower "
        "machine",
    ),
    (
        "newer version of the nbgrader metadata format",
        "the nbgrader metadata of a cell was edited (its schema_version)",
    ),
)
GLOB_CHARACTERS = "[]*?%"
FAILED_SUBMISSION = re.compile(
    r"There was an error processing assignment: (\S.*)$"
)
# What grader.preprocessors logs about a submission it graded.
FLAGGED_LINE = re.compile(r"(TAMPERING|TIMEOUT): (.+?) / (\S+): (.*)$")
# nbgrader's own lines about those, which name no student.
UNNAMED_LINES = re.compile(
    r"Attribute 'checksum' for cell .* has changed"
    r"|Timeout waiting for execute reply|Interrupting kernel"
)


@dataclass(frozen=True)
class Submission:
    """One notebook handed in: who, for which lesson, and where it is."""

    student: str
    assignment: str
    path: Path

    @property
    def nbgrader_id(self) -> str:
        """The student's id in nbgrader's folders and gradebook."""
        return nbgrader_student_id(self.student)


@dataclass(frozen=True)
class NotGraded:
    """A submission that could not be graded, and why."""

    student: str
    assignment: str
    reason: str

    def line(self) -> str:
        """The line the instructor's report shows."""
        return f"NOT GRADED: {self.student} / {self.assignment}: {self.reason}"


@dataclass(frozen=True)
class Flagged:
    """A graded submission the instructor should look at: its code
    reached into what the checks rely on (TAMPERING: the checks that ran
    after it scored 0), or a cell ran past the time limit and was
    interrupted (TIMEOUT: the rest of the notebook was graded)."""

    kind: str
    student: str
    assignment: str
    detail: str

    def line(self) -> str:
        """The line the instructor's report shows."""
        return (
            f"{self.kind}: {self.student} / {self.assignment}: {self.detail}"
        )


@dataclass(frozen=True)
class RunResult:
    """What one nbgrader run returned and printed."""

    returncode: int
    output: str


def nbgrader_student_id(student: str) -> str:
    """The id under which nbgrader knows `student`. nbgrader reads student
    ids as file globs at several steps, so an id holding [, ], * or ? is
    lost; those characters (and %) are percent-encoded, and
    `course_student_id` decodes them again for the instructor."""
    return "".join(
        quote(character, safe="")
        if character in GLOB_CHARACTERS
        else character
        for character in student
    )


def course_student_id(nbgrader_id: str) -> str:
    """The student id as the submissions folder spells it."""
    return unquote(nbgrader_id)


def failure_reason(log: str) -> str:
    """Why nbgrader failed on a submission, in the instructor's words,
    from the part of its log about that submission."""
    for marker, reason in FAILURE_CAUSES:
        if marker in log:
            return reason
    lines = [line for line in log.splitlines() if line.strip()]
    return f"nbgrader failed: {lines[-1] if lines else 'no log'}"


def failure_logs(output: str) -> dict[str, str]:
    """The part of nbgrader's log about each submission it failed on, by
    the submission's folder (.../STUDENT/ASSIGNMENT)."""
    logs: dict[str, str] = {}
    folder = None
    for line in output.splitlines():
        found = FAILED_SUBMISSION.search(line)
        if found:
            folder = found.group(1)
            logs[folder] = ""
        elif folder is not None:
            logs[folder] += line + "\n"
    return logs


def flagged_reports(output: str) -> list[Flagged]:
    """The tampering and timeouts grader.preprocessors logged, by student
    as the submissions folder spells them."""
    reports = []
    for line in output.splitlines():
        found = FLAGGED_LINE.search(line)
        if found:
            kind, student, assignment, detail = found.groups()
            reports.append(
                Flagged(kind, course_student_id(student), assignment, detail)
            )
    return reports


def without_false_warnings(output: str) -> str:
    """nbgrader's log without its false checksum warnings and its lines
    about timeouts, which name no student (`flagged_reports` does)."""
    return "\n".join(
        line for line in output.splitlines() if not UNNAMED_LINES.search(line)
    )


def shards(
    submissions: Sequence[Submission], jobs: int
) -> list[list[Submission]]:
    """`submissions` dealt out into at most `jobs` non-empty groups of
    nearly equal size, one nbgrader run each."""
    groups = [list(submissions[start::jobs]) for start in range(jobs)]
    return [group for group in groups if group]


def grade_lesson(
    assignment: str,
    submissions: Sequence[Submission],
    run_autograde: Callable[[str], RunResult],
    was_graded: Callable[[Submission], bool],
) -> tuple[list[NotGraded], list[Flagged]]:
    """Grade one lesson's submissions in one nbgrader run (`run_autograde(
    assignment)`, over a folder that holds only these submissions);
    nbgrader goes on past a submission it fails on. Return those it did
    not grade, each with the reason its log gives, and the tampering and
    timeouts it found in those it graded."""
    result = run_autograde(assignment)
    log = without_false_warnings(result.output)
    log = "\n".join(
        line for line in log.splitlines() if not FLAGGED_LINE.search(line)
    ).strip()
    if log:
        print(log)
    logs = failure_logs(result.output)
    failures = []
    for submission in submissions:
        if was_graded(submission):
            continue
        own_log = next(
            (
                text
                for folder, text in logs.items()
                if Path(folder).parent.name == submission.nbgrader_id
            ),
            result.output,
        )
        failures.append(
            NotGraded(submission.student, assignment, failure_reason(own_log))
        )
    return failures, flagged_reports(result.output)
