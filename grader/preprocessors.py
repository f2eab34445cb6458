"""nbgrader preprocessors that keep a learner's kernel from writing its
own score, and the hidden tests out of what learners see.

nbgrader scores a check cell from its outputs, and the outputs come from
the learner's kernel. Around nbgrader's `Execute` (see
grader/nbgrader_config.py) the grader, outside the sandbox:

1. `GuardChecks` reads every cell the learner wrote (`grader.tampering`),
   and puts a cell of its own before the first cell and before each
   graded check, which calls the guard that `grader.guard` installed in
   the kernel, with a one-time token.
2. `Execute` runs the notebook in the sandbox (`grader.sandbox`).
3. `ZeroTamperedChecks` reads each guard cell's line. A check cell scores
   0 when the guard before it is missing or reports a change, or when a
   learner's cell before it reaches into the machinery; it gets an error
   output that says why, and the instructor's log names the student, the
   cell and the technique (`TAMPERING:` lines). A learner's cell whose
   output quotes the hidden tests is reported too. The guard cells are
   then removed.
4. `ReportTimeouts` names each cell that nbgrader interrupted at the time
   limit (`TIMEOUT:` lines); the rest of the notebook is graded.

For feedback, `RedactHiddenTests` removes from every output the lines
that quote hidden tests (a failing hidden test's traceback shows its
code), before nbgrader's `ClearHiddenTests` empties their source.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from grader.tampering import read_submission

ROOT = Path(__file__).resolve().parent.parent
GUARD_KEY = "gaplab_guard"
HIDDEN_BLOCK = re.compile(
    r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.DOTALL
)
ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")
# Hidden test lines shorter than this (`)`, `else:`) say nothing.
MIN_HIDDEN_LINE = 12
REDACTED = "[a line of the hidden tests, removed]"
# The error nbgrader gives a cell it interrupted at the time limit.
TIMEOUT_ERROR = "CellTimeoutError"


def nbgrader_meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_check(cell: NotebookNode) -> bool:
    """A graded test cell: nbgrader scores it from its outputs."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def released_notebook(resources: dict) -> NotebookNode:
    """The lesson as handed out (the release folder in use, as in
    grader/nbgrader_config.py)."""
    names = resources["nbgrader"]
    release = ROOT / os.environ.get("GAPLAB_RELEASE_DIR", "lessons")
    path = release / names["assignment"] / f"{names['notebook']}.ipynb"
    return nbformat.read(path, as_version=4)


def learner_cells(
    notebook: NotebookNode, released_sources: set[str]
) -> list[tuple[int, str]]:
    """(index, source) of the code cells the learner wrote: answer cells,
    and cells that are not in the release as they stand."""
    return [
        (index, cell.source)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and not nbgrader_meta(cell).get("locked")
        and (
            nbgrader_meta(cell).get("solution")
            or cell.source not in released_sources
        )
    ]


def cell_label(
    notebook: NotebookNode,
    index: int,
    kind: str = "a cell the learner added or edited",
) -> str:
    """How the report names a cell: its grade_id, or what `kind` of cell
    it is and its place after the nearest graded cell above it."""
    grade_id = nbgrader_meta(notebook.cells[index]).get("grade_id")
    if grade_id:
        return f"cell {grade_id}"
    above = next(
        (
            nbgrader_meta(cell)["grade_id"]
            for cell in reversed(notebook.cells[:index])
            if nbgrader_meta(cell).get("grade_id")
        ),
        None,
    )
    where = f"after cell {above}" if above else "at the top"
    return f"{kind} {where} (cell {index + 1})"


def guard_cell(token: str) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(f'__gaplab_guard__("{token}")')
    cell.metadata[GUARD_KEY] = token
    return cell


def tampering_error(techniques: list[str]) -> NotebookNode:
    """The output that makes nbgrader score a check cell 0, and tells the
    learner why."""
    message = (
        "This check scores 0: code in this notebook changed what the "
        "checks rely on (" + "; ".join(techniques) + "). Answer the "
        "exercises without touching the checks, torch, numpy, IPython or "
        "the interpreter's hooks."
    )
    return nbformat.v4.new_output(
        "error",
        ename="TamperingDetected",
        evalue=message,
        traceback=[f"TamperingDetected: {message}"],
    )


def released_sources(resources: dict) -> set[str]:
    """The sources of the released lesson's code cells."""
    released = released_notebook(resources)
    return {cell.source for cell in released.cells if cell.cell_type == "code"}


def hidden_lines(notebook: NotebookNode, visible: set[str]) -> set[str]:
    """The lines of the hidden tests that say something on their own and
    appear nowhere in the released lesson's code (`visible`)."""
    shown = {line.strip() for source in visible for line in source.split("\n")}
    lines = set()
    for cell in notebook.cells:
        if is_check(cell):
            for block in HIDDEN_BLOCK.findall(cell.source):
                lines |= {
                    line.strip()
                    for line in block.splitlines()
                    if len(line.strip()) >= MIN_HIDDEN_LINE
                }
    return lines - shown


def quotes(text: str, lines: set[str]) -> bool:
    plain = ANSI_CODE.sub("", text)
    return any(line in plain for line in lines)


def output_texts(output: NotebookNode) -> list[str]:
    """The text an output shows, in whatever field it keeps it."""
    if output.output_type == "stream":
        return [output.text]
    if output.output_type == "error":
        return [output.evalue, *output.traceback]
    return [str(value) for value in output.get("data", {}).values()]


def redact(output: NotebookNode, lines: set[str]) -> bool:
    """Remove from `output` what quotes the hidden tests; return whether
    anything was removed."""
    if output.output_type == "error":
        kept = [
            REDACTED if quotes(entry, lines) else entry
            for entry in output.traceback
        ]
        changed = kept != output.traceback
        output.traceback = kept
        return changed
    if any(quotes(text, lines) for text in output_texts(output)):
        output.clear()
        output.update(
            nbformat.v4.new_output("stream", name="stdout", text=REDACTED)
        )
        return True
    return False


class GuardChecks(NbGraderPreprocessor):
    """Read the learner's cells, and put a guard cell before the notebook
    and before each graded check."""

    def preprocess(
        self, nb: NotebookNode, resources: dict
    ) -> tuple[NotebookNode, dict]:
        sources = released_sources(resources)
        findings = read_submission(learner_cells(nb, sources), sources)
        for cell in nb.cells:
            cell.metadata.pop(GUARD_KEY, None)
        for finding in findings:
            cell = nb.cells[finding.cell_index]
            cell.metadata.setdefault(GUARD_KEY + "_findings", []).append(
                f"{cell_label(nb, finding.cell_index)}, line "
                f"{finding.line}: {finding.technique}"
            )
        guarded = [guard_cell(secrets.token_hex(8))]
        for cell in nb.cells:
            if is_check(cell):
                guarded.append(guard_cell(secrets.token_hex(8)))
            guarded.append(cell)
        nb.cells = guarded
        return nb, resources


class ZeroTamperedChecks(NbGraderPreprocessor):
    """Score 0 every check that ran after tampering, report it, and take
    the guard cells out again."""

    def preprocess(
        self, nb: NotebookNode, resources: dict
    ) -> tuple[NotebookNode, dict]:
        names = resources["nbgrader"]
        who = f"{names['student']} / {names['assignment']}"
        guard_reports = without_guard_cells(nb)
        sources = released_sources(resources)
        lines = hidden_lines(nb, sources)
        learners = {index for index, _ in learner_cells(nb, sources)}
        found_so_far: list[str] = []
        for index, cell in enumerate(nb.cells):
            for finding in cell.metadata.pop(GUARD_KEY + "_findings", []):
                found_so_far.append(finding.split(": ", 1)[1])
                self.log.warning("TAMPERING: %s: %s", who, finding)
            if is_check(cell):
                guard_report = guard_reports[index]
                if guard_report:
                    self.log.warning(
                        "TAMPERING: %s: %s: the guard found: %s",
                        who,
                        cell_label(nb, index),
                        "; ".join(guard_report),
                    )
                if found_so_far or guard_report:
                    techniques = sorted(set(found_so_far + guard_report))
                    cell.outputs.append(tampering_error(techniques))
            elif index in learners and any(
                quotes(text, lines)
                for output in cell.outputs
                for text in output_texts(output)
            ):
                self.log.warning(
                    "TAMPERING: %s: %s: its output quotes the hidden tests",
                    who,
                    cell_label(nb, index),
                )
        return nb, resources


class ReportTimeouts(NbGraderPreprocessor):
    """Name each cell that ran past the time limit: nbgrader interrupts
    it, gives it an error output and goes on, but its log does not say
    whose notebook it was (`TIMEOUT:` lines)."""

    def preprocess(
        self, nb: NotebookNode, resources: dict
    ) -> tuple[NotebookNode, dict]:
        names = resources["nbgrader"]
        sources = released_sources(resources)
        learners = {index for index, _ in learner_cells(nb, sources)}
        for index, cell in enumerate(nb.cells):
            timed_out = any(
                output.get("ename") == TIMEOUT_ERROR
                for output in cell.get("outputs", [])
            )
            if timed_out:
                scored = "it scores 0, " if is_check(cell) else ""
                kind = (
                    "a cell the learner added or edited"
                    if index in learners
                    else "a cell of the lesson"
                )
                self.log.warning(
                    "TIMEOUT: %s / %s: %s ran past the time limit and was "
                    "interrupted; %sthe rest of the notebook was graded "
                    "(autograde --timeout SECONDS allows longer)",
                    names["student"],
                    names["assignment"],
                    cell_label(nb, index, kind),
                    scored,
                )
        return nb, resources


def without_guard_cells(nb: NotebookNode) -> dict[int, list[str]]:
    """Take the guard cells out of `nb`; return, by the index of each
    check cell in what is left, what the guard just before it reported."""
    reports = {}
    kept: list[NotebookNode] = []
    report: list[str] = []
    for cell in nb.cells:
        token = cell.metadata.get(GUARD_KEY)
        if token is not None:
            report = guard_verdict(cell, token)
            continue
        if is_check(cell):
            reports[len(kept)] = report
        kept.append(cell)
    nb.cells = kept
    return reports


def guard_verdict(cell: NotebookNode, token: str) -> list[str]:
    """What the guard cell reported: empty when its line says ok, the
    changes it names, or that the line is missing."""
    text = "".join(
        output.get("text", "")
        for output in cell.get("outputs", [])
        if output.output_type == "stream"
    )
    found = re.search(rf"^gaplab guard {token}: (.*)$", text, re.MULTILINE)
    if found is None:
        return ["the grader's guard did not report: its cell was rewritten"]
    verdict = found.group(1)
    if verdict == "ok":
        return []
    return verdict.removeprefix("tampering: ").split("; ")


class RedactHiddenTests(NbGraderPreprocessor):
    """Remove from every output what quotes the hidden tests."""

    def preprocess(
        self, nb: NotebookNode, resources: dict
    ) -> tuple[NotebookNode, dict]:
        lines = hidden_lines(nb, released_sources(resources))
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                redact(output, lines)
        return nb, resources
