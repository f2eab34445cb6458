"""The course's one definition of overfitting, underfitting and a good fit
(gaplab.verdict), and its agreement with lesson 04's `diagnose` on every
run of the curve bank."""

import math
from collections import Counter

import pytest

from gaplab.diagnose import (
    PATTERNS,
    VERDICT_OF_PATTERN,
    diagnose,
    load_curve_bank,
)
from gaplab.diagnose import (
    history_from_curves as curves,
)
from gaplab.training import History
from gaplab.verdict import (
    FITTED_FRACTION,
    MIN_DELTA,
    VERDICTS,
    fitted,
    overfits,
    training_loss_fraction,
    underfits,
    val_loss_rise,
    verdict,
)


def test_fitted_is_a_fraction_of_the_first_training_loss():
    edge = FITTED_FRACTION * 2.0
    assert fitted(curves([2.0, 1.0, edge], [2.0, 1.0, 1.0]))
    assert not fitted(curves([2.0, 1.0, edge + 1e-6], [2.0, 1.0, 1.0]))
    # Scale-free: the same run with losses ten times smaller.
    assert fitted(curves([0.2, 0.1, edge / 10], [0.2, 0.1, 0.1]))
    assert training_loss_fraction(curves([2.0, 0.5], [2, 1])) == 0.25


def test_a_run_that_diverged_has_not_fitted():
    for bad in (math.inf, math.nan):
        assert not fitted(curves([2.0, 0.1, bad], [2.0, 0.2, bad]))
        assert underfits(curves([2.0, 0.1, bad], [2.0, 0.2, bad]))


def test_a_zero_first_loss_is_fitted_only_if_it_stays_zero():
    assert fitted(curves([0.0, 0.0], [0.1, 0.1]))
    assert not fitted(curves([0.0, 0.5], [0.1, 0.1]))


def test_val_loss_rise_is_measured_from_the_onset_with_min_delta():
    history = curves([2, 1, 0.5, 0.2], [1.0, 0.4, 0.395, 0.7])
    # 0.395 improves on 0.4 by less than MIN_DELTA: the onset is epoch 2.
    assert history.best_epoch(MIN_DELTA) == 2
    assert val_loss_rise(history) == pytest.approx(0.3)
    assert val_loss_rise(history, min_delta=0.0) == pytest.approx(0.305)
    assert val_loss_rise(curves([2, 1], [1.0, 0.4])) == 0.0


def test_overfits_needs_a_fit_and_a_rise_beyond_min_delta():
    rise = 2 * MIN_DELTA
    assert overfits(curves([1.0, 0.1, 0.01], [0.8, 0.5, 0.5 + rise]))
    small = curves([1.0, 0.1, 0.01], [0.8, 0.5, 0.5 + MIN_DELTA / 2])
    assert not overfits(small)
    assert overfits(small, min_delta=MIN_DELTA / 4)
    not_fitted = curves([1.0, 0.5, 0.4], [0.8, 0.5, 0.5 + rise])
    assert not overfits(not_fitted)
    assert overfits(not_fitted, fitted_fraction=0.5)


def test_a_large_gap_without_a_rise_is_a_good_fit():
    history = curves([1.0, 0.1, 0.001], [2.0, 1.5, 1.4])
    assert history.gap[-1] > 1.0
    assert verdict(history) == "good fit"


def test_the_verdicts_cover_every_run_exactly_once():
    runs = {
        "underfitting": curves([2.0, 1.8, 1.7], [2.0, 1.8, 1.7]),
        "overfitting": curves([2.0, 0.5, 0.1], [2.0, 0.8, 1.0]),
        "good fit": curves([2.0, 0.5, 0.1], [2.0, 0.8, 0.7]),
    }
    for expected, history in runs.items():
        assert verdict(history) == expected
        assert overfits(history) == (expected == "overfitting")
        assert underfits(history) == (expected == "underfitting")
    assert set(runs) == set(VERDICTS)


def test_the_definitions_reject_what_they_cannot_judge():
    for definition in (fitted, overfits, underfits, val_loss_rise, verdict):
        with pytest.raises(ValueError, match="empty"):
            definition(History())
        with pytest.raises(TypeError, match="History"):
            definition({"train_loss": [1.0]})


def test_regression_runs_are_judged_too():
    regression = curves([1.0, 0.2, 0.1], [1.1, 0.4, 0.6])
    assert not regression.has_accuracy
    assert verdict(regression) == "overfitting"


def test_diagnose_and_the_definitions_agree_on_the_whole_bank():
    """Lesson 03's words and lesson 04's patterns, on all 84 runs: each
    pattern that implies a verdict implies the definitions' verdict, and
    each bank label does too."""
    table: Counter = Counter()
    for run in load_curve_bank("all"):
        found = diagnose(run.history).pattern
        judged = verdict(run.history)
        table[found, judged] += 1
        for pattern in (found, run.label):
            if pattern in VERDICT_OF_PATTERN:
                assert judged == VERDICT_OF_PATTERN[pattern], (
                    f"{run.id}: diagnose says {found}, its label is "
                    f"{run.label}, but the definitions say {judged}"
                )
    print(f"{'pattern':24}" + "".join(f"{v:>14}" for v in VERDICTS))
    for pattern in PATTERNS:
        counts = "".join(f"{table[pattern, v]:>14}" for v in VERDICTS)
        print(f"{pattern:24}{counts}")
