"""gaplab.diagnose: the reference diagnosis, its pieces, the run policy
and the curve-bank loader, on hand-built histories with known answers."""

import math
import warnings
from dataclasses import replace

import numpy as np
import pytest

from gaplab.diagnose import (
    BANK_SPLITS,
    MIN_DELTA,
    PATTERNS,
    Diagnosis,
    acceptable_run,
    check_history,
    confusion_table,
    diagnose,
    gap_growth,
    history_from_curves,
    history_from_record,
    is_unstable,
    least_squares_slope,
    load_curve_bank,
    loss_acc_disagree,
)
from gaplab.experiments import RunConfig
from gaplab.training import History

EPOCHS = np.arange(30)


def curves(train, val, running=None, train_acc=None, val_acc=None) -> History:
    """A History from numpy curves (accuracies default to 0.9)."""
    n = len(train)
    return history_from_curves(
        list(train),
        list(val),
        running_train_loss=None if running is None else list(running),
        train_acc=[0.9] * n if train_acc is None else list(train_acc),
        val_acc=[0.9] * n if val_acc is None else list(val_acc),
    )


def decay(start: float, end: float, rate: float = 0.2) -> np.ndarray:
    """A loss falling smoothly from `start` towards `end` over EPOCHS."""
    return end + (start - end) * np.exp(-rate * EPOCHS)


def test_least_squares_slope_of_a_line_and_of_noisy_values():
    assert least_squares_slope([1.0, 1.5, 2.0, 2.5]) == pytest.approx(0.5)
    values = np.random.default_rng(0).normal(size=9)
    expected = np.polyfit(np.arange(9), values, 1)[0]
    assert least_squares_slope(values) == pytest.approx(expected)


def test_least_squares_slope_needs_two_values_and_passes_nan_quietly():
    with pytest.raises(ValueError, match="at least 2"):
        least_squares_slope([1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(least_squares_slope([1.0, math.inf, 2.0]))
        assert math.isnan(least_squares_slope([1.0, math.nan, 2.0]))


def test_gap_growth_is_the_slope_of_the_gap_over_the_window_only():
    gap = np.array([0.5, 0.4, 0.3, 0.2, 0.1, 0.1, 0.12, 0.14, 0.16, 0.18])
    history = history_from_curves([1.0] * 10, list(1.0 + gap))
    assert gap_growth(history, window=5) == pytest.approx(0.02)
    assert gap_growth(history, window=10) < 0


def test_check_history_names_what_is_wrong():
    good = history_from_curves([1.0] * 6, [1.0] * 6)
    check_history(good, window=5)
    with pytest.raises(TypeError, match="History"):
        check_history({"train_loss": [1.0]})
    with pytest.raises(ValueError, match="empty"):
        check_history(History())
    with pytest.raises(ValueError, match="6 epochs .* last 7"):
        check_history(good, window=7)
    with pytest.raises(ValueError, match="val_loss has 5 entries"):
        check_history(replace(good, val_loss=[1.0] * 5))
    with pytest.raises(ValueError, match="running_train_loss has 0"):
        check_history(replace(good, running_train_loss=[]))
    with pytest.raises(ValueError, match="val_acc has 2"):
        check_history(replace(good, val_acc=[0.5, 0.5]))
    with pytest.raises(ValueError, match="window"):
        check_history(good, window=1)


def test_bad_input_reaches_every_entry_point():
    for function in (diagnose, gap_growth, loss_acc_disagree):
        with pytest.raises(ValueError, match="empty"):
            function(History())


def test_loss_acc_disagree_needs_a_rise_beyond_min_delta_and_held_accuracy():
    val = [1.0, 0.5, 0.4, 0.45, 0.5]
    rising_acc = [0.5, 0.8, 0.85, 0.86, 0.87]
    falling_acc = [0.5, 0.8, 0.85, 0.8, 0.75]
    assert loss_acc_disagree(curves(val, val, val_acc=rising_acc))
    assert not loss_acc_disagree(curves(val, val, val_acc=falling_acc))
    assert not loss_acc_disagree(
        curves(val, val, val_acc=rising_acc), min_delta=0.2
    )
    dip = [0.5, 0.8, 0.85, 0.85, 0.845]
    assert loss_acc_disagree(curves(val, val, val_acc=dip))
    assert not loss_acc_disagree(
        curves(val, val, val_acc=dip), acc_tolerance=0.0
    )
    assert not loss_acc_disagree(history_from_curves(val, val))


def test_is_unstable_on_spikes_divergence_and_collapse():
    smooth = decay(2.3, 0.1)
    assert not is_unstable(curves(smooth, smooth))
    spiky = smooth.copy()
    spiky[10] = smooth[9] + 0.5
    assert is_unstable(curves(spiky, spiky))
    collapsed = np.r_[2.0, 1.8, np.full(28, 2.31)]
    assert is_unstable(curves(collapsed, collapsed))
    diverged = np.r_[smooth[:20], np.full(10, math.inf)]
    assert is_unstable(curves(diverged, smooth))


# One hand-built history per pattern: (pattern, train, val, running,
# val_acc).
SMOOTH = decay(2.3, 0.05)
CASES = {
    "healthy": (SMOOTH, SMOOTH + 0.05, None, None),
    "overfitting": (
        SMOOTH * 0.5,
        0.6 + 0.02 * np.abs(EPOCHS - 10),
        None,
        np.r_[np.linspace(0.5, 0.85, 11), np.linspace(0.84, 0.7, 19)],
    ),
    "underfitting": (decay(2.3, 1.2, 0.5), decay(2.3, 1.25, 0.5), None, None),
    "lr_too_high": (
        np.r_[SMOOTH[:15], SMOOTH[15:] + 0.8],
        SMOOTH + 0.1,
        None,
        None,
    ),
    "lr_too_low": (2.3 - 0.02 * EPOCHS, 2.31 - 0.02 * EPOCHS, None, None),
    "val_below_running_train": (SMOOTH, SMOOTH + 0.05, SMOOTH + 0.3, None),
    "loss_acc_disagree": (
        SMOOTH * 0.01,
        0.15 + 0.02 * np.abs(EPOCHS - 10),
        None,
        np.r_[np.linspace(0.5, 0.95, 11), np.full(19, 0.96)],
    ),
}


@pytest.mark.parametrize("pattern", PATTERNS)
def test_diagnose_names_each_pattern(pattern):
    train, val, running, val_acc = CASES[pattern]
    result = diagnose(curves(train, val, running, val_acc=val_acc))
    assert isinstance(result, Diagnosis)
    assert result.pattern == pattern


def test_diagnose_measures_onset_gap_growth_and_disagreement():
    train, val, running, val_acc = CASES["loss_acc_disagree"]
    history = curves(train, val, running, val_acc=val_acc)
    result = diagnose(history, window=4)
    assert result.onset_epoch == history.best_epoch(MIN_DELTA) == 11
    assert result.final_gap == pytest.approx(val[-1] - train[-1])
    assert result.gap_growth == pytest.approx(gap_growth(history, 4))
    assert result.loss_acc_disagree


def test_a_rising_validation_loss_is_not_overfitting_without_a_fit():
    # Both losses stay high; validation drifts up: the model never fitted.
    train = decay(2.3, 1.2, 0.5)
    val = decay(2.3, 1.25, 0.5) + np.where(EPOCHS > 20, 0.01 * EPOCHS, 0)
    assert diagnose(curves(train, val)).pattern == "underfitting"


def test_diagnose_reports_divergence_without_raising_or_warning():
    train = [2.3, 1.0, 0.8, math.inf, math.nan, math.nan]
    val = [2.3, 1.1, 0.9, math.inf, math.nan, math.nan]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = diagnose(curves(train, val))
    assert result.pattern == "lr_too_high"
    assert math.isnan(result.final_gap)
    assert not result.loss_acc_disagree


def test_acceptable_run_judges_the_validation_loss_and_the_gap():
    policy = {"max_val_loss": 0.3, "max_gap": 0.2, "max_growth": 0.002}

    def accepted(train, val, **options) -> bool:
        return acceptable_run(curves(train, val), **{**policy, **options})

    fitted = decay(2.3, 0.05)
    assert accepted(fitted, fitted + 0.1)
    assert accepted(fitted, fitted + 0.2)
    assert accepted(fitted, fitted - 0.5)
    assert not accepted(fitted, fitted + 0.21)
    assert not accepted(fitted * 6, fitted * 6 + 0.05)
    widening = fitted + 0.1 + 0.01 * np.maximum(EPOCHS - 25, 0)
    assert not accepted(fitted, widening)
    assert accepted(fitted, widening, window=30, max_growth=0.01)
    assert not accepted(decay(2.3, 1.2, 0.5), decay(2.3, 1.2, 0.5))
    nan_tail = np.r_[fitted[:-2], math.nan, math.nan]
    assert not accepted(nan_tail, nan_tail)
    with pytest.raises(ValueError, match="epochs"):
        accepted(fitted[:3], fitted[:3])


def test_load_curve_bank_splits_and_types():
    shown, heldout = (load_curve_bank(split) for split in BANK_SPLITS)
    everything = load_curve_bank("all")
    assert len(shown) + len(heldout) == len(everything)
    assert {e.id for e in shown}.isdisjoint(e.id for e in heldout)
    for entry in everything:
        assert isinstance(entry.history, History)
        assert isinstance(entry.config, RunConfig)
        assert isinstance(entry.config.hidden, tuple)
        assert len(entry.history.epoch_time) == len(entry.history)
        check_history(entry.history)
    with pytest.raises(ValueError, match="split must be"):
        load_curve_bank("test")


def test_history_from_record_reads_overflowed_losses_as_inf():
    record = {
        "epoch": [1, 2],
        "train_loss": [1.0, None],
        "running_train_loss": [1.0, None],
        "val_loss": [1.0, None],
        "train_acc": [0.5, 0.1],
        "val_acc": [0.5, 0.1],
        "lr": [0.1, 0.1],
    }
    history = history_from_record(record)
    assert history.train_loss[1] == math.inf
    assert all(math.isnan(t) for t in history.epoch_time)


def test_confusion_table_counts_and_checks_lengths():
    table = confusion_table(
        ["healthy", "healthy", "overfitting"],
        ["healthy", "overfitting", "overfitting"],
    )
    assert "accuracy: 2/3" in table
    healthy_row = next(
        line for line in table.splitlines() if line.startswith("healthy")
    )
    assert healthy_row.split()[1:3] == ["1", "1"]
    with pytest.raises(ValueError, match="2 true labels but 1"):
        confusion_table(["healthy", "healthy"], ["healthy"])
