"""Reading a training run from its curves: the reference `diagnose` of
lesson 04, the recorded curve bank it is measured on, and a policy for
the runs to keep.

`diagnose` names the pattern of a `History` (healthy, overfitting, ...)
and measures the numbers a practitioner asks for: the onset epoch of
overfitting, the final gap and how fast the gap is growing. Its rules are
heuristics built on the course's definitions of fitted, overfitting and
underfitting (gaplab.verdict), so lesson 03 and lesson 04 agree on every
run. The thresholds on the training loss (SPIKE, FALLING and the verdict's
FITTED_FRACTION) are fractions of the first epoch's training loss and do
not depend on the scale of the loss; BELOW is a fraction of the running
training loss; MIN_DELTA and ACC_TOLERANCE are absolute.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gaplab.data import bundled_json
from gaplab.experiments import RunConfig
from gaplab.training import History
from gaplab.verdict import MIN_DELTA, fitted, val_loss_rise

PATTERNS = (
    "healthy",
    "overfitting",
    "underfitting",
    "lr_too_high",
    "lr_too_low",
    "val_below_running_train",
    "loss_acc_disagree",
)
# Column headers for confusion tables, in the order of PATTERNS.
SHORT_NAMES = (
    "healthy",
    "overfit",
    "underfit",
    "lr_high",
    "lr_low",
    "val<running",
    "disagree",
)
# The verdict of gaplab.verdict that each pattern about the fit implies.
# lr_too_high and val_below_running_train name a cause or a way of
# measuring, not a fit: their runs can have any verdict.
VERDICT_OF_PATTERN = {
    "healthy": "good fit",
    "overfitting": "overfitting",
    "loss_acc_disagree": "overfitting",
    "underfitting": "underfitting",
    "lr_too_low": "underfitting",
}
CURVE_BANK_FILE = "curve_bank.json"
BANK_SPLITS = ("shown", "heldout")

# Slopes and averages are taken over the last WINDOW epochs.
WINDOW = 5
# SPIKE and FALLING are fractions of the first epoch's training loss.
# Unstable: the training loss climbs this far above its best so far.
SPIKE = 0.1
# Still falling: the training loss drops by more than this per epoch.
FALLING = 0.003
# Validation below the running training loss: by this fraction of the
# running loss, on average over the last WINDOW epochs.
BELOW = 0.1
# Accuracy "holds" if it fell by at most this much (1 percentage point).
ACC_TOLERANCE = 0.01


@dataclass(frozen=True)
class Diagnosis:
    """What `diagnose` reads from a run's curves.

    `onset_epoch` is the epoch of minimum validation loss (with a
    min_delta); `final_gap` is validation minus training loss at the last
    epoch; `gap_growth` is the least-squares slope of the gap over the
    last epochs, in loss per epoch; `loss_acc_disagree` says whether the
    validation loss rose after the onset while the validation accuracy
    held. A diverged run's numbers can be inf or nan.
    """

    pattern: str
    onset_epoch: int
    final_gap: float
    gap_growth: float
    loss_acc_disagree: bool


@dataclass(frozen=True)
class BankEntry:
    """One recorded run of the curve bank, with its label and origin."""

    id: str
    label: str
    variant: str
    description: str
    seed: int
    config: RunConfig
    split: str
    history: History


def check_history(history: History, window: int = WINDOW) -> None:
    """Reject a history that cannot be diagnosed, saying what is wrong.

    A diagnosis needs at least `window` epochs, and every per-epoch list
    it reads must have one entry per epoch. Accuracy lists may be empty
    (a regression run). Losses may be inf or nan: that is divergence,
    which `diagnose` reports, not an input error.
    """
    if not isinstance(history, History):
        raise TypeError(
            f"expected a gaplab History, got {type(history).__name__}: "
            "pass what fit returns, or History.from_dict(record)"
        )
    n = len(history.epoch)
    if n == 0:
        raise ValueError(
            "the history is empty: there are no curves to diagnose"
        )
    required = ("train_loss", "running_train_loss", "val_loss")
    optional = ("train_acc", "val_acc")
    for name in required + optional:
        length = len(getattr(history, name))
        if length != n and not (name in optional and length == 0):
            raise ValueError(
                f"history.{name} has {length} entries but history.epoch "
                f"has {n}: every curve needs one value per epoch"
            )
    if not isinstance(window, int) or window < 2:
        raise ValueError(
            f"window must be an int of at least 2, got {window!r}"
        )
    if n < window:
        raise ValueError(
            f"the history has {n} epochs but the diagnosis reads slopes "
            f"over the last {window}: train longer or pass a smaller window"
        )


def least_squares_slope(values: Sequence[float]) -> float:
    """Slope of the least-squares line through (0, v0), (1, v1), ...

    It is the average change per step, and unlike the difference of the
    end points it does not hang on one noisy value. A non-finite value
    gives nan.
    """
    y = np.asarray(values, dtype=float)
    if len(y) < 2:
        raise ValueError(f"a slope needs at least 2 values, got {len(y)}")
    steps = np.arange(len(y)) - (len(y) - 1) / 2
    with np.errstate(invalid="ignore"):
        return float(steps @ (y - y.mean()) / (steps @ steps))


def gap_growth(history: History, window: int = WINDOW) -> float:
    """How fast the gap widens: the least-squares slope of validation
    minus training loss over the last `window` epochs, per epoch."""
    check_history(history, window)
    return least_squares_slope(history.gap[-window:])


def loss_acc_disagree(
    history: History,
    min_delta: float = MIN_DELTA,
    acc_tolerance: float = ACC_TOLERANCE,
) -> bool:
    """Whether the loss says "worse" while the accuracy says "not worse".

    True when the final validation loss is more than `min_delta` above its
    value at the onset epoch (`History.best_epoch(min_delta)`) and the
    final validation accuracy is at least the onset's minus
    `acc_tolerance`. Cross-entropy keeps charging for confident mistakes,
    so an overconfident model can lose on loss without losing accuracy.
    Always False without accuracies.
    """
    check_history(history, window=2)
    if not history.has_accuracy:
        return False
    at_onset = history.epoch.index(history.best_epoch(min_delta))
    loss_rose = val_loss_rise(history, min_delta) > min_delta
    accuracy_held = (
        history.val_acc[-1] >= history.val_acc[at_onset] - acc_tolerance
    )
    return loss_rose and accuracy_held


def is_unstable(history: History, spike: float = SPIKE) -> bool:
    """Whether the training loss betrays too large a learning rate.

    Measured in eval mode, the training loss of a sane run hardly ever
    goes up. It is unstable if any loss is inf or nan (divergence), if the
    training loss climbs more than `spike` times its first value above
    its best so far, or if it ends above where it started.
    """
    check_history(history, window=2)
    losses = np.array(
        [history.train_loss, history.running_train_loss, history.val_loss],
        dtype=float,
    )
    if not np.isfinite(losses).all():
        return True
    train = losses[0]
    climb = np.max(train - np.minimum.accumulate(train))
    return bool(climb > spike * train[0] or train[-1] > train[0])


def val_below_running_train(history: History, window: int = WINDOW) -> bool:
    """Whether validation sits clearly below the training loss that a
    framework prints: the running loss, measured in train mode during the
    epoch. Averages over the last `window` epochs smooth the noise.

    This compares an eval-mode number with a train-mode one, which lesson
    02 teaches never to do when measuring the gap; the rule exists because
    this comparison is what a framework's log shows, and the pattern is
    named for it.
    """
    check_history(history, window)
    val = np.mean(history.val_loss[-window:])
    running = np.mean(history.running_train_loss[-window:])
    return bool(val < (1 - BELOW) * running)


def diagnose(
    history: History, min_delta: float = MIN_DELTA, window: int = WINDOW
) -> Diagnosis:
    """Name the pattern of a run's curves and measure its gap.

    The rules, in order (fractions are of the first training loss):
    1. lr_too_high: a loss is inf or nan, or the training loss climbs
       above its best so far by more than SPIKE, or ends above its start;
    2. val_below_running_train: over the last `window` epochs, the mean
       validation loss is more than a fraction BELOW below the mean
       running training loss;
    3. the run underfits (gaplab.verdict: it has not fitted its training
       data). Then lr_too_low if the training loss still falls by more
       than FALLING per epoch, else underfitting;
    4. the run overfits (gaplab.verdict: its validation loss ended more
       than `min_delta` above its value at the onset): loss_acc_disagree
       if the accuracy held, else overfitting;
    5. healthy.
    Rule 3 comes before rule 4 on purpose: a rising validation loss is
    overfitting only if the model has fitted the training data.
    """
    check_history(history, window)
    onset = history.best_epoch(min_delta)
    disagree = loss_acc_disagree(history, min_delta)
    return Diagnosis(
        pattern=pattern_of(history, disagree, min_delta, window),
        onset_epoch=onset,
        final_gap=history.gap[-1],
        gap_growth=gap_growth(history, window),
        loss_acc_disagree=disagree,
    )


def pattern_of(
    history: History, disagree: bool, min_delta: float, window: int
) -> str:
    """The pattern of rules 1 to 5 of `diagnose`."""
    train = history.train_loss
    if is_unstable(history):
        return "lr_too_high"
    if val_below_running_train(history, window):
        return "val_below_running_train"
    if not fitted(history):
        drop_per_epoch = -least_squares_slope(train[-window:])
        if drop_per_epoch > FALLING * train[0]:
            return "lr_too_low"
        return "underfitting"
    if val_loss_rise(history, min_delta) > min_delta:
        return "loss_acc_disagree" if disagree else "overfitting"
    return "healthy"


def acceptable_run(
    history: History,
    max_val_loss: float,
    max_gap: float,
    max_growth: float,
    window: int = WINDOW,
) -> bool:
    """A policy for the model a run leaves us: is it one we would keep?

    It judges the validation loss first and the gap second. Yes if the
    run fitted its training data (gaplab.verdict), its final validation
    loss is at most `max_val_loss`, and its final gap is at most `max_gap`
    and grows by at most `max_growth` per epoch over the last `window`
    epochs. A small gap alone is no success: an underfitting run has one.
    """
    check_history(history, window)
    return (
        fitted(history)
        and history.val_loss[-1] <= max_val_loss
        and history.gap[-1] <= max_gap
        and gap_growth(history, window) <= max_growth
    )


def history_from_curves(
    train_loss: Sequence[float],
    val_loss: Sequence[float],
    running_train_loss: Sequence[float] | None = None,
    train_acc: Sequence[float] | None = None,
    val_acc: Sequence[float] | None = None,
) -> History:
    """A History built by hand from its curves, epochs numbered from 1.

    For examples and tests: the running training loss defaults to the
    training loss, accuracies to none (a regression run), the learning
    rate and epoch times to nan (not known).
    """
    n = len(train_loss)
    return History(
        epoch=list(range(1, n + 1)),
        train_loss=list(train_loss),
        running_train_loss=list(
            train_loss if running_train_loss is None else running_train_loss
        ),
        val_loss=list(val_loss),
        train_acc=[] if train_acc is None else list(train_acc),
        val_acc=[] if val_acc is None else list(val_acc),
        lr=[math.nan] * n,
        epoch_time=[math.nan] * n,
    )


def history_from_record(record: dict[str, list]) -> History:
    """A History from the bank's JSON record.

    Losses that overflowed are stored as null and come back as inf; the
    bank does not store epoch times (they are not reproducible), so they
    come back as nan.
    """

    def finite_or_inf(values: list) -> list[float]:
        return [math.inf if value is None else value for value in values]

    losses = ("train_loss", "running_train_loss", "val_loss")
    fields = {
        name: finite_or_inf(values) if name in losses else values
        for name, values in record.items()
    }
    fields["epoch_time"] = [math.nan] * len(record["epoch"])
    return History.from_dict(fields)


def config_from_record(record: dict) -> RunConfig:
    """The RunConfig of a bank entry (JSON turned its tuple into a list)."""
    return RunConfig(**{**record, "hidden": tuple(record["hidden"])})


def load_curve_bank(split: str = "shown") -> list[BankEntry]:
    """The recorded runs of datasets/curve_bank.json, checked against
    datasets/SHA256SUMS.

    `split` is "shown" (for lessons and visible checks), "heldout" (for
    hidden tests only) or "all".
    """
    if split not in (*BANK_SPLITS, "all"):
        raise ValueError(
            f"split must be 'shown', 'heldout' or 'all', got {split!r}"
        )
    bank = bundled_json(CURVE_BANK_FILE)
    return [
        BankEntry(
            id=entry["id"],
            label=entry["label"],
            variant=entry["variant"],
            description=entry["description"],
            seed=entry["seed"],
            config=config_from_record(entry["config"]),
            split=entry["split"],
            history=history_from_record(entry["history"]),
        )
        for entry in bank["entries"]
        if split in ("all", entry["split"])
    ]


def confusion_table(truth: Sequence[str], predicted: Sequence[str]) -> str:
    """A text confusion table: one row per true pattern, one column per
    predicted pattern, and each row's accuracy (its recall)."""
    if len(truth) != len(predicted):
        raise ValueError(
            f"{len(truth)} true labels but {len(predicted)} predictions"
        )
    width = max(len(name) for name in SHORT_NAMES) + 1
    label_width = max(len(name) for name in PATTERNS) + 1
    header = " " * label_width + "".join(
        f"{name:>{width}}" for name in SHORT_NAMES
    )
    pairs = list(zip(truth, predicted, strict=True))
    lines = [header + "  recall"]
    for pattern in PATTERNS:
        row = [p for t, p in pairs if t == pattern]
        if not row:
            continue
        counts = [row.count(other) for other in PATTERNS]
        cells = "".join(f"{count:>{width}}" for count in counts)
        recall = row.count(pattern) / len(row)
        lines.append(f"{pattern:<{label_width}}{cells}  {recall:6.0%}")
    correct = sum(t == p for t, p in pairs)
    lines.append(
        f"accuracy: {correct}/{len(truth)} = {correct / len(truth):.1%}"
    )
    return "\n".join(lines)
