"""The course's CSV export: nbgrader's columns, written by the csv module.

nbgrader's own CSV export joins fields with commas as they are, so a
student id or a name holding a comma or a quote corrupts its row. This
plugin (`c.ExportApp.plugin_class` in grader/nbgrader_config.py) writes
the same columns through `csv.DictWriter`, which quotes what needs it, in
UTF-8, with each student id as the submissions folder spells it (see
`grader.batch.nbgrader_student_id`). A student with no submission for
an assignment gets an empty timestamp and a score of 0, as in nbgrader's
export.
"""

from __future__ import annotations

import csv
from typing import Any

from nbgrader.api import Assignment, Gradebook, MissingEntry, Student
from nbgrader.plugins import ExportPlugin

from grader.batch import course_student_id

COLUMNS = (
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
)


def score_row(
    gradebook: Gradebook, assignment: Assignment, student: Student
) -> dict[str, Any]:
    """One student's result on one assignment, as the CSV shows it."""
    row = {
        "assignment": assignment.name,
        "duedate": assignment.duedate,
        "student_id": course_student_id(student.id),
        "last_name": student.last_name,
        "first_name": student.first_name,
        "email": student.email,
        "max_score": assignment.max_score,
        "timestamp": "",
        "raw_score": 0.0,
        "late_submission_penalty": 0.0,
        "score": 0.0,
    }
    try:
        submission = gradebook.find_submission(assignment.name, student.id)
    except MissingEntry:
        return row
    penalty = submission.late_submission_penalty or 0.0
    row.update(
        timestamp=submission.timestamp,
        raw_score=submission.score,
        late_submission_penalty=penalty,
        score=max(0.0, submission.score - penalty),
    )
    return row


class CsvExport(ExportPlugin):
    """Every student's score on every assignment, quoted as CSV needs."""

    def export(self, gradebook: Gradebook) -> None:
        with open(
            self.to or "grades.csv", "w", newline="", encoding="utf-8"
        ) as out:
            writer = csv.DictWriter(out, fieldnames=COLUMNS)
            writer.writeheader()
            for assignment in gradebook.assignments:
                if self.assignment and assignment.name not in self.assignment:
                    continue
                for student in gradebook.students:
                    if self.student and student.id not in self.student:
                        continue
                    row = score_row(gradebook, assignment, student)
                    writer.writerow(
                        {k: "" if v is None else v for k, v in row.items()}
                    )
