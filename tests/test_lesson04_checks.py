"""The graded cells of lesson 04 (visible checks and hidden tests), run as
nbgrader runs them: correct alternatives to the solutions must pass, and
plausible mistakes must fail with a message that names them."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

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
    loss_acc_disagree,
)
from gaplab.training import History
from gaplab.verdict import FITTED_FRACTION, fitted
from tests.notebook_tools import grade_answer

ASSIGNMENT = "04-diagnosing"


def grade(name: str, answer: Callable[..., Any]) -> None:
    """Run the graded cell of exercise `name` with `answer` as the
    learner's function."""
    grade_answer(ASSIGNMENT, f"{name}_tests", name, answer)


# Exercise 1: gap_growth ------------------------------------------------


def gap_growth_polyfit(history: History, window: int = WINDOW) -> float:
    check_history(history, window)
    gap = np.subtract(history.val_loss, history.train_loss)[-window:]
    return float(np.polyfit(np.arange(window), gap, deg=1)[0])


def gap_growth_end_points(history: History, window: int = WINDOW) -> float:
    check_history(history, window)
    return (history.gap[-1] - history.gap[-window]) / (window - 1)


def gap_growth_whole_history(history: History, window: int = WINDOW) -> float:
    check_history(history, window)
    return float(np.polyfit(history.epoch, history.gap, deg=1)[0])


def gap_growth_flipped(history: History, window: int = WINDOW) -> float:
    return -gap_growth_polyfit(history, window)


def gap_growth_unchecked(history: History, window: int = WINDOW) -> float:
    gap = history.gap[-window:]
    return float(np.polyfit(np.arange(len(gap)), gap, deg=1)[0])


def test_gap_growth_alternative_passes():
    grade("gap_growth", gap_growth_polyfit)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (gap_growth_end_points, "two end points"),
        (gap_growth_whole_history, "whole history"),
        (gap_growth_flipped, "sign is flipped"),
        (gap_growth_unchecked, "accepted a 3-epoch history"),
    ],
)
def test_gap_growth_mistakes_fail(wrong, message):
    with pytest.raises(AssertionError, match=message):
        grade("gap_growth", wrong)


# Exercise 2: loss_acc_disagree -----------------------------------------


def disagree_loop(
    history: History,
    min_delta: float = MIN_DELTA,
    acc_tolerance: float = ACC_TOLERANCE,
) -> bool:
    if not history.val_acc or history.val_acc[0] is None:
        return False
    best = 0
    for index, loss in enumerate(history.val_loss):
        if loss < history.val_loss[best] - min_delta:
            best = index
    rose = history.val_loss[-1] - history.val_loss[best] > min_delta
    held = history.val_acc[best] - history.val_acc[-1] <= acc_tolerance
    return rose and held


def disagree_strict(
    history: History,
    min_delta: float = MIN_DELTA,
    acc_tolerance: float = ACC_TOLERANCE,
) -> bool:
    return disagree_loop(history, min_delta, acc_tolerance=0.0)


def disagree_argmin(
    history: History,
    min_delta: float = MIN_DELTA,
    acc_tolerance: float = ACC_TOLERANCE,
) -> bool:
    if not history.has_accuracy:
        return False
    best = int(np.argmin(history.val_loss))
    rose = history.val_loss[-1] > history.val_loss[best] + min_delta
    return rose and history.val_acc[-1] >= history.val_acc[best] - 0.01


def disagree_loss_only(
    history: History,
    min_delta: float = MIN_DELTA,
    acc_tolerance: float = ACC_TOLERANCE,
) -> bool:
    best = history.epoch.index(history.best_epoch(min_delta))
    return history.val_loss[-1] > history.val_loss[best] + min_delta


def test_loss_acc_disagree_alternative_passes():
    grade("loss_acc_disagree", disagree_loop)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (disagree_strict, "acc_tolerance"),
        (disagree_argmin, "best_epoch"),
        (disagree_loss_only, "accuracy fell by 8 points"),
    ],
)
def test_loss_acc_disagree_mistakes_fail(wrong, message):
    with pytest.raises(AssertionError, match=message):
        grade("loss_acc_disagree", wrong)


# Exercise 3: diagnose --------------------------------------------------


def diagnose_by_features(
    history: History, min_delta: float = MIN_DELTA, window: int = WINDOW
) -> Diagnosis:
    """A correct alternative: every rule's feature computed first, then
    the first pattern whose feature holds; np.polyfit for the slope."""
    check_history(history, window)
    train, running, val = (
        np.asarray(curve, dtype=float)
        for curve in (
            history.train_loss,
            history.running_train_loss,
            history.val_loss,
        )
    )
    first = train[0]
    onset = history.best_epoch(min_delta)
    disagree = loss_acc_disagree(history, min_delta)
    with np.errstate(invalid="ignore"):
        diverged = not np.isfinite([train, running, val]).all()
        climb = np.max(train - np.minimum.accumulate(train))
        trend = np.polyfit(np.arange(window), train[-window:], deg=1)[0]
    not_fitted = not train[-1] <= FITTED_FRACTION * first
    rose = val[-1] - val[onset - 1] > min_delta
    features = {
        "lr_too_high": diverged or climb > SPIKE * first or train[-1] > first,
        "val_below_running_train": val[-window:].mean()
        < (1 - BELOW) * running[-window:].mean(),
        "lr_too_low": not_fitted and -trend > FALLING * first,
        "underfitting": not_fitted,
        "loss_acc_disagree": rose and disagree,
        "overfitting": rose,
    }
    pattern = next(
        (name for name, holds in features.items() if holds), "healthy"
    )
    return Diagnosis(
        pattern,
        onset,
        history.val_loss[-1] - history.train_loss[-1],
        gap_growth(history, window),
        disagree,
    )


def diagnose_variant(**changes: Any) -> Callable[..., Diagnosis]:
    """The solution's logic with one step changed, to make mistakes."""

    def wrong(
        history: History, min_delta: float = MIN_DELTA, window: int = WINDOW
    ) -> Diagnosis:
        if changes.get("validate", True):
            check_history(history, window)
        train = np.asarray(history.train_loss, dtype=float)
        running = np.asarray(
            history.train_loss
            if changes.get("eval_train_for_rule_2")
            else history.running_train_loss,
            dtype=float,
        )
        val = np.asarray(history.val_loss, dtype=float)
        first = train[0]
        onset = history.best_epoch(min_delta)
        disagree = loss_acc_disagree(history, min_delta)

        def pattern() -> str:
            if changes.get("guard_nan", True) and not (
                np.isfinite(
                    [train, history.running_train_loss, val]
                ).all()
            ):
                return "lr_too_high"
            climb = np.max(train - np.minimum.accumulate(train))
            if climb > SPIKE * first or train[-1] > first:
                return "lr_too_high"
            if val[-window:].mean() < (1 - BELOW) * running[-window:].mean():
                return "val_below_running_train"
            if not fitted(history):
                if changes.get("split_rule_3", True):
                    falling = -np.polyfit(
                        np.arange(window), train[-window:], 1
                    )[0]
                    if falling > FALLING * first:
                        return "lr_too_low"
                return "underfitting"
            if val[-1] > val[onset - 1] + min_delta:
                return "loss_acc_disagree" if disagree else "overfitting"
            return "healthy"

        return Diagnosis(
            pattern(),
            int(np.argmin(val)) + 1 if changes.get("argmin_onset") else onset,
            history.gap[-1],
            gap_growth(history, window),
            disagree,
        )

    return wrong


def test_diagnose_alternative_passes():
    grade("diagnose", diagnose_by_features)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"eval_train_for_rule_2": True}, "expected 'val_below_running_"),
        ({"split_rule_3": False}, "expected 'lr_too_low'"),
        ({"guard_nan": False}, "overflowed to inf"),
        ({"validate": False}, "check_history"),
        ({"argmin_onset": True}, "onset_epoch"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else "",
)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_diagnose_mistakes_fail(changes, message):
    with pytest.raises(AssertionError, match=message):
        grade("diagnose", diagnose_variant(**changes))


def test_diagnose_solution_logic_passes_unchanged():
    grade("diagnose", diagnose_variant())


# Exercise 4: acceptable_run --------------------------------------------


def policy_if_chain(
    history: History,
    max_val_loss: float,
    max_gap: float,
    max_growth: float,
    window: int = WINDOW,
) -> bool:
    """A correct alternative: the fit by its formula, early returns."""
    train = history.train_loss
    if not train[-1] <= FITTED_FRACTION * train[0]:
        return False
    if not history.val_loss[-1] <= max_val_loss:
        return False
    if not history.gap[-1] <= max_gap:
        return False
    return bool(gap_growth(history, window) <= max_growth)


def policy_variant(**changes: Any) -> Callable[..., bool]:
    """The policy with one part changed, to make mistakes."""

    def wrong(
        history: History,
        max_val_loss: float,
        max_gap: float,
        max_growth: float,
        window: int = WINDOW,
    ) -> bool:
        gap = history.gap[-1]
        if changes.get("absolute_gap"):
            gap = abs(gap)
        growth = gap_growth(history, changes.get("window", window))
        parts = {
            "fit": fitted(history),
            "val": history.val_loss[-1] <= max_val_loss,
            "gap": gap <= max_gap,
            "growth": growth <= changes.get("max_growth", max_growth),
        }
        if changes.get("nan_unsafe"):
            train = history.train_loss
            parts = {
                "fit": not train[-1] > FITTED_FRACTION * train[0],
                "val": not history.val_loss[-1] > max_val_loss,
                "gap": not gap > max_gap,
                "growth": not growth > max_growth,
            }
        if changes.get("strict"):
            parts["val"] = history.val_loss[-1] < max_val_loss
            parts["gap"] = gap < max_gap
        for part in changes.get("skip", ()):
            del parts[part]
        return all(parts.values())

    return wrong


def test_acceptable_run_alternative_passes():
    grade("acceptable_run", policy_if_chain)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"skip": ("fit",)}, "not fitted its training data"),
        ({"skip": ("val",)}, "above max_val_loss"),
        ({"skip": ("gap",)}, "above max_gap"),
        ({"skip": ("growth",)}, "more than max_growth"),
        ({"absolute_gap": True}, "absolute value"),
        ({"strict": True}, "'at most' means <="),
        ({"nan_unsafe": True}, "diverged"),
        ({"window": WINDOW}, "last `window` epochs"),
        ({"max_growth": 0.002}, "pass max_growth on"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_acceptable_run_mistakes_fail(changes, message):
    with pytest.raises(AssertionError, match=message):
        grade("acceptable_run", policy_variant(**changes))
