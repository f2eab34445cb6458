"""Grading a batch of submissions so that one bad notebook stops nobody.

nbgrader grades one assignment for every student in one run, and a
failure (a kernel that dies, edited metadata) ends that run: the students
after it go ungraded. Here each submission is graded by its own nbgrader
run, restricted to that student, so that a failure is tied to a student
and a lesson, reported, and the batch goes on. Only the submissions in
the folder handed to `autograde` are graded; the others already in the
work folder keep their grades. Student ids are the folder names, whatever
characters they hold (see `nbgrader_student_id`).

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
FALSE_CHECKSUM_WARNING = re.compile(
    r"Attribute 'checksum' for cell .* has changed"
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


def failure_reason(result: RunResult) -> str:
    """Why an nbgrader run failed, in the instructor's words."""
    for marker, reason in FAILURE_CAUSES:
        if marker in result.output:
            return reason
    lines = [line for line in result.output.splitlines() if line.strip()]
    last = lines[-1] if lines else "no output"
    return f"nbgrader failed (exit {result.returncode}): {last}"


def without_false_warnings(output: str) -> str:
    """nbgrader's log without its false checksum warnings."""
    return "\n".join(
        line
        for line in output.splitlines()
        if not FALSE_CHECKSUM_WARNING.search(line)
    )


def grade_each(
    submissions: Sequence[Submission],
    run_autograde: Callable[[str, str], RunResult],
    was_graded: Callable[[Submission], bool],
) -> list[NotGraded]:
    """Grade every submission by its own nbgrader run (`run_autograde(
    assignment, nbgrader_id)`); return those that failed or that
    nbgrader passed over, with the reason."""
    failures = []
    for submission in submissions:
        result = run_autograde(submission.assignment, submission.nbgrader_id)
        log = without_false_warnings(result.output).strip()
        if log:
            print(log)
        if result.returncode != 0:
            reason = failure_reason(result)
        elif not was_graded(submission):
            reason = "nbgrader did not grade it (check the folder's name)"
        else:
            continue
        failures.append(
            NotGraded(submission.student, submission.assignment, reason)
        )
    return failures
