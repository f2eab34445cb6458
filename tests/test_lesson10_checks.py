"""Lesson 10's graded cells, tested as nbgrader runs them: plausible wrong
answers fail each real graded cell with a message that names the
mistake, a correct answer that warns writes nothing to stderr, and the
checks' oracles follow the conventions they claim (the one-standard-
error rule with the sample deviation; PyTorch's plateau count). The
independent answer bank (test_lesson10_bank.py) adds many more."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch.optim.lr_scheduler import ReduceLROnPlateau

from gaplab.checks.capacity_optimisation import (
    FIXED_SWEEPS,
    PLATEAU_VAL_LOSS,
    one_standard_error,
    pick_cases,
    plateau_rates,
)
from gaplab.training import Callback
from tests.notebook_tools import grade_answer

ASSIGNMENT = "10-capacity-optimisation"


def grade_pick(answer) -> None:
    grade_answer(ASSIGNMENT, "pick_capacity_tests", "pick_capacity", answer)


def grade_schedule(answer) -> None:
    grade_answer(
        ASSIGNMENT, "ScheduleCallback_tests", "ScheduleCallback", answer
    )


# --------------------------------------------- exercise 1: pick_capacity


def rule(sizes, val_losses, centre=np.mean, spread=None, choose=min):
    """The rule with one part swappable, to make a learner's mistake."""
    sizes = np.asarray(sizes)
    losses = np.asarray(val_losses, dtype=float)
    centres = centre(losses, axis=1)
    best = centres.argmin()
    if spread is None:
        margin = losses[best].std(ddof=1) / math.sqrt(losses.shape[1])
    else:
        margin = spread(losses, best)
    return int(choose(sizes[centres <= centres[best] + margin]))


def lowest_mean(sizes, val_losses):
    losses = np.asarray(val_losses, dtype=float)
    return int(np.asarray(sizes)[losses.mean(axis=1).argmin()])


def population_deviation(sizes, val_losses):
    return rule(
        sizes,
        val_losses,
        spread=lambda losses, best: (
            losses[best].std() / math.sqrt(losses.shape[1])
        ),
    )


def one_deviation(sizes, val_losses):
    return rule(
        sizes, val_losses, spread=lambda losses, best: losses[best].std(ddof=1)
    )


def largest_within(sizes, val_losses):
    return rule(sizes, val_losses, choose=max)


def minimum_over_seeds(sizes, val_losses):
    return rule(sizes, val_losses, centre=np.min)


def position(sizes, val_losses):
    chosen = rule(sizes, val_losses)
    return int(np.flatnonzero(np.asarray(sizes) == chosen)[0])


def sorts_in_place(sizes, val_losses):
    chosen = rule(sizes, val_losses)
    if isinstance(sizes, list):
        sizes.sort()
    else:
        sizes[:] = sorted(np.asarray(sizes).tolist())
    return chosen


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (lowest_mean, "lowest mean"),
        (population_deviation, "sample standard deviation"),
        (one_deviation, "standard DEVIATION"),
        (largest_within, "not the largest"),
        (minimum_over_seeds, "not take their minimum"),
        (position, "not its position"),
        (sorts_in_place, "changed its inputs"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_a_wrong_pick_is_named(answer, named):
    with pytest.raises(AssertionError, match=named):
        grade_pick(answer)


def test_a_correct_pick_that_warns_writes_nothing_to_stderr(capfd):
    def warns(sizes, val_losses):
        warnings.warn("a learner's note", UserWarning, stacklevel=1)
        return rule(sizes, val_losses)

    grade_pick(warns)
    captured = capfd.readouterr()
    assert "a learner's note" in captured.out
    assert captured.err == ""


def test_the_oracle_takes_the_sample_standard_error():
    """The tied sweep aside, every fixed and random case picks a smaller
    model than the lowest mean (so the rule is tested, not argmin)."""
    sweep = FIXED_SWEEPS[0]
    assert one_standard_error(*sweep.arrays()) == 400
    for case in pick_cases(np.random.default_rng(0), 12):
        sizes, losses = case.arrays()
        assert one_standard_error(sizes, losses) < lowest_mean(sizes, losses)


# ------------------------------------------ exercise 2: ScheduleCallback


class Stepper(Callback):
    """A correct answer, for the mistakes below to change one thing."""

    def __init__(self, scheduler) -> None:
        self.scheduler = scheduler

    def on_epoch_end(self, history, model) -> bool:
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(history.val_loss[-1])
        else:
            self.scheduler.step()
        return False


class StepsAtBegin(Stepper):
    def on_train_begin(self, model) -> None:
        self.scheduler.step()


class StepsAtEnd(Stepper):
    def on_train_end(self, history, model) -> None:
        self.scheduler.step()


class TrainingLoss(Stepper):
    def on_epoch_end(self, history, model) -> bool:
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(history.train_loss[-1])
        else:
            self.scheduler.step()
        return False


class BestSoFar(Stepper):
    def on_epoch_end(self, history, model) -> bool:
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(min(history.val_loss))
        else:
            self.scheduler.step()
        return False


class StopsTraining(Stepper):
    def on_epoch_end(self, history, model) -> bool:
        super().on_epoch_end(history, model)
        return True


class KerasCount(Stepper):
    """Cuts the rate itself when the bad epochs REACH the patience."""

    def __init__(self, scheduler) -> None:
        super().__init__(scheduler)
        self.best, self.wait = math.inf, 0

    def on_epoch_end(self, history, model) -> bool:
        if not isinstance(self.scheduler, ReduceLROnPlateau):
            return super().on_epoch_end(history, model)
        if history.val_loss[-1] < self.best:
            self.best, self.wait = history.val_loss[-1], 0
            return False
        self.wait += 1
        if self.wait >= self.scheduler.patience:
            for group in self.scheduler.optimizer.param_groups:
                group["lr"] *= self.scheduler.factor
            self.wait = 0
        return False


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (StepsAtBegin, "one step ahead"),
        (StepsAtEnd, "do nothing in on_train_end"),
        (TrainingLoss, "given the training loss"),
        (BestSoFar, "each epoch's own validation loss"),
        (StopsTraining, "must return False"),
        (KerasCount, "MORE than `patience`"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_a_wrong_callback_is_named(answer, named):
    with pytest.raises(AssertionError, match=named):
        grade_schedule(answer)


def test_a_correct_callback_that_warns_writes_nothing_to_stderr(capfd):
    class Warns(Stepper):
        def on_epoch_end(self, history, model) -> bool:
            warnings.warn("a learner's note", UserWarning, stacklevel=1)
            return super().on_epoch_end(history, model)

    grade_schedule(Warns)
    captured = capfd.readouterr()
    assert "a learner's note" in captured.out
    assert captured.err == ""


def test_the_plateau_oracle_cuts_after_more_than_patience_bad_epochs():
    """patience=2: the 4th epoch is the 2nd bad one (no cut), the 5th the
    3rd (cut to half)."""
    rates = plateau_rates(
        lambda scheduler, history: scheduler.step(history.val_loss[-1])
    )
    assert len(rates) == len(PLATEAU_VAL_LOSS)
    assert rates[3] == pytest.approx(0.1) and rates[4] == pytest.approx(0.05)
    assert torch.tensor(rates).diff().le(0).all()
