"""An independent bank of learner answers to lesson 01's four exercises
(`mse`, `mae`, `huber` and `cross_entropy`, each with a "mean" and a
"sum" reduction), written from the exercise text alone, and run through
the real graded cells (visible checks and hidden tests).

Every correct answer, in whatever style, must be accepted; every wrong
one, a mistake that learners reading the text really make, must fail
with an AssertionError, which carries the check's message.

The text asks for each loss from its formula, without PyTorch's own loss
functions, and for the cross-entropy's log-sum-exp written by hand with
each row's own maximum, rather than with `torch.logsumexp`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F

from gaplab.losses import reduce_losses
from tests.notebook_tools import grade_answer

ASSIGNMENT = "01-losses"


def grade(exercise: str, answer: Callable) -> None:
    """Run the graded cell of `exercise` with `answer` as the learner's
    function of that name."""
    grade_answer(ASSIGNMENT, f"{exercise}_tests", exercise, answer)


def reduced(losses: torch.Tensor, reduction: str) -> torch.Tensor:
    """The learner's own reduction: the mean or the sum of every element,
    and an error for anything else."""
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    raise ValueError(f"unknown reduction {reduction!r}")


# ======================================================= correct answers
# ------------------------------------------------------------------- mse


def mse_plain(predictions, targets, *, reduction="mean"):
    """The formula in torch ops, with an if/elif on the reduction."""
    squared = (predictions - targets) ** 2
    if reduction == "mean":
        return squared.mean()
    elif reduction == "sum":
        return squared.sum()
    raise ValueError(f"reduction must be 'mean' or 'sum', not {reduction}")


def mse_reduce_losses(predictions, targets, *, reduction="mean"):
    """Ends with the library's reduce_losses, as the text suggests."""
    return reduce_losses((predictions - targets).square(), reduction)


def mse_loop(predictions, targets, *, reduction="mean"):
    """A loop over every element of the flattened tensors."""
    flat_p, flat_t = predictions.reshape(-1), targets.reshape(-1)
    total = torch.zeros((), dtype=predictions.dtype)
    for p, t in zip(flat_p, flat_t, strict=True):
        total = total + (p - t) * (p - t)
    if reduction == "sum":
        return total
    if reduction == "mean":
        return total / flat_p.numel()
    raise ValueError(reduction)


def mse_float64(predictions, targets, *, reduction="mean"):
    """float64 inside, cast back to the inputs' dtype at the end."""
    residuals = predictions.double() - targets.double()
    loss = reduced(residuals**2, reduction)
    return loss.to(predictions.dtype)


def mse_dict_dispatch(predictions, targets, *, reduction="mean"):
    """The reduction looked up in a dict of torch functions."""
    reduce = {"mean": torch.mean, "sum": torch.sum}[reduction]
    return reduce(torch.square(torch.sub(predictions, targets)))


def mse_dot_product(predictions, targets, *, reduction="mean"):
    """The sum of squares as a dot product of the flattened residuals,
    divided by the number of elements for the mean."""
    r = (predictions - targets).reshape(-1)
    total = r @ r
    return total / r.numel() if reduction == "mean" else total


def mse_sum_over_numel(predictions, targets, *, reduction="mean"):
    """The mean written as the sum divided by numel."""
    squared = (predictions - targets).pow(2)
    if reduction not in ("mean", "sum"):
        raise ValueError(reduction)
    total = squared.sum()
    if reduction == "mean":
        total = total / squared.numel()
    return total


# ------------------------------------------------------------------- mae


def mae_plain(predictions, targets, *, reduction="mean"):
    """The formula in torch ops."""
    return reduced((predictions - targets).abs(), reduction)


def mae_reduce_losses(predictions, targets, *, reduction="mean"):
    """torch.abs and the library's reduce_losses."""
    return reduce_losses(torch.abs(predictions - targets), reduction)


def mae_where(predictions, targets, *, reduction="mean"):
    """|r| with torch.where: -r where r is negative."""
    r = predictions - targets
    absolute = torch.where(r < 0, -r, r)
    return reduced(absolute, reduction)


def mae_sign(predictions, targets, *, reduction="mean"):
    """|r| as r times its sign."""
    r = predictions - targets
    return reduced(r * torch.sign(r), reduction)


def mae_loop(predictions, targets, *, reduction="mean"):
    """A loop over every element."""
    total = torch.zeros((), dtype=predictions.dtype)
    count = 0
    for p, t in zip(predictions.flatten(), targets.flatten(), strict=True):
        total = total + (p - t).abs()
        count += 1
    if reduction == "mean":
        return total / count
    if reduction == "sum":
        return total
    raise ValueError(reduction)


def mae_float64(predictions, targets, *, reduction="mean"):
    """float64 inside, cast back at the end."""
    absolute = (predictions.to(torch.float64) - targets.double()).abs()
    return reduced(absolute, reduction).to(predictions.dtype)


def mae_norm(predictions, targets, *, reduction="mean"):
    """The sum of absolute errors is the 1-norm of the residuals."""
    r = predictions - targets
    total = torch.linalg.vector_norm(r, ord=1)
    if reduction == "sum":
        return total
    if reduction == "mean":
        return total / r.numel()
    raise ValueError(reduction)


def mae_maximum(predictions, targets, *, reduction="mean"):
    """|r| as the larger of r and -r, reduction by dict."""
    r = predictions - targets
    absolute = torch.maximum(r, -r)
    return {"mean": absolute.mean, "sum": absolute.sum}[reduction]()


# ----------------------------------------------------------------- huber


def huber_where(predictions, targets, *, delta=1.0, reduction="mean"):
    """The two branches with torch.where, as the text hints."""
    r = predictions - targets
    a = r.abs()
    losses = torch.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))
    return reduced(losses, reduction)


def huber_strict_less(predictions, targets, *, delta=1.0, reduction="mean"):
    """`<` rather than `<=`: at |r| = delta both branches are equal."""
    a = (predictions - targets).abs()
    quadratic = 0.5 * a * a
    linear = delta * a - 0.5 * delta**2
    return reduce_losses(torch.where(a < delta, quadratic, linear), reduction)


def huber_float_masks(predictions, targets, *, delta=1.0, reduction="mean"):
    """Boolean masks turned into 0/1 weights for the two branches."""
    r = predictions - targets
    small = (r.abs() <= delta).to(r.dtype)
    large = 1 - small
    losses = small * 0.5 * r.pow(2) + large * delta * (r.abs() - delta / 2)
    return reduced(losses, reduction)


def huber_clamp(predictions, targets, *, delta=1.0, reduction="mean"):
    """The quadratic part of |r| is capped at delta, the rest is linear:
    q = min(|r|, delta), loss = q^2 / 2 + delta (|r| - q)."""
    a = (predictions - targets).abs()
    q = a.clamp(max=delta)
    return reduced(0.5 * q**2 + delta * (a - q), reduction)


def huber_index_assign(predictions, targets, *, delta=1.0, reduction="mean"):
    """Each branch written into its own elements of a new tensor."""
    r = predictions - targets
    small = r.abs() <= delta
    losses = torch.empty_like(r)
    losses[small] = 0.5 * r[small] ** 2
    losses[~small] = delta * (r[~small].abs() - 0.5 * delta)
    return reduced(losses, reduction)


def huber_float64(predictions, targets, *, delta=1.0, reduction="mean"):
    """float64 inside, cast back at the end."""
    r = predictions.double() - targets.double()
    a = r.abs()
    losses = torch.where(a <= delta, r * r / 2, delta * (a - delta / 2))
    return reduced(losses, reduction).to(predictions.dtype)


def huber_loop(predictions, targets, *, delta=1.0, reduction="mean"):
    """A loop over the elements, with an if for the branch."""
    total = torch.zeros((), dtype=predictions.dtype)
    flat_p, flat_t = predictions.reshape(-1), targets.reshape(-1)
    for p, t in zip(flat_p, flat_t, strict=True):
        r = p - t
        if abs(r.item()) <= delta:
            total = total + 0.5 * r**2
        else:
            total = total + delta * (r.abs() - 0.5 * delta)
    if reduction == "mean":
        return total / flat_p.numel()
    if reduction == "sum":
        return total
    raise ValueError(reduction)


def huber_rescaled(predictions, targets, *, delta=1.0, reduction="mean"):
    """Huber with threshold delta is delta^2 times Huber with threshold 1
    of r / delta."""
    u = ((predictions - targets) / delta).abs()
    unit = torch.where(u <= 1, 0.5 * u**2, u - 0.5)
    return reduced(delta**2 * unit, reduction)


# --------------------------------------------------------- cross_entropy


def ce_index(logits, targets, *, reduction="mean"):
    """Each row's max with amax, z_y by indexing with arange."""
    m = logits.amax(dim=1, keepdim=True)
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    z_y = logits[torch.arange(len(targets)), targets]
    return reduced(lse - z_y, reduction)


def ce_gather(logits, targets, *, reduction="mean"):
    """z_y with gather, the max with max(dim=1).values."""
    m = logits.max(dim=1).values
    lse = m + torch.log(torch.sum(torch.exp(logits - m[:, None]), dim=1))
    z_y = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
    return reduce_losses(lse - z_y, reduction)


def ce_rows_loop(logits, targets, *, reduction="mean"):
    """A loop over the rows, one sample at a time."""
    losses = []
    for row, target in zip(logits, targets, strict=True):
        m = row.max()
        lse = m + (row - m).exp().sum().log()
        losses.append(lse - row[target])
    return reduced(torch.stack(losses), reduction)


def ce_float64(logits, targets, *, reduction="mean"):
    """float64 inside, cast back to the logits' dtype."""
    z = logits.double()
    m = z.max(dim=1, keepdim=True).values
    lse = (m + (z - m).exp().sum(dim=1, keepdim=True).log()).squeeze(1)
    losses = lse - z[torch.arange(z.shape[0]), targets]
    return reduced(losses, reduction).to(logits.dtype)


def ce_one_hot(logits, targets, *, reduction="mean"):
    """z_y as the sum of the logits times a one-hot row."""
    one_hot = F.one_hot(targets, num_classes=logits.shape[1])
    z_y = (one_hot.to(logits.dtype) * logits).sum(dim=1)
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    return reduced(lse - z_y, reduction)


def ce_log_softmax_by_hand(logits, targets, *, reduction="mean"):
    """log p = (z - m) - log sum exp(z - m), then -log p_y; the max
    cancels, and no probability is ever formed."""
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_p = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    losses = -log_p[torch.arange(len(logits)), targets]
    return {"mean": torch.mean, "sum": torch.sum}[reduction](losses)


def ce_detached_max(logits, targets, *, reduction="mean"):
    """The identity holds for any constant m, so m may be detached."""
    m = logits.detach().max(dim=1, keepdim=True).values
    lse = m[:, 0] + torch.log((logits - m).exp().sum(1))
    mask = torch.arange(logits.shape[1]) == targets[:, None]
    z_y = torch.where(mask, logits, torch.zeros_like(logits)).sum(1)
    return reduced(lse - z_y, reduction)


# ----------------------------------------------------------------- lists

CORRECT = [
    *(
        pytest.param("mse", answer, id=answer.__name__)
        for answer in (
            mse_plain,
            mse_reduce_losses,
            mse_loop,
            mse_float64,
            mse_dict_dispatch,
            mse_dot_product,
            mse_sum_over_numel,
        )
    ),
    *(
        pytest.param("mae", answer, id=answer.__name__)
        for answer in (
            mae_plain,
            mae_reduce_losses,
            mae_where,
            mae_sign,
            mae_loop,
            mae_float64,
            mae_norm,
            mae_maximum,
        )
    ),
    *(
        pytest.param("huber", answer, id=answer.__name__)
        for answer in (
            huber_where,
            huber_strict_less,
            huber_float_masks,
            huber_clamp,
            huber_index_assign,
            huber_float64,
            huber_loop,
            huber_rescaled,
        )
    ),
    *(
        pytest.param("cross_entropy", answer, id=answer.__name__)
        for answer in (
            ce_index,
            ce_gather,
            ce_rows_loop,
            ce_float64,
            ce_one_hot,
            ce_log_softmax_by_hand,
            ce_detached_max,
        )
    ),
]


@pytest.mark.parametrize(("exercise", "answer"), CORRECT)
def test_a_correct_answer_passes(exercise, answer):
    grade(exercise, answer)


# ========================================================= wrong answers
# ------------------------------------------------------------------- mse


def mse_swapped_reductions(predictions, targets, *, reduction="mean"):
    """ "mean" returns the sum and "sum" the mean."""
    squared = (predictions - targets) ** 2
    return squared.sum() if reduction == "mean" else squared.mean()


def mse_ignores_reduction(predictions, targets, *, reduction="mean"):
    """Always the mean, whatever the reduction."""
    return ((predictions - targets) ** 2).mean()


def mse_absolute(predictions, targets, *, reduction="mean"):
    """Absolute errors instead of squared ones."""
    return reduced((predictions - targets).abs(), reduction)


def mse_unsquared(predictions, targets, *, reduction="mean"):
    """The residuals reduced as they are, so opposite signs cancel."""
    return reduced(predictions - targets, reduction)


def mse_rmse(predictions, targets, *, reduction="mean"):
    """The square root of the mean: the root mean squared error."""
    return reduced((predictions - targets) ** 2, reduction).sqrt()


def mse_half(predictions, targets, *, reduction="mean"):
    """Half the squared error, the 1/2 borrowed from Huber."""
    return reduced(0.5 * (predictions - targets) ** 2, reduction)


def mse_divides_by_rows(predictions, targets, *, reduction="mean"):
    """The mean divides by len(), the number of rows, not of elements."""
    total = ((predictions - targets) ** 2).sum()
    return total / len(predictions) if reduction == "mean" else total


def mse_row_sums_averaged(predictions, targets, *, reduction="mean"):
    """Each row's squared errors summed, then averaged over rows."""
    squared = (predictions - targets) ** 2
    if squared.dim() > 1:
        squared = squared.sum(dim=-1)
    return reduced(squared, reduction)


def mse_sum_as_mean_times_rows(predictions, targets, *, reduction="mean"):
    """ "sum" as the mean times len(), the number of rows only."""
    mean = ((predictions - targets) ** 2).mean()
    return mean * len(predictions) if reduction == "sum" else mean


def mse_squeezes_predictions(predictions, targets, *, reduction="mean"):
    """Squeezes the predictions, as if a model's (n, 1) output needed it,
    but not the targets: (n,) - (n, 1) broadcasts to (n, n)."""
    return reduced((predictions.squeeze() - targets) ** 2, reduction)


def mse_python_float(predictions, targets, *, reduction="mean"):
    """Returns a Python float, not a tensor."""
    return reduced((predictions - targets) ** 2, reduction).item()


def mse_builtin(predictions, targets, *, reduction="mean"):
    """Calls PyTorch's loss function, which the text forbids."""
    return F.mse_loss(predictions, targets, reduction=reduction)


def mse_in_place(predictions, targets, *, reduction="mean"):
    """Computes the residuals in the predictions' own storage."""
    squared = predictions.sub_(targets).pow_(2)
    return reduced(squared, reduction)


def mse_float64_result(predictions, targets, *, reduction="mean"):
    """float64 inside, never cast back."""
    residuals = predictions.double() - targets.double()
    return reduced(residuals**2, reduction)


# ------------------------------------------------------------------- mae


def mae_swapped_reductions(predictions, targets, *, reduction="mean"):
    """ "mean" returns the sum and "sum" the mean."""
    absolute = (predictions - targets).abs()
    return absolute.mean() if reduction == "sum" else absolute.sum()


def mae_ignores_reduction(predictions, targets, *, reduction="mean"):
    """Always the mean."""
    return (predictions - targets).abs().mean()


def mae_squared(predictions, targets, *, reduction="mean"):
    """Squared errors, copied from mse."""
    return reduced((predictions - targets) ** 2, reduction)


def mae_signed(predictions, targets, *, reduction="mean"):
    """No absolute value: errors of opposite sign cancel."""
    return reduced(predictions - targets, reduction)


def mae_abs_of_mean(predictions, targets, *, reduction="mean"):
    """The absolute value taken after the reduction, not before."""
    return reduced(predictions - targets, reduction).abs()


def mae_median(predictions, targets, *, reduction="mean"):
    """The median of the absolute errors for "mean", remembering that
    MAE goes with the median."""
    absolute = (predictions - targets).abs()
    return absolute.sum() if reduction == "sum" else absolute.median()


def mae_divides_by_rows(predictions, targets, *, reduction="mean"):
    """The mean divides by the number of rows."""
    total = (predictions - targets).abs().sum()
    return total / predictions.shape[0] if reduction == "mean" else total


def mae_per_column(predictions, targets, *, reduction="mean"):
    """Reduces over the first dimension only: one value per column."""
    absolute = (predictions - targets).abs()
    if reduction == "mean":
        return absolute.mean(dim=0)
    return absolute.sum(dim=0)


def mae_squeezes_predictions(predictions, targets, *, reduction="mean"):
    """(n,) - (n, 1) broadcasts to (n, n)."""
    return reduced((predictions.squeeze() - targets).abs(), reduction)


def mae_python_float(predictions, targets, *, reduction="mean"):
    """Returns a Python float."""
    return float(reduced((predictions - targets).abs(), reduction))


def mae_builtin(predictions, targets, *, reduction="mean"):
    """PyTorch's l1_loss instead of the formula."""
    return F.l1_loss(predictions, targets, reduction=reduction)


def mae_in_place(predictions, targets, *, reduction="mean"):
    """Overwrites the predictions with the absolute errors."""
    predictions -= targets
    return reduced(predictions.abs_(), reduction)


def mae_float64_result(predictions, targets, *, reduction="mean"):
    """float64 inside, never cast back."""
    return reduced((predictions.double() - targets.double()).abs(), reduction)


# ----------------------------------------------------------------- huber


def huber_branches_swapped(
    predictions, targets, *, delta=1.0, reduction="mean"
):
    """Linear for small residuals, quadratic for large ones."""
    r = predictions - targets
    a = r.abs()
    losses = torch.where(a <= delta, delta * (a - 0.5 * delta), 0.5 * r**2)
    return reduced(losses, reduction)


def huber_no_half_quadratic(
    predictions, targets, *, delta=1.0, reduction="mean"
):
    """r^2 in the quadratic branch, without the 1/2."""
    r = predictions - targets
    a = r.abs()
    losses = torch.where(a <= delta, r**2, delta * (a - 0.5 * delta))
    return reduced(losses, reduction)


def huber_no_half_linear(predictions, targets, *, delta=1.0, reduction="mean"):
    """delta (|r| - delta) in the linear branch, without the 1/2."""
    r = predictions - targets
    a = r.abs()
    losses = torch.where(a <= delta, 0.5 * r**2, delta * (a - delta))
    return reduced(losses, reduction)


def huber_linear_not_scaled(
    predictions, targets, *, delta=1.0, reduction="mean"
):
    """|r| - delta / 2 in the linear branch: the factor delta is lost,
    which only shows when delta is not 1."""
    r = predictions - targets
    a = r.abs()
    losses = torch.where(a <= delta, 0.5 * r**2, a - 0.5 * delta)
    return reduced(losses, reduction)


def huber_smooth_l1(predictions, targets, *, delta=1.0, reduction="mean"):
    """The smooth L1 curve: Huber divided by delta."""
    r = predictions - targets
    a = r.abs()
    losses = torch.where(a <= delta, 0.5 * r**2 / delta, a - 0.5 * delta)
    return reduced(losses, reduction)


def huber_ignores_delta(predictions, targets, *, delta=1.0, reduction="mean"):
    """The threshold written as 1, whatever delta is."""
    r = predictions - targets
    a = r.abs()
    losses = torch.where(a <= 1.0, 0.5 * r**2, a - 0.5)
    return reduced(losses, reduction)


def huber_signed_condition(
    predictions, targets, *, delta=1.0, reduction="mean"
):
    """The condition r <= delta forgets the absolute value, so large
    negative residuals take the quadratic branch."""
    r = predictions - targets
    losses = torch.where(r <= delta, 0.5 * r**2, delta * (r.abs() - delta / 2))
    return reduced(losses, reduction)


def huber_signed_linear(predictions, targets, *, delta=1.0, reduction="mean"):
    """The linear branch uses r, not |r|: negative for large negative
    residuals."""
    r = predictions - targets
    losses = torch.where(r.abs() <= delta, 0.5 * r**2, delta * (r - delta / 2))
    return reduced(losses, reduction)


def huber_branch_means(predictions, targets, *, delta=1.0, reduction="mean"):
    """Each branch averaged over its own elements, then the two means
    added: every element no longer counts once."""
    r = predictions - targets
    small = r.abs() <= delta
    quadratic = 0.5 * r[small] ** 2
    linear = delta * (r[~small].abs() - 0.5 * delta)
    if reduction == "sum":
        return quadratic.sum() + linear.sum()
    zero = torch.zeros((), dtype=r.dtype)
    mean_q = quadratic.mean() if quadratic.numel() else zero
    mean_l = linear.mean() if linear.numel() else zero
    return mean_q + mean_l


def huber_swapped_reductions(
    predictions, targets, *, delta=1.0, reduction="mean"
):
    """ "mean" returns the sum and "sum" the mean."""
    r = predictions - targets
    a = r.abs()
    losses = torch.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))
    return losses.sum() if reduction == "mean" else losses.mean()


def huber_ignores_reduction(
    predictions, targets, *, delta=1.0, reduction="mean"
):
    """Always the mean."""
    r = predictions - targets
    a = r.abs()
    losses = torch.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))
    return losses.mean()


def huber_builtin(predictions, targets, *, delta=1.0, reduction="mean"):
    """PyTorch's huber_loss instead of the formula."""
    return F.huber_loss(predictions, targets, reduction=reduction, delta=delta)


def huber_python_float(predictions, targets, *, delta=1.0, reduction="mean"):
    """Returns a Python float."""
    return huber_where(
        predictions, targets, delta=delta, reduction=reduction
    ).item()


def huber_in_place(predictions, targets, *, delta=1.0, reduction="mean"):
    """The residuals computed in the predictions' storage."""
    r = predictions.sub_(targets)
    a = r.abs()
    losses = torch.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))
    return reduced(losses, reduction)


def huber_float64_result(predictions, targets, *, delta=1.0, reduction="mean"):
    """float64 inside, never cast back."""
    r = predictions.double() - targets.double()
    a = r.abs()
    losses = torch.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))
    return reduced(losses, reduction)


def huber_squeezes_predictions(
    predictions, targets, *, delta=1.0, reduction="mean"
):
    """(n,) - (n, 1) broadcasts to (n, n)."""
    r = predictions.squeeze() - targets
    a = r.abs()
    losses = torch.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))
    return reduced(losses, reduction)


# --------------------------------------------------------- cross_entropy


def ce_naive(logits, targets, *, reduction="mean"):
    """The textbook formula: no max-shift, exp overflows to inf."""
    lse = logits.exp().sum(dim=1).log()
    return reduced(
        lse - logits[torch.arange(len(targets)), targets], reduction
    )


def ce_log_of_softmax(logits, targets, *, reduction="mean"):
    """A stable softmax, then the log of the probability: p_y rounds to
    0 for a confident mistake, and the loss is inf."""
    shifted = (logits - logits.max(dim=1, keepdim=True).values).exp()
    p = shifted / shifted.sum(dim=1, keepdim=True)
    return reduced(-p[torch.arange(len(targets)), targets].log(), reduction)


def ce_clamped_probability(logits, targets, *, reduction="mean"):
    """The log of a stable softmax, with p clamped away from 0: finite,
    but a confident mistake costs about 27.6 instead of its loss."""
    shifted = (logits - logits.max(dim=1, keepdim=True).values).exp()
    p = shifted / shifted.sum(dim=1, keepdim=True)
    p_y = p[torch.arange(len(targets)), targets].clamp_min(1e-12)
    return reduced(-p_y.log(), reduction)


def ce_batch_max(logits, targets, *, reduction="mean"):
    """One maximum over the whole batch, not each row's own."""
    m = logits.max()
    lse = m + (logits - m).exp().sum(dim=1).log()
    return reduced(
        lse - logits[torch.arange(len(targets)), targets], reduction
    )


def ce_column_max(logits, targets, *, reduction="mean"):
    """The maximum of each column (dim=0) instead of each row."""
    m = logits.max(dim=0, keepdim=True).values
    lse = (logits - m).exp().sum(dim=1).log() + m.max()
    return reduced(
        lse - logits[torch.arange(len(targets)), targets], reduction
    )


def ce_forgets_max(logits, targets, *, reduction="mean"):
    """Shifts by the max inside the log but never adds it back."""
    m = logits.max(dim=1, keepdim=True).values
    lse = (logits - m).exp().sum(dim=1).log()
    return reduced(
        lse - logits[torch.arange(len(targets)), targets], reduction
    )


def ce_sign_flipped(logits, targets, *, reduction="mean"):
    """log p_y instead of -log p_y."""
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    return reduced(
        logits[torch.arange(len(targets)), targets] - lse, reduction
    )


def ce_column_indexing(logits, targets, *, reduction="mean"):
    """logits[:, targets] picks n columns for every row: an (n, n)
    matrix, broadcast against the n log-sum-exps."""
    m = logits.max(dim=1, keepdim=True).values
    lse = m + (logits - m).exp().sum(dim=1, keepdim=True).log()
    return reduced(lse - logits[:, targets], reduction)


def ce_mean_over_logits(logits, targets, *, reduction="mean"):
    """The mean divides by every logit, n times C, as for regression."""
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    losses = lse - logits[torch.arange(len(targets)), targets]
    total = losses.sum()
    return total / logits.numel() if reduction == "mean" else total


def ce_one_hot_from_targets(logits, targets, *, reduction="mean"):
    """F.one_hot without num_classes: as wide as the largest target plus
    one, not as the number of classes."""
    one_hot = F.one_hot(targets).to(logits.dtype)
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    return reduced(lse - (one_hot * logits).sum(dim=1), reduction)


def ce_swapped_reductions(logits, targets, *, reduction="mean"):
    """ "mean" returns the sum and "sum" the mean."""
    swapped = "sum" if reduction == "mean" else "mean"
    return ce_index(logits, targets, reduction=swapped)


def ce_ignores_reduction(logits, targets, *, reduction="mean"):
    """Always the mean."""
    return ce_index(logits, targets)


def ce_python_float(logits, targets, *, reduction="mean"):
    """Returns a Python float."""
    return ce_index(logits, targets, reduction=reduction).item()


def ce_in_place_shift(logits, targets, *, reduction="mean"):
    """Subtracts the max from the caller's logits in place."""
    m = logits.max(dim=1, keepdim=True).values
    logits -= m
    lse = m.squeeze(1) + logits.exp().sum(dim=1).log()
    z_y = logits[torch.arange(len(targets)), targets] + m.squeeze(1)
    return reduced(lse - z_y, reduction)


def ce_float64_result(logits, targets, *, reduction="mean"):
    """float64 inside, never cast back."""
    return ce_index(logits.double(), targets, reduction=reduction)


def ce_torch_logsumexp(logits, targets, *, reduction="mean"):
    """torch.logsumexp, which the text asks not to call."""
    lse = torch.logsumexp(logits, dim=1)
    return reduced(
        lse - logits[torch.arange(len(targets)), targets], reduction
    )


def ce_log_softmax(logits, targets, *, reduction="mean"):
    """PyTorch's log_softmax: the log-sum-exp is not written by hand."""
    log_p = F.log_softmax(logits, dim=1)
    return reduced(-log_p[torch.arange(len(targets)), targets], reduction)


def ce_builtin(logits, targets, *, reduction="mean"):
    """PyTorch's cross_entropy instead of the formula."""
    return F.cross_entropy(logits, targets, reduction=reduction)


# ----------------------------------------------------------------- lists


def wrong(exercise: str, answer: Callable) -> object:
    """A wrong answer's test case."""
    return pytest.param(exercise, answer, id=answer.__name__)


WRONG = [
    *(
        wrong("mse", answer)
        for answer in (
            mse_swapped_reductions,
            mse_ignores_reduction,
            mse_absolute,
            mse_unsquared,
            mse_rmse,
            mse_half,
            mse_divides_by_rows,
            mse_row_sums_averaged,
            mse_sum_as_mean_times_rows,
            mse_squeezes_predictions,
            mse_builtin,
            mse_in_place,
        )
    ),
    *(
        wrong("mae", answer)
        for answer in (
            mae_swapped_reductions,
            mae_ignores_reduction,
            mae_squared,
            mae_signed,
            mae_abs_of_mean,
            mae_median,
            mae_divides_by_rows,
            mae_per_column,
            mae_squeezes_predictions,
            mae_builtin,
            mae_in_place,
        )
    ),
    *(
        wrong("huber", answer)
        for answer in (
            huber_branches_swapped,
            huber_no_half_quadratic,
            huber_no_half_linear,
            huber_linear_not_scaled,
            huber_smooth_l1,
            huber_ignores_delta,
            huber_signed_condition,
            huber_signed_linear,
            huber_branch_means,
            huber_swapped_reductions,
            huber_ignores_reduction,
            huber_builtin,
            huber_in_place,
            huber_squeezes_predictions,
        )
    ),
    *(
        wrong("cross_entropy", answer)
        for answer in (
            ce_naive,
            ce_log_of_softmax,
            ce_clamped_probability,
            ce_batch_max,
            ce_column_max,
            ce_forgets_max,
            ce_sign_flipped,
            ce_column_indexing,
            ce_mean_over_logits,
            ce_one_hot_from_targets,
            ce_swapped_reductions,
            ce_ignores_reduction,
            ce_in_place_shift,
            ce_torch_logsumexp,
            ce_builtin,
        )
    ),
]


@pytest.mark.parametrize(("exercise", "answer"), WRONG)
def test_a_wrong_answer_fails(exercise, answer):
    with pytest.raises(AssertionError):
        grade(exercise, answer)


# The bank's author listed these as wrong; the course accepts them, by
# design: the exercises ask for the loss's value, so an answer may compute
# in numpy or float64 and return a number (tests/test_lesson01_checks.py
# accepts the same), and the text forbids torch.logsumexp by name, not
# log_softmax.
ACCEPTED_BY_DESIGN = [
    pytest.param(exercise, answer, id=answer.__name__)
    for exercise, answer in (
        ("mse", mse_python_float),
        ("mse", mse_float64_result),
        ("mae", mae_python_float),
        ("mae", mae_float64_result),
        ("huber", huber_python_float),
        ("huber", huber_float64_result),
        ("cross_entropy", ce_python_float),
        ("cross_entropy", ce_float64_result),
        ("cross_entropy", ce_log_softmax),
    )
]


@pytest.mark.parametrize(("exercise", "answer"), ACCEPTED_BY_DESIGN)
def test_an_answer_accepted_by_design_passes(exercise, answer):
    grade(exercise, answer)
