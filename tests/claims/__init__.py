"""Claims: what the lessons' prose says about computed results, asserted.

"Every gap in the table is positive" is true of the numbers that one run
of lesson 01 printed. If a library change, a new torch or an edited cell
changes those numbers, the sentence silently becomes false. A claim ties
the sentence to a test on the notebook's own values. Each lesson's claims
live in tests/claims/lesson_NN.py (NN: the lesson's number):

    from tests.claims import Claims, Evidence, Namespace

    claim = Claims("01-losses")  # checked with SEED = 0, 1 and 2

    @claim("Every gap in the table is positive")
    def every_gap_is_positive(ns: Namespace) -> Evidence:
        gaps = [v - t for t, v in ns["losses"].values()]
        return all(g > 0 for g in gaps), {"gaps": gaps}

- The sentence is a verbatim fragment of one markdown cell of the solution
  notebook, compared with whitespace collapsed (re-wrapping is harmless).
  Quote the sentence the check asserts, enough of it to name one place.
  When the prose changes, the claim fails until someone revisits it.
- `ns` holds the notebook's variables where the sentence stands: every
  code cell above that markdown cell has run. A sentence that announces
  what the code cells right below it print takes `@claim(..., below=True)`
  and reads the variables after those cells. The snapshot is shallow (see
  tests.notebook_tools.NotebookRun): read values a cell computed, or call
  the notebook's own functions on its own objects; an object a later
  cell changes in place is seen as it ends up.
- The function returns whether the sentence holds and the numbers it
  measured, by name; a failure prints the lesson, the sentence, the seed
  and those numbers. Where the prose uses a vague word ("several", "much
  less"), the docstring says how the check reads it.
- A lesson that trains sets `SEED = 0` in a code cell of its own, tagged
  `parameters` (the papermill convention), and every run uses SEED. Each
  claim must hold with SEED set to every one of `Claims.seeds`. The seed
  the notebook is written with reuses the run the exercise tests share;
  each other seed runs the notebook once more per session, without its
  graded test cells. A lesson with nothing random declares
  `Claims("NN-name", seeds=(None,))` and runs once, as written.
- The prose never types a figure the notebook computes: it refers to the
  printed value, and the claim asserts what the sentence says about it.

tests/test_claims.py checks every claim on every seed; `python -m
tests.claims` prints how many claims each lesson asserts.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.notebook_tools import ROOT, solution_path, solution_run

Namespace = dict[str, Any]
Evidence = tuple[bool, dict[str, Any]]
Check = Callable[[Namespace], Evidence]

SEEDS = (0, 1, 2)


def seed_label(seed: int | None) -> str:
    """How messages and test ids name a seed; None: the notebook as
    written, for a lesson with nothing random."""
    return "as written" if seed is None else f"SEED = {seed}"


def normalise(text: str) -> str:
    """`text` with every run of whitespace (line breaks included) made one
    space, so that re-wrapping a paragraph does not break a claim."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Claim:
    """One sentence of a lesson and the check of what it says."""

    lesson: str
    sentence: str
    check: Check
    seeds: tuple[int | None, ...]
    below: bool = False  # read the variables after the code cells below

    @property
    def name(self) -> str:
        """The check function's name, used as the test's id."""
        return self.check.__name__


@dataclass
class Claims:
    """The claims of one lesson. Use the instance as a decorator factory:
    `@claim("a sentence of the prose")` registers the function below it."""

    lesson: str
    seeds: tuple[int | None, ...] = SEEDS
    claims: list[Claim] = field(default_factory=list)

    def __call__(
        self, sentence: str, *, below: bool = False
    ) -> Callable[[Check], Check]:
        def register(check: Check) -> Check:
            self.claims.append(
                Claim(
                    self.lesson, normalise(sentence), check, self.seeds, below
                )
            )
            return check

        return register


def sentence_cell(claim: Claim) -> int:
    """Index of the one markdown cell of the solution notebook that holds
    the claim's sentence. Fails, naming the lesson and the sentence, when
    no cell or more than one holds it."""
    notebook = solution_run(claim.lesson).notebook
    holders = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "markdown"
        and claim.sentence in normalise(cell.source)
    ]
    notebook_path = solution_path(claim.lesson).relative_to(ROOT)
    assert holders, (
        f"lesson {claim.lesson}: the sentence\n    {claim.sentence}\nis in "
        f"no markdown cell of {notebook_path}. If the prose changed, revisit "
        f"the claim {claim.name!r} in tests/claims/; quote it verbatim."
    )
    assert len(holders) == 1, (
        f"lesson {claim.lesson}: the sentence\n    {claim.sentence}\nis in "
        f"cells {holders}; quote more of it, so that it names one place."
    )
    return holders[0]


def reading_point(claim: Claim) -> int:
    """Index of the cell before which the claim reads the variables: the
    sentence's own cell, or with `below` the next markdown cell after it
    (the end of the notebook if there is none)."""
    index = sentence_cell(claim)
    if not claim.below:
        return index
    cells = solution_run(claim.lesson).notebook.cells
    following = range(index + 1, len(cells))
    return next(
        (i for i in following if cells[i].cell_type == "markdown"), len(cells)
    )


def show(value: Any) -> str:
    """A measured value as a failure message shows it: floats to four
    significant digits, sequences and mappings element by element."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(show, value)) + "]"
    if isinstance(value, dict):
        items = (f"{key!r}: {show(item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    return repr(value)


def check_claim(claim: Claim, seed: int | None) -> None:
    """Assert that `claim` holds on the notebook run with SEED = `seed`
    (None: as written); the failure names the lesson, the sentence, the
    seed and the measured numbers."""
    index = reading_point(claim)
    run = solution_run(claim.lesson, seed)
    holds, measured = claim.check(run.before(index))
    numbers = "\n".join(
        f"  {name} = {show(value)}" for name, value in measured.items()
    )
    assert holds, (
        f"lesson {claim.lesson}, {seed_label(run.seed)}: this sentence no "
        f"longer holds\n    {claim.sentence}\nmeasured ({claim.name}):\n"
        f"{numbers}"
    )


def lesson_claims() -> dict[str, Claims]:
    """Every lesson's claims, from the modules tests/claims/lesson_*.py,
    by lesson."""
    found = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("lesson_"):
            claims = importlib.import_module(f"{__name__}.{module.name}").claim
            found[claims.lesson] = claims
    return dict(sorted(found.items()))


def all_claims() -> list[tuple[Claim, int | None]]:
    """Every (claim, seed) pair the suite checks."""
    return [
        (claim, seed)
        for claims in lesson_claims().values()
        for claim in claims.claims
        for seed in claim.seeds
    ]


def claim_counts() -> dict[str, int]:
    """How many claims each lesson asserts, by lesson."""
    return {
        lesson: len(claims.claims)
        for lesson, claims in lesson_claims().items()
    }
