"""The four losses of lesson 01, written from their formulas.

These are the reference versions of what learners write in lesson 01:
mean squared error, mean absolute error, Huber loss and cross-entropy
from logits. Each first computes one loss per element (per sample for
cross-entropy), then reduces them with `reduce_losses`. They agree with
`torch.nn.functional`'s losses, and unlike those they explain bad inputs:
a shape mismatch that would silently broadcast, integer targets for a
regression loss, class indices out of range, an unknown reduction.
"""

from __future__ import annotations

from typing import Literal

import torch

Reduction = Literal["mean", "sum"]
REDUCTIONS = ("mean", "sum")
INTEGER_DTYPES = (
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
)


def reduce_losses(
    losses: torch.Tensor, reduction: Reduction = "mean"
) -> torch.Tensor:
    """Sum or average a tensor of per-element losses into one number.

    "mean" divides by the number of elements, so the value does not grow
    with the batch; "sum" does not, so that sums over batches can be added
    up and divided once by the size of the whole split.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"unknown reduction {reduction!r}: use 'mean' (average over "
            "the elements) or 'sum' (their total)"
        )
    if losses.numel() == 0:
        raise ValueError(
            "there are no losses to reduce: a loss over zero samples is "
            "undefined; check that the batch is not empty"
        )
    return losses.mean() if reduction == "mean" else losses.sum()


def mse(
    predictions: torch.Tensor,
    targets: torch.Tensor,
    *,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Mean squared error: the reduction of (prediction - target)^2.

    Squaring makes large errors count much more than small ones, which is
    why one outlier can dominate it.
    """
    check_regression_inputs("mse", predictions, targets)
    return reduce_losses((predictions - targets) ** 2, reduction)


def mae(
    predictions: torch.Tensor,
    targets: torch.Tensor,
    *,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Mean absolute error: the reduction of |prediction - target|.

    Every unit of error costs the same, so an outlier weighs in linearly.
    """
    check_regression_inputs("mae", predictions, targets)
    return reduce_losses((predictions - targets).abs(), reduction)


def huber(
    predictions: torch.Tensor,
    targets: torch.Tensor,
    *,
    delta: float = 1.0,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Huber loss: quadratic for errors up to `delta`, linear beyond.

    Per element, with r = prediction - target:
    r^2 / 2 where |r| <= delta, and delta * (|r| - delta / 2) elsewhere.
    The -delta / 2 makes the two branches meet at |r| = delta. It equals
    torch.nn.functional.huber_loss (not smooth_l1_loss, which is this
    divided by delta).
    """
    check_regression_inputs("huber", predictions, targets)
    if not delta > 0:
        raise ValueError(
            f"delta must be positive, got {delta!r}: it is the error size "
            "where the loss turns from quadratic to linear"
        )
    absolute_errors = (predictions - targets).abs()
    quadratic = 0.5 * absolute_errors**2
    linear = delta * (absolute_errors - 0.5 * delta)
    per_element = torch.where(absolute_errors <= delta, quadratic, linear)
    return reduce_losses(per_element, reduction)


def log_softmax(logits: torch.Tensor) -> torch.Tensor:
    """Log-probabilities of each row of `logits`, computed stably.

    log softmax(z)_k = z_k - logsumexp(z), and
    logsumexp(z) = m + log(sum_j exp(z_j - m)) with m = max_j z_j.
    After subtracting m every exponent is at most 0, so nothing overflows,
    and the largest term is exp(0) = 1, so the log never sees 0.
    """
    row_max = logits.max(dim=1, keepdim=True).values
    shifted = logits - row_max
    return shifted - shifted.exp().sum(dim=1, keepdim=True).log()


def cross_entropy(
    logits: torch.Tensor,
    targets: torch.Tensor,
    *,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Cross-entropy of class indices under the softmax of `logits`.

    `logits` has shape (n, classes) and `targets` holds n class indices.
    Per sample the loss is -log softmax(z)_y = logsumexp(z) - z_y: the
    negative log-probability the model gives the true class. It is
    computed from logits with log-sum-exp, never as log(softmax(z)), which
    gives inf or nan once a logit is large.
    """
    check_classification_inputs(logits, targets)
    rows = torch.arange(len(targets), device=targets.device)
    per_sample = -log_softmax(logits)[rows, targets.long()]
    return reduce_losses(per_sample, reduction)


def check_tensor(name: str, value: object, role: str) -> None:
    """Reject anything but a tensor, saying how to make one."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"{name} needs {role} as a torch.Tensor, got "
            f"{type(value).__name__}: wrap it with torch.as_tensor"
        )


def check_regression_inputs(
    name: str, predictions: torch.Tensor, targets: torch.Tensor
) -> None:
    """Float tensors of one shape, or an error that says what to fix.

    A shape mismatch is an error rather than a broadcast: predictions of
    shape (n, 1) against targets of shape (n,) would otherwise give an
    (n, n) table of differences and a loss that is silently wrong.
    """
    check_tensor(name, predictions, "predictions")
    check_tensor(name, targets, "targets")
    for role, value in (("predictions", predictions), ("targets", targets)):
        if not value.is_floating_point():
            raise TypeError(
                f"{name} needs float {role}, got {value.dtype}: a "
                "regression loss measures distances between real numbers; "
                f"convert them with {role}.float()"
            )
    if predictions.shape != targets.shape:
        raise ValueError(
            f"{name}: predictions have shape {tuple(predictions.shape)} "
            f"but targets {tuple(targets.shape)}; they would broadcast "
            "into wrong pairs. Make them match, e.g. with "
            "predictions.squeeze(1) for a model with one output column"
        )


def check_classification_inputs(
    logits: torch.Tensor, targets: torch.Tensor
) -> None:
    """Float (n, classes) logits and n integer class indices in range."""
    check_tensor("cross_entropy", logits, "logits")
    check_tensor("cross_entropy", targets, "targets")
    if logits.ndim != 2 or not logits.is_floating_point():
        raise ValueError(
            f"cross_entropy needs float logits of shape (n, classes), got "
            f"{logits.dtype} of shape {tuple(logits.shape)}: one row of "
            "class scores per sample (use logits.unsqueeze(0) for a single "
            "sample)"
        )
    if targets.dtype not in INTEGER_DTYPES:
        raise TypeError(
            f"cross_entropy needs integer class indices as targets, got "
            f"{targets.dtype}: convert labels with targets.long() (class "
            "probabilities are not supported)"
        )
    if targets.shape != logits.shape[:1]:
        raise ValueError(
            f"cross_entropy: logits have shape {tuple(logits.shape)}, so "
            f"targets need shape ({logits.shape[0]},), got "
            f"{tuple(targets.shape)}: one class index per row of logits"
        )
    n_classes = logits.shape[1]
    if len(targets) and (targets.min() < 0 or targets.max() >= n_classes):
        bad = targets[(targets < 0) | (targets >= n_classes)][0].item()
        raise ValueError(
            f"cross_entropy: target class {bad} is out of range for logits "
            f"with {n_classes} columns (classes 0 to {n_classes - 1}): "
            "check the labels, or give the model one output per class"
        )
