"""Check your own work without nbgrader: the visible checks of a lesson,
scored as the grader scores them.

From a terminal, on a saved notebook (it runs top to bottom in a fresh
kernel, as the grader runs it):

    python -m gaplab.selfcheck lessons/01-losses/01-losses.ipynb

From a cell at the end of the notebook, in JupyterLab or Colab (the
checks run against the answers you have defined in this session):

    from gaplab.selfcheck import check_this_notebook
    check_this_notebook()

Either prints one line per exercise (its points, and the first line of
what went wrong) and the total. A check counts as the grader counts it:
it passes when it raises nothing and writes nothing to stderr. The hidden
tests that the instructor adds are not in your copy, so full marks here
mean the visible checks pass, not yet that the hidden ones will.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOT_ANSWERED = "not answered yet"
STDERR_FAILURE = "wrote to stderr, which the grader scores 0"


@dataclass(frozen=True)
class CheckResult:
    """What one graded check gave."""

    exercise: str
    points: float
    earned: float
    problem: str  # empty when it passed


def graded_checks(
    notebook: dict[str, Any],
) -> Iterator[tuple[str, float, dict[str, Any]]]:
    """(exercise, points, cell) of each graded check cell, in order."""
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            exercise = meta["grade_id"].removesuffix("_tests")
            yield exercise, float(meta["points"]), cell


def scored(exercise: str, points: float, problem: str) -> CheckResult:
    """A check's result as the grader scores it: all or nothing."""
    return CheckResult(exercise, points, 0.0 if problem else points, problem)


def cell_source(cell: dict[str, Any]) -> str:
    """A cell's source: notebook files may store it as a list of lines."""
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def run_check(source: str, namespace: dict[str, Any]) -> str:
    """Run one check's code in `namespace`; return what went wrong, or ""
    when it passed. Its printed output is not shown: the summary is."""
    errors = io.StringIO()
    try:
        with (
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(errors),
        ):
            exec(compile(source, "<check>", "exec"), namespace)
    except NotImplementedError:
        return NOT_ANSWERED
    except Exception as error:  # a failed check is any exception
        return f"{type(error).__name__}: {first_line(str(error))}"
    if errors.getvalue().strip():
        return f"{STDERR_FAILURE}: {first_line(errors.getvalue())}"
    return ""


def run_checks(
    notebook: dict[str, Any], namespace: dict[str, Any]
) -> list[CheckResult]:
    """Each graded check of `notebook`, run against the answers defined
    in `namespace`."""
    return [
        scored(exercise, points, run_check(cell_source(cell), namespace))
        for exercise, points, cell in graded_checks(notebook)
    ]


def output_problem(cell: dict[str, Any]) -> str:
    """What went wrong in an executed check cell, as the grader reads its
    outputs; "" when it passed."""
    for output in cell.get("outputs", []):
        if output["output_type"] == "error":
            if output["ename"] == "NotImplementedError":
                return NOT_ANSWERED
            return f"{output['ename']}: {first_line(output['evalue'])}"
        if output["output_type"] == "stream" and output["name"] == "stderr":
            return f"{STDERR_FAILURE}: {first_line(''.join(output['text']))}"
    return ""


def results_of_executed(notebook: dict[str, Any]) -> list[CheckResult]:
    """The graded checks of a notebook that ran top to bottom."""
    return [
        scored(exercise, points, output_problem(cell))
        for exercise, points, cell in graded_checks(notebook)
    ]


def report(results: list[CheckResult]) -> str:
    """The summary: one line per exercise, then the total."""
    if not results:
        return "This notebook has no graded checks."
    width = max(len(result.exercise) for result in results)
    lines = []
    for result in results:
        mark = "ok  " if not result.problem else "FAIL"
        line = (
            f"{mark} {result.exercise:<{width}}  "
            f"{result.earned:g}/{result.points:g}"
        )
        lines.append(line + (f"  {result.problem}" if result.problem else ""))
    earned = sum(result.earned for result in results)
    total = sum(result.points for result in results)
    lines.append(f"total {earned:g}/{total:g} points (visible checks only)")
    return "\n".join(lines)


def current_notebook() -> dict[str, Any]:
    """The notebook this kernel runs, as JSON: Colab hands it over on
    request; JupyterLab names its file in JPY_SESSION_NAME."""
    if "google.colab" in sys.modules:
        from google.colab import _message  # type: ignore[import-not-found]

        return _message.blocking_request("get_ipynb", timeout_sec=30)["ipynb"]
    path = os.environ.get("JPY_SESSION_NAME")
    if path and Path(path).is_file():
        return json.loads(Path(path).read_text(encoding="utf-8"))
    raise RuntimeError(
        "cannot tell which notebook this is: save it and run "
        "`python -m gaplab.selfcheck PATH/TO/NOTEBOOK.ipynb` in a terminal, "
        "or pass the path: check_this_notebook('PATH/TO/NOTEBOOK.ipynb')"
    )


def check_this_notebook(path: str | None = None) -> list[CheckResult]:
    """Run the visible checks of this notebook (or of the notebook at
    `path`) against the answers defined in this session, and print the
    summary. Save first in JupyterLab: the checks are read from the
    file."""
    from IPython import get_ipython

    notebook = (
        json.loads(Path(path).read_text(encoding="utf-8"))
        if path
        else current_notebook()
    )
    results = run_checks(notebook, get_ipython().user_ns)
    print(report(results))
    return results


def execute(path: Path, timeout: int) -> dict[str, Any]:
    """Run a notebook top to bottom in a fresh kernel, in its own folder,
    going on past errors as the grader does; return it as JSON."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(
        notebook,
        timeout=timeout,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return json.loads(nbformat.writes(notebook))


def main(argv: list[str] | None = None) -> int:
    """Command line: run a notebook and print its checks' summary. Exits
    1 when a check fails, so it can gate a script."""
    parser = argparse.ArgumentParser(
        prog="python -m gaplab.selfcheck",
        description="Run a lesson notebook top to bottom and score its "
        "visible checks as the grader would.",
    )
    parser.add_argument("notebook", type=Path)
    parser.add_argument(
        "--timeout",
        type=int,
        default=600,
        help="seconds a cell may run (default 600)",
    )
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        parser.error(f"{args.notebook} is not a file: give a lesson's .ipynb")
    try:
        executed = execute(args.notebook, args.timeout)
    except Exception as error:  # nbformat's and nbclient's many errors
        parser.error(f"cannot run {args.notebook}: {error}")
    results = results_of_executed(executed)
    print(report(results))
    return 1 if any(result.problem for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
