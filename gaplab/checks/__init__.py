"""Visible exercise checks: each fails with a message that names the likely
mistake. Hidden tests live only in the solution notebooks."""

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn, TypeVar

from torch.overrides import TorchFunctionMode

# How many more tensor operations a batched answer may run on a large
# input than on a small one (a Python loop over rows runs hundreds).
EXTRA_OPERATIONS = 8

T = TypeVar("T")


def fail(message: str) -> NoReturn:
    """Fail a check with a message that names the likely mistake."""
    raise AssertionError(message)


def require_callable(
    answer: object, call: str, kind: str = "function"
) -> None:
    """A clear TypeError when a check is handed something other than the
    answer itself (its result, say); `call` shows the right call."""
    if not callable(answer):
        raise TypeError(
            f"pass your {kind} itself, e.g. {call}, got a "
            f"{type(answer).__name__}"
        )


def mistake_on_every_case(
    mistakes: Sequence[Sequence[tuple[str, T]]],
    answers: Sequence[T],
    same: Callable[[T, T], bool],
) -> str | None:
    """The word of the first usual mistake that gives the answer's own
    result on every case (`mistakes[i]` lists, for case i, the (word,
    value) of each mistake, in the same order), or None. Matching every
    case, not just the failing one, keeps one case's coincidence from
    naming the wrong mistake."""
    for index, (word, _) in enumerate(mistakes[0]):
        if all(
            same(answer, listed[index][1])
            for answer, listed in zip(answers, mistakes, strict=True)
        ):
            return word
    return None


def warning_note(caught: Sequence[warnings.WarningMessage]) -> str:
    """The warnings the answer raised, as a message shows them."""
    lines = {f"  {w.category.__name__}: {w.message}" for w in caught}
    return "Your code raised these warnings:\n" + "\n".join(sorted(lines))


@contextmanager
def reported_warnings() -> Iterator[None]:
    """Catch the warnings raised in this block: they go into the
    failure's message, or to stdout when the block passes, never to
    stderr (nbgrader scores a cell that writes there 0)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except AssertionError as error:
            if caught:
                raise AssertionError(
                    f"{error}\n{warning_note(caught)}"
                ) from None
            raise
    if caught:
        print(warning_note(caught))


class OperationCount(TorchFunctionMode):
    """Counts the tensor operations run inside it: the probe that tells
    a batched answer from a Python loop over rows, whatever its style."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))
