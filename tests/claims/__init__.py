"""Claims: what the lessons' prose says about computed results, asserted.

A sentence such as "its validation cross-entropy is several times its
training cross-entropy" is true of the numbers one run of the notebook
printed. If a library change, a new torch or an edited cell changes those
numbers, the sentence silently becomes false. A claim ties the sentence to
a test on the notebook's own values:

    from tests.claims import Claims, Evidence, Namespace

    claim = Claims("01-losses")  # checked on seeds 0, 1 and 2

    @claim("its validation cross-entropy is several times its training")
    def validation_several_times_training(ns: Namespace) -> Evidence:
        ratio = ns["val_loss"] / ns["train_loss"]
        return ratio >= 2, {"L_val / L_train": ratio}

- The sentence is a verbatim fragment of one markdown cell of the solution
  notebook (compared with whitespace collapsed). If the prose changes, the
  claim fails until it is revisited.
- `ns` holds the notebook's variables where the sentence stands: every
  code cell above that markdown cell has run (a shallow snapshot; see
  tests.notebook_tools.NotebookRun). A sentence that announces what the
  code right below it prints ("the cell below shows that ...") takes
  `@claim(..., below=True)`: `ns` is then read after those code cells.
- The function returns whether the claim holds and the numbers it measured;
  a failure shows the lesson, the sentence, the seed and those numbers.
- Lessons that train set `SEED = 0` in a cell tagged `parameters`; every
  claim of the lesson must hold with SEED set to each of `Claims.seeds`.
  A lesson with nothing random passes `seeds=(None,)`: it runs as written.

Each lesson's claims live in tests/claims/lesson_NN.py; tests/test_claims.py
checks them all, and `python -m tests.claims` prints how many each lesson has.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.notebook_tools import solution_path, solution_run

Namespace = dict[str, Any]
Evidence = tuple[bool, dict[str, Any]]
Check = Callable[[Namespace], Evidence]

SEEDS = (0, 1, 2)


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
    where = f"a markdown cell of {solution_path(claim.lesson).name}"
    assert holders, (
        f"lesson {claim.lesson}: the sentence\n    {claim.sentence}\nis no "
        f"longer in {where}. The prose changed: revisit the claim "
        f"{claim.name!r} in tests/claims/."
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
    significant digits, sequences element by element."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(show, value)) + "]"
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
        f"lesson {claim.lesson}, SEED = {run.seed}: this sentence no longer "
        f"holds\n    {claim.sentence}\nmeasured ({claim.name}):\n{numbers}"
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
