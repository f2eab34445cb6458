"""What lesson 05 (Early stopping) says about its computed results,
asserted on seeds 0, 1 and 2 (section 1 compares three seeds from SEED
on: 0 to 4 in all)."""

from __future__ import annotations

import math
import statistics

from tests.claims import Claims, Evidence, Namespace

claim = Claims("05-early-stopping")

# "Most of the gap is gone": more than this fraction of it.
MOST = 0.5


def gap_reductions(ns: Namespace) -> list[float]:
    """The fraction of the gap removed on each seed of section 1."""
    return [c.gap_reduction for c in ns["comparisons"]]


@claim(
    "On every seed the kept model's validation loss is lower than the "
    "baseline's final one, and most of the gap is gone."
)
def lower_validation_loss_and_most_of_the_gap_gone(ns: Namespace) -> Evidence:
    comparisons = ns["comparisons"]
    holds = all(c.val_improves for c in comparisons) and all(
        r > MOST for r in gap_reductions(ns)
    )
    return holds, {
        "validation loss, baseline -> kept": [
            (c.baseline.val_loss, c.treated.val_loss) for c in comparisons
        ],
        "gap removed": gap_reductions(ns),
    }


@claim(
    "On some seeds all of it, and more: the kept model's validation loss "
    "is then *below* its training loss."
)
def some_seeds_remove_more_than_the_gap(ns: Namespace) -> Evidence:
    comparisons = ns["comparisons"]
    more = [c for c in comparisons if c.gap_reduction > 1]
    holds = bool(more) and all(c.treated.gap < 0 for c in more)
    return holds, {
        "gap removed": gap_reductions(ns),
        "kept gap (validation - training)": [
            c.treated.gap for c in comparisons
        ],
    }


@claim("the runs stopped after fewer than half of the 100 epochs")
def the_runs_stop_early(ns: Namespace) -> Evidence:
    budget = ns["OVERFIT_BASELINE"].epochs
    lengths = [len(c.treated.history) for c in ns["comparisons"]]
    return budget == 100 and all(n < budget / 2 for n in lengths), {
        "epochs run": lengths,
        "budget": budget,
    }


@claim(
    "Notice what `diagnose` says about the early-stopped runs: "
    "overfitting, like the baselines."
)
def diagnose_calls_both_overfitting(ns: Namespace) -> Evidence:
    diagnose = ns["diagnose"]
    patterns = [
        (diagnose(c.baseline.history).pattern, diagnose(run.history).pattern)
        for c in ns["comparisons"]
        for run in [c.treated]
    ]
    holds = all(p == ("overfitting", "overfitting") for p in patterns)
    return holds, {"(baseline, early-stopped)": patterns}


def replays_its_baseline(ns: Namespace) -> Evidence:
    """Each early-stopped run's validation losses are the first epochs
    of its baseline's (the notebook prints `replayed`)."""
    prefixes = [
        c.treated.history.val_loss
        == c.baseline.history.val_loss[: len(c.treated.history)]
        for c in ns["comparisons"]
    ]
    return all(prefixes) and ns["replayed"], {"replays, by seed": prefixes}


claim(
    "From the same seed, the early-stopped run is the baseline run, epoch "
    "for epoch (same initial weights, same batches), until it stops",
    below=True,
)(replays_its_baseline)
@claim(
    "from the same seed, the early-stopped run is the baseline run, cut short."
)
def the_summary_repeats_the_replay(ns: Namespace) -> Evidence:
    """The summary restates what section 1 printed."""
    return replays_its_baseline(ns)


@claim("Against lesson 03's overfit baseline it closes the gap on every seed")
def the_harness_says_it_closes_the_gap(ns: Namespace) -> Evidence:
    comparisons = ns["comparisons"]
    holds = ns["closes_gap"](comparisons) and len(comparisons) >= 3
    return holds, {"passes, by seed": [c.passes for c in comparisons]}


@claim(
    "They start from the same seed and see the same batches, so they are "
    "one training, cut at three places.",
    below=True,
)
def the_patience_runs_are_one_training(ns: Namespace) -> Evidence:
    runs = ns["patience_runs"]
    longest = runs[10][2].val_loss
    prefixes = {
        patience: history.val_loss == longest[: len(history)]
        for patience, (_, _, history) in runs.items()
    }
    return all(prefixes.values()), {"prefix of patience 10's": prefixes}


@claim(
    "Patience 1 and 2 stop at the first wobbles, while the validation "
    "loss is still on its way down: patience 10 finds its best epoch "
    "later than either of them stopped, and keeps a model with a lower "
    "validation loss."
)
def small_patience_stops_too_early(ns: Namespace) -> Evidence:
    runs = {p: stopper for p, (stopper, _, _) in ns["patience_runs"].items()}
    long = runs[10]
    short = [runs[1], runs[2]]
    holds = all(
        s.stopped_epoch > 0
        and long.best_epoch > s.stopped_epoch
        and long.best < s.best
        for s in short
    )
    return holds, {
        "stopped at": {p: s.stopped_epoch for p, s in runs.items()},
        "best epoch": {p: s.best_epoch for p, s in runs.items()},
        "kept validation loss": {p: s.best for p, s in runs.items()},
    }


@claim("whatever the callback waited for, it keeps the best epoch it saw")
def the_kept_epoch_is_the_best_seen(ns: Namespace) -> Evidence:
    kept = {
        p: (stopper.best, min(history.val_loss))
        for p, (stopper, _, history) in ns["patience_runs"].items()
    }
    return all(b == m for b, m in kept.values()), {"(kept, lowest seen)": kept}


@claim("With patience 10 the run went on for 10 epochs past its best one.")
def ten_epochs_past_the_best(ns: Namespace) -> Evidence:
    stopper = ns["patience_runs"][10][0]
    past = stopper.stopped_epoch - stopper.best_epoch
    return past == 10 and stopper.patience == 10, {"epochs past": past}


@claim(
    "The model `fit` returned has the best epoch's validation loss, not "
    "the last epoch's, which is worse"
)
def the_model_returned_is_the_best(ns: Namespace) -> Evidence:
    stopper, history = ns["stopper"], ns["history"]
    restored, last = ns["restored_loss"], history.val_loss[-1]
    holds = (
        math.isclose(restored, stopper.best, rel_tol=1e-5) and last > restored
    )
    return holds, {
        "restored": restored,
        "recorded at the best epoch": stopper.best,
        "last epoch": last,
    }


@claim(
    "On average, the test split finds the kept models worse than their "
    "validation losses said"
)
def choosing_flatters_on_average(ns: Namespace) -> Evidence:
    optimism = ns["optimism"]
    return statistics.mean(optimism) > 0, {"test - validation": optimism}


@claim(
    "on at least one part the test loss came out lower than the "
    "validation loss"
)
def a_single_part_can_err_either_way(ns: Namespace) -> Evidence:
    optimism = ns["optimism"]
    return min(optimism) < 0 < max(optimism), {"test - validation": optimism}


@claim(
    "With the whole validation split, the difference for the kept model "
    "of section 1 is smaller than that average"
)
def the_whole_split_flatters_less(ns: Namespace) -> Evidence:
    whole = ns["whole"]
    difference = whole.test_loss - whole.val_loss
    average = statistics.mean(ns["optimism"])
    return abs(difference) < average, {
        "whole split, test - validation": difference,
        "average over the parts": average,
    }


@claim("ours, larger than the training set itself, is generous")
def the_validation_split_is_large(ns: Namespace) -> Evidence:
    data = ns["load_dataset"](ns["OVERFIT_BASELINE"])
    sizes = {"training": len(data.train), "validation": len(data.val)}
    return sizes["validation"] > sizes["training"], sizes
