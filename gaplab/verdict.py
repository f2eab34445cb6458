"""Overfitting, underfitting and a good fit: the course's one definition.

Every lesson, check and harness that calls a run overfitting or
underfitting asks this module, so two lessons that look at the same run
cannot disagree. The definitions read only the eval-mode losses of a
`History` (training and validation, measured the same way after each
epoch), so they apply to classification and regression alike.

* A run has **fitted** its training data when its final training loss is
  at most `FITTED_FRACTION` of its first epoch's. A fraction, not a fixed
  loss, so that it does not depend on the scale of the loss.
* It **underfits** when it has not fitted.
* It **overfits** when it has fitted and its final validation loss ended
  more than `MIN_DELTA` above its value at the onset, the epoch of minimum
  validation loss: training past the onset made it worse on new data.
* Otherwise it is a **good fit**.

Why the training loss and not the training accuracy: on the curve bank of
lesson 04, the final training accuracy of runs that underfit (weight
decay, a 2-unit bottleneck) overlaps with that of runs that overfit
(flipped labels keep them short of 100%), while the training loss as a
fraction of its start separates them. Lesson 04 shows the numbers.
"""

from __future__ import annotations

import math

from gaplab.training import History

# Fitted: the final training loss is at most this fraction of the first
# epoch's training loss.
FITTED_FRACTION = 0.25
# Changes of validation loss smaller than this do not count: a wobble of
# the curve is neither a new minimum (the onset) nor a rise after it.
MIN_DELTA = 0.01
VERDICTS = ("underfitting", "overfitting", "good fit")


def require_epochs(history: History) -> None:
    """Reject anything but a History with at least one epoch."""
    if not isinstance(history, History):
        raise TypeError(
            f"expected a gaplab History, got {type(history).__name__}: "
            "pass what fit returns, or History.from_dict(record)"
        )
    if len(history) == 0:
        raise ValueError("the history is empty: train for an epoch first")


def training_loss_fraction(history: History) -> float:
    """The final training loss as a fraction of the first epoch's: near 0
    for a run that fitted its training data, near 1 for one that did not
    move. inf or nan for a run that diverged."""
    require_epochs(history)
    first, last = history.train_loss[0], history.train_loss[-1]
    if first == 0:
        return 0.0 if last == 0 else math.inf
    return last / first


def fitted(history: History, fitted_fraction: float = FITTED_FRACTION) -> bool:
    """Whether the run fitted its training data: its final training loss
    is finite and at most `fitted_fraction` of its first epoch's."""
    fraction = training_loss_fraction(history)
    return math.isfinite(fraction) and fraction <= fitted_fraction


def val_loss_rise(history: History, min_delta: float = MIN_DELTA) -> float:
    """How far the final validation loss ended above its value at the
    onset (`history.best_epoch(min_delta)`): zero when the last epoch is
    the onset, larger the more harm training past it did."""
    require_epochs(history)
    onset = history.epoch.index(history.best_epoch(min_delta))
    return history.val_loss[-1] - history.val_loss[onset]


def underfits(
    history: History, fitted_fraction: float = FITTED_FRACTION
) -> bool:
    """Whether the run failed to fit even its own training data."""
    return not fitted(history, fitted_fraction)


def overfits(
    history: History,
    min_delta: float = MIN_DELTA,
    fitted_fraction: float = FITTED_FRACTION,
) -> bool:
    """Whether the run fitted its training data and then got worse on new
    data: its validation loss ended more than `min_delta` above its value
    at the onset. A large gap alone is not overfitting: a run whose
    validation loss is still at its best has not been harmed yet."""
    return (
        fitted(history, fitted_fraction)
        and val_loss_rise(history, min_delta) > min_delta
    )


def verdict(
    history: History,
    min_delta: float = MIN_DELTA,
    fitted_fraction: float = FITTED_FRACTION,
) -> str:
    """ "underfitting", "overfitting" or "good fit", by the definitions
    above (one of VERDICTS)."""
    if underfits(history, fitted_fraction):
        return "underfitting"
    if overfits(history, min_delta, fitted_fraction):
        return "overfitting"
    return "good fit"
