"""Visible checks of lesson 01 (Losses).

Each check calls the learner's loss on small crafted inputs, where the
usual mistakes give recognisably wrong answers, and on real data (the
predictions of a least-squares line on diabetes, the logits of a
nearest-centroid classifier on digits), and compares with
`torch.nn.functional`. When an answer is wrong, the check computes what
each known mistake would have returned on the same inputs and names the
one that matches, so the message says what to fix, not just "wrong".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from gaplab.checks.own_work import suggests_reference
from gaplab.data import load_diabetes, load_digits

LossFunction = Callable[..., Any]
Inputs = tuple[torch.Tensor, torch.Tensor]
Options = dict[str, Any]
# What a mistaken loss returns on (predictions or logits, targets, options).
Mistake = Callable[[torch.Tensor, torch.Tensor, Options], torch.Tensor]

RELATIVE_TOLERANCE = 1e-4
ABSOLUTE_TOLERANCE = 1e-6
DEFAULT_DELTA = 1.0

# Errors 0.5, -3, 0 and 2: a negative one (a missing |.| shows), ones
# above 1 (a square and an absolute value differ), a zero, errors on both
# sides of Huber's delta = 1, and a negative sum (so |mean| != mean).
CRAFTED_PREDICTIONS = (1.5, -1.0, 0.25, 3.0)
CRAFTED_TARGETS = (1.0, 2.0, 0.25, 1.0)
CRAFTED_ERRORS = "the crafted errors [0.5, -3, 0, 2]"
# Row maxima that are not 0, so a max subtracted and never added back
# shows; targets that are not each row's argmax.
CRAFTED_LOGITS = ((2.0, 1.0, -1.0), (0.5, 2.5, 1.5), (-1.0, 3.0, 0.0))
CRAFTED_CLASSES = (0, 2, 0)
# exp(1000) overflows and exp(-1000) underflows, in float32 and float64;
# both rows share their max, so only the mixed rows below catch a max
# taken over the whole batch.
LARGE_LOGITS = ((1000.0, 0.0, -1000.0), (-1000.0, 1000.0, 1000.0))
LARGE_CLASSES = (0, 0)
# Rows on very different scales: one max for the whole batch makes every
# exponential of the second row underflow to 0.
MIXED_LOGITS = ((1000.0, 999.0, 0.0), (1.0, 2.0, 3.0))
MIXED_CLASSES = (1, 0)

MEAN_GAVE_SUM = (
    "reduction='mean' returned the sum: divide the total by the number "
    "of elements (or use .mean())."
)
SUM_GAVE_MEAN = (
    "reduction='sum' returned the mean: the reduction argument seems to "
    "be ignored; return the total when it is 'sum'."
)
SWAPPED = (
    "sum and mean are swapped: reduction='mean' returned the total and "
    "reduction='sum' the average."
)
NOT_STABLE = (
    "not numerically stable: logits of 1000 give inf/nan, because "
    "exp(1000) overflows and exp(-1000) underflows to 0. Subtract each "
    "row's max before exponentiating (log-sum-exp)."
)
GLOBAL_MAX = (
    "subtract each row's own max, not one max over the whole batch: with "
    "the batch max (1000) every exponential of the row [1, 2, 3] "
    "underflows to 0 and its log is -inf."
)


@dataclass(frozen=True)
class Case:
    """One call of the learner's loss, torch's answer, and known mistakes.

    `mistakes` maps an explanation to the value that mistake returns on
    these inputs, most likely first, so a wrong answer can be traced to
    its cause; `unstable` explains an inf or nan answer.
    """

    description: str
    inputs: Inputs
    options: Options
    expected: torch.Tensor
    mistakes: dict[str, torch.Tensor]
    unstable: str


def reduce(losses: torch.Tensor, options: Options) -> torch.Tensor:
    """Reduce per-element losses as `options` asks (the default is mean),
    to compute what a mistaken loss returns."""
    if options.get("reduction", "mean") == "mean":
        return losses.mean()
    return losses.sum()


def make_case(
    description: str,
    inputs: Inputs,
    options: Options,
    reference: LossFunction,
    mistakes: dict[str, Mistake],
    unstable: str = "the loss is inf or nan on finite inputs.",
) -> Case:
    """A case answered by `reference` (torch), with the value of every
    mistake computed in float64 on the same inputs.

    A wrong reduction is always among the mistakes, and for inputs of more
    than one dimension so is dividing by the number of rows.
    """
    exact = tuple(
        tensor.double() if tensor.is_floating_point() else tensor
        for tensor in inputs
    )
    values = {
        explanation: mistake(*exact, options)
        for explanation, mistake in mistakes.items()
    }
    per_element = reference(*exact, **{**options, "reduction": "none"})
    reduction = options.get("reduction", "mean")
    if reduction == "mean":
        values[MEAN_GAVE_SUM] = per_element.sum()
        if per_element.ndim > 1:
            rows, elements = per_element.shape[0], per_element.numel()
            explanation = (
                f"the total was divided by the number of rows ({rows}), "
                f"not of elements ({elements}): average over every element."
            )
            values[explanation] = per_element.sum() / rows
    else:
        values[SUM_GAVE_MEAN] = per_element.mean()
    settings = ", ".join(f"{k}={v!r}" for k, v in options.items())
    return Case(
        description=f"{description} ({settings or 'default arguments'})",
        inputs=inputs,
        options=options,
        expected=reference(*inputs, **options),
        mistakes=values,
        unstable=unstable,
    )


def as_number(result: Any, case: Case) -> torch.Tensor:
    """The learner's answer as a float64 scalar tensor, or a clear error."""
    if result is None:
        raise AssertionError(
            f"On {case.description} the function returned None: did you "
            "forget the `return` statement?"
        )
    if isinstance(result, torch.Tensor):
        value = result.detach().cpu().double()
    else:
        try:
            value = torch.as_tensor(np.asarray(result, dtype=np.float64))
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"On {case.description} the function returned a "
                f"{type(result).__name__}; return a tensor or a number."
            ) from error
    if value.numel() != 1:
        raise AssertionError(
            f"On {case.description} the function returned shape "
            f"{tuple(value.shape)} instead of one number: reduce the "
            "per-sample losses with their mean or sum, as `reduction` asks."
        )
    return value.reshape(())


def call(fn: LossFunction, case: Case) -> torch.Tensor:
    """The learner's answer on copies of the inputs, which must come back
    unchanged: an in-place `-=` would corrupt the caller's data."""
    copies = tuple(tensor.clone() for tensor in case.inputs)
    result = fn(*copies, **case.options)
    for original, copy in zip(case.inputs, copies, strict=True):
        if not torch.equal(original, copy):
            raise AssertionError(
                f"On {case.description} the function changed its input "
                "tensors in place (e.g. with -= or .abs_()): compute new "
                "tensors instead, so the caller's data stays intact."
            )
    return as_number(result, case)


def close(got: torch.Tensor, wanted: torch.Tensor) -> bool:
    """Equal up to float32 rounding, and finite."""
    wanted = wanted.detach().double()
    return bool(
        torch.isfinite(wanted)
        and torch.isclose(
            got, wanted, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE
        )
    )


def diagnose(case: Case, got: torch.Tensor) -> AssertionError:
    """An error naming the mistake that explains `got`, if one does."""
    numbers = (
        f"On {case.description}: expected {case.expected.item():.6g} "
        f"(torch.nn.functional's answer), got {got.item():.6g}."
    )
    if not torch.isfinite(got):
        return AssertionError(f"{case.unstable} {numbers}")
    for explanation, value in case.mistakes.items():
        if close(got, value):
            return AssertionError(f"Likely mistake: {explanation} {numbers}")
    return AssertionError(
        f"{numbers} Compare your code with the formula above, term by term."
    )


def verify(fn: LossFunction, cases: Sequence[Case]) -> None:
    """Fail with a diagnosis unless `fn` agrees with torch on every case.

    When `cases` are the mean and the sum of the same inputs, an answer
    that swaps them is named as such.
    """
    answers = [call(fn, case) for case in cases]
    if len(cases) == 2:
        mean, total = cases
        swapped = close(answers[0], total.expected) and close(
            answers[1], mean.expected
        )
        if swapped and not close(answers[0], mean.expected):
            raise AssertionError(f"Likely mistake: {SWAPPED}")
    for case, got in zip(cases, answers, strict=True):
        if not close(got, case.expected):
            raise diagnose(case, got)


def both_reductions(
    description: str,
    inputs: Inputs,
    reference: LossFunction,
    mistakes: dict[str, Mistake],
    **options: Any,
) -> tuple[Case, Case]:
    """The mean and the sum of the same inputs, checked together."""
    mean, total = (
        make_case(
            description,
            inputs,
            {**options, "reduction": reduction},
            reference,
            mistakes,
        )
        for reduction in ("mean", "sum")
    )
    return mean, total


def run(name: str, fn: LossFunction, groups: Sequence[Sequence[Case]]) -> None:
    """Verify every group of cases; print one line when all pass."""
    for cases in groups:
        verify(fn, cases)
    count = sum(len(cases) for cases in groups)
    print(f"{name} passed: agrees with torch on {count} cases, real data too.")


@cache
def diabetes_predictions() -> Inputs:
    """Predictions of a least-squares linear model on the diabetes
    training split, and its targets: realistic regression errors."""
    train = load_diabetes().train
    design = torch.cat([train.X, torch.ones(len(train), 1)], dim=1)
    weights = torch.linalg.lstsq(design, train.y.unsqueeze(1)).solution
    return (design @ weights).squeeze(1), train.y


@cache
def digits_logits() -> Inputs:
    """Logits of a nearest-centroid classifier on the digits training
    split (minus the squared distance to each class mean), and labels."""
    train = load_digits().train
    centroids = torch.stack(
        [train.X[train.y == label].mean(dim=0) for label in range(10)]
    )
    return -(torch.cdist(train.X, centroids) ** 2), train.y


def regression_groups(
    reference: LossFunction,
    mistakes: dict[str, Mistake],
    crafted_options: Sequence[Options] = (),
) -> list[Sequence[Case]]:
    """The cases of a regression check, in the order they are checked.

    First the crafted errors, where mistakes are easy to recognise: both
    reductions, the default arguments, and both reductions under each of
    `crafted_options`. Then a 2x3 batch (the mean is over every element),
    a (5, 1) column (a model's output shape) and the diabetes data.
    """
    crafted = (
        torch.tensor(CRAFTED_PREDICTIONS),
        torch.tensor(CRAFTED_TARGETS),
    )
    generator = torch.Generator().manual_seed(0)
    batch = (
        2 * torch.randn(2, 3, generator=generator),
        2 * torch.randn(2, 3, generator=generator),
    )
    column = (
        2 * torch.randn(5, 1, generator=generator),
        2 * torch.randn(5, 1, generator=generator),
    )
    return [
        both_reductions(CRAFTED_ERRORS, crafted, reference, mistakes),
        [make_case(CRAFTED_ERRORS, crafted, {}, reference, mistakes)],
        *(
            both_reductions(
                CRAFTED_ERRORS, crafted, reference, mistakes, **options
            )
            for options in crafted_options
        ),
        both_reductions(
            "a 2x3 batch of random errors", batch, reference, mistakes
        ),
        both_reductions(
            "a column of 5 predictions and targets, shape (5, 1), as a "
            "model outputs them (squeeze or flatten only one of the two "
            "and the subtraction broadcasts to a 5x5 table)",
            column,
            reference,
            mistakes,
        ),
        both_reductions(
            "the diabetes training split (least-squares predictions)",
            diabetes_predictions(),
            reference,
            mistakes,
        ),
    ]


MSE_MISTAKES: dict[str, Mistake] = {
    "the square is missing: this looks like MAE, |r| instead of r^2.": (
        lambda p, t, o: reduce((p - t).abs(), o)
    ),
    "there is a square root: that is RMSE; MSE stops before the root.": (
        lambda p, t, o: reduce((p - t) ** 2, o).sqrt()
    ),
    "a factor 1/2 crept in (the 'half MSE' of some textbooks); torch's "
    "MSE has none.": lambda p, t, o: reduce((p - t) ** 2 / 2, o),
    "the errors were reduced before squaring: square each error first, "
    "then reduce.": lambda p, t, o: reduce(p - t, o) ** 2,
}


@suggests_reference("mse")
def check_mse(fn: LossFunction) -> None:
    """Check `fn(predictions, targets, reduction=...)` against
    torch.nn.functional.mse_loss."""
    run("check_mse", fn, regression_groups(F.mse_loss, MSE_MISTAKES))


MAE_MISTAKES: dict[str, Mistake] = {
    "the errors are squared: this looks like MSE, r^2 instead of |r|.": (
        lambda p, t, o: reduce((p - t) ** 2, o)
    ),
    "the absolute value is missing: positive and negative errors cancel "
    "out.": lambda p, t, o: reduce(p - t, o),
    "the absolute value was taken after reducing: take |r| of each error "
    "first.": lambda p, t, o: reduce(p - t, o).abs(),
}


@suggests_reference("mae")
def check_mae(fn: LossFunction) -> None:
    """Check `fn(predictions, targets, reduction=...)` against
    torch.nn.functional.l1_loss."""
    run("check_mae", fn, regression_groups(F.l1_loss, MAE_MISTAKES))


def two_branches(
    p: torch.Tensor,
    t: torch.Tensor,
    options: Options,
    quadratic: Callable[[torch.Tensor, float], torch.Tensor],
    linear: Callable[[torch.Tensor, float], torch.Tensor],
    size: Callable[[torch.Tensor], torch.Tensor] = torch.abs,
) -> torch.Tensor:
    """A Huber-like loss: `quadratic(r, delta)` where size(r) <= delta,
    `linear(r, delta)` elsewhere, reduced; its variants are the mistakes."""
    r = p - t
    delta = options.get("delta", DEFAULT_DELTA)
    per_element = torch.where(
        size(r) <= delta, quadratic(r, delta), linear(r, delta)
    )
    return reduce(per_element, options)


def half_square(r: torch.Tensor, delta: float) -> torch.Tensor:
    """Huber's quadratic branch, r^2 / 2."""
    return r**2 / 2


def offset_line(r: torch.Tensor, delta: float) -> torch.Tensor:
    """Huber's linear branch, delta * (|r| - delta / 2)."""
    return delta * (r.abs() - delta / 2)


def correct_huber(p: torch.Tensor, t: torch.Tensor, o: Options) -> Any:
    """Huber's loss itself, to build its variants from."""
    return two_branches(p, t, o, half_square, offset_line)


HUBER_MISTAKES: dict[str, Mistake] = {
    "Huber's linear branch lacks the -delta/2 term: use "
    "delta * (|r| - delta/2), so the branches meet at |r| = delta.": (
        lambda p, t, o: two_branches(
            p, t, o, half_square, lambda r, d: d * r.abs()
        )
    ),
    "the quadratic branch lacks the 1/2: use r^2 / 2.": (
        lambda p, t, o: two_branches(p, t, o, lambda r, d: r**2, offset_line)
    ),
    "the branches are swapped: r^2 / 2 belongs to small errors "
    "(|r| <= delta), the linear branch to large ones.": (
        lambda p, t, o: two_branches(p, t, o, offset_line, half_square)
    ),
    "the branch test compares r, not |r|, with delta: a large negative "
    "error took the quadratic branch.": (
        lambda p, t, o: two_branches(
            p, t, o, half_square, offset_line, size=lambda r: r
        )
    ),
    "this is smooth L1 (Huber divided by delta): do not divide the "
    "quadratic branch by delta, and multiply the linear one by delta.": (
        lambda p, t, o: correct_huber(p, t, o) / o.get("delta", DEFAULT_DELTA)
    ),
    "delta is ignored: the answer is Huber's loss with delta = 1.": (
        lambda p, t, o: correct_huber(p, t, {**o, "delta": DEFAULT_DELTA})
    ),
    "this is MSE: Huber's loss is r^2 / 2 only up to delta, then "
    "linear.": lambda p, t, o: reduce((p - t) ** 2, o),
    "this is half the squared error everywhere: the linear branch for "
    "|r| > delta never applies.": lambda p, t, o: reduce((p - t) ** 2 / 2, o),
    "this is MAE: Huber's loss is r^2 / 2 for errors up to delta.": (
        lambda p, t, o: reduce((p - t).abs(), o)
    ),
}


@suggests_reference("huber")
def check_huber(fn: LossFunction) -> None:
    """Check `fn(predictions, targets, delta=..., reduction=...)` against
    torch.nn.functional.huber_loss, with the default delta and others."""
    other_deltas = [{"delta": 2.0}, {"delta": 0.5}]
    groups = regression_groups(F.huber_loss, HUBER_MISTAKES, other_deltas)
    run("check_huber", fn, groups)


def log_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """Stable log-softmax over classes, to build the mistakes from."""
    return logits.log_softmax(dim=1)


def picked(table: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """Entry classes[i] of row i, for every row."""
    return table[torch.arange(len(classes)), classes]


CROSS_ENTROPY_MISTAKES: dict[str, Mistake] = {
    "forgot the log: this averages -softmax(z)_y, not -log softmax(z)_y.": (
        lambda z, y, o: reduce(-picked(log_probabilities(z).exp(), y), o)
    ),
    "the minus sign is missing: cross-entropy is -log p, never negative.": (
        lambda z, y, o: reduce(picked(log_probabilities(z), y), o)
    ),
    "cross-entropy picks the wrong class column: it used each row's "
    "predicted class (argmax); pick column targets[i] in row i.": (
        lambda z, y, o: reduce(-picked(log_probabilities(z), z.argmax(1)), o)
    ),
    "logits[:, targets] takes every target's column for every row (an "
    "n x n table): pick one entry per row, "
    "logits[torch.arange(n), targets].": (
        lambda z, y, o: reduce(-log_probabilities(z)[:, y], o)
    ),
    "the softmax normalised each column over the batch (dim=0): "
    "normalise each row over the classes (dim=1).": (
        lambda z, y, o: reduce(-picked(z.log_softmax(dim=0), y), o)
    ),
    "the row max was subtracted but not added back: "
    "logsumexp(z) = m + log(sum(exp(z - m))).": (
        lambda z, y, o: reduce(
            torch.logsumexp(z, 1) - z.max(1).values - picked(z, y), o
        )
    ),
    "the log-sum-exp term is missing: -z_y alone is not a "
    "log-probability.": lambda z, y, o: reduce(-picked(z, y), o),
    "the mean is over all n x classes entries (e.g. of a one-hot "
    "product): average over the n samples only.": (
        lambda z, y, o: reduce(
            -F.one_hot(y, z.shape[1]) * log_probabilities(z), o
        )
    ),
}


def extreme_logits_case(
    logits: tuple[tuple[float, ...], ...],
    classes: tuple[int, ...],
    unstable: str,
) -> Case:
    """A cross-entropy case on logits chosen to break a naive formula;
    `unstable` explains what an inf or nan answer means."""
    rows = ", ".join(
        "[" + ", ".join(f"{value:g}" for value in row) + "]" for row in logits
    )
    return make_case(
        f"the logits [{rows}] with targets {list(classes)}",
        (torch.tensor(logits), torch.tensor(classes)),
        {},
        F.cross_entropy,
        CROSS_ENTROPY_MISTAKES,
        unstable,
    )


@suggests_reference("cross_entropy")
def check_cross_entropy(fn: LossFunction) -> None:
    """Check `fn(logits, targets, reduction=...)` against
    torch.nn.functional.cross_entropy, large logits included."""
    crafted = (torch.tensor(CRAFTED_LOGITS), torch.tensor(CRAFTED_CLASSES))
    groups = [
        both_reductions(
            "3 crafted rows of logits",
            crafted,
            F.cross_entropy,
            CROSS_ENTROPY_MISTAKES,
        ),
        [extreme_logits_case(LARGE_LOGITS, LARGE_CLASSES, NOT_STABLE)],
        [extreme_logits_case(MIXED_LOGITS, MIXED_CLASSES, GLOBAL_MAX)],
        both_reductions(
            "the digits training split (nearest-centroid logits)",
            digits_logits(),
            F.cross_entropy,
            CROSS_ENTROPY_MISTAKES,
        ),
    ]
    run("check_cross_entropy", fn, groups)
