"""An independent bank of learner answers to lesson 05's exercise
(`EarlyStopping`, a `fit` callback with the semantics of Keras 3),
written from the exercise text alone, and run through the real graded
cell (visible checks and hidden tests).

Every correct answer, in whatever style, must be accepted; every wrong
one, a mistake that learners reading the text really make, must fail
with an AssertionError, which carries the check's message.

The wrong answers change one thing each in `KerasTranslation`, the first
correct answer: its small methods are the places learners go wrong.
"""

from __future__ import annotations

import copy
import math
import operator
from typing import Any

import numpy as np
import pytest
import torch

from gaplab.training import Callback
from tests.notebook_tools import grade_answer

ASSIGNMENT = "05-early-stopping"


def grade(answer: type) -> None:
    """Run the graded cell with `answer` as the learner's EarlyStopping."""
    grade_answer(ASSIGNMENT, "EarlyStopping_tests", "EarlyStopping", answer)


# ======================================================= correct answers


class KerasTranslation(Callback):
    """Keras 3's EarlyStopping, translated method by method, with epochs
    counted from 1 as History counts them."""

    def __init__(
        self,
        monitor="val_loss",
        mode="auto",
        min_delta=0.0,
        patience=0,
        restore_best_weights=False,
        baseline=None,
        start_from_epoch=0,
    ):
        self.monitor = monitor
        self.mode = mode
        self.min_delta = min_delta
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.direction = self.direction_of(monitor, mode)
        self.resuming = False
        self.reset()

    @staticmethod
    def direction_of(monitor, mode):
        if mode != "auto":
            return mode
        return "min" if monitor.endswith("loss") else "max"

    def reset(self):
        self.wait = 0
        self.best = None
        self.best_epoch = 0
        self.stopped_epoch = 0
        self.best_weights = None

    def on_train_begin(self, model):
        if not self.resuming:
            self.reset()
        self.resuming = False

    def epoch_of(self, history):
        return history.epoch[-1]

    def value(self, history):
        return getattr(history, self.monitor)[-1]

    def monitored(self, epoch):
        return epoch > self.start_from_epoch

    def finite(self, current):
        return math.isfinite(current)

    def improves(self, current, reference):
        if reference is None:
            return True
        if self.direction == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def wants_weights(self):
        return self.restore_best_weights

    def keep(self, model):
        self.best_weights = copy.deepcopy(model.state_dict())

    def patience_ran_out(self, epoch):
        return self.wait >= self.patience and epoch > 1

    def on_epoch_end(self, history, model):
        epoch = self.epoch_of(history)
        current = self.value(history)
        if not self.monitored(epoch):
            return False
        if not self.finite(current):
            self.stopped_epoch = epoch
            return True
        self.wait += 1
        if self.improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.wants_weights():
                self.keep(model)
            if self.improves(current, self.baseline):
                self.wait = 0
            return False
        if self.patience_ran_out(epoch):
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, history, model):
        if self.restore_best_weights and self.best_weights is not None:
            model.load_state_dict(self.best_weights)

    def state_dict(self):
        return {
            "wait": self.wait,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state):
        self.wait = state["wait"]
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.stopped_epoch = state["stopped_epoch"]
        self.best_weights = state["best_weights"]
        self.resuming = True


class SignedScore(Callback):
    """numpy, and one comparison for both modes: a value to maximise is
    negated, so that lower is always better; `wait` grows only on the
    epochs that do not reset it."""

    def __init__(
        self,
        monitor="val_loss",
        mode="auto",
        min_delta=0.0,
        patience=0,
        restore_best_weights=False,
        baseline=None,
        start_from_epoch=0,
    ):
        if mode == "auto":
            mode = "max" if monitor.endswith("acc") else "min"
        self.sign = 1.0 if mode == "min" else -1.0
        self.monitor = monitor
        self.min_delta = float(min_delta)
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.loaded = False
        self.clear()

    def clear(self):
        self.wait = 0
        self.best = None
        self.best_epoch = 0
        self.stopped_epoch = 0
        self.weights = None

    def beats(self, value, reference):
        if reference is None:
            return True
        return bool(self.sign * value < self.sign * reference - self.min_delta)

    def on_train_begin(self, model):
        if self.loaded:
            self.loaded = False
        else:
            self.clear()

    def on_epoch_end(self, history, model):
        epoch = int(np.asarray(history.epoch)[-1])
        if epoch <= self.start_from_epoch:
            return False
        current = float(np.asarray(getattr(history, self.monitor))[-1])
        if not np.isfinite(current):
            self.stopped_epoch = epoch
            return True
        if self.beats(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.weights = copy.deepcopy(model.state_dict())
            if self.baseline is None or self.beats(current, self.baseline):
                self.wait = 0
            else:
                self.wait += 1
            return False
        self.wait += 1
        if epoch > 1 and self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, history, model):
        if self.restore_best_weights and self.weights is not None:
            model.load_state_dict(self.weights)

    def state_dict(self):
        return {
            "wait": self.wait,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "weights": self.weights,
        }

    def load_state_dict(self, state):
        self.wait = state["wait"]
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.stopped_epoch = state["stopped_epoch"]
        self.weights = state["weights"]
        self.loaded = True


class TorchArithmetic(Callback):
    """torch for the arithmetic, the margin written as a difference
    (`best - current > min_delta`), and the kept weights cloned tensor by
    tensor instead of deep-copied."""

    def __init__(
        self,
        monitor="val_loss",
        mode="auto",
        min_delta=0.0,
        patience=0,
        restore_best_weights=False,
        baseline=None,
        start_from_epoch=0,
    ):
        self.monitor = monitor
        self.maximise = mode == "max" or (
            mode == "auto" and monitor.endswith("acc")
        )
        self.min_delta = min_delta
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.resume_next = False
        self.start_afresh()

    def start_afresh(self):
        self.wait = 0
        self.best = None
        self.best_epoch = 0
        self.stopped_epoch = 0
        self.best_state = None

    def margin(self, value, reference):
        v = torch.tensor(value, dtype=torch.float64)
        r = torch.tensor(reference, dtype=torch.float64)
        return v - r if self.maximise else r - v

    def better(self, value, reference):
        if reference is None:
            return True
        return bool(torch.gt(self.margin(value, reference), self.min_delta))

    def on_train_begin(self, model):
        if not self.resume_next:
            self.start_afresh()
        self.resume_next = False

    def on_epoch_end(self, history, model):
        epoch = history.epoch[-1]
        if epoch <= self.start_from_epoch:
            return False
        value = getattr(history, self.monitor)[-1]
        if not torch.isfinite(torch.tensor(value, dtype=torch.float64)):
            self.stopped_epoch = epoch
            return True
        self.wait += 1
        if self.better(value, self.best):
            self.best = value
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_state = {
                    name: tensor.detach().clone()
                    for name, tensor in model.state_dict().items()
                }
            if self.better(value, self.baseline):
                self.wait = 0
            return False
        if self.wait >= self.patience and epoch > 1:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, history, model):
        if self.restore_best_weights and self.best_state is not None:
            model.load_state_dict(self.best_state)

    def state_dict(self):
        return {
            "wait": self.wait,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "best_state": self.best_state,
        }

    def load_state_dict(self, state):
        self.wait = state["wait"]
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.stopped_epoch = state["stopped_epoch"]
        self.best_state = state["best_state"]
        self.resume_next = True


class ClosureRules(Callback):
    """The configuration lives in closures made by __init__ (no public
    `patience`, `min_delta`... attributes); the epoch is the length of the
    history, which counts from 1."""

    def __init__(
        self,
        monitor="val_loss",
        mode="auto",
        min_delta=0.0,
        patience=0,
        restore_best_weights=False,
        baseline=None,
        start_from_epoch=0,
    ):
        minimise = mode == "min" or (
            mode == "auto" and monitor.endswith("loss")
        )

        def better(value, reference):
            if reference is None:
                return True
            if minimise:
                return value < reference - min_delta
            return value > reference + min_delta

        def read(history):
            return getattr(history, monitor)[-1]

        def out_of_patience(wait, epoch):
            return wait >= patience and epoch > 1

        self._better = better
        self._read = read
        self._out_of_patience = out_of_patience
        self._baseline = baseline
        self._start = start_from_epoch
        self._restore = restore_best_weights
        self._resume = False
        self._forget()

    def _forget(self):
        self.wait = 0
        self.best = None
        self.best_epoch = 0
        self.stopped_epoch = 0
        self._kept = None

    def on_train_begin(self, model):
        if not self._resume:
            self._forget()
        self._resume = False

    def on_epoch_end(self, history, model):
        epoch = len(history)
        if epoch <= self._start:
            return False
        current = self._read(history)
        if math.isnan(current) or math.isinf(current):
            self.stopped_epoch = epoch
            return True
        self.wait += 1
        if self._better(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self._restore:
                self._kept = copy.deepcopy(model.state_dict())
            if self._better(current, self._baseline):
                self.wait = 0
        elif self._out_of_patience(self.wait, epoch):
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, history, model):
        if self._restore and self._kept is not None:
            model.load_state_dict(self._kept)

    def state_dict(self):
        return {
            "wait": self.wait,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "best_weights": self._kept,
        }

    def load_state_dict(self, state):
        self.wait = state["wait"]
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.stopped_epoch = state["stopped_epoch"]
        self._kept = state["best_weights"]
        self._resume = True


class DictState(Callback):
    """The four counters live in one dict behind properties; state_dict
    hands out a copy of it and load_state_dict takes a copy."""

    FRESH: dict[str, Any] = {
        "wait": 0,
        "best": None,
        "best_epoch": 0,
        "stopped_epoch": 0,
        "weights": None,
    }

    def __init__(
        self,
        monitor="val_loss",
        mode="auto",
        min_delta=0.0,
        patience=0,
        restore_best_weights=False,
        baseline=None,
        start_from_epoch=0,
    ):
        self.config = {
            "monitor": monitor,
            "higher_is_better": (
                mode == "max" if mode != "auto" else monitor.endswith("acc")
            ),
            "min_delta": min_delta,
            "patience": patience,
            "restore_best_weights": restore_best_weights,
            "baseline": baseline,
            "start_from_epoch": start_from_epoch,
        }
        self._state = dict(self.FRESH)
        self._loaded = False

    wait = property(
        lambda self: self._state["wait"],
        lambda self, v: self._state.__setitem__("wait", v),
    )
    best = property(
        lambda self: self._state["best"],
        lambda self, v: self._state.__setitem__("best", v),
    )
    best_epoch = property(
        lambda self: self._state["best_epoch"],
        lambda self, v: self._state.__setitem__("best_epoch", v),
    )
    stopped_epoch = property(
        lambda self: self._state["stopped_epoch"],
        lambda self, v: self._state.__setitem__("stopped_epoch", v),
    )

    def _improves(self, value, reference):
        if reference is None:
            return True
        delta = self.config["min_delta"]
        if self.config["higher_is_better"]:
            return value > reference + delta
        return value < reference - delta

    def on_train_begin(self, model):
        if not self._loaded:
            self._state = dict(self.FRESH)
        self._loaded = False

    def on_epoch_end(self, history, model):
        epoch = history.epoch[-1]
        if epoch <= self.config["start_from_epoch"]:
            return False
        current = history.to_dict()[self.config["monitor"]][-1]
        if not math.isfinite(current):
            self.stopped_epoch = epoch
            return True
        self.wait += 1
        if not self._improves(current, self.best):
            if self.wait >= self.config["patience"] and epoch > 1:
                self.stopped_epoch = epoch
                return True
            return False
        self.best = current
        self.best_epoch = epoch
        if self.config["restore_best_weights"]:
            self._state["weights"] = copy.deepcopy(model.state_dict())
        if self._improves(current, self.config["baseline"]):
            self.wait = 0
        return False

    def on_train_end(self, history, model):
        weights = self._state["weights"]
        if self.config["restore_best_weights"] and weights is not None:
            model.load_state_dict(weights)

    def state_dict(self):
        return dict(self._state)

    def load_state_dict(self, state):
        self._state = dict(state)
        self._loaded = True


class PendingState(Callback):
    """load_state_dict only leaves the state aside; on_train_begin takes
    it up, or starts afresh when there is none. Comparisons through the
    operator module."""

    def __init__(
        self,
        monitor="val_loss",
        mode="auto",
        min_delta=0.0,
        patience=0,
        restore_best_weights=False,
        baseline=None,
        start_from_epoch=0,
    ):
        if mode == "auto":
            mode = {"loss": "min", "acc": "max"}[monitor.rsplit("_", 1)[1]]
        if mode == "min":
            self.compare, self.shift = operator.lt, -min_delta
        else:
            self.compare, self.shift = operator.gt, min_delta
        self.monitor = monitor
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.pending = None
        self.wait, self.best, self.best_epoch, self.stopped_epoch = (
            0,
            None,
            0,
            0,
        )
        self.kept = None

    def improves(self, value, reference):
        return reference is None or self.compare(value, reference + self.shift)

    def on_train_begin(self, model):
        state = self.pending or {
            "wait": 0,
            "best": None,
            "best_epoch": 0,
            "stopped_epoch": 0,
            "kept": None,
        }
        self.pending = None
        self.wait = state["wait"]
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.stopped_epoch = state["stopped_epoch"]
        self.kept = state["kept"]

    def on_epoch_end(self, history, model):
        epoch = history.epoch[-1]
        value = getattr(history, self.monitor)[-1]
        if epoch > self.start_from_epoch and not math.isfinite(value):
            self.stopped_epoch = epoch
            return True
        if epoch <= self.start_from_epoch:
            return False
        self.wait += 1
        improved = self.improves(value, self.best)
        if improved:
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.kept = copy.deepcopy(model.state_dict())
            if self.improves(value, self.baseline):
                self.wait = 0
        stop = not improved and epoch > 1 and self.wait >= self.patience
        if stop:
            self.stopped_epoch = epoch
        return stop

    def on_train_end(self, history, model):
        if self.restore_best_weights and self.kept is not None:
            model.load_state_dict(self.kept)

    def state_dict(self):
        return {
            "wait": self.wait,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "kept": self.kept,
        }

    def load_state_dict(self, state):
        self.pending = dict(state)
        self.wait = state["wait"]
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.stopped_epoch = state["stopped_epoch"]
        self.kept = state["kept"]


class PlainPythonTests(Callback):
    """Plain Python only: NaN found as `x != x`, infinities by membership,
    the margin as a difference, `continue`-free early returns."""

    def __init__(
        self,
        monitor="val_loss",
        mode="auto",
        min_delta=0.0,
        patience=0,
        restore_best_weights=False,
        baseline=None,
        start_from_epoch=0,
    ):
        self.monitor = monitor
        self.lower_is_better = (
            monitor.endswith("loss") if mode == "auto" else mode == "min"
        )
        self.min_delta = min_delta
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.carry_on = False
        self.wipe()

    def wipe(self):
        self.wait = 0
        self.best = None
        self.best_epoch = 0
        self.stopped_epoch = 0
        self.saved = None

    def on_train_begin(self, model):
        if not self.carry_on:
            self.wipe()
        self.carry_on = False

    def is_better(self, x, than):
        if than is None:
            return True
        if self.lower_is_better:
            return than - x > self.min_delta
        return x - than > self.min_delta

    def on_epoch_end(self, history, model):
        epoch = history.epoch[-1]
        if epoch <= self.start_from_epoch:
            return False
        x = getattr(history, self.monitor)[-1]
        if x != x or x in (math.inf, -math.inf):
            self.stopped_epoch = epoch
            return True
        self.wait += 1
        if self.is_better(x, self.best):
            self.best = x
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.saved = copy.deepcopy(model.state_dict())
            if self.is_better(x, self.baseline):
                self.wait = 0
            return False
        if self.wait >= self.patience and epoch >= 2:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, history, model):
        if self.restore_best_weights and self.saved is not None:
            model.load_state_dict(self.saved)

    def state_dict(self):
        return {
            "wait": self.wait,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "saved": self.saved,
        }

    def load_state_dict(self, state):
        for key in ("wait", "best", "best_epoch", "stopped_epoch", "saved"):
            setattr(self, key, state[key])
        self.carry_on = True


class AlwaysKeepsACopy(Callback):
    """Keeps a copy of the best weights whether or not they are to be
    restored (and, as Keras does, the weights of the first monitored
    epoch before comparing); restores only when asked to."""

    def __init__(
        self,
        monitor="val_loss",
        mode="auto",
        min_delta=0.0,
        patience=0,
        restore_best_weights=False,
        baseline=None,
        start_from_epoch=0,
    ):
        self.monitor = monitor
        self.mode = (
            mode
            if mode in ("min", "max")
            else ("min" if "loss" in monitor else "max")
        )
        self.min_delta = min_delta
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.from_checkpoint = False
        self.initialise()

    def initialise(self):
        self.wait = 0
        self.best = None
        self.best_epoch = 0
        self.stopped_epoch = 0
        self.best_weights = None

    def on_train_begin(self, model):
        if self.from_checkpoint:
            self.from_checkpoint = False
            return
        self.initialise()

    def better_than(self, current, reference):
        if reference is None:
            return True
        if self.mode == "min":
            return reference - self.min_delta > current
        return reference + self.min_delta < current

    def on_epoch_end(self, history, model):
        epoch = len(history.epoch)
        current = getattr(history, self.monitor)[-1]
        if epoch < self.start_from_epoch + 1:
            return False
        if np.isnan(current) or np.isinf(current):
            self.stopped_epoch = epoch
            return True
        if self.best_weights is None:
            self.best_weights = copy.deepcopy(model.state_dict())
            self.best_epoch = epoch
        self.wait += 1
        if self.better_than(current, self.best):
            self.best = current
            self.best_epoch = epoch
            self.best_weights = copy.deepcopy(model.state_dict())
            if self.better_than(current, self.baseline):
                self.wait = 0
            return False
        if self.wait >= self.patience and len(history) > 1:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, history, model):
        if self.restore_best_weights and self.best_weights is not None:
            model.load_state_dict(self.best_weights)

    def state_dict(self):
        return {
            "wait": self.wait,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state):
        self.wait = state["wait"]
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.stopped_epoch = state["stopped_epoch"]
        self.best_weights = state["best_weights"]
        self.from_checkpoint = True


CORRECT = [
    KerasTranslation,
    SignedScore,
    TorchArithmetic,
    ClosureRules,
    DictState,
    PendingState,
    PlainPythonTests,
    AlwaysKeepsACopy,
]


@pytest.mark.parametrize("answer", CORRECT, ids=lambda c: c.__name__)
def test_a_correct_early_stopping_passes(answer):
    grade(answer)


# ========================================================= wrong answers
# ---------------------------------------------- improvement and min_delta


class TieImproves(KerasTranslation):
    """A tie exactly at min_delta counts as an improvement (<= for <)."""

    def improves(self, current, reference):
        if reference is None:
            return True
        if self.direction == "min":
            return current <= reference - self.min_delta
        return current >= reference + self.min_delta


class IgnoresMinDelta(KerasTranslation):
    """min_delta is ignored: any better value improves."""

    def improves(self, current, reference):
        if reference is None:
            return True
        if self.direction == "min":
            return current < reference
        return current > reference


class MinDeltaWrongSign(KerasTranslation):
    """min_delta added on the wrong side: a value slightly worse than the
    best still counts as an improvement."""

    def improves(self, current, reference):
        if reference is None:
            return True
        if self.direction == "min":
            return current < reference + self.min_delta
        return current > reference - self.min_delta


class MinDeltaRelative(KerasTranslation):
    """min_delta read as a fraction of the best, not an absolute margin."""

    def improves(self, current, reference):
        if reference is None:
            return True
        if self.direction == "min":
            return current < reference * (1 - self.min_delta)
        return current > reference * (1 + self.min_delta)


class ChangeEitherWay(KerasTranslation):
    """Any change of more than min_delta, up or down, counts."""

    def improves(self, current, reference):
        if reference is None:
            return True
        return abs(current - reference) > self.min_delta


class ComparesWithPreviousEpoch(KerasTranslation):
    """Compares each epoch with the one before, not the best so far."""

    def reset(self):
        super().reset()
        self.previous = None

    def on_epoch_end(self, history, model):
        epoch = self.epoch_of(history)
        current = self.value(history)
        if not self.monitored(epoch):
            return False
        if not self.finite(current):
            self.stopped_epoch = epoch
            return True
        previous, self.previous = self.previous, current
        self.wait += 1
        if self.improves(current, previous):
            self.best = current
            self.best_epoch = epoch
            if self.wants_weights():
                self.keep(model)
            if self.improves(current, self.baseline):
                self.wait = 0
            return False
        if self.patience_ran_out(epoch):
            self.stopped_epoch = epoch
            return True
        return False


class BestTracksAnyBetterValue(KerasTranslation):
    """`best` follows every better value (min/max of all seen), even one
    that is not better by more than min_delta."""

    def on_epoch_end(self, history, model):
        before = self.best
        stop = super().on_epoch_end(history, model)
        current = self.value(history)
        if (
            self.monitored(self.epoch_of(history))
            and self.finite(current)
            and before is not None
            and self.best == before
        ):
            pick = min if self.direction == "min" else max
            self.best = pick(self.best, current)
        return stop


class BestStartsAtZero(KerasTranslation):
    """`best` starts at 0 instead of "no best yet": a loss never beats it."""

    def reset(self):
        super().reset()
        self.best = 0.0


class BestStartsAtInfinity(KerasTranslation):
    """`best` starts at +inf whatever the mode: an accuracy never beats
    it."""

    def reset(self):
        super().reset()
        self.best = math.inf


# ------------------------------------------------------------- the mode


class AutoAlwaysMinimises(KerasTranslation):
    """mode="auto" minimises every monitor, accuracies included."""

    @staticmethod
    def direction_of(monitor, mode):
        return "min" if mode == "auto" else mode


class IgnoresExplicitMode(KerasTranslation):
    """The direction always comes from the monitor's name; an explicit
    mode="min"/"max" is ignored."""

    @staticmethod
    def direction_of(monitor, mode):
        return "min" if monitor.endswith("loss") else "max"


class IgnoresMonitor(KerasTranslation):
    """Always reads val_loss, whatever `monitor` names."""

    def value(self, history):
        return history.val_loss[-1]


# ------------------------------------------------------ patience and wait


class StopsWhenWaitExceedsPatience(KerasTranslation):
    """Off by one: stops when wait > patience instead of >=."""

    def patience_ran_out(self, epoch):
        return self.wait > self.patience and epoch > 1


class StopsAtEpochOne(KerasTranslation):
    """Forgets "never at epoch 1": a resumed run can stop at its first
    epoch."""

    def patience_ran_out(self, epoch):
        return self.wait >= self.patience


class StopChecksAfterImprovement(KerasTranslation):
    """Checks wait >= patience after an improvement too, so patience=0
    stops on an improving epoch (Keras returns after an improvement)."""

    def on_epoch_end(self, history, model):
        epoch = self.epoch_of(history)
        current = self.value(history)
        if not self.monitored(epoch):
            return False
        if not self.finite(current):
            self.stopped_epoch = epoch
            return True
        self.wait += 1
        if self.improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.wants_weights():
                self.keep(model)
            if self.improves(current, self.baseline):
                self.wait = 0
        if self.patience_ran_out(epoch):
            self.stopped_epoch = epoch
            return True
        return False


class StoppedEpochNotSet(KerasTranslation):
    """Returns True to stop but never sets stopped_epoch."""

    def on_epoch_end(self, history, model):
        stopped = self.stopped_epoch
        stop = super().on_epoch_end(history, model)
        self.stopped_epoch = stopped
        return stop


class ZeroBasedEpochs(KerasTranslation):
    """Keras's 0-based epoch index kept: best_epoch and stopped_epoch are
    one less than History's epoch numbers."""

    def epoch_of(self, history):
        return len(history) - 1

    def monitored(self, epoch):
        return epoch >= self.start_from_epoch

    def patience_ran_out(self, epoch):
        return self.wait >= self.patience and epoch > 0


# --------------------------------------------------------------- baseline


class IgnoresBaseline(KerasTranslation):
    """The baseline argument is accepted and ignored."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.baseline = None


class BaselineBlocksBest(KerasTranslation):
    """best/best_epoch are set only when the baseline is beaten too (Keras
    sets them on every improvement; only the reset of wait waits for the
    baseline)."""

    def on_epoch_end(self, history, model):
        epoch = self.epoch_of(history)
        current = self.value(history)
        if not self.monitored(epoch):
            return False
        if not self.finite(current):
            self.stopped_epoch = epoch
            return True
        self.wait += 1
        if self.improves(current, self.best) and self.improves(
            current, self.baseline
        ):
            self.best = current
            self.best_epoch = epoch
            if self.wants_weights():
                self.keep(model)
            self.wait = 0
            return False
        if self.patience_ran_out(epoch):
            self.stopped_epoch = epoch
            return True
        return False


class BaselineWithoutMinDelta(KerasTranslation):
    """Beating the baseline by any amount resets wait (min_delta is
    applied to the best only)."""

    def beats_baseline(self, current):
        if self.baseline is None:
            return True
        if self.direction == "min":
            return current < self.baseline
        return current > self.baseline

    def on_epoch_end(self, history, model):
        epoch = self.epoch_of(history)
        current = self.value(history)
        if not self.monitored(epoch):
            return False
        if not self.finite(current):
            self.stopped_epoch = epoch
            return True
        self.wait += 1
        if self.improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.wants_weights():
                self.keep(model)
            if self.beats_baseline(current):
                self.wait = 0
            return False
        if self.patience_ran_out(epoch):
            self.stopped_epoch = epoch
            return True
        return False


class BaselineAlwaysMinimised(KerasTranslation):
    """The baseline is compared as a loss (lower is better) whatever the
    mode."""

    def on_epoch_end(self, history, model):
        epoch = self.epoch_of(history)
        current = self.value(history)
        if not self.monitored(epoch):
            return False
        if not self.finite(current):
            self.stopped_epoch = epoch
            return True
        self.wait += 1
        if self.improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.wants_weights():
                self.keep(model)
            if (
                self.baseline is None
                or current < self.baseline - self.min_delta
            ):
                self.wait = 0
            return False
        if self.patience_ran_out(epoch):
            self.stopped_epoch = epoch
            return True
        return False


class BaselineMissLeavesWaitUnchanged(KerasTranslation):
    """wait grows only on epochs that do not improve, so an improvement
    that misses the baseline leaves wait where it was instead of adding
    1."""

    def on_epoch_end(self, history, model):
        epoch = self.epoch_of(history)
        current = self.value(history)
        if not self.monitored(epoch):
            return False
        if not self.finite(current):
            self.stopped_epoch = epoch
            return True
        if self.improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.wants_weights():
                self.keep(model)
            if self.improves(current, self.baseline):
                self.wait = 0
            return False
        self.wait += 1
        if self.patience_ran_out(epoch):
            self.stopped_epoch = epoch
            return True
        return False


# ------------------------------------------------------- start_from_epoch


class IgnoresStartFromEpoch(KerasTranslation):
    """start_from_epoch is accepted and ignored."""

    def monitored(self, epoch):
        return True


class StartFromEpochOffByOne(KerasTranslation):
    """Off by one: monitors epoch start_from_epoch itself (Keras's
    `epoch < start_from_epoch` kept with epochs counted from 1)."""

    def monitored(self, epoch):
        return epoch >= self.start_from_epoch


class WaitCountsUnmonitoredEpochs(KerasTranslation):
    """The unmonitored epochs still add 1 to wait."""

    def on_epoch_end(self, history, model):
        if not self.monitored(self.epoch_of(history)):
            self.wait += 1
            return False
        return super().on_epoch_end(history, model)


# ---------------------------------------------------------- NaN and inf


class NanIgnored(KerasTranslation):
    """No check for NaN/inf: a NaN is just an epoch that does not improve
    (and -inf a new best)."""

    def finite(self, current):
        return True


class OnlyNanCaught(KerasTranslation):
    """math.isnan only: an infinite value does not stop training."""

    def finite(self, current):
        return not math.isnan(current)


class NanStopsUnmonitoredEpochs(KerasTranslation):
    """Checks NaN before start_from_epoch: a NaN in an epoch that is not
    monitored at all still stops training."""

    def on_epoch_end(self, history, model):
        epoch = self.epoch_of(history)
        if not self.finite(self.value(history)):
            self.stopped_epoch = epoch
            return True
        return super().on_epoch_end(history, model)


class NanWaitsForEpochTwo(KerasTranslation):
    """Applies "never at epoch 1" to NaN too: a NaN at epoch 1 does not
    stop training at once."""

    def on_epoch_end(self, history, model):
        epoch = self.epoch_of(history)
        if epoch == 1 and not self.finite(self.value(history)):
            return False
        return super().on_epoch_end(history, model)


# ---------------------------------------------------- restore_best_weights


class KeepsReference(KerasTranslation):
    """Keeps model.state_dict() itself, a reference that training goes on
    changing, not a copy."""

    def keep(self, model):
        self.best_weights = model.state_dict()


class ShallowCopy(KerasTranslation):
    """dict(model.state_dict()): a new dict of the same tensors, which
    training goes on changing."""

    def keep(self, model):
        self.best_weights = dict(model.state_dict())


class CopiesParameterList(KerasTranslation):
    """Keeps a list of the parameters themselves (references) and copies
    them back at the end."""

    def keep(self, model):
        self.best_weights = list(model.parameters())

    def on_train_end(self, history, model):
        if self.restore_best_weights and self.best_weights is not None:
            with torch.no_grad():
                for param, kept in zip(
                    model.parameters(), self.best_weights, strict=True
                ):
                    param.copy_(kept)


class RestoreOnlyWhenStopped(KerasTranslation):
    """tf.keras 2's bug: restores only when the callback stopped training,
    not when the run used up its epochs."""

    def on_train_end(self, history, model):
        if self.stopped_epoch > 0:
            super().on_train_end(history, model)


class RestoresInOnEpochEnd(KerasTranslation):
    """Restores in on_epoch_end when it stops, and not at on_train_end."""

    def on_epoch_end(self, history, model):
        stop = super().on_epoch_end(history, model)
        if stop and self.wants_weights() and self.best_weights is not None:
            model.load_state_dict(self.best_weights)
        return stop

    def on_train_end(self, history, model):
        pass


class RestoresWithoutBeingAsked(KerasTranslation):
    """Keeps and restores the best weights even when
    restore_best_weights=False."""

    def wants_weights(self):
        return True

    def on_train_end(self, history, model):
        if self.best_weights is not None:
            model.load_state_dict(self.best_weights)


class KeepsLastWeights(KerasTranslation):
    """Copies the weights after every monitored epoch, so the last epoch's
    are restored, not the best's."""

    def on_epoch_end(self, history, model):
        stop = super().on_epoch_end(history, model)
        if self.restore_best_weights and self.monitored(
            self.epoch_of(history)
        ):
            self.keep(model)
        return stop


class WeightsOnlyWhenBaselineBeaten(KerasTranslation):
    """Copies the weights only on an improvement that also beats the
    baseline, so they need not be the best epoch's."""

    def on_epoch_end(self, history, model):
        epoch = self.epoch_of(history)
        current = self.value(history)
        if not self.monitored(epoch):
            return False
        if not self.finite(current):
            self.stopped_epoch = epoch
            return True
        self.wait += 1
        if self.improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.improves(current, self.baseline):
                self.wait = 0
                if self.wants_weights():
                    self.keep(model)
            return False
        if self.patience_ran_out(epoch):
            self.stopped_epoch = epoch
            return True
        return False


class RestoreWithoutKeptWeights(KerasTranslation):
    """Loads the kept weights without checking there are any: crashes
    when no epoch was monitored (or the first was NaN)."""

    def on_train_end(self, history, model):
        if self.restore_best_weights:
            model.load_state_dict(self.best_weights)


class RestoreRebindsName(KerasTranslation):
    """Keeps a deep copy of the model and "restores" it by rebinding the
    local name `model`, which leaves the caller's model as it was."""

    def keep(self, model):
        self.best_weights = copy.deepcopy(model)

    def on_train_end(self, history, model):
        if self.restore_best_weights and self.best_weights is not None:
            model = self.best_weights  # noqa: F841


# --------------------------------------- starting afresh and resuming


class NoResetOnTrainBegin(KerasTranslation):
    """State set only in __init__: a second fit without load_state_dict
    carries on from the first instead of starting afresh."""

    def on_train_begin(self, model):
        self.resuming = False


class AlwaysResets(KerasTranslation):
    """on_train_begin resets everything, so a loaded state is thrown away
    and the next fit starts afresh."""

    def on_train_begin(self, model):
        self.reset()


class LoadIgnoresWait(KerasTranslation):
    """state_dict leaves out `wait`: a resumed run counts patience from
    0."""

    def state_dict(self):
        state = super().state_dict()
        del state["wait"]
        return state

    def load_state_dict(self, state):
        super().load_state_dict({**state, "wait": self.wait})


class LoadIgnoresBest(KerasTranslation):
    """state_dict leaves out `best`: a resumed run's first epoch always
    improves."""

    def state_dict(self):
        state = super().state_dict()
        del state["best"]
        return state

    def load_state_dict(self, state):
        super().load_state_dict({**state, "best": self.best})


class LoadIgnoresBestEpoch(KerasTranslation):
    """state_dict leaves out `best_epoch`: it is 0 after loading."""

    def state_dict(self):
        state = super().state_dict()
        del state["best_epoch"]
        return state

    def load_state_dict(self, state):
        super().load_state_dict({**state, "best_epoch": self.best_epoch})


class LoadIgnoresStoppedEpoch(KerasTranslation):
    """state_dict leaves out `stopped_epoch`: it is 0 after loading."""

    def state_dict(self):
        state = super().state_dict()
        del state["stopped_epoch"]
        return state

    def load_state_dict(self, state):
        super().load_state_dict({**state, "stopped_epoch": self.stopped_epoch})


class StateWithoutWeights(KerasTranslation):
    """state_dict leaves out the kept weights: a resumed run cannot
    restore the best epoch of the first part."""

    def state_dict(self):
        state = super().state_dict()
        del state["best_weights"]
        return state

    def load_state_dict(self, state):
        super().load_state_dict({**state, "best_weights": self.best_weights})


class LiveStateDict(DictState):
    """state_dict hands out the live dict (and load_state_dict keeps the
    caller's), not a copy: the saved state changes as training goes on."""

    def on_train_begin(self, model):
        if not self._loaded:
            self._state.update(self.FRESH)
        self._loaded = False

    def state_dict(self):
        return self._state

    def load_state_dict(self, state):
        self._state = state
        self._loaded = True


WRONG = [
    TieImproves,
    IgnoresMinDelta,
    MinDeltaWrongSign,
    MinDeltaRelative,
    ChangeEitherWay,
    ComparesWithPreviousEpoch,
    BestTracksAnyBetterValue,
    BestStartsAtZero,
    BestStartsAtInfinity,
    AutoAlwaysMinimises,
    IgnoresExplicitMode,
    IgnoresMonitor,
    StopsWhenWaitExceedsPatience,
    StopsAtEpochOne,
    StopChecksAfterImprovement,
    StoppedEpochNotSet,
    ZeroBasedEpochs,
    IgnoresBaseline,
    BaselineBlocksBest,
    BaselineWithoutMinDelta,
    BaselineAlwaysMinimised,
    BaselineMissLeavesWaitUnchanged,
    IgnoresStartFromEpoch,
    StartFromEpochOffByOne,
    WaitCountsUnmonitoredEpochs,
    NanIgnored,
    OnlyNanCaught,
    NanStopsUnmonitoredEpochs,
    NanWaitsForEpochTwo,
    KeepsReference,
    ShallowCopy,
    CopiesParameterList,
    RestoreOnlyWhenStopped,
    RestoresInOnEpochEnd,
    RestoresWithoutBeingAsked,
    KeepsLastWeights,
    WeightsOnlyWhenBaselineBeaten,
    RestoreWithoutKeptWeights,
    RestoreRebindsName,
    NoResetOnTrainBegin,
    AlwaysResets,
    LoadIgnoresWait,
    LoadIgnoresBest,
    LoadIgnoresBestEpoch,
    LoadIgnoresStoppedEpoch,
    StateWithoutWeights,
    LiveStateDict,
]


@pytest.mark.parametrize("answer", WRONG, ids=lambda c: c.__name__)
def test_a_wrong_early_stopping_fails(answer):
    with pytest.raises(AssertionError):
        grade(answer)
