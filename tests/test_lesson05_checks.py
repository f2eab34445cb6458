"""The graded cell of lesson 05 (visible checks and hidden tests), run as
nbgrader runs it: correct alternatives to the solution's EarlyStopping
must pass, and plausible mistakes must fail with a message that names
them. tests/test_lesson05_bank.py holds an independent bank of answers
written from the exercise text alone; the answers here are the ones the
checks' messages were written for."""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any

import pytest
import torch
from torch import nn

from gaplab.checks.early_stopping import (
    VISIBLE_CASES,
    Case,
    check_cases,
    check_early_stopping,
    expected_run,
    run_case,
    weights_epoch,
)
from gaplab.remedies import EarlyStopping as Reference
from gaplab.training import Callback, History
from tests.notebook_tools import grade_answer, namespace_before

ASSIGNMENT = "05-early-stopping"


def grade(answer: Any) -> None:
    """Run the graded cell with `answer` as the learner's EarlyStopping."""
    grade_answer(ASSIGNMENT, "EarlyStopping_tests", "EarlyStopping", answer)


class Keras(Callback):
    """Keras 3's rules, written out; each hook is one place where the
    wrong answers below go wrong."""

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
        self.monitor, self.mode = monitor, mode
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.pending = None
        self.reset()

    def reset(self):
        self.wait, self.best, self.best_epoch, self.stopped_epoch = (
            0,
            None,
            0,
            0,
        )
        self.kept = None

    def improves(self, value, reference):
        if reference is None:
            return True
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def keep(self, model):
        self.kept = copy.deepcopy(model.state_dict())

    def out_of_patience(self, epoch):
        return self.wait >= self.patience and epoch > 1

    def on_train_begin(self, model):
        if self.pending is None:
            self.reset()
        else:
            self.__dict__.update(self.pending)
            self.pending = None

    def on_epoch_end(self, history, model):
        epoch = history.epoch[-1]
        value = getattr(history, self.monitor)[-1]
        if epoch <= self.start_from_epoch:
            return False
        if not math.isfinite(value):
            self.stopped_epoch = epoch
            return True
        self.wait += 1
        if self.improves(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.keep(model)
            if self.improves(value, self.baseline):
                self.wait = 0
            return False
        if self.out_of_patience(epoch):
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, history, model):
        if self.restore_best_weights and self.kept is not None:
            model.load_state_dict(self.kept)

    def state_dict(self):
        names = ("wait", "best", "best_epoch", "stopped_epoch", "kept")
        return {name: getattr(self, name) for name in names}

    def load_state_dict(self, state):
        self.pending = dict(state)


# ------------------------------------------------- correct alternatives


class LightningCounter(Keras):
    """wait grows only on an epoch that does not improve (Lightning's
    wait_count), or on one that improves without beating the baseline;
    the best starts at +-inf instead of "none"."""

    def reset(self):
        super().reset()
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, history, model):
        epoch = history.epoch[-1]
        value = getattr(history, self.monitor)[-1]
        if epoch <= self.start_from_epoch:
            return False
        if not math.isfinite(value):
            self.stopped_epoch = epoch
            return True
        if self.improves(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.keep(model)
            beats = self.improves(value, self.baseline)
            self.wait = 0 if beats else self.wait + 1
            return False
        self.wait += 1
        if self.out_of_patience(epoch):
            self.stopped_epoch = epoch
            return True
        return False


class TorchArithmetic(Keras):
    """Gains computed in float32 tensors; the best kept as a tensor."""

    def improves(self, value, reference):
        if reference is None:
            return True
        sign = 1.0 if self.mode == "min" else -1.0
        gain = sign * (
            torch.as_tensor(reference, dtype=torch.float32)
            - torch.as_tensor(value, dtype=torch.float32)
        )
        return bool(gain > self.min_delta)

    def on_epoch_end(self, history, model):
        stop = super().on_epoch_end(history, model)
        if self.best is not None and not torch.is_tensor(self.best):
            self.best = torch.tensor(self.best, dtype=torch.float64)
        return stop


class ModelCopy(Keras):
    """Keeps a deep copy of the whole model, and restores from it."""

    def keep(self, model):
        self.kept = copy.deepcopy(model)

    def on_train_end(self, history, model):
        if self.restore_best_weights and self.kept is not None:
            model.load_state_dict(self.kept.state_dict())


class ClonedTensors(Keras):
    """Keeps a dict of detached clones."""

    def keep(self, model):
        self.kept = {
            k: v.detach().clone() for k, v in model.state_dict().items()
        }


class Flagged(Keras):
    """load_state_dict sets the attributes at once and a flag that the
    next on_train_begin consumes (the solution's way)."""

    def load_state_dict(self, state):
        self.__dict__.update(state)
        self.resuming = True

    def on_train_begin(self, model):
        if not getattr(self, "resuming", False):
            self.reset()
        self.resuming = False


CORRECT = [
    Keras,
    LightningCounter,
    TorchArithmetic,
    ModelCopy,
    ClonedTensors,
    Flagged,
]


@pytest.mark.parametrize("answer", CORRECT, ids=lambda c: c.__name__)
def test_a_correct_answer_passes(answer):
    grade(answer)


def test_the_solution_passes():
    grade(namespace_before(ASSIGNMENT, "EarlyStopping_tests")["EarlyStopping"])


# ------------------------------------------------------ plausible mistakes


class WaitAbovePatience(Keras):
    def out_of_patience(self, epoch):
        return self.wait > self.patience and epoch > 1


class EqualImproves(Keras):
    def improves(self, value, reference):
        if reference is None:
            return True
        if self.mode == "min":
            return value <= reference - self.min_delta
        return value >= reference + self.min_delta


class TieImproves(Keras):
    def improves(self, value, reference):
        if reference is None:
            return True
        gain = reference - value if self.mode == "min" else value - reference
        return gain > 0 and gain >= self.min_delta


class NoMinDelta(Keras):
    def improves(self, value, reference):
        self.min_delta = 0.0
        return super().improves(value, reference)


class AlwaysMinimises(Keras):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mode = "min"


class NameDecides(Keras):
    def __init__(self, monitor="val_loss", mode="auto", **kwargs):
        super().__init__(monitor, "auto", **kwargs)


class ReadsValLoss(Keras):
    def __init__(self, monitor="val_loss", mode="auto", **kwargs):
        super().__init__(monitor, mode, **kwargs)
        self.monitor = "val_loss"


class NoResetOnImprovement(Keras):
    def on_epoch_end(self, history, model):
        wait = self.wait
        stop = super().on_epoch_end(history, model)
        if self.best_epoch == history.epoch[-1]:
            self.wait = wait + 1
        return stop


class IgnoresBaseline(Keras):
    def __init__(self, *args, baseline=None, **kwargs):
        super().__init__(*args, **kwargs)


class BaselineBlocksBest(Keras):
    def on_epoch_end(self, history, model):
        best, best_epoch = self.best, self.best_epoch
        stop = super().on_epoch_end(history, model)
        value = getattr(history, self.monitor)[-1]
        if self.best_epoch != best_epoch and not self.improves(
            value, self.baseline
        ):
            self.best, self.best_epoch = best, best_epoch
        return stop


class WarmUpOffByOne(Keras):
    def on_epoch_end(self, history, model):
        if history.epoch[-1] == self.start_from_epoch:
            self.start_from_epoch -= 1
            try:
                return super().on_epoch_end(history, model)
            finally:
                self.start_from_epoch += 1
        return super().on_epoch_end(history, model)


class NoFiniteCheck(Keras):
    """A NaN is just an epoch that does not improve."""

    def on_epoch_end(self, history, model):
        epoch = history.epoch[-1]
        value = getattr(history, self.monitor)[-1]
        if math.isfinite(value) or epoch <= self.start_from_epoch:
            return super().on_epoch_end(history, model)
        self.wait += 1
        if self.out_of_patience(epoch):
            self.stopped_epoch = epoch
            return True
        return False


class StopsAtEpochOne(Keras):
    def out_of_patience(self, epoch):
        return self.wait >= self.patience


class StopsWhileImproving(Keras):
    def on_epoch_end(self, history, model):
        stop = super().on_epoch_end(history, model)
        epoch = history.epoch[-1]
        if (
            not stop
            and self.best_epoch == epoch
            and self.out_of_patience(epoch)
        ):
            self.stopped_epoch = epoch
            return True
        return stop


class FromZero(Keras):
    def on_epoch_end(self, history, model):
        stop = super().on_epoch_end(history, model)
        if stop:
            self.stopped_epoch -= 1
        return stop


class KeepsReference(Keras):
    def keep(self, model):
        self.kept = model.state_dict()


class ShallowCopy(Keras):
    def keep(self, model):
        self.kept = dict(model.state_dict())


class RestoresOnlyWhenStopped(Keras):
    def on_train_end(self, history, model):
        if self.stopped_epoch:
            super().on_train_end(history, model)


class NeverRestores(Keras):
    def on_train_end(self, history, model):
        pass


class RestoresUnasked(Keras):
    def on_epoch_end(self, history, model):
        asked = self.restore_best_weights
        self.restore_best_weights = True
        try:
            return super().on_epoch_end(history, model)
        finally:
            self.restore_best_weights = asked

    def on_train_end(self, history, model):
        if self.kept is not None:
            model.load_state_dict(self.kept)


class ParametersOnly(Keras):
    """Copies the parameters but not the buffers: only the hidden tests'
    batch norm model shows it."""

    def keep(self, model):
        self.kept = {
            name: p.detach().clone() for name, p in model.named_parameters()
        }

    def on_train_end(self, history, model):
        if self.restore_best_weights and self.kept is not None:
            model.load_state_dict(self.kept, strict=False)


class AlwaysResets(Keras):
    def on_train_begin(self, model):
        self.pending = None
        self.reset()


class NeverResets(Keras):
    def on_train_begin(self, model):
        if self.pending is not None:
            self.__dict__.update(self.pending)
            self.pending = None


class StateWithoutWeights(Keras):
    def state_dict(self):
        state = super().state_dict()
        del state["kept"]
        return state


class LiveState(Keras):
    """state_dict returns one dict that it keeps up to date."""

    def state_dict(self):
        if not hasattr(self, "live"):
            self.live = {}
        self.live.update(super().state_dict())
        return self.live

    def on_epoch_end(self, history, model):
        stop = super().on_epoch_end(history, model)
        if hasattr(self, "live"):
            self.live.update(super().state_dict())
        return stop


WRONG = [
    (WaitAbovePatience, "not wait > patience"),
    (EqualImproves, "a value equal to the best is no improvement"),
    (TieImproves, "a tie is no improvement"),
    (NoMinDelta, "an improvement must exceed min_delta"),
    (AlwaysMinimises, "HIGHER values are better"),
    (NameDecides, "'min' and 'max' override the name"),
    (ReadsValLoss, "read the list that monitor names"),
    (NoResetOnImprovement, "an improvement resets wait to 0"),
    (IgnoresBaseline, "wait is reset only by an improvement that also"),
    (BaselineBlocksBest, "the baseline only decides whether wait is reset"),
    (WarmUpOffByOne, "are not monitored at all"),
    (NoFiniteCheck, "test math.isfinite"),
    (StopsAtEpochOne, "never stop at epoch 1"),
    (StopsWhileImproving, "an epoch that improves on the best never stops"),
    (FromZero, "from 1"),
    (KeepsReference, "kept by reference"),
    (ShallowCopy, "kept by reference"),
    (RestoresOnlyWhenStopped, "whether or not the callback stopped"),
    (NeverRestores, "restore in on_train_end"),
    (RestoresUnasked, "restore_best_weights=False"),
    (AlwaysResets, "instead of starting afresh"),
    (NeverResets, "must start afresh in the next fit"),
    (StateWithoutWeights, "the state must carry the kept weights"),
    (LiveState, "when its state was saved"),
]


@pytest.mark.parametrize(
    ("answer", "message"), WRONG, ids=[a.__name__ for a, _ in WRONG]
)
def test_a_mistake_fails_with_its_hint(answer, message):
    with pytest.raises(AssertionError, match=message):
        check_early_stopping(answer)
    with pytest.raises(AssertionError):
        grade(answer)


def test_hidden_tests_catch_a_restore_that_forgets_the_buffers():
    check_early_stopping(ParametersOnly)
    with pytest.raises(AssertionError, match="a mix of the weights"):
        grade(ParametersOnly)


# ------------------------------------------------------------- the check


def test_the_reference_agrees_with_every_visible_case():
    check_cases(Reference, VISIBLE_CASES)
    for case in VISIBLE_CASES:
        assert run_case(Reference, case).steps == expected_run(case).steps


def test_a_failure_names_the_case_the_epoch_and_both_states():
    with pytest.raises(AssertionError) as error:
        check_early_stopping(WaitAbovePatience)
    text = str(error.value)
    assert "on a plateau" in text
    assert "after epoch 6" in text
    assert "expected stop=True, wait=3" in text
    assert "got      stop=False, wait=3" in text


class Warns(Keras):
    def on_epoch_end(self, history, model):
        warnings.warn("epoch seen", UserWarning, stacklevel=1)
        return super().on_epoch_end(history, model)


def test_warnings_go_to_stdout_not_stderr(capsys):
    check_early_stopping(Warns)
    printed = capsys.readouterr()
    assert "UserWarning: epoch seen" in printed.out
    assert printed.err == ""


class WarnsAndFails(Warns, WaitAbovePatience):
    pass


def test_warnings_are_reported_with_a_failure():
    with pytest.raises(AssertionError, match="UserWarning: epoch seen"):
        check_early_stopping(WarnsAndFails)


class Raises(Keras):
    def on_epoch_end(self, history, model):
        raise KeyError("val_loss")


def test_an_error_in_the_answer_names_the_method_and_the_case():
    with pytest.raises(
        AssertionError,
        match=r"on_epoch_end\(history, model\) "
        r"at epoch 1 raised KeyError",
    ):
        check_early_stopping(Raises)


def test_a_blank_answer_raises_not_implemented():
    class Blank(Callback):
        def __init__(self, **kwargs):
            raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check_early_stopping(Blank)


def test_the_weights_say_which_epoch_they_are_from():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    case = Case("a check of the probe", (1.0, 0.5, 0.75), {"patience": 5})
    run = run_case(Reference, case, model=lambda: model)
    assert run.weights == 3
    with torch.no_grad():
        model[0].weight[0, 0] = 7.0
    assert weights_epoch(model) is None


def test_the_history_is_what_fit_would_hold():
    seen = []

    class Spy(Keras):
        def on_epoch_end(self, history: History, model):
            seen.append((list(history.epoch), list(history.val_acc)))
            return super().on_epoch_end(history, model)

    case = Case(
        "a spy", (0.5, 0.25, 0.75), {"monitor": "val_acc", "patience": 5}
    )
    run_case(Spy, case)
    assert seen[-1][0] == [1, 2, 3]
    assert seen[-1][1] == [0.5, 0.25, 0.75]
