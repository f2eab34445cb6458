"""An independent bank of learner answers to the two exercises of lesson
10 (`pick_capacity`, the one-standard-error rule, and `ScheduleCallback`,
a learning-rate schedule run by `fit`), written from the exercise spec
alone, before the checks existed, by a tester who never saw them nor the
library's reference; run through the real graded cells (visible checks
and hidden tests).

Every correct answer, in whatever style, must be accepted; every wrong
one, a mistake that learners reading the text really make (one mistake
each), must fail with an AssertionError, which carries the check's
message (any other exception would also score 0 under nbgrader; the
tests name it).

Judgements of the tester, where the spec leaves room:

* `pick_capacity` returns "the size (an element of `sizes`)": the bank's
  correct answers return it in several types (the element itself, which
  is a 0-d tensor or a numpy integer when `sizes` is one, or an `int`),
  all equal to the right size.
* The spec does not say in what precision to compute: one correct answer
  keeps torch's default float32 for a list (and the input's dtype for a
  tensor or an array), as a learner writing `torch.tensor(val_losses)`
  would; the others compute in float64.
* `ScheduleCallback(scheduler)` is built positionally in the spec; one
  correct answer names its parameter differently.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import statistics
from typing import Any

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler
from torch.optim.lr_scheduler import ReduceLROnPlateau

from gaplab import Callback
from tests.notebook_tools import grade_answer, refuse_answer

ASSIGNMENT = "10-capacity-optimisation"


# ======================================================== exercise 1
# ------------------------------------------------------ correct answers


def capacity_in_numpy(sizes, val_losses):
    """np.asarray in float64, std(ddof=1) / sqrt(n), a boolean mask, and
    the min of the sizes it keeps (a numpy integer)."""
    losses = np.asarray(val_losses, dtype=np.float64)
    n_seeds = losses.shape[1]
    means = losses.mean(axis=1)
    best = int(np.argmin(means))
    se = losses[best].std(ddof=1) / np.sqrt(n_seeds)
    keep = means <= means[best] + se
    return np.asarray(sizes)[keep].min()


def capacity_in_torch(sizes, val_losses):
    """torch.as_tensor in float64, Tensor.std (unbiased by default), a
    mask, and .item() of the smallest size kept."""
    losses = torch.as_tensor(val_losses, dtype=torch.float64)
    size_t = torch.as_tensor(sizes)
    means = losses.mean(dim=1)
    best = means.argmin()
    se = losses[best].std() / math.sqrt(losses.shape[1])
    ok = means <= means[best] + se
    return size_t[ok].min().item()


def capacity_in_torch_default_dtype(sizes, val_losses):
    """torch.std_mean on torch.as_tensor(val_losses) as given: float32
    for a list of floats, the input's dtype for a tensor or an array."""
    losses = torch.as_tensor(val_losses)
    if not losses.is_floating_point():
        losses = losses.float()
    stds, means = torch.std_mean(losses, dim=1)
    best = torch.argmin(means).item()
    se = stds[best] / losses.shape[1] ** 0.5
    qualifying = [
        int(sizes[i])
        for i in range(len(means))
        if means[i] <= means[best] + se
    ]
    return min(qualifying)


def capacity_with_statistics(sizes, val_losses):
    """Pure Python: statistics.fmean and statistics.stdev row by row; the
    element of `sizes` itself is returned."""
    rows = [[float(x) for x in row] for row in val_losses]
    means = [statistics.fmean(row) for row in rows]
    best = min(range(len(rows)), key=means.__getitem__)
    se = statistics.stdev(rows[best]) / math.sqrt(len(rows[best]))
    bound = means[best] + se
    return min(
        (sizes[i] for i in range(len(rows)) if means[i] <= bound),
        key=float,
    )


def capacity_by_loops(sizes, val_losses):
    """Plain loops over .tolist() (or the lists themselves): a running
    sum for each mean, the sum of squares over n - 1 by hand, and a
    running minimum of the qualifying sizes."""
    table = (
        val_losses.tolist()
        if hasattr(val_losses, "tolist")
        else [list(row) for row in val_losses]
    )
    size_list = sizes.tolist() if hasattr(sizes, "tolist") else list(sizes)
    n = len(table[0])
    means = []
    for row in table:
        total = 0.0
        for x in row:
            total += x
        means.append(total / n)
    best = 0
    for i in range(1, len(means)):
        if means[i] < means[best]:
            best = i
    m = means[best]
    squares = sum((x - m) ** 2 for x in table[best])
    se = math.sqrt(squares / (n - 1)) / math.sqrt(n)
    answer = None
    for size, mean in zip(size_list, means, strict=True):
        if mean <= m + se and (answer is None or size < answer):
            answer = size
    return int(answer)


def capacity_by_sorted_copy(sizes, val_losses):
    """np.array (a copy) for the statistics, then sorted() over (size,
    mean) pairs: the first pair that qualifies is the smallest size."""
    losses = np.array(val_losses, dtype=float)
    means = losses.mean(axis=1)
    best = means.argmin()
    se = np.std(losses[best], ddof=1) / np.sqrt(losses.shape[1])
    pairs = sorted(zip([int(s) for s in sizes], means, strict=True))
    for size, mean in pairs:
        if mean <= means[best] + se:
            return size
    raise AssertionError("unreachable: the best model always qualifies")


def capacity_by_argsort(sizes, val_losses):
    """np.argsort of the sizes (a stable sort), walked in order until a
    model qualifies; the numpy element is returned."""
    size_arr = np.asarray(sizes)
    losses = np.asarray(val_losses, dtype=np.float64)
    means = np.mean(losses, axis=1)
    i_best = np.argmin(means)
    se = np.std(losses[i_best], ddof=1) / math.sqrt(losses.shape[1])
    threshold = means[i_best] + se
    for i in np.argsort(size_arr, kind="stable"):
        if means[i] <= threshold:
            return size_arr[i]
    return size_arr[i_best]


def capacity_with_scipy_sem(sizes, val_losses):
    """scipy.stats.sem (ddof=1 by default) for the standard error, and a
    generator over zip(sizes, means) into min()."""
    from scipy import stats

    losses = np.asarray(val_losses, dtype=float)
    means = losses.mean(axis=1)
    best = np.argmin(means)
    bound = means[best] + stats.sem(losses[best])
    return min(
        size for size, mean in zip(sizes, means, strict=True) if mean <= bound
    )


def capacity_by_variance(sizes, val_losses):
    """torch.var(correction=1) and sqrt(var / n), the same number as
    std / sqrt(n); the candidates found with torch.nonzero."""
    losses = torch.as_tensor(val_losses).double()
    size_t = torch.as_tensor(sizes)
    means = losses.mean(1)
    best = int(torch.argmin(means))
    n = losses.size(1)
    se = torch.sqrt(torch.var(losses[best], correction=1) / n)
    idx = torch.nonzero(means <= means[best] + se).flatten()
    return int(size_t[idx].min())


CORRECT_PICKS = [
    capacity_in_numpy,
    capacity_in_torch,
    capacity_in_torch_default_dtype,
    capacity_with_statistics,
    capacity_by_loops,
    capacity_by_sorted_copy,
    capacity_by_argsort,
    capacity_with_scipy_sem,
    capacity_by_variance,
]


@pytest.mark.parametrize("answer", CORRECT_PICKS, ids=lambda f: f.__name__)
def test_a_correct_pick_capacity_passes(answer):
    grade_answer(ASSIGNMENT, "pick_capacity_tests", "pick_capacity", answer)


# -------------------------------------------------------- wrong answers


def _losses(val_losses) -> np.ndarray:
    """The losses as a float64 numpy table (shared by the wrong answers
    that do not go wrong there)."""
    return np.asarray(val_losses, dtype=np.float64)


def _se(row: np.ndarray) -> float:
    """The spec's standard error of one model's losses."""
    return row.std(ddof=1) / np.sqrt(len(row))


def _smallest_within(sizes, means, bound):
    """The spec's step 3: the smallest size whose mean is <= bound."""
    return np.asarray(sizes)[means <= bound].min()


def argmin_of_the_mean(sizes, val_losses):
    """No rule at all: the size of the model with the lowest mean."""
    means = _losses(val_losses).mean(axis=1)
    return np.asarray(sizes)[np.argmin(means)]


def population_std(sizes, val_losses):
    """np.std's default ddof=0: divides by n, not n - 1."""
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    best = np.argmin(means)
    se = losses[best].std() / np.sqrt(losses.shape[1])
    return _smallest_within(sizes, means, means[best] + se)


def std_not_standard_error(sizes, val_losses):
    """One standard deviation, never divided by sqrt(n)."""
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    best = np.argmin(means)
    sd = losses[best].std(ddof=1)
    return _smallest_within(sizes, means, means[best] + sd)


def each_models_own_se(sizes, val_losses):
    """Each model is judged with its own standard error: mean_i <=
    best_mean + se_i, not the best model's se."""
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    ses = losses.std(axis=1, ddof=1) / np.sqrt(losses.shape[1])
    return _smallest_within(sizes, means, means.min() + ses)


def pooled_se(sizes, val_losses):
    """The std of all the losses pooled (every model, every seed) over
    sqrt(seeds), not the best model's alone."""
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    se = losses.std(ddof=1) / np.sqrt(losses.shape[1])
    return _smallest_within(sizes, means, means.min() + se)


def largest_within(sizes, val_losses):
    """The largest size within one standard error, not the smallest."""
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    best = np.argmin(means)
    keep = means <= means[best] + _se(losses[best])
    return np.asarray(sizes)[keep].max()


def returns_the_index(sizes, val_losses):
    """The position of the smallest qualifying model, not its size."""
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    best = np.argmin(means)
    keep = np.flatnonzero(means <= means[best] + _se(losses[best]))
    size_arr = np.asarray(sizes)
    return int(keep[np.argmin(size_arr[keep])])


def assumes_sorted_sizes(sizes, val_losses):
    """Takes sizes to be sorted: the first qualifying model in the order
    given."""
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    best = np.argmin(means)
    bound = means[best] + _se(losses[best])
    for size, mean in zip(sizes, means, strict=True):
        if mean <= bound:
            return size
    return None


def min_over_seeds(sizes, val_losses):
    """Each model's best seed (min over seeds) instead of its mean."""
    losses = _losses(val_losses)
    scores = losses.min(axis=1)
    best = np.argmin(scores)
    return _smallest_within(sizes, scores, scores[best] + _se(losses[best]))


def median_over_seeds(sizes, val_losses):
    """The median over seeds instead of the mean."""
    losses = _losses(val_losses)
    scores = np.median(losses, axis=1)
    best = np.argmin(scores)
    return _smallest_within(sizes, scores, scores[best] + _se(losses[best]))


def means_over_models(sizes, val_losses):
    """Axis mix-up: rows read as seeds and columns as models, so it
    averages over the models (axis 0) and takes the best 'model' among
    the columns; zip pairs the sizes with those means."""
    losses = _losses(val_losses)
    means = losses.mean(axis=0)
    best = np.argmin(means)
    se = losses[:, best].std(ddof=1) / np.sqrt(losses.shape[0])
    kept = [
        s for s, m in zip(sizes, means, strict=False) if m <= means[best] + se
    ]
    return min(kept)


def strict_less_than(sizes, val_losses):
    """`<` instead of `<=`: a model exactly one standard error away is
    left out (the best still qualifies, se > 0 or not)."""
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    best = np.argmin(means)
    keep = means < means[best] + _se(losses[best])
    keep[best] = True
    return np.asarray(sizes)[keep].min()


def divides_by_n(sizes, val_losses):
    """The std divided by the number of seeds, not its square root."""
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    best = np.argmin(means)
    se = losses[best].std(ddof=1) / losses.shape[1]
    return _smallest_within(sizes, means, means[best] + se)


def divides_by_sqrt_n_minus_1(sizes, val_losses):
    """The sample std over sqrt(n - 1) instead of sqrt(n)."""
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    best = np.argmin(means)
    se = losses[best].std(ddof=1) / np.sqrt(losses.shape[1] - 1)
    return _smallest_within(sizes, means, means[best] + se)


def variance_not_std(sizes, val_losses):
    """The variance over sqrt(n): the square root is forgotten."""
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    best = np.argmin(means)
    se = losses[best].var(ddof=1) / np.sqrt(losses.shape[1])
    return _smallest_within(sizes, means, means[best] + se)


def se_of_the_smallest_model(sizes, val_losses):
    """The standard error of the smallest model's losses, not the best
    model's."""
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    smallest = np.argmin(np.asarray(sizes))
    se = _se(losses[smallest])
    return _smallest_within(sizes, means, means.min() + se)


def sorts_the_inputs_in_place(sizes, val_losses):
    """Right answer, but it sorts `sizes` and `val_losses` in place (the
    rows kept with their sizes) and returns the first that qualifies."""
    order = sorted(range(len(sizes)), key=lambda i: float(sizes[i]))
    for x in (sizes, val_losses):
        if isinstance(x, list):
            x[:] = [x[i] for i in order]
        else:
            x[:] = x[order]
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    best = np.argmin(means)
    bound = means[best] + _se(losses[best])
    for i in range(len(sizes)):
        if means[i] <= bound:
            return sizes[i]
    return None


def sorts_sizes_not_losses(sizes, val_losses):
    """sorted(sizes), then zip with the means in the given order: the
    losses no longer belong to their sizes."""
    losses = _losses(val_losses)
    means = losses.mean(axis=1)
    best = np.argmin(means)
    bound = means[best] + _se(losses[best])
    for size, mean in zip(sorted(sizes), means, strict=True):
        if mean <= bound:
            return size
    return None


WRONG_PICKS = [
    argmin_of_the_mean,
    population_std,
    std_not_standard_error,
    each_models_own_se,
    pooled_se,
    largest_within,
    returns_the_index,
    assumes_sorted_sizes,
    min_over_seeds,
    median_over_seeds,
    means_over_models,
    strict_less_than,
    divides_by_n,
    divides_by_sqrt_n_minus_1,
    variance_not_std,
    se_of_the_smallest_model,
    sorts_the_inputs_in_place,
    sorts_sizes_not_losses,
]


@pytest.mark.parametrize("answer", WRONG_PICKS, ids=lambda f: f.__name__)
def test_a_wrong_pick_capacity_fails(answer):
    refuse_answer(ASSIGNMENT, "pick_capacity_tests", "pick_capacity", answer)


# ======================================================== exercise 2
# ------------------------------------------------------ correct answers


class PlateauByIsinstance(Callback):
    """isinstance on ReduceLROnPlateau; small methods, so that each wrong
    answer below changes one of them."""

    def __init__(self, scheduler):
        self.scheduler = scheduler

    def is_plateau(self) -> bool:
        return isinstance(self.scheduler, ReduceLROnPlateau)

    def watched(self, history) -> float:
        return history.val_loss[-1]

    def step(self, history) -> None:
        if self.is_plateau():
            self.scheduler.step(self.watched(history))
        else:
            self.scheduler.step()

    def on_epoch_end(self, history, model):
        self.step(history)
        return False


class PlateauBySignature(Callback):
    """Duck typing: inspect.signature of the bound step; a step that
    takes `metrics` is given the validation loss. super().__init__() is
    called and the scheduler kept under a private name."""

    def __init__(self, scheduler):
        super().__init__()
        self._sched = scheduler
        params = inspect.signature(scheduler.step).parameters
        self._wants_metric = "metrics" in params

    def on_train_begin(self, model):
        pass

    def on_epoch_end(self, history, model):
        if self._wants_metric:
            self._sched.step(history.val_loss[-1])
        else:
            self._sched.step()
        return False

    def on_train_end(self, history, model):
        pass


class PlateauByTryExcept(Callback):
    """try step(); a ReduceLROnPlateau refuses it with a TypeError before
    changing anything, and is then given the validation loss."""

    def __init__(self, scheduler):
        self.sched = scheduler

    def on_epoch_end(self, history, model):
        try:
            self.sched.step()
        except TypeError:
            self.sched.step(history.val_loss[-1])
        return False


class PlateauByAttribute(Callback):
    """Duck typing on an attribute only a plateau scheduler has
    (num_bad_epochs); the value passed through float()."""

    def __init__(self, scheduler):
        super().__init__()
        self.lr_scheduler = scheduler

    def on_epoch_end(self, history, model):
        if hasattr(self.lr_scheduler, "num_bad_epochs"):
            self.lr_scheduler.step(float(history.val_loss[-1]))
        else:
            self.lr_scheduler.step()
        return False


@dataclasses.dataclass
class PlateauAsDataclass(Callback):
    """A dataclass with one field; the module's name for the class
    (lr_scheduler.ReduceLROnPlateau) and the keyword `metrics=`."""

    scheduler: Any

    def on_epoch_end(self, history, model):
        if isinstance(self.scheduler, lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(metrics=history.val_loss[-1])
        else:
            self.scheduler.step()
        return False


class PlateauFromHistoryAt(Callback):
    """The validation loss read with history.at(last epoch); the hooks
    at the beginning and the end call the base class's; on_epoch_end
    returns the base class's False; the plateau recognised by the name
    of a class in its MRO."""

    def __init__(self, lr_schedule):
        self.schedule = lr_schedule
        self.plateau = any(
            kind.__name__ == "ReduceLROnPlateau"
            for kind in type(lr_schedule).__mro__
        )

    def on_train_begin(self, model):
        super().on_train_begin(model)

    def on_epoch_end(self, history, model):
        if self.plateau:
            last = history.at(history.epoch[-1])
            self.schedule.step(last["val_loss"])
        else:
            self.schedule.step()
        return super().on_epoch_end(history, model)

    def on_train_end(self, history, model):
        super().on_train_end(history, model)


class PlateauWithStepCounter(Callback):
    """Keeps a count of the steps and the rates it saw (harmless extra
    state); `stop = False` returned at the end."""

    def __init__(self, scheduler):
        super().__init__()
        self.scheduler = scheduler
        self.steps = 0
        self.rates = []

    def on_epoch_end(self, history, model):
        stop = False
        if isinstance(self.scheduler, ReduceLROnPlateau):
            val = history.val_loss[len(history.val_loss) - 1]
            self.scheduler.step(val)
        else:
            self.scheduler.step()
        self.steps += 1
        self.rates.append(self.scheduler.optimizer.param_groups[0]["lr"])
        return stop


CORRECT_CALLBACKS = [
    PlateauByIsinstance,
    PlateauBySignature,
    PlateauByTryExcept,
    PlateauByAttribute,
    PlateauAsDataclass,
    PlateauFromHistoryAt,
    PlateauWithStepCounter,
]


def grade_callback(answer: type) -> None:
    """Run the graded cell with `answer` as the learner's
    ScheduleCallback."""
    grade_answer(
        ASSIGNMENT, "ScheduleCallback_tests", "ScheduleCallback", answer
    )


@pytest.mark.parametrize("answer", CORRECT_CALLBACKS, ids=lambda c: c.__name__)
def test_a_correct_schedule_callback_passes(answer):
    grade_callback(answer)


# -------------------------------------------------------- wrong answers


class StepsInTrainBeginToo(PlateauByIsinstance):
    """Also steps a (non-plateau) scheduler once in on_train_begin, "to
    start it": the first epoch does not train at the initial rate."""

    def on_train_begin(self, model):
        if not self.is_plateau():
            self.scheduler.step()


class StepsTwicePerEpoch(PlateauByIsinstance):
    """Steps twice in each on_epoch_end (once "after training", once
    "after validation")."""

    def on_epoch_end(self, history, model):
        self.step(history)
        self.step(history)
        return False


class StepsInTrainEndToo(PlateauByIsinstance):
    """Steps once more in on_train_end: the optimiser ends a step ahead
    of the epochs trained."""

    def on_train_end(self, history, model):
        self.step(history)


class PlateauGetsTrainLoss(PlateauByIsinstance):
    """The plateau watches the training loss, not the validation loss."""

    def watched(self, history):
        return history.train_loss[-1]


class PlateauGetsRunningTrainLoss(PlateauByIsinstance):
    """The plateau watches the running training loss (the figure most
    frameworks print), not the validation loss."""

    def watched(self, history):
        return history.running_train_loss[-1]


class PlateauGetsValAccuracy(PlateauByIsinstance):
    """The plateau watches the validation accuracy."""

    def watched(self, history):
        return history.val_acc[-1]


class PlateauGetsBestValLoss(PlateauByIsinstance):
    """The plateau is given the best validation loss so far,
    min(history.val_loss), not the epoch's."""

    def watched(self, history):
        return min(history.val_loss)


class PlateauGetsFirstValLoss(PlateauByIsinstance):
    """history.val_loss[0] (the first epoch's) instead of [-1]."""

    def watched(self, history):
        return history.val_loss[0]


class EverySchedulerGetsValLoss(PlateauByIsinstance):
    """Every scheduler is stepped with the validation loss (a StepLR
    takes it as its deprecated `epoch` argument)."""

    def step(self, history):
        self.scheduler.step(history.val_loss[-1])


class PlateauSteppedWithoutValue(PlateauByIsinstance):
    """Every scheduler, the plateau too, is stepped with no argument."""

    def step(self, history):
        self.scheduler.step()


class OnlyThePlateauIsStepped(PlateauByIsinstance):
    """Forgets the else: only a ReduceLROnPlateau is ever stepped."""

    def step(self, history):
        if self.is_plateau():
            self.scheduler.step(self.watched(history))


class ReturnsTrue(PlateauByIsinstance):
    """on_epoch_end returns True ("done"), which stops training."""

    def on_epoch_end(self, history, model):
        self.step(history)
        return True


class StepsEveryOtherEpoch(PlateauByIsinstance):
    """Steps only on even epochs."""

    def on_epoch_end(self, history, model):
        if history.epoch[-1] % 2 == 0:
            self.step(history)
        return False


class HandRolledPlateauKerasCount(PlateauByIsinstance):
    """A hand-rolled ReduceLROnPlateau, torch's algorithm read from the
    scheduler's settings, but cutting when the bad epochs reach the
    patience (Keras's count, after p bad epochs) instead of exceeding it
    (after p + 1)."""

    def __init__(self, scheduler):
        super().__init__(scheduler)
        mode = getattr(scheduler, "mode", "min")
        self.best = math.inf if mode == "min" else -math.inf
        self.bad = 0
        self.cooldown_left = 0

    def better(self, current):
        s = self.scheduler
        rel = s.threshold_mode == "rel"
        if s.mode == "min":
            edge = (
                self.best * (1 - s.threshold)
                if rel
                else self.best - s.threshold
            )
            return current < edge
        edge = (
            self.best * (1 + s.threshold) if rel else self.best + s.threshold
        )
        return current > edge

    def step(self, history):
        if not self.is_plateau():
            self.scheduler.step()
            return
        s = self.scheduler
        current = float(history.val_loss[-1])
        if self.better(current):
            self.best = current
            self.bad = 0
        else:
            self.bad += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad = 0
        if self.bad >= s.patience:
            for group, floor in zip(
                s.optimizer.param_groups, s.min_lrs, strict=True
            ):
                new = max(group["lr"] * s.factor, floor)
                if group["lr"] - new > s.eps:
                    group["lr"] = new
            self.cooldown_left = s.cooldown
            self.bad = 0


class SetsLrByHandFromGetLr(PlateauByIsinstance):
    """Never steps a non-plateau scheduler: it writes the scheduler's
    get_lr() into the optimiser's groups by hand, so the scheduler's
    epoch count never moves."""

    def step(self, history):
        if self.is_plateau():
            self.scheduler.step(self.watched(history))
            return
        rates = self.scheduler.get_lr()
        for group, rate in zip(
            self.scheduler.optimizer.param_groups, rates, strict=True
        ):
            group["lr"] = rate


class BuildsItsOwnScheduler(PlateauByIsinstance):
    """Ignores the scheduler given and builds one from the docs' example,
    StepLR(step_size=30, gamma=0.1), on its optimiser."""

    def __init__(self, scheduler):
        super().__init__(
            lr_scheduler.StepLR(scheduler.optimizer, step_size=30, gamma=0.1)
        )


WRONG_CALLBACKS = [
    StepsInTrainBeginToo,
    StepsTwicePerEpoch,
    StepsInTrainEndToo,
    PlateauGetsTrainLoss,
    PlateauGetsRunningTrainLoss,
    PlateauGetsValAccuracy,
    PlateauGetsBestValLoss,
    PlateauGetsFirstValLoss,
    EverySchedulerGetsValLoss,
    PlateauSteppedWithoutValue,
    OnlyThePlateauIsStepped,
    ReturnsTrue,
    StepsEveryOtherEpoch,
    HandRolledPlateauKerasCount,
    SetsLrByHandFromGetLr,
    BuildsItsOwnScheduler,
]


@pytest.mark.parametrize("answer", WRONG_CALLBACKS, ids=lambda c: c.__name__)
def test_a_wrong_schedule_callback_fails(answer):
    refuse_answer(
        ASSIGNMENT, "ScheduleCallback_tests", "ScheduleCallback", answer
    )
