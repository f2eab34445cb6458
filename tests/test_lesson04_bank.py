"""An independent bank of learner answers to exercises 3 (`diagnose`) and
4 (`acceptable_run`) of lesson 04, written from the exercise text alone,
and run through the real graded cells (visible checks and hidden tests).

Every correct answer, in whatever style, must be accepted; every wrong
one, a mistake that learners reading the text really make, must fail
with an AssertionError, which carries the check's message.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np
import pytest

from gaplab import History
from gaplab.diagnose import (
    ACC_TOLERANCE,
    BELOW,
    FALLING,
    MIN_DELTA,
    SPIKE,
    WINDOW,
    Diagnosis,
    check_history,
    gap_growth,
    least_squares_slope,
    loss_acc_disagree,
)
from gaplab.verdict import FITTED_FRACTION, fitted, val_loss_rise
from tests.notebook_tools import grade_answer

ASSIGNMENT = "04-diagnosing"


# --------------------------------------------------------- shared pieces
# What a learner brings from exercises 1 and 2, in several styles.


def slope_polyfit(values: Sequence[float]) -> float:
    """Least-squares slope by numpy's polyfit (nan in, nan out)."""
    y = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(y)):
        return math.nan
    return float(np.polyfit(np.arange(len(y)), y, 1)[0])


def slope_sums(values: Sequence[float]) -> float:
    """The lesson's formula, in plain Python."""
    n = len(values)
    t_mean = (n - 1) / 2
    g_mean = sum(values) / n
    top = sum((t - t_mean) * (g - g_mean) for t, g in enumerate(values))
    bottom = sum((t - t_mean) ** 2 for t in range(n))
    return top / bottom


def slope_statistics(values: Sequence[float]) -> float:
    """The standard library's linear regression."""
    return statistics.linear_regression(range(len(values)), values).slope


def my_disagree(history: History, min_delta: float) -> bool:
    """Exercise 2 written out: the loss rose by more than min_delta after
    the onset while the accuracy fell by at most ACC_TOLERANCE."""
    if not history.has_accuracy:
        return False
    onset = history.epoch.index(history.best_epoch(min_delta))
    rose = history.val_loss[-1] - history.val_loss[onset] > min_delta
    held = history.val_acc[-1] >= history.val_acc[onset] - ACC_TOLERANCE
    return rose and held


def any_not_finite(history: History) -> bool:
    """Any inf or nan in any of the three loss curves."""
    losses = history.train_loss + history.running_train_loss
    return not all(math.isfinite(x) for x in losses + history.val_loss)


def spiked(history: History) -> bool:
    """The eval-mode training loss climbed more than SPIKE * L0 above its
    best value so far."""
    l0 = history.train_loss[0]
    best = l0
    for loss in history.train_loss:
        if loss - best > SPIKE * l0:
            return True
        best = min(best, loss)
    return False


def still_falling(history: History, window: int) -> bool:
    """Rule 3: the training loss falls by more than FALLING * L0 an epoch
    over the last `window` epochs."""
    l0 = history.train_loss[0]
    return -least_squares_slope(history.train_loss[-window:]) > FALLING * l0


def below_running(history: History, window: int) -> bool:
    """Rule 2 on averages over the last `window` epochs."""
    val = statistics.fmean(history.val_loss[-window:])
    running = statistics.fmean(history.running_train_loss[-window:])
    return val < running - BELOW * running


def numbers(
    history: History, pattern: str, min_delta: float, window: int
) -> Diagnosis:
    """The Diagnosis of a pattern, with the library's exercise 1 and 2."""
    return Diagnosis(
        pattern=pattern,
        onset_epoch=history.best_epoch(min_delta),
        final_gap=history.gap[-1],
        gap_growth=gap_growth(history, window),
        loss_acc_disagree=loss_acc_disagree(history, min_delta),
    )


# ======================================================== exercise 3
# ------------------------------------------------------ correct answers


def diagnose_early_returns(
    history: History, min_delta: float = MIN_DELTA, window: int = WINDOW
) -> Diagnosis:
    """The rules in order, one early return each, with the library's
    exercise 1 and 2 (allowed: earlier exercises)."""
    check_history(history, window)

    def pattern() -> str:
        l0 = history.train_loss[0]
        if any_not_finite(history) or spiked(history):
            return "lr_too_high"
        if history.train_loss[-1] > l0:
            return "lr_too_high"
        if below_running(history, window):
            return "val_below_running_train"
        if not fitted(history):
            if still_falling(history, window):
                return "lr_too_low"
            return "underfitting"
        if val_loss_rise(history, min_delta) > min_delta:
            if loss_acc_disagree(history, min_delta):
                return "loss_acc_disagree"
            return "overfitting"
        return "healthy"

    return numbers(history, pattern(), min_delta, window)


def diagnose_numpy(
    history: History, min_delta: float = MIN_DELTA, window: int = WINDOW
) -> Diagnosis:
    """Arrays throughout; own slope by np.polyfit; own exercise 2."""
    check_history(history, window)
    train = np.asarray(history.train_loss, dtype=float)
    running = np.asarray(history.running_train_loss, dtype=float)
    val = np.asarray(history.val_loss, dtype=float)
    with np.errstate(invalid="ignore"):  # inf - inf in a diverged run
        gap = val - train
    l0 = train[0]
    disagree = my_disagree(history, min_delta)
    if not (
        np.isfinite(train).all()
        and np.isfinite(running).all()
        and np.isfinite(val).all()
    ):
        pattern = "lr_too_high"
    elif (
        np.any(train - np.minimum.accumulate(train) > SPIKE * l0)
        or train[-1] > l0
    ):
        pattern = "lr_too_high"
    elif val[-window:].mean() < (1 - BELOW) * running[-window:].mean():
        pattern = "val_below_running_train"
    elif not fitted(history):
        falling = -slope_polyfit(train[-window:]) > FALLING * l0
        pattern = "lr_too_low" if falling else "underfitting"
    elif val_loss_rise(history, min_delta) > min_delta:
        pattern = "loss_acc_disagree" if disagree else "overfitting"
    else:
        pattern = "healthy"
    return Diagnosis(
        pattern,
        history.best_epoch(min_delta),
        float(gap[-1]),
        slope_polyfit(gap[-window:]),
        bool(disagree),
    )


def diagnose_plain_python(
    history: History, min_delta: float = MIN_DELTA, window: int = WINDOW
) -> Diagnosis:
    """Loops and math only; fitted and the rise written as their formula
    (the text prefers the library's, but they are the same rules)."""
    check_history(history, window)
    train, val = history.train_loss, history.val_loss
    running = history.running_train_loss
    diverged = False
    for curve in (train, running, val):
        for x in curve:
            if math.isnan(x) or math.isinf(x):
                diverged = True
    l0 = train[0]
    onset = history.best_epoch(min_delta)
    onset_index = history.epoch.index(onset)
    gaps = [v - t for v, t in zip(val, train, strict=True)]
    if diverged:
        growth = math.nan
    else:
        growth = slope_sums(gaps[-window:])
    if diverged:
        pattern = "lr_too_high"
    else:
        jumped = False
        lowest = train[0]
        for x in train:
            if x > lowest + SPIKE * l0:
                jumped = True
            if x < lowest:
                lowest = x
        mean_val = sum(val[-window:]) / window
        mean_running = sum(running[-window:]) / window
        is_fitted = train[-1] / l0 <= FITTED_FRACTION
        rise = val[-1] - val[onset_index]
        if jumped or train[-1] > l0:
            pattern = "lr_too_high"
        elif mean_val < mean_running * (1 - BELOW):
            pattern = "val_below_running_train"
        elif not is_fitted:
            if -slope_sums(train[-window:]) > FALLING * l0:
                pattern = "lr_too_low"
            else:
                pattern = "underfitting"
        elif rise > min_delta:
            if my_disagree(history, min_delta):
                pattern = "loss_acc_disagree"
            else:
                pattern = "overfitting"
        else:
            pattern = "healthy"
    return Diagnosis(
        pattern, onset, gaps[-1], growth, my_disagree(history, min_delta)
    )


def diagnose_rule_table(
    history: History, min_delta: float = MIN_DELTA, window: int = WINDOW
) -> Diagnosis:
    """The rules as an ordered table of (test, name); the first that
    holds names the run. Lambdas keep later tests from running early."""
    check_history(history, window)
    l0 = history.train_loss[0]
    rules: list[tuple[Callable[[], bool], str]] = [
        (lambda: any_not_finite(history), "lr_too_high"),
        (lambda: spiked(history), "lr_too_high"),
        (lambda: history.train_loss[-1] > l0, "lr_too_high"),
        (lambda: below_running(history, window), "val_below_running_train"),
        (
            lambda: not fitted(history) and still_falling(history, window),
            "lr_too_low",
        ),
        (lambda: not fitted(history), "underfitting"),
        (
            lambda: (
                val_loss_rise(history, min_delta) > min_delta
                and loss_acc_disagree(history, min_delta)
            ),
            "loss_acc_disagree",
        ),
        (
            lambda: val_loss_rise(history, min_delta) > min_delta,
            "overfitting",
        ),
    ]
    pattern = next((name for test, name in rules if test()), "healthy")
    return numbers(history, pattern, min_delta, window)


def diagnose_statistics(
    history: History, min_delta: float = MIN_DELTA, window: int = WINDOW
) -> Diagnosis:
    """statistics.linear_regression for both slopes, the onset values
    read with history.at, keyword construction of the result."""
    check_history(history, window)
    last = history.at(history.epoch[-1])
    first = history.at(history.epoch[0])
    onset = history.best_epoch(min_delta)
    finite = all(
        math.isfinite(x)
        for name in ("train_loss", "running_train_loss", "val_loss")
        for x in getattr(history, name)
    )
    window_gaps = history.gap[-window:]
    growth = slope_statistics(window_gaps) if finite else math.nan
    disagree = False
    if history.has_accuracy and finite:
        at_onset = history.at(onset)
        disagree = (
            last["val_loss"] > at_onset["val_loss"] + min_delta
            and last["val_acc"] >= at_onset["val_acc"] - ACC_TOLERANCE
        )
    l0 = first["train_loss"]
    best_so_far = [
        min(history.train_loss[: i + 1]) for i in range(len(history))
    ]
    if (
        not finite
        or any(
            x - best > SPIKE * l0
            for x, best in zip(history.train_loss, best_so_far, strict=True)
        )
        or last["train_loss"] > l0
    ):
        pattern = "lr_too_high"
    elif statistics.mean(history.val_loss[-window:]) < (
        1 - BELOW
    ) * statistics.mean(history.running_train_loss[-window:]):
        pattern = "val_below_running_train"
    elif not fitted(history):
        trend = slope_statistics(history.train_loss[-window:])
        pattern = "lr_too_low" if -trend > FALLING * l0 else "underfitting"
    elif val_loss_rise(history, min_delta) > min_delta:
        pattern = "loss_acc_disagree" if disagree else "overfitting"
    else:
        pattern = "healthy"
    return Diagnosis(
        pattern=pattern,
        onset_epoch=onset,
        final_gap=last["val_loss"] - last["train_loss"],
        gap_growth=growth,
        loss_acc_disagree=disagree,
    )


def diagnose_helpers(
    history: History, min_delta: float = MIN_DELTA, window: int = WINDOW
) -> Diagnosis:
    """Small named helpers, a relative test for rule 2 written as a
    ratio, and the library's slope for the training loss trend."""
    check_history(history, window)

    def diverged() -> bool:
        curves = (
            history.train_loss,
            history.running_train_loss,
            history.val_loss,
        )
        return any(not np.isfinite(curve).all() for curve in curves)

    def unstable() -> bool:
        l0 = history.train_loss[0]
        best = math.inf
        for loss in history.train_loss:
            best = min(best, loss)
            if loss > best + SPIKE * l0:
                return True
        return history.train_loss[-1] > l0

    def val_below() -> bool:
        val = np.mean(history.val_loss[-window:])
        running = np.mean(history.running_train_loss[-window:])
        return bool((running - val) / running > BELOW)

    if diverged() or unstable():
        pattern = "lr_too_high"
    elif val_below():
        pattern = "val_below_running_train"
    elif not fitted(history):
        trend = least_squares_slope(history.train_loss[-window:])
        falling = -trend > FALLING * history.train_loss[0]
        pattern = "lr_too_low" if falling else "underfitting"
    elif val_loss_rise(history, min_delta) > min_delta:
        disagree = loss_acc_disagree(history, min_delta)
        pattern = "loss_acc_disagree" if disagree else "overfitting"
    else:
        pattern = "healthy"
    return numbers(history, pattern, min_delta, window)


CORRECT_DIAGNOSE = [
    diagnose_early_returns,
    diagnose_numpy,
    diagnose_plain_python,
    diagnose_rule_table,
    diagnose_statistics,
    diagnose_helpers,
]


@pytest.mark.parametrize("answer", CORRECT_DIAGNOSE, ids=lambda f: f.__name__)
def test_a_correct_diagnose_passes(answer):
    grade_answer(ASSIGNMENT, "diagnose_tests", "diagnose", answer)


# -------------------------------------------------------- wrong answers
# Each is the early-return answer with one piece changed, as a learner
# reading the text might write that piece.


def learner_diagnose(
    *,
    diverged: Callable[[History], bool] = any_not_finite,
    unstable: Callable[[History], bool] = (
        lambda h: spiked(h) or h.train_loss[-1] > h.train_loss[0]
    ),
    below: Callable[[History, int], bool] = below_running,
    is_fitted: Callable[[History], bool] = fitted,
    falling: Callable[[History, int], bool] = still_falling,
    overfit: Callable[[History, float], bool] = (
        lambda h, d: val_loss_rise(h, d) > d
    ),
    disagree: Callable[[History, float], bool] = loss_acc_disagree,
    overfit_before_fit: bool = False,
    below_first: bool = False,
    result: Callable[[History, str, float, int], object] = numbers,
    pattern_names: dict[str, str] | None = None,
) -> Callable[..., object]:
    """A diagnose built from pieces; the defaults are correct."""
    names = pattern_names or {}

    def diagnose(
        history: History, min_delta: float = MIN_DELTA, window: int = WINDOW
    ):
        check_history(history, window)

        def rules_1_2() -> str | None:
            first, second = (
                ("below", "high") if below_first else ("high", "below")
            )
            for rule in (first, second):
                if rule == "high" and (diverged(history) or unstable(history)):
                    return "lr_too_high"
                if rule == "below" and below(history, window):
                    return "val_below_running_train"
            return None

        def rule_3() -> str | None:
            if not is_fitted(history):
                if falling(history, window):
                    return "lr_too_low"
                return "underfitting"
            return None

        def rule_4() -> str | None:
            if overfit(history, min_delta):
                if disagree(history, min_delta):
                    return "loss_acc_disagree"
                return "overfitting"
            return None

        later = (rule_4, rule_3) if overfit_before_fit else (rule_3, rule_4)
        pattern = rules_1_2() or later[0]() or later[1]() or "healthy"
        return result(history, names.get(pattern, pattern), min_delta, window)

    return diagnose


def only_train_not_finite(history: History) -> bool:
    return not all(math.isfinite(x) for x in history.train_loss)


def last_epoch_not_finite(history: History) -> bool:
    last = (
        history.train_loss[-1],
        history.running_train_loss[-1],
        history.val_loss[-1],
    )
    return not all(math.isfinite(x) for x in last)


def jump_from_previous_epoch(history: History) -> bool:
    """'Climbs' read as a rise from one epoch to the next."""
    train, l0 = history.train_loss, history.train_loss[0]
    rises = any(b - a > SPIKE * l0 for a, b in pairwise(train))
    return rises or train[-1] > l0


def spike_absolute(history: History) -> bool:
    """SPIKE used as an absolute loss, not a fraction of L0."""
    train = history.train_loss
    best = train[0]
    for x in train:
        if x - best > SPIKE:
            return True
        best = min(best, x)
    return train[-1] > train[0]


def spike_without_end_test(history: History) -> bool:
    """Forgot 'or it ends above L0'."""
    return spiked(history)


def spike_on_running_loss(history: History) -> bool:
    """The running (train-mode) loss instead of the eval-mode one."""
    running, l0 = history.running_train_loss, history.running_train_loss[0]
    best = l0
    for x in running:
        if x - best > SPIKE * l0:
            return True
        best = min(best, x)
    return running[-1] > l0


def below_eval_train(history: History, window: int) -> bool:
    """Compares validation with the eval-mode training loss."""
    val = statistics.fmean(history.val_loss[-window:])
    train = statistics.fmean(history.train_loss[-window:])
    return val < train - BELOW * train


def below_last_epoch(history: History, window: int) -> bool:
    """The last epoch only, not the average over the window."""
    running = history.running_train_loss[-1]
    return history.val_loss[-1] < running - BELOW * running


def below_absolute(history: History, window: int) -> bool:
    """BELOW as an absolute loss."""
    val = statistics.fmean(history.val_loss[-window:])
    running = statistics.fmean(history.running_train_loss[-window:])
    return val < running - BELOW


def below_fixed_window(history: History, window: int) -> bool:
    """Ignores the window argument."""
    return below_running(history, WINDOW)


def fitted_by_train_accuracy(history: History) -> bool:
    """'Has it fitted?' asked of the training accuracy (section 8 says
    why not)."""
    if not history.has_accuracy:
        return fitted(history)
    return history.train_acc[-1] >= 0.9


def falling_whole_run(history: History, window: int) -> bool:
    """The slope of the whole training curve, not its last epochs."""
    l0 = history.train_loss[0]
    return -least_squares_slope(history.train_loss) > FALLING * l0


def falling_forgot_minus(history: History, window: int) -> bool:
    """The slope itself, not its negative."""
    l0 = history.train_loss[0]
    return least_squares_slope(history.train_loss[-window:]) > FALLING * l0


def falling_absolute(history: History, window: int) -> bool:
    """FALLING as an absolute loss per epoch."""
    return -least_squares_slope(history.train_loss[-window:]) > FALLING


def falling_fixed_window(history: History, window: int) -> bool:
    """Ignores the window argument for the training-loss slope."""
    return still_falling(history, WINDOW)


def overfit_default_delta(history: History, min_delta: float) -> bool:
    """val_loss_rise called without min_delta (its default 0.01)."""
    return val_loss_rise(history) > min_delta


def overfit_against_minimum(history: History, min_delta: float) -> bool:
    """The rise above the lowest validation loss, ignoring the onset's
    min_delta."""
    return history.val_loss[-1] - min(history.val_loss) > min_delta


def numbers_onset_index(
    history: History, pattern: str, min_delta: float, window: int
) -> Diagnosis:
    """The onset as a 0-based index of the minimum (epochs count from
    1), ignoring min_delta."""
    return Diagnosis(
        pattern,
        int(np.argmin(history.val_loss)),
        history.gap[-1],
        gap_growth(history, window),
        loss_acc_disagree(history, min_delta),
    )


def numbers_onset_argmin(
    history: History, pattern: str, min_delta: float, window: int
) -> Diagnosis:
    """The onset as the epoch of the plain minimum: min_delta ignored."""
    onset = history.epoch[int(np.argmin(history.val_loss))]
    return Diagnosis(
        pattern,
        onset,
        history.gap[-1],
        gap_growth(history, window),
        loss_acc_disagree(history, min_delta),
    )


def numbers_onset_default_delta(
    history: History, pattern: str, min_delta: float, window: int
) -> Diagnosis:
    """best_epoch() without min_delta."""
    return Diagnosis(
        pattern,
        history.best_epoch(),
        history.gap[-1],
        gap_growth(history, window),
        loss_acc_disagree(history, min_delta),
    )


def numbers_abs_gap(
    history: History, pattern: str, min_delta: float, window: int
) -> Diagnosis:
    return Diagnosis(
        pattern,
        history.best_epoch(min_delta),
        abs(history.gap[-1]),
        gap_growth(history, window),
        loss_acc_disagree(history, min_delta),
    )


def numbers_gap_running(
    history: History, pattern: str, min_delta: float, window: int
) -> Diagnosis:
    """The gap against the running training loss."""
    gaps = [
        v - r
        for v, r in zip(
            history.val_loss, history.running_train_loss, strict=True
        )
    ]
    return Diagnosis(
        pattern,
        history.best_epoch(min_delta),
        gaps[-1],
        least_squares_slope(gaps[-window:]),
        loss_acc_disagree(history, min_delta),
    )


def numbers_growth_whole_run(
    history: History, pattern: str, min_delta: float, window: int
) -> Diagnosis:
    return Diagnosis(
        pattern,
        history.best_epoch(min_delta),
        history.gap[-1],
        least_squares_slope(history.gap),
        loss_acc_disagree(history, min_delta),
    )


def numbers_growth_end_points(
    history: History, pattern: str, min_delta: float, window: int
) -> Diagnosis:
    """Growth as the end-point difference over the window."""
    gaps = history.gap[-window:]
    return Diagnosis(
        pattern,
        history.best_epoch(min_delta),
        history.gap[-1],
        (gaps[-1] - gaps[0]) / (window - 1),
        loss_acc_disagree(history, min_delta),
    )


def numbers_growth_default_window(
    history: History, pattern: str, min_delta: float, window: int
) -> Diagnosis:
    """gap_growth(history) without the window."""
    return Diagnosis(
        pattern,
        history.best_epoch(min_delta),
        history.gap[-1],
        gap_growth(history),
        loss_acc_disagree(history, min_delta),
    )


def numbers_growth_one_short(
    history: History, pattern: str, min_delta: float, window: int
) -> Diagnosis:
    """Off by one: the last window - 1 gaps."""
    return Diagnosis(
        pattern,
        history.best_epoch(min_delta),
        history.gap[-1],
        least_squares_slope(history.gap[-(window - 1) :]),
        loss_acc_disagree(history, min_delta),
    )


def numbers_disagree_default_delta(
    history: History, pattern: str, min_delta: float, window: int
) -> Diagnosis:
    """loss_acc_disagree(history) without min_delta."""
    return Diagnosis(
        pattern,
        history.best_epoch(min_delta),
        history.gap[-1],
        gap_growth(history, window),
        loss_acc_disagree(history),
    )


def numbers_as_dict(
    history: History, pattern: str, min_delta: float, window: int
) -> dict:
    """A dict with the right keys instead of a Diagnosis."""
    return vars(numbers(history, pattern, min_delta, window)).copy()


def numbers_as_tuple(
    history: History, pattern: str, min_delta: float, window: int
) -> tuple:
    d = numbers(history, pattern, min_delta, window)
    return (
        d.pattern,
        d.onset_epoch,
        d.final_gap,
        d.gap_growth,
        d.loss_acc_disagree,
    )


def never_checks_for_nan(history: History) -> bool:
    """No divergence test: relies on the later comparisons."""
    return False


def diagnose_fixed_min_delta(
    history: History, min_delta: float = MIN_DELTA, window: int = WINDOW
) -> Diagnosis:
    """Takes min_delta but uses the constant MIN_DELTA throughout."""
    return diagnose_early_returns(history, MIN_DELTA, window)


def diagnose_raises_on_nan(
    history: History, min_delta: float = MIN_DELTA, window: int = WINDOW
) -> Diagnosis:
    """Treats a diverged run as bad input."""
    if any_not_finite(history):
        raise ValueError("the losses hold inf or nan: the run diverged")
    return diagnose_early_returns(history, min_delta, window)


def diagnose_no_check_history(
    history: History, min_delta: float = MIN_DELTA, window: int = WINDOW
) -> Diagnosis:
    """Forgot check_history; computes the growth with an own slope over
    whatever epochs there are, so a short history passes silently."""
    pattern = diagnose_early_returns(history, min_delta, 2).pattern
    return Diagnosis(
        pattern,
        history.best_epoch(min_delta),
        history.gap[-1],
        slope_polyfit(history.gap[-window:]),
        my_disagree(history, min_delta),
    )


WRONG_DIAGNOSE = [
    pytest.param(
        learner_diagnose(diverged=never_checks_for_nan), id="no_nan_test"
    ),
    pytest.param(
        learner_diagnose(diverged=only_train_not_finite),
        id="nan_test_on_train_loss_only",
    ),
    pytest.param(
        learner_diagnose(diverged=last_epoch_not_finite),
        id="nan_test_on_last_epoch_only",
    ),
    pytest.param(diagnose_raises_on_nan, id="raises_on_nan"),
    pytest.param(
        diagnose_fixed_min_delta,
        id="ignores_min_delta_entirely",
    ),
    pytest.param(
        learner_diagnose(unstable=jump_from_previous_epoch),
        id="spike_from_previous_epoch",
    ),
    pytest.param(
        learner_diagnose(unstable=spike_absolute),
        id="spike_absolute",
    ),
    pytest.param(
        learner_diagnose(unstable=spike_without_end_test),
        id="forgot_ends_above_l0",
    ),
    pytest.param(
        learner_diagnose(unstable=spike_on_running_loss),
        id="spike_on_running_loss",
    ),
    pytest.param(
        learner_diagnose(below=below_eval_train), id="below_eval_train"
    ),
    pytest.param(
        learner_diagnose(below=below_last_epoch),
        id="below_last_epoch_only",
    ),
    pytest.param(
        learner_diagnose(below=below_absolute),
        id="below_absolute",
    ),
    pytest.param(
        learner_diagnose(below=below_fixed_window),
        id="below_ignores_window",
    ),
    pytest.param(
        learner_diagnose(is_fitted=fitted_by_train_accuracy),
        id="fitted_by_train_accuracy",
    ),
    pytest.param(
        learner_diagnose(falling=falling_whole_run),
        id="falling_slope_whole_run",
    ),
    pytest.param(
        learner_diagnose(falling=falling_forgot_minus),
        id="falling_forgot_minus",
    ),
    pytest.param(
        learner_diagnose(falling=falling_absolute),
        id="falling_absolute",
    ),
    pytest.param(
        learner_diagnose(falling=falling_fixed_window),
        id="falling_ignores_window",
    ),
    pytest.param(
        learner_diagnose(overfit=overfit_default_delta),
        id="rise_ignores_min_delta",
    ),
    pytest.param(
        learner_diagnose(overfit=overfit_against_minimum),
        id="rise_above_plain_minimum",
    ),
    pytest.param(
        learner_diagnose(overfit_before_fit=True),
        id="rule_4_before_rule_3",
    ),
    pytest.param(
        learner_diagnose(below_first=True),
        id="rule_2_before_1",
    ),
    pytest.param(
        learner_diagnose(result=numbers_onset_index), id="onset_as_index"
    ),
    pytest.param(
        learner_diagnose(result=numbers_onset_argmin),
        id="onset_plain_argmin",
    ),
    pytest.param(
        learner_diagnose(result=numbers_onset_default_delta),
        id="onset_ignores_min_delta",
    ),
    pytest.param(learner_diagnose(result=numbers_abs_gap), id="abs_gap"),
    pytest.param(
        learner_diagnose(result=numbers_gap_running), id="gap_vs_running"
    ),
    pytest.param(
        learner_diagnose(result=numbers_growth_whole_run),
        id="growth_whole_run",
    ),
    pytest.param(
        learner_diagnose(result=numbers_growth_end_points),
        id="growth_end_points",
    ),
    pytest.param(
        learner_diagnose(result=numbers_growth_default_window),
        id="growth_ignores_window",
    ),
    pytest.param(
        learner_diagnose(result=numbers_growth_one_short),
        id="growth_window_one_short",
    ),
    pytest.param(
        learner_diagnose(result=numbers_disagree_default_delta),
        id="disagree_ignores_min_delta",
    ),
    pytest.param(
        learner_diagnose(result=numbers_as_dict),
        id="returns_dict",
    ),
    pytest.param(
        learner_diagnose(result=numbers_as_tuple),
        id="returns_tuple",
    ),
    pytest.param(
        learner_diagnose(
            pattern_names={"val_below_running_train": "val_below_train"}
        ),
        id="misnamed_pattern",
    ),
    pytest.param(diagnose_no_check_history, id="no_check_history"),
]


@pytest.mark.parametrize("answer", WRONG_DIAGNOSE, ids=lambda f: f.__name__)
def test_a_wrong_diagnose_fails(answer):
    with pytest.raises(AssertionError):
        grade_answer(ASSIGNMENT, "diagnose_tests", "diagnose", answer)


# ======================================================== exercise 4
# ------------------------------------------------------ correct answers


def acceptable_one_expression(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
        and gap_growth(history, window) <= max_growth
    )


def acceptable_early_returns(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """Guards first, nan explicitly, then one test per condition."""
    if not fitted(history):
        return False
    final_val = history.val_loss[-1]
    final_gap = history.gap[-1]
    if math.isnan(final_val) or math.isnan(final_gap):
        return False
    if final_val > max_val_loss:
        return False
    if final_gap > max_gap:
        return False
    growth = gap_growth(history, window)
    if math.isnan(growth) or growth > max_growth:
        return False
    return True


def acceptable_numpy_polyfit(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """Own slope by np.polyfit, fitted written as its formula."""
    train = np.asarray(history.train_loss, dtype=float)
    val = np.asarray(history.val_loss, dtype=float)
    gap = val - train
    if not (np.isfinite(train[[0, -1]]).all() and np.isfinite(val[-1])):
        return False
    if not np.isfinite(gap[-window:]).all():
        return False
    has_fitted = train[-1] <= FITTED_FRACTION * train[0]
    growth = np.polyfit(np.arange(window), gap[-window:], 1)[0]
    return bool(
        has_fitted
        and val[-1] <= max_val_loss
        and gap[-1] <= max_gap
        and growth <= max_growth
    )


def acceptable_all_of_a_list(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """Plain Python slope, every condition evaluated, then all()."""
    check_history(history, window)
    conditions = [
        fitted(history),
        history.val_loss[-1] <= max_val_loss,
        history.gap[-1] <= max_gap,
        slope_sums(history.gap[-window:]) <= max_growth,
    ]
    return all(conditions)


def acceptable_named_checks(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """A dict of named checks, handy for printing why a run failed."""
    last = history.at(history.epoch[-1])
    checks = {
        "fitted": fitted(history),
        "val loss": last["val_loss"] <= max_val_loss,
        "gap": last["val_loss"] - last["train_loss"] <= max_gap,
        "growth": gap_growth(history, window) <= max_growth,
    }
    return all(checks.values())


def acceptable_not_le(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """Each test negated as `not (x <= limit)`, which rejects nan."""
    if not fitted(history):
        return False
    if not history.val_loss[-1] <= max_val_loss:
        return False
    if not history.gap[-1] <= max_gap:
        return False
    if not slope_statistics(history.gap[-window:]) <= max_growth:
        return False
    return True


def acceptable_nan_anywhere(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """Reads 'a run whose losses are nan' as any nan in any loss."""
    losses = history.train_loss + history.val_loss
    if any(math.isnan(x) for x in losses):
        return False
    growth = least_squares_slope(history.gap[-window:])
    return bool(
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
        and growth <= max_growth
    )


def numpy_bool(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    """np.all of the conditions: a numpy bool, which the text allows."""
    return np.all(
        [
            fitted(history),
            history.val_loss[-1] <= max_val_loss,
            history.gap[-1] <= max_gap,
            gap_growth(history, window) <= max_growth,
        ]
    )




CORRECT_ACCEPTABLE = [
    acceptable_one_expression,
    acceptable_early_returns,
    acceptable_numpy_polyfit,
    acceptable_all_of_a_list,
    acceptable_named_checks,
    acceptable_not_le,
    acceptable_nan_anywhere,
    numpy_bool,
]


@pytest.mark.parametrize(
    "answer",
    CORRECT_ACCEPTABLE,
    ids=lambda f: getattr(f, "__name__", None),
)
def test_a_correct_acceptable_run_passes(answer):
    grade_answer(ASSIGNMENT, "acceptable_run_tests", "acceptable_run", answer)


# -------------------------------------------------------- wrong answers


def forgets_fitted(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    return (
        history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
        and gap_growth(history, window) <= max_growth
    )


def abs_gap(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and abs(history.gap[-1]) <= max_gap
        and gap_growth(history, window) <= max_growth
    )


def abs_growth(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
        and abs(gap_growth(history, window)) <= max_growth
    )


def strict_val_loss(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    return (
        fitted(history)
        and history.val_loss[-1] < max_val_loss
        and history.gap[-1] <= max_gap
        and gap_growth(history, window) <= max_growth
    )


def strict_gap(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] < max_gap
        and gap_growth(history, window) <= max_growth
    )


def strict_growth(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
        and gap_growth(history, window) < max_growth
    )


def ignores_window(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
        and gap_growth(history) <= max_growth
    )


def ignores_max_growth(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
    )


def growth_against_max_gap(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """Copy-paste slip: the growth compared with max_gap."""
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
        and gap_growth(history, window) <= max_gap
    )


def best_val_loss(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    """The lowest validation loss of the run, not the last."""
    return (
        fitted(history)
        and min(history.val_loss) <= max_val_loss
        and history.gap[-1] <= max_gap
        and gap_growth(history, window) <= max_growth
    )


def onset_val_loss(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    """The validation loss at the onset epoch, not the last."""
    at_onset = history.at(history.best_epoch(MIN_DELTA))
    return (
        fitted(history)
        and at_onset["val_loss"] <= max_val_loss
        and history.gap[-1] <= max_gap
        and gap_growth(history, window) <= max_growth
    )


def mean_val_loss(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    """The validation loss averaged over the window."""
    return (
        fitted(history)
        and statistics.fmean(history.val_loss[-window:]) <= max_val_loss
        and history.gap[-1] <= max_gap
        and gap_growth(history, window) <= max_growth
    )


def nan_unsafe_negations(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """`not (x > limit)` lets nan through; fitted as a formula too."""
    train = history.train_loss
    return (
        not (train[-1] > FITTED_FRACTION * train[0])
        and not (history.val_loss[-1] > max_val_loss)
        and not (history.gap[-1] > max_gap)
        and not (gap_growth(history, window) > max_growth)
    )


def nan_unsafe_with_fitted(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """fitted() kept, the other tests written as `not (x > limit)`."""
    return (
        fitted(history)
        and not (history.val_loss[-1] > max_val_loss)
        and not (history.gap[-1] > max_gap)
        and not (gap_growth(history, window) > max_growth)
    )


def raises_on_nan(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    if any(math.isnan(x) for x in history.train_loss + history.val_loss):
        raise ValueError("the run diverged: its losses are nan")
    return acceptable_one_expression(
        history, max_val_loss, max_gap, max_growth, window
    )


def none_when_rejected(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """Forgot the `return False` at the end."""
    if acceptable_one_expression(
        history, max_val_loss, max_gap, max_growth, window
    ):
        return True


def returns_a_word(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    ok = acceptable_one_expression(
        history, max_val_loss, max_gap, max_growth, window
    )
    return "keep" if ok else "reject"


def gap_vs_running(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    """The gap against the running (train-mode) training loss."""
    gaps = [
        v - r
        for v, r in zip(
            history.val_loss, history.running_train_loss, strict=True
        )
    ]
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and gaps[-1] <= max_gap
        and least_squares_slope(gaps[-window:]) <= max_growth
    )


def fitted_by_accuracy_when_known(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """'Fitted' as a high training accuracy, the loss only without
    accuracies."""
    if history.has_accuracy:
        has_fitted = history.train_acc[-1] >= 0.95
    else:
        has_fitted = fitted(history)
    return (
        has_fitted
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
        and gap_growth(history, window) <= max_growth
    )


def reversed_gap(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    """Training minus validation."""
    gaps = [
        t - v
        for t, v in zip(history.train_loss, history.val_loss, strict=True)
    ]
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and gaps[-1] <= max_gap
        and least_squares_slope(gaps[-window:]) <= max_growth
    )


def fitted_by_accuracy(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """'Fitted' as a high training accuracy."""
    return (
        history.train_acc[-1] >= 0.95
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
        and gap_growth(history, window) <= max_growth
    )


def window_one_longer(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """Off by one: the last window + 1 epochs."""
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
        and least_squares_slope(history.gap[-window - 1 :]) <= max_growth
    )


def end_point_growth(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """Growth as an end-point difference over the window."""
    gaps = history.gap[-window:]
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
        and (gaps[-1] - gaps[0]) / (window - 1) <= max_growth
    )


def growth_of_val_loss(
    history, max_val_loss, max_gap, max_growth, window=WINDOW
):
    """The slope of the validation loss, not of the gap."""
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
        and least_squares_slope(history.val_loss[-window:]) <= max_growth
    )


def any_of_the_four(history, max_val_loss, max_gap, max_growth, window=WINDOW):
    """`or` for `and`."""
    return (
        fitted(history)
        or history.val_loss[-1] <= max_val_loss
        or history.gap[-1] <= max_gap
        or gap_growth(history, window) <= max_growth
    )


WRONG_ACCEPTABLE = [
    forgets_fitted,
    abs_gap,
    abs_growth,
    strict_val_loss,
    strict_gap,
    strict_growth,
    ignores_window,
    ignores_max_growth,
    growth_against_max_gap,
    best_val_loss,
    onset_val_loss,
    pytest.param(mean_val_loss, id="mean_val_loss_over_window"),
    nan_unsafe_negations,
    nan_unsafe_with_fitted,
    raises_on_nan,
    none_when_rejected,
    returns_a_word,
    gap_vs_running,
    reversed_gap,
    fitted_by_accuracy,
    fitted_by_accuracy_when_known,
    window_one_longer,
    end_point_growth,
    growth_of_val_loss,
    pytest.param(any_of_the_four, id="or_for_and"),
]


@pytest.mark.parametrize(
    "answer", WRONG_ACCEPTABLE, ids=lambda f: f.__name__
)
def test_a_wrong_acceptable_run_fails(answer):
    with pytest.raises(AssertionError):
        grade_answer(
            ASSIGNMENT, "acceptable_run_tests", "acceptable_run", answer
        )
