"""The graded cells of lesson 01 (Losses), run as nbgrader runs them.

For every exercise, correct alternatives (numpy, loops, other formulas)
must pass the notebook's real graded cell, its visible check and hidden
tests together; plausible wrong answers must
fail it with an AssertionError whose message names the mistake.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tests.notebook_tools import grade_answer

ASSIGNMENT = "01-losses"


def grade(name: str, answer: Callable[..., Any]) -> None:
    """Run the graded cell of exercise `name` with `answer` as the
    learner's function."""
    grade_answer(ASSIGNMENT, f"{name}_tests", name, answer)


def reduced(losses: torch.Tensor, reduction: str) -> torch.Tensor:
    return losses.mean() if reduction == "mean" else losses.sum()


# Correct alternatives -------------------------------------------------


def mse_numpy(predictions, targets, *, reduction="mean"):
    errors = predictions.numpy() - targets.numpy()
    squares = errors * errors
    return squares.mean() if reduction == "mean" else squares.sum()


def mse_dot(predictions, targets, *, reduction="mean"):
    errors = (predictions - targets).flatten()
    total = errors @ errors
    return total / errors.numel() if reduction == "mean" else total


def mae_loop(predictions, targets, *, reduction="mean"):
    pairs = zip(
        predictions.flatten().tolist(), targets.flatten().tolist(), strict=True
    )
    total = sum(abs(p - t) for p, t in pairs)
    return total / predictions.numel() if reduction == "mean" else total


def mae_via_sign(predictions, targets, *, reduction="mean"):
    errors = predictions - targets
    return reduced(errors * errors.sign(), reduction)


def huber_clamped(predictions, targets, *, delta=1.0, reduction="mean"):
    """0.5 q^2 + delta (|r| - q) with q = min(|r|, delta): the same curve
    written without branches."""
    sizes = (predictions - targets).abs()
    q = sizes.clamp(max=delta)
    return reduced(0.5 * q**2 + delta * (sizes - q), reduction)


def huber_numpy(predictions, targets, *, delta=1.0, reduction="mean"):
    r = np.abs(predictions.numpy() - targets.numpy())
    losses = np.where(r < delta, 0.5 * r**2, delta * (r - 0.5 * delta))
    return float(losses.mean() if reduction == "mean" else losses.sum())


def cross_entropy_numpy(logits, targets, *, reduction="mean"):
    z = logits.numpy()
    shifted = z - z.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(
        np.exp(shifted).sum(axis=1, keepdims=True)
    )
    losses = -log_probabilities[np.arange(len(z)), targets.numpy()]
    return losses.mean() if reduction == "mean" else losses.sum()


def cross_entropy_one_hot(logits, targets, *, reduction="mean"):
    one_hot = F.one_hot(targets, logits.shape[1]).to(logits.dtype)
    losses = -(one_hot * logits.log_softmax(dim=1)).sum(dim=1)
    return reduced(losses, reduction)


CORRECT = [
    ("mse", mse_numpy),
    ("mse", mse_dot),
    ("mae", mae_loop),
    ("mae", mae_via_sign),
    ("huber", huber_clamped),
    ("huber", huber_numpy),
    ("cross_entropy", cross_entropy_numpy),
    ("cross_entropy", cross_entropy_one_hot),
]


@pytest.mark.parametrize(
    "name, answer", CORRECT, ids=[answer.__name__ for _, answer in CORRECT]
)
def test_correct_alternatives_pass(name, answer, capsys):
    grade(name, answer)
    printed = capsys.readouterr()
    assert f"check_{name} passed" in printed.out
    assert printed.err == ""


# Wrong answers --------------------------------------------------------


def mse_is_mae(predictions, targets, *, reduction="mean"):
    return reduced((predictions - targets).abs(), reduction)


def mse_ignores_reduction(predictions, targets, *, reduction="mean"):
    return ((predictions - targets) ** 2).mean()


def mse_swaps_reductions(predictions, targets, *, reduction="mean"):
    other = "sum" if reduction == "mean" else "mean"
    return reduced((predictions - targets) ** 2, other)


def mse_is_rmse(predictions, targets, *, reduction="mean"):
    return reduced((predictions - targets) ** 2, reduction).sqrt()


def mse_divides_by_rows(predictions, targets, *, reduction="mean"):
    total = ((predictions - targets) ** 2).sum()
    return total / len(predictions) if reduction == "mean" else total


def mse_has_a_half(predictions, targets, *, reduction="mean"):
    return reduced((predictions - targets) ** 2 / 2, reduction)


def mse_per_element(predictions, targets, *, reduction="mean"):
    return (predictions - targets) ** 2


def mse_in_place(predictions, targets, *, reduction="mean"):
    predictions -= targets
    return reduced(predictions**2, reduction)


def mse_without_return(predictions, targets, *, reduction="mean"):
    reduced((predictions - targets) ** 2, reduction)


def mae_without_abs(predictions, targets, *, reduction="mean"):
    return reduced(predictions - targets, reduction)


def mae_squares(predictions, targets, *, reduction="mean"):
    return reduced((predictions - targets) ** 2, reduction)


def mae_abs_after_mean(predictions, targets, *, reduction="mean"):
    return reduced(predictions - targets, reduction).abs()


def two_branches(predictions, targets, delta, reduction, small, large):
    sizes = (predictions - targets).abs()
    losses = torch.where(sizes <= delta, small(sizes), large(sizes))
    return reduced(losses, reduction)


def huber_without_offset(predictions, targets, *, delta=1.0, reduction="mean"):
    return two_branches(
        predictions,
        targets,
        delta,
        reduction,
        lambda a: 0.5 * a**2,
        lambda a: delta * a,
    )


def huber_without_half(predictions, targets, *, delta=1.0, reduction="mean"):
    return two_branches(
        predictions,
        targets,
        delta,
        reduction,
        lambda a: a**2,
        lambda a: delta * (a - 0.5 * delta),
    )


def huber_is_smooth_l1(predictions, targets, *, delta=1.0, reduction="mean"):
    return two_branches(
        predictions,
        targets,
        delta,
        reduction,
        lambda a: 0.5 * a**2 / delta,
        lambda a: a - 0.5 * delta,
    )


def huber_ignores_delta(predictions, targets, *, delta=1.0, reduction="mean"):
    return two_branches(
        predictions,
        targets,
        1.0,
        reduction,
        lambda a: 0.5 * a**2,
        lambda a: a - 0.5,
    )


def huber_swaps_branches(predictions, targets, *, delta=1.0, reduction="mean"):
    return two_branches(
        predictions,
        targets,
        delta,
        reduction,
        lambda a: delta * (a - 0.5 * delta),
        lambda a: 0.5 * a**2,
    )


def huber_signed_test(predictions, targets, *, delta=1.0, reduction="mean"):
    r = predictions - targets
    losses = torch.where(
        r <= delta, 0.5 * r**2, delta * (r.abs() - 0.5 * delta)
    )
    return reduced(losses, reduction)


def rows(targets):
    return torch.arange(len(targets))


def ce_naive(logits, targets, *, reduction="mean"):
    probabilities = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
    return reduced(-probabilities[rows(targets), targets].log(), reduction)


def ce_global_max(logits, targets, *, reduction="mean"):
    m = logits.max()
    log_sum_exp = m + (logits - m).exp().sum(dim=1).log()
    return reduced(log_sum_exp - logits[rows(targets), targets], reduction)


def ce_without_log(logits, targets, *, reduction="mean"):
    probabilities = logits.softmax(dim=1)
    return reduced(-probabilities[rows(targets), targets], reduction)


def ce_without_minus(logits, targets, *, reduction="mean"):
    log_probabilities = logits.log_softmax(dim=1)
    return reduced(log_probabilities[rows(targets), targets], reduction)


def ce_argmax_column(logits, targets, *, reduction="mean"):
    log_probabilities = logits.log_softmax(dim=1)
    predicted = logits.argmax(dim=1)
    return reduced(-log_probabilities[rows(targets), predicted], reduction)


def ce_all_columns(logits, targets, *, reduction="mean"):
    log_sum_exp = torch.logsumexp(logits, dim=1, keepdim=True)
    return reduced(log_sum_exp - logits[:, targets], reduction)


def ce_softmax_over_batch(logits, targets, *, reduction="mean"):
    log_probabilities = logits.log_softmax(dim=0)
    return reduced(-log_probabilities[rows(targets), targets], reduction)


def ce_max_not_added_back(logits, targets, *, reduction="mean"):
    m = logits.max(dim=1, keepdim=True).values
    log_sum_exp = (logits - m).exp().sum(dim=1).log()
    return reduced(log_sum_exp - logits[rows(targets), targets], reduction)


def ce_mean_over_all_entries(logits, targets, *, reduction="mean"):
    one_hot = F.one_hot(targets, logits.shape[1]).to(logits.dtype)
    return reduced(-one_hot * logits.log_softmax(dim=1), reduction)


WRONG = [
    ("mse", mse_is_mae, "the square is missing: this looks like MAE"),
    ("mse", mse_ignores_reduction, "reduction='sum' returned the mean"),
    ("mse", mse_swaps_reductions, "sum and mean are swapped"),
    ("mse", mse_is_rmse, "that is RMSE"),
    ("mse", mse_divides_by_rows, r"number of rows \(2\), not of elements"),
    ("mse", mse_has_a_half, "a factor 1/2 crept in"),
    ("mse", mse_per_element, r"returned shape \(4,\) instead of one number"),
    ("mse", mse_in_place, "changed its input tensors in place"),
    ("mse", mse_without_return, "forget the `return` statement"),
    ("mae", mae_without_abs, "the absolute value is missing"),
    ("mae", mae_squares, "this looks like MSE"),
    ("mae", mae_abs_after_mean, "absolute value was taken after reducing"),
    ("huber", huber_without_offset, "linear branch lacks the -delta/2 term"),
    ("huber", huber_without_half, "quadratic branch lacks the 1/2"),
    ("huber", huber_is_smooth_l1, "this is smooth L1"),
    ("huber", huber_ignores_delta, "delta is ignored"),
    ("huber", huber_swaps_branches, "the branches are swapped"),
    ("huber", huber_signed_test, r"compares r, not \|r\|"),
    ("cross_entropy", ce_naive, "not numerically stable: logits of 1000"),
    ("cross_entropy", ce_global_max, "each row's own max"),
    ("cross_entropy", ce_without_log, "forgot the log"),
    ("cross_entropy", ce_without_minus, "the minus sign is missing"),
    ("cross_entropy", ce_argmax_column, "picks the wrong class column"),
    ("cross_entropy", ce_all_columns, r"logits\[:, targets\] takes every"),
    ("cross_entropy", ce_softmax_over_batch, r"over the batch \(dim=0\)"),
    ("cross_entropy", ce_max_not_added_back, "subtracted but not added back"),
    ("cross_entropy", ce_mean_over_all_entries, "all n x classes entries"),
]


@pytest.mark.parametrize(
    "name, answer, message",
    WRONG,
    ids=[answer.__name__ for _, answer, _ in WRONG],
)
def test_wrong_answers_fail_with_the_likely_mistake(name, answer, message):
    with pytest.raises(AssertionError, match=message):
        grade(name, answer)


def test_unanswered_exercises_do_not_pass():
    def unanswered(*args, **kwargs):
        raise NotImplementedError()

    for name in ("mse", "mae", "huber", "cross_entropy"):
        with pytest.raises(NotImplementedError):
            grade(name, unanswered)
