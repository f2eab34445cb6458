"""Visible checks of lesson 04 (Diagnose the curves).

Each check runs the learner's function on small hand-built histories,
where the usual mistakes give recognisably wrong answers, and then on
every shown run of the curve bank, against the reference in
`gaplab.diagnose`. The held-out runs are left to the hidden tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np

from gaplab.checks.own_work import suggests_reference
from gaplab.diagnose import (
    MIN_DELTA,
    PATTERNS,
    WINDOW,
    BankEntry,
    Diagnosis,
    acceptable_run,
    diagnose,
    gap_growth,
    history_from_curves,
    least_squares_slope,
    load_curve_bank,
    loss_acc_disagree,
)
from gaplab.training import History

TOLERANCE = 1e-6

# Training loss falls while the gap stays flat, then widens unevenly over
# the last five epochs: the slope over all epochs, the slope between the
# end points and the slope of the validation loss alone all differ from
# the least-squares slope of the gap over the window.
GROWTH_TRAIN = (2.0, 1.2, 0.8, 0.6, 0.5, 0.42, 0.36, 0.31, 0.27, 0.24)
GROWTH_GAP = (0.05, 0.05, 0.05, 0.05, 0.05, 0.08, 0.15, 0.14, 0.2, 0.27)


@cache
def shown_runs() -> tuple[BankEntry, ...]:
    """The shown runs of the curve bank, read once."""
    return tuple(load_curve_bank("shown"))


def close(got: Any, expected: float) -> bool:
    """Whether `got` is a number equal to `expected` within TOLERANCE."""
    try:
        value = float(got)
    except (TypeError, ValueError):
        return False
    return math.isclose(value, expected, rel_tol=TOLERANCE, abs_tol=1e-9)


def growth_history() -> History:
    """The hand-built history of GROWTH_TRAIN and GROWTH_GAP."""
    val = [t + g for t, g in zip(GROWTH_TRAIN, GROWTH_GAP, strict=True)]
    return history_from_curves(GROWTH_TRAIN, val)


SIGN_FLIPPED = (
    "the gap is validation minus training loss, not training minus "
    "validation: the sign is flipped"
)
WHOLE_HISTORY = (
    "the slope is taken over the whole history: fit the line through the "
    "last `window` epochs only, where the gap grows now"
)
END_POINTS = (
    "that is the slope between the two end points of the window: fit a "
    "least-squares line through all `window` points, so that one noisy "
    "epoch does not decide it"
)
END_POINTS_OVER_WINDOW = (
    "that is the end-point difference divided by `window`: there are only "
    "window - 1 steps between the end points, and a least-squares line "
    "uses every point"
)
VAL_ONLY = (
    "that is the slope of the validation loss, not of the gap: subtract "
    "the training loss first"
)


def growth_mistakes(history: History, window: int) -> dict[str, float]:
    """What the usual mistakes of gap_growth return on `history`."""
    gap = history.gap
    rise = gap[-1] - gap[-window]
    return {
        SIGN_FLIPPED: -least_squares_slope(gap[-window:]),
        WHOLE_HISTORY: least_squares_slope(gap),
        END_POINTS: rise / (window - 1),
        END_POINTS_OVER_WINDOW: rise / window,
        VAL_ONLY: least_squares_slope(history.val_loss[-window:]),
    }


@suggests_reference("gap_growth")
def check_gap_growth(gap_growth_fn: Callable[..., float]) -> None:
    """Check the learner's gap_growth(history, window=WINDOW)."""
    history = growth_history()
    for window in (WINDOW, 3):
        expected = gap_growth(history, window)
        got = gap_growth_fn(history, window=window)
        if close(got, expected):
            continue
        hint = "fit the least-squares line through the last window gaps"
        for mistake, value in growth_mistakes(history, window).items():
            if close(got, value):
                hint = mistake
                break
        raise AssertionError(
            f"gap_growth(history, window={window}) on a hand-built "
            f"history: expected {expected:.6f} per epoch, got {got!r}. "
            f"Likely cause: {hint}."
        )
    short = history_from_curves(GROWTH_TRAIN[:3], GROWTH_TRAIN[:3])
    try:
        gap_growth_fn(short, window=WINDOW)
    except ValueError:
        pass
    except NotImplementedError:
        raise
    except Exception as error:
        raise AssertionError(
            f"gap_growth raised {type(error).__name__} on a 3-epoch history "
            f"with window={WINDOW}: call check_history(history, window) "
            "first, which raises a ValueError that says what is wrong."
        ) from error
    else:
        raise AssertionError(
            f"gap_growth accepted a 3-epoch history with window={WINDOW}: "
            "call check_history(history, window) first, so that too short "
            "a history raises ValueError instead of a meaningless slope."
        )
    for run in shown_runs():
        expected = gap_growth(run.history)
        got = gap_growth_fn(run.history)
        if not close(got, expected):
            raise AssertionError(
                f"gap_growth on the shown run {run.id}: expected "
                f"{expected:.6g} per epoch, got {got!r}"
            )
    print(f"gap_growth: correct on {len(shown_runs())} shown runs.")


@dataclass(frozen=True)
class DisagreeCase:
    """A hand-built history, the expected answer, and what a wrong answer
    most likely means."""

    name: str
    history: History
    expected: bool
    hint: str
    min_delta: float = MIN_DELTA


# Validation loss bottoms out at epoch 4, then rises by 0.15.
RISING_VAL = (1.0, 0.6, 0.4, 0.3, 0.32, 0.36, 0.4, 0.45)
TRAIN = (0.9, 0.5, 0.3, 0.2, 0.12, 0.08, 0.05, 0.03)
ACC_RISES = (0.6, 0.75, 0.85, 0.9, 0.91, 0.91, 0.92, 0.92)


def disagree_cases() -> list[DisagreeCase]:
    """Histories where each usual mistake of loss_acc_disagree shows."""

    def history(val, val_acc, train=TRAIN) -> History:
        n = len(val)
        return history_from_curves(
            train[:n], val, train_acc=[1.0] * n, val_acc=val_acc
        )

    falls = ACC_RISES[:4] + (0.88, 0.86, 0.84, 0.82)
    slight_dip = ACC_RISES[:4] + (0.9, 0.9, 0.9, 0.895)
    small_rise = RISING_VAL[:4] + (0.3, 0.302, 0.303, 0.305)
    # With min_delta 0.01, epoch 3 (0.495) does not beat epoch 2 (0.5) by
    # more than min_delta: the onset is epoch 2, not the argmin.
    near_tie = (1.0, 0.5, 0.495, 0.6, 0.62)
    near_tie_acc = (0.5, 0.8, 0.9, 0.85, 0.85)
    return [
        DisagreeCase(
            "validation loss rises while validation accuracy rises",
            history(RISING_VAL, ACC_RISES),
            True,
            "the loss rose by more than min_delta after the onset and the "
            "accuracy did not fall: that is the disagreement",
        ),
        DisagreeCase(
            "validation loss rises and validation accuracy falls",
            history(RISING_VAL, falls),
            False,
            "the accuracy fell by 8 points after the onset, so loss and "
            "accuracy agree that the model got worse: compare the final "
            "validation accuracy with its value at the onset",
        ),
        DisagreeCase(
            "accuracy dips by half a point while the loss rises",
            history(RISING_VAL, slight_dip),
            True,
            "a dip smaller than acc_tolerance still counts as the "
            "accuracy holding: allow final >= onset - acc_tolerance",
        ),
        DisagreeCase(
            "validation loss rises by less than min_delta",
            history(small_rise, ACC_RISES),
            False,
            "the loss rose by only 0.005 after the onset, less than "
            "min_delta = 0.01: a rise counts only if it exceeds min_delta",
        ),
        DisagreeCase(
            "a near tie for the minimum",
            history(near_tie, near_tie_acc, train=TRAIN[:5]),
            True,
            "compare with the onset epoch history.best_epoch(min_delta) "
            "(epoch 2 here), not with the plain minimum of the validation "
            "loss (epoch 3), which does not beat epoch 2 by min_delta",
        ),
        DisagreeCase(
            "the same rise with min_delta = 0.2",
            history(RISING_VAL, ACC_RISES),
            False,
            "with min_delta=0.2 the onset is epoch 4 (0.3) and the final "
            "0.45 is not more than 0.2 above it: use the min_delta "
            "argument, not a fixed number",
            min_delta=0.2,
        ),
        DisagreeCase(
            "a regression run, without accuracies",
            history_from_curves(TRAIN, RISING_VAL),
            False,
            "without accuracies (history.has_accuracy is False) there is "
            "nothing to disagree with: return False",
        ),
    ]


@suggests_reference("loss_acc_disagree")
def check_loss_acc_disagree(disagree_fn: Callable[..., bool]) -> None:
    """Check the learner's loss_acc_disagree(history, min_delta, ...)."""
    for case in disagree_cases():
        try:
            got = disagree_fn(case.history, min_delta=case.min_delta)
        except NotImplementedError:
            raise
        except Exception as error:
            raise AssertionError(
                f"loss_acc_disagree raised {type(error).__name__}: {error} "
                f"on '{case.name}'. Hint: {case.hint}."
            ) from error
        if got != case.expected:
            raise AssertionError(
                f"loss_acc_disagree on '{case.name}': expected "
                f"{case.expected}, got {got!r}. Likely cause: {case.hint}."
            )
    for run in shown_runs():
        expected = loss_acc_disagree(run.history)
        got = disagree_fn(run.history)
        if got != expected:
            raise AssertionError(
                f"loss_acc_disagree on the shown run {run.id}: expected "
                f"{expected}, got {got!r}"
            )
    print(f"loss_acc_disagree: correct on {len(shown_runs())} shown runs.")


PATTERN_HINTS = {
    "healthy": "runs that fitted, without a rise of the validation loss "
    "beyond min_delta, are healthy: check that an earlier rule does not "
    "catch them",
    "overfitting": "rule 4: the validation loss ended more than min_delta "
    "above its value at the onset while the accuracy fell",
    "underfitting": "rule 3: the run has not fitted its training data "
    "(not fitted(history)) and its training loss has stopped falling",
    "lr_too_high": "rule 1: a loss is inf or nan, or the training loss "
    "climbs above its best so far by more than SPIKE times its first "
    "value, or ends above its first value",
    "lr_too_low": "rule 3: the run has not fitted its training data "
    "(not fitted(history)) and its training loss still falls by more "
    "than FALLING times its first value per epoch (least-squares slope "
    "over the last window epochs)",
    "val_below_running_train": "rule 2: compare the validation loss with the "
    "RUNNING training loss (train mode, dropout on); in the dropout runs "
    "the eval-mode training loss is below validation",
    "loss_acc_disagree": "rule 4: the validation loss rose after the onset "
    "but the accuracy held (your loss_acc_disagree)",
}

FIELD_HINTS = {
    "onset_epoch": "use history.best_epoch(min_delta)",
    "final_gap": "validation minus training loss (eval mode) at the last "
    "epoch",
    "gap_growth": "your gap_growth of exercise 1, with the window argument",
    "loss_acc_disagree": "your loss_acc_disagree of exercise 2, with the "
    "min_delta argument",
}


def diverged_history() -> History:
    """A run whose losses overflow to inf, then nan, after two epochs."""
    train = (2.3, 1.1, 0.9, math.inf, math.nan, math.nan)
    val = (2.3, 1.2, 1.0, math.inf, math.nan, math.nan)
    return history_from_curves(
        train, val, train_acc=[0.1] * 6, val_acc=[0.1] * 6
    )


def call_answer(
    function: Callable[..., Any],
    name: str,
    history: History,
    description: str,
    **options: Any,
) -> Any:
    """The learner's `function` on `history`; an error fails with a
    message that names the exercise and the run, instead of a bare
    traceback."""
    try:
        return function(history, **options)
    except NotImplementedError:
        raise
    except Exception as error:
        raise AssertionError(
            f"{name} raised {type(error).__name__}: {error} on "
            f"{description} ({options or 'default arguments'})"
        ) from error


def call_diagnose(
    diagnose_fn: Callable[..., Diagnosis],
    history: History,
    description: str,
    **options: Any,
) -> Diagnosis:
    """The learner's diagnosis of `history`; an error or a result that is
    not a Diagnosis fails with a message that names the run."""
    got = call_answer(diagnose_fn, "diagnose", history, description, **options)
    if not isinstance(got, Diagnosis):
        raise AssertionError(
            f"diagnose returned a {type(got).__name__} on {description}: "
            "return a gaplab.diagnose.Diagnosis(pattern, onset_epoch, "
            "final_gap, gap_growth, loss_acc_disagree)"
        )
    return got


def falling(start: float, end: float, epochs: int) -> list[float]:
    """A loss that falls geometrically from `start` to `end`."""
    return np.geomspace(start, end, epochs).tolist()


@dataclass(frozen=True)
class HandBuiltRun:
    """A run built by hand so that one rule decides it: the arguments to
    call the learner's function with, the answer the rule gives, and the
    hint a wrong answer gets."""

    description: str
    history: History
    options: dict[str, Any]
    expected: Any
    hint: str


def rule_case(
    description: str, history: History, expected: str, **options: Any
) -> HandBuiltRun:
    """A hand-built run for diagnose, hinted with its pattern's rule."""
    return HandBuiltRun(
        description, history, options, expected, PATTERN_HINTS[expected]
    )


def pattern_cases() -> list[HandBuiltRun]:
    """Runs built so that a single rule, read exactly, decides them."""
    descent = falling(2.3, 0.3, 6)
    climb = [0.3 + 0.05 * step for step in range(1, 7)]
    near_start = [2.3, 2.2, 2.15, 2.2, 2.25, 2.28, 2.3, 2.31, 2.32, 2.35]
    fitted_train = falling(2.3, 0.1, 12)
    accuracy = {"train_acc": [0.9] * 12, "val_acc": [0.85] * 12}
    below_onset = [1.0, 0.7, 0.5, 0.48, 0.47, 0.49, 0.51, 0.53]
    small = falling(0.23, 0.02, 10)
    high = falling(2.3, 0.75, 6) + [0.73, 0.72, 0.71, 0.7]
    wobble = [2.3, 1.8, 1.5, 1.3, 1.2, 1.1, 1.12, 1.14, 1.13, 1.11]
    return [
        rule_case(
            "a run whose loss overflowed to inf and then nan",
            diverged_history(),
            "lr_too_high",
        ),
        rule_case(
            "a training loss that climbs 0.05 per epoch for 6 epochs",
            history_from_curves(
                descent + climb, [x + 0.05 for x in descent + climb]
            ),
            "lr_too_high",
        ),
        rule_case(
            "a training loss that ends above its first value without a jump",
            history_from_curves(near_start, [x + 0.05 for x in near_start]),
            "lr_too_high",
        ),
        rule_case(
            "a run whose validation loss alone becomes nan",
            history_from_curves(
                fitted_train, fitted_train[:-2] + [math.nan] * 2
            ),
            "lr_too_high",
        ),
        rule_case(
            "a run whose running training loss alone becomes inf",
            history_from_curves(
                fitted_train,
                [x + 0.05 for x in fitted_train],
                running_train_loss=fitted_train[:-1] + [math.inf],
            ),
            "lr_too_high",
        ),
        rule_case(
            "an unstable run whose validation sits below the running loss",
            history_from_curves(
                descent + climb,
                descent + climb,
                running_train_loss=[x + 1.0 for x in descent + climb],
            ),
            "lr_too_high",
        ),
        rule_case(
            "a run whose validation loss was inf at epoch 6 only",
            history_from_curves(
                fitted_train,
                [x + 0.05 for x in fitted_train[:5]]
                + [math.inf]
                + [x + 0.05 for x in fitted_train[6:]],
            ),
            "lr_too_high",
        ),
        rule_case(
            "a run whose validation loss sits 10% above training and 27% "
            "below the running loss, on a small scale",
            history_from_curves(
                small,
                [1.1 * x for x in small],
                running_train_loss=[1.5 * x for x in small],
            ),
            "val_below_running_train",
        ),
        rule_case(
            "a run whose running loss is high in the last 4 epochs but "
            "not the last one",
            history_from_curves(
                fitted_train,
                [x + 0.05 for x in fitted_train],
                running_train_loss=fitted_train[:8]
                + [x + 0.5 for x in fitted_train[8:11]]
                + fitted_train[11:],
            ),
            "val_below_running_train",
        ),
        rule_case(
            "a run that has not fitted whose running loss is high in its "
            "last 3 epochs, with window=3",
            history_from_curves(
                high,
                [x + 0.05 for x in high],
                running_train_loss=high[:7] + [x + 0.2 for x in high[7:]],
            ),
            "val_below_running_train",
            window=3,
        ),
        rule_case(
            "a run that has not fitted whose training loss falls over its "
            "last 3 epochs but not its last 5, with window=3",
            history_from_curves(wobble, [x + 0.03 for x in wobble]),
            "lr_too_low",
            window=3,
        ),
        rule_case(
            "a run that levelled off at 0.43 of its start, validation rising",
            history_from_curves(
                falling(2.3, 1.0, 6) + [1.0] * 6,
                falling(2.3, 1.05, 6) + [1.06, 1.08, 1.1, 1.12, 1.14, 1.16],
                **accuracy,
            ),
            "underfitting",
        ),
        rule_case(
            "a fitted run whose validation loss ends 0.03 above its onset "
            "and 0.06 above its minimum, with min_delta=0.05",
            history_from_curves(
                falling(2.3, 0.1, 8),
                below_onset,
                train_acc=[0.9] * 8,
                val_acc=[0.85] * 8,
            ),
            "healthy",
            min_delta=0.05,
        ),
    ]


def scaled(history: History, factor: float) -> History:
    """The same run with every loss multiplied by `factor`: a loss on
    another scale, which rules written as fractions read the same way."""
    return replace(
        history,
        **{
            name: [factor * value for value in getattr(history, name)]
            for name in ("train_loss", "running_train_loss", "val_loss")
        },
    )


# The arguments the patterns are compared under, besides the defaults.
PATTERN_OPTIONS = ({}, {"window": 3}, {"window": 8}, {"min_delta": 0.05})
SCALE = 10.0


def check_rejects(diagnose_fn: Callable[..., Diagnosis]) -> None:
    """diagnose must raise ValueError on histories it cannot read."""
    run = shown_runs()[0].history
    mismatched = replace(run, val_loss=run.val_loss[:-1])
    bad_inputs = {
        "an empty History()": History(),
        "a 3-epoch history (window=5)": replace(
            run, **{name: values[:3] for name, values in vars(run).items()}
        ),
        "a history whose val_loss is one entry short": mismatched,
    }
    for description, history in bad_inputs.items():
        try:
            diagnose_fn(history)
        except ValueError:
            continue
        except NotImplementedError:
            raise
        except Exception as error:
            raise AssertionError(
                f"diagnose raised {type(error).__name__} on {description}: "
                "call check_history(history, window) first, which raises "
                "a ValueError that says what is wrong"
            ) from error
        raise AssertionError(
            f"diagnose accepted {description}: call "
            "check_history(history, window) first"
        )


def check_pattern_cases(diagnose_fn: Callable[..., Diagnosis]) -> None:
    """Each hand-built run must get the pattern its one rule gives."""
    for case in pattern_cases():
        got = call_diagnose(
            diagnose_fn, case.history, case.description, **case.options
        )
        if got.pattern != case.expected:
            arguments = case.options or "default arguments"
            raise AssertionError(
                f"diagnose on {case.description} ({arguments}): expected "
                f"{case.expected!r}, got {got.pattern!r}. Hint: "
                f"{case.hint}."
            )


def same_field(mine: Any, theirs: Any) -> bool:
    """Whether a field of the learner's Diagnosis equals the rules':
    floats within TOLERANCE, the rest exactly."""
    return close(mine, theirs) if isinstance(theirs, float) else mine == theirs


def check_against_the_rules(diagnose_fn: Callable[..., Diagnosis]) -> None:
    """Every field and the pattern must be those the rules give, on every
    shown run: with the default arguments and others, and with the losses
    on another scale."""
    runs = [(run.id, run.history) for run in shown_runs()]
    runs_scaled = [
        (f"{name} with losses x{SCALE:g}", scaled(history, SCALE))
        for name, history in runs
    ]
    trials = [(runs, options) for options in PATTERN_OPTIONS]
    trials.append((runs_scaled, {}))
    for named_runs, options in trials:
        arguments = options or "default arguments"
        for name, history in named_runs:
            got = call_diagnose(diagnose_fn, history, name, **options)
            expected = diagnose(history, **options)
            for field, hint in FIELD_HINTS.items():
                mine, theirs = getattr(got, field), getattr(expected, field)
                if not same_field(mine, theirs):
                    raise AssertionError(
                        f"diagnose(...).{field} on the shown run {name} "
                        f"({arguments}): expected {theirs!r}, got "
                        f"{mine!r}. Hint: {hint}."
                    )
            if got.pattern not in PATTERNS:
                raise AssertionError(
                    f"diagnose returned the unknown pattern {got.pattern!r}"
                    f": use the names in PATTERNS, {PATTERNS}"
                )
            if got.pattern != expected.pattern:
                raise AssertionError(
                    f"diagnose on the shown run {name} ({arguments}): "
                    f"expected {expected.pattern!r}, got {got.pattern!r}. "
                    f"Hint: {PATTERN_HINTS[expected.pattern]}."
                )


@suggests_reference("diagnose")
def check_diagnose(diagnose_fn: Callable[..., Diagnosis]) -> None:
    """Check the learner's diagnose(history, min_delta, window)."""
    check_rejects(diagnose_fn)
    check_pattern_cases(diagnose_fn)
    check_against_the_rules(diagnose_fn)
    print(
        f"diagnose: numbers and patterns correct on {len(shown_runs())} "
        f"shown runs, with {len(PATTERN_OPTIONS)} sets of arguments and "
        f"on another scale, and on {len(pattern_cases())} hand-built runs."
    )


# The policy's thresholds in the hand-built cases.
POLICY = {"max_val_loss": 0.3, "max_gap": 0.2, "max_growth": 0.002}
# Every hand-built run has a high training accuracy, fitted or not:
# accuracy is not what decides whether a run fitted.
HIGH_ACCURACY = 0.95


def policy_history(
    last_train: float, last_gap: float, growth: float = 0.0
) -> History:
    """An 8-epoch run: training loss from 2.0 straight down to
    `last_train`, a gap that ends at `last_gap` and grows by exactly
    `growth` per epoch."""
    train = np.linspace(2.0, last_train, 8)
    gap = last_gap - growth * np.arange(7, -1, -1)
    return accurate_run(train.tolist(), (train + gap).tolist())


def accurate_run(train: list[float], val: list[float]) -> History:
    """A run with these losses and a high accuracy at every epoch."""
    accuracy = [HIGH_ACCURACY] * len(train)
    return history_from_curves(
        train, val, train_acc=accuracy, val_acc=accuracy
    )


def policy_cases() -> list[HandBuiltRun]:
    """Runs that each fail one part of the policy, or sit on its edge."""
    fast = accurate_run(
        [2.0, 1.0, 0.6, 0.4, 0.3, 0.25, 0.2, 0.15],
        [2.1, 1.1, 0.7, 0.6, 0.42, 0.35, 0.3, 0.28],
    )
    rising = accurate_run(
        [2.0, 1.0, 0.5, 0.3, 0.2, 0.15, 0.12, 0.1],
        [2.1, 1.1, 0.6, 0.35, 0.2, 0.22, 0.26, 0.32],
    )
    return [
        HandBuiltRun(
            "a fitted run, validation loss 0.2, gap 0.1 growing 0.0005",
            policy_history(0.1, 0.1, 0.0005),
            POLICY,
            True,
            "a fitted run with a low validation loss and a small, steady "
            "gap is one to keep",
        ),
        HandBuiltRun(
            "a fitted run, validation loss 0.4, gap 0.1",
            policy_history(0.3, 0.1),
            POLICY,
            False,
            "its validation loss 0.4 is above max_val_loss: a small gap "
            "does not make a poor model acceptable",
        ),
        HandBuiltRun(
            "a fitted run, validation loss 0.28, gap 0.25",
            policy_history(0.03, 0.25),
            POLICY,
            False,
            "its final gap 0.25 is above max_gap",
        ),
        HandBuiltRun(
            "a fitted run, gap 0.1 growing 0.005 per epoch",
            policy_history(0.1, 0.1, 0.005),
            POLICY,
            False,
            "its gap grows by 0.005 per epoch, more than max_growth: a "
            "small gap that widens fast will not stay small",
        ),
        HandBuiltRun(
            "a run whose training loss ends at 0.6 of its start, "
            "validation loss 0.25",
            policy_history(1.2, -0.95),
            POLICY,
            False,
            "it has not fitted its training data (gaplab.verdict's "
            "fitted(history) is False): keep only runs that fitted",
        ),
        HandBuiltRun(
            "a fitted run with validation loss 0.1 below training (gap -0.3)",
            policy_history(0.4, -0.3),
            POLICY,
            True,
            "a negative gap is no reason to reject a run: do not take its "
            "absolute value",
        ),
        HandBuiltRun(
            "a run with validation loss and gap exactly at the limits",
            policy_history(0.125, 0.125),
            {"max_val_loss": 0.25, "max_gap": 0.125, "max_growth": 0.0},
            True,
            "'at most' means <=: a validation loss equal to max_val_loss, "
            "a gap equal to max_gap and a growth equal to max_growth are "
            "acceptable",
        ),
        HandBuiltRun(
            "a run whose losses became nan",
            accurate_run(
                [2.0, 1.0, 0.5, 0.3, math.nan, math.nan],
                [2.0, 1.1, 0.6, 0.4, math.nan, math.nan],
            ),
            POLICY,
            False,
            "a run that diverged is never acceptable: a comparison with "
            "nan is False, so do not write not (loss > max)",
        ),
        HandBuiltRun(
            "a fitted run whose validation loss alone became nan",
            accurate_run(
                [2.0, 1.0, 0.5, 0.3, 0.2, 0.1],
                [2.0, 1.1, 0.6, 0.4, math.nan, math.nan],
            ),
            POLICY,
            False,
            "a run whose validation loss is nan is never acceptable: a "
            "comparison with nan is False, so do not write "
            "not (loss > max)",
        ),
        HandBuiltRun(
            "a fitted run whose validation loss fell to 0.2, then rose "
            "to 0.32",
            rising,
            {**POLICY, "max_gap": 0.25, "max_growth": 0.1},
            False,
            "judge the validation loss at the last epoch, the model the "
            "run leaves you, not its best or its onset value",
        ),
        HandBuiltRun(
            "a run whose gap shrinks over its last 5 epochs",
            fast,
            POLICY,
            True,
            "over the last 5 epochs (the default window) its gap shrinks "
            "by 0.016 per epoch",
        ),
        HandBuiltRun(
            "the same run with window=3",
            fast,
            {**POLICY, "window": 3},
            False,
            "measure the growth over the last `window` epochs: over the "
            "last 3 the gap grows by 0.015 per epoch",
        ),
        HandBuiltRun(
            "the same run with window=3 and max_growth=0.1",
            fast,
            {**POLICY, "window": 3, "max_growth": 0.1},
            True,
            "pass max_growth on instead of a fixed number",
        ),
    ]


@suggests_reference("acceptable_run")
def check_acceptable_run(policy_fn: Callable[..., bool]) -> None:
    """Check the learner's acceptable_run(history, max_val_loss, max_gap,
    max_growth, window)."""
    for case in policy_cases():
        got = call_answer(
            policy_fn,
            "acceptable_run",
            case.history,
            case.description,
            **case.options,
        )
        if got not in (True, False) or bool(got) != case.expected:
            raise AssertionError(
                f"acceptable_run on {case.description} ({case.options}): "
                f"expected {case.expected}, got {got!r}. Hint: "
                f"{case.hint}."
            )
    settings = (
        {"max_val_loss": 0.3, "max_gap": 0.2, "max_growth": 0.002},
        {"max_val_loss": 0.5, "max_gap": 0.1, "max_growth": 0.01, "window": 3},
    )
    for run in shown_runs():
        for options in settings:
            expected = acceptable_run(run.history, **options)
            got = policy_fn(run.history, **options)
            if got != expected:
                raise AssertionError(
                    f"acceptable_run on the shown run {run.id} with "
                    f"{options}: expected {expected}, got {got!r}"
                )
    print("acceptable_run: all verdicts as expected.")
