"""What lesson 10 (Capacity and optimisation) says about its computed
results, asserted on seeds 0, 1 and 2."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np

from gaplab.remedies.gap_closure import REMEDIES, closes_gap
from gaplab.verdict import fitted
from tests.claims import Claims, Evidence, Namespace

claim = Claims("10-capacity-optimisation")

SIMPLER = "a simpler model"
PLATEAU = "learning-rate schedule (ReduceLROnPlateau)"
GUESS = math.log(10)
# "About a thirtieth": a ratio of parameters between these.
ABOUT_A_THIRTIETH = (25, 35)
# "By far the most": ahead of every other schedule by at least this
# share of the constant rate's gap.
BY_FAR = 0.25
# "Within a few epochs of the validation loss's best": at most this many
# epochs after it.
A_FEW = 6


def one_layer(ns: Namespace) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Widths, mean training and mean validation losses of the sweep's
    one-layer networks, by width."""
    sweep = ns["sweep"]
    rows = sorted(
        (shape[0], index)
        for index, shape in enumerate(sweep.hidden)
        if len(shape) == 1
    )
    order = [index for _, index in rows]
    return (
        [width for width, _ in rows],
        sweep.train_loss[order].mean(axis=1),
        sweep.val_loss[order].mean(axis=1),
    )


@claim(
    "Both pass on every seed, so the harness says each closes the gap, as "
    "this lesson claims."
)
def both_close_the_gap(ns: Namespace) -> Evidence:
    verdicts = {name: closes_gap(c) for name, c in ns["results"].items()}
    claimed = {name: REMEDIES[name].closes for name in verdicts}
    holds = (
        set(verdicts) == {SIMPLER, PLATEAU}
        and all(verdicts.values())
        and all(claimed.values())
    )
    return holds, {"closes": verdicts, "claimed": claimed}


@claim(
    "the training loss each ends with, printed below, is more than ten "
    "times the baseline's on every seed, while its validation loss is "
    "lower."
)
def both_fit_far_less(ns: Namespace) -> Evidence:
    ratios = {
        name: [
            c.treated.history.train_loss[-1]
            / c.baseline.history.train_loss[-1]
            for c in comparisons
        ]
        for name, comparisons in ns["results"].items()
    }
    lower = all(c.val_improves for cs in ns["results"].values() for c in cs)
    holds = lower and all(r > 10 for rs in ratios.values() for r in rs)
    return holds, {"training loss over the baseline's": ratios}


@claim("The training loss falls with every step up in width")
def training_loss_falls_with_width(ns: Namespace) -> Evidence:
    widths, train, _ = one_layer(ns)
    holds = all(b < a for a, b in pairwise(train))
    return holds, {"widths": widths, "mean training loss": list(train)}


@claim("It is lowest at neither end of the one-layer sweep")
def validation_lowest_inside(ns: Namespace) -> Evidence:
    widths, _, val = one_layer(ns)
    lowest = widths[int(val.argmin())]
    holds = lowest not in (widths[0], widths[-1])
    return holds, {"widths": widths, "mean validation loss": list(val)}


@claim(
    "the baseline's is higher than that of every one-layer network from "
    "64 units up."
)
def baseline_above_the_sweep(ns: Namespace) -> Evidence:
    widths, _, val = one_layer(ns)
    from_64 = [
        loss for width, loss in zip(widths, val, strict=True) if width >= 64
    ]
    holds = all(ns["baseline_val"] > loss for loss in from_64)
    return holds, {
        "baseline": ns["baseline_val"],
        "one layer, 64 units up": from_64,
    }


@claim("several sizes are within the spread of the seeds of each other.")
def sizes_within_the_spread(ns: Namespace) -> Evidence:
    """Several: at least two sizes besides the best one whose range over
    the seeds overlaps the best one's."""
    sweep = ns["sweep"]
    best = int(sweep.val_loss.mean(axis=1).argmin())
    low, high = sweep.val_loss[best].min(), sweep.val_loss[best].max()
    overlapping = [
        int(size)
        for index, size in enumerate(sweep.sizes)
        if index != best
        and sweep.val_loss[index].min() <= high
        and sweep.val_loss[index].max() >= low
    ]
    return len(overlapping) >= 2, {
        "best size": int(sweep.sizes[best]),
        "sizes overlapping its range": overlapping,
    }


@claim(
    "On every seed the rule picks one hidden layer of 128 units, the "
    "simpler model of the evidence table"
)
def rule_picks_the_simpler_model(ns: Namespace) -> Evidence:
    picked = ns["sweep"].shape_of(ns["chosen"])
    registry = REMEDIES[SIMPLER].config.hidden
    holds = picked == registry == (128,)
    return holds, {"picked": picked, "evidence table": registry}


@claim(
    "Here the rule agrees with the lowest mean: no smaller size is within "
    "one standard error of it."
)
def rule_agrees_with_the_lowest_mean(ns: Namespace) -> Evidence:
    return ns["chosen"] == ns["lowest"], {
        "rule": ns["chosen"],
        "lowest mean": ns["lowest"],
    }


@claim(
    "Neither remedy reliably beats the baseline stopped at its own best "
    "epoch, though"
)
def neither_beats_early_stopping(ns: Namespace) -> Evidence:
    beaten = {
        name: [c.seed for c in comparisons if c.beats_baseline_best]
        for name, comparisons in ns["results"].items()
    }
    holds = all(len(seeds) < len(ns["seeds"]) for seeds in beaten.values())
    return holds, {"seeds where it beats the baseline's best": beaten}


@claim("with about a thirtieth of the baseline's parameters.")
def about_a_thirtieth(ns: Namespace) -> Evidence:
    ratio = ns["baseline_size"] / ns["chosen"]
    low, high = ABOUT_A_THIRTIETH
    return low <= ratio <= high, {"baseline's parameters over": ratio}


@claim("`diagnose` names the rate of $3 \\times 10^{-2}$ `lr_too_high`")
def high_rate_named(ns: Namespace) -> Evidence:
    patterns = {
        name: ns["diagnose"](history).pattern
        for name, history in ns["lr_runs"].items()
    }
    holds = (
        ns["rates"]["too high"] == 3e-2
        and patterns["too high"] == "lr_too_high"
    )
    return holds, {"patterns": patterns}


@claim("the rate of $3 \\times 10^{-5}$ `lr_too_low`")
def low_rate_named(ns: Namespace) -> Evidence:
    pattern = ns["diagnose"](ns["lr_runs"]["too low"]).pattern
    holds = ns["rates"]["too low"] == 3e-5 and pattern == "lr_too_low"
    return holds, {"pattern": pattern}


@claim(
    "after the first epoch the training loss is already above that of a "
    "uniform guess"
)
def far_too_high_worse_than_guessing(ns: Namespace) -> Evidence:
    history = ns["lr_runs"]["far too high"]
    pattern = ns["diagnose"](history).pattern
    holds = history.train_loss[0] > GUESS and pattern != "lr_too_high"
    return holds, {
        "first training loss": history.train_loss[0],
        "uniform guess": GUESS,
        "pattern": pattern,
    }


@claim(
    "The batch of 8's validation curve jitters more than the batch of 128's."
)
def small_batch_jitters_more(ns: Namespace) -> Evidence:
    jitters = {
        size: ns["jitter"](history)
        for size, history in ns["batch_runs"].items()
    }
    return jitters[8] > jitters[128], {"jitter": jitters}


@claim(
    "it also takes more than ten times as many steps per epoch, so it "
    "moves further between two measurements: by epoch 10 its training "
    "loss is less than half the batch of 128's"
)
def small_batch_steps_and_progress(ns: Namespace) -> Evidence:
    n_train = ns["short"].n_train
    ratio = math.ceil(n_train / 8) / math.ceil(n_train / 128)
    at_10 = {
        size: history.train_loss[9]
        for size, history in ns["batch_runs"].items()
    }
    holds = ratio > 10 and at_10[8] < at_10[128] / 2
    return holds, {
        "steps per epoch ratio": ratio,
        "training loss at epoch 10": at_10,
    }


@claim("`diagnose` names some of these runs `val_below_running_train`")
def some_runs_below_running(ns: Namespace) -> Evidence:
    patterns = {
        name: ns["diagnose"](history).pattern
        for name, history in ns["sgd_runs"].items()
    }
    holds = "val_below_running_train" in patterns.values()
    return holds, {"patterns": patterns}


def final_training_losses(ns: Namespace) -> dict[str, float]:
    """The SGD runs' last training losses, by name."""
    return {
        name: history.train_loss[-1]
        for name, history in ns["sgd_runs"].items()
    }


@claim(
    "Not scaled, the batch of 128 has hardly started after 30 epochs: its "
    "training loss ends more than 1 above the batch of 8's. Scaled 16 "
    "times, it ends within 0.1 of it."
)
def linear_scaling_holds(ns: Namespace) -> Evidence:
    losses = final_training_losses(ns)
    small = losses["batch 8, lr 0.02"]
    holds = (
        losses["batch 128, lr 0.02 (not scaled)"] > small + 1
        and abs(losses["batch 128, lr 0.32 (scaled 16x)"] - small) < 0.1
    )
    return holds, {"final training loss": losses}


@claim(
    "the rule breaks: `diagnose` names the run `lr_too_high`, and it ends "
    "with a higher training loss than the batch of 8"
)
def linear_scaling_breaks(ns: Namespace) -> Evidence:
    name = "batch 200, lr 0.5 (scaled 25x, the whole set)"
    losses = final_training_losses(ns)
    pattern = ns["diagnose"](ns["sgd_runs"][name]).pattern
    holds = (
        pattern == "lr_too_high" and losses[name] > losses["batch 8, lr 0.02"]
    )
    return holds, {"pattern": pattern, "final training loss": losses}


@claim(
    "With the same patience, the plateau scheduler acts one epoch later "
    "than early stopping"
)
def plateau_acts_one_epoch_later(ns: Namespace) -> Evidence:
    stopped, cut = ns["stopped_after"], ns["cut_after"]
    return cut == stopped + 1, {"stopped after": stopped, "cut after": cut}


def gaps_removed(ns: Namespace) -> dict[str, float]:
    """The share of the constant rate's gap each schedule removed."""
    runs = ns["schedule_runs"]
    constant = runs["constant"].gap[-1]
    return {
        name: 1 - history.gap[-1] / constant
        for name, history in runs.items()
        if name != "constant"
    }


@claim("The plateau schedule removes by far the most of the gap.")
def plateau_removes_the_most(ns: Namespace) -> Evidence:
    removed = gaps_removed(ns)
    others = [share for name, share in removed.items() if name != "plateau"]
    holds = removed["plateau"] >= max(others) + BY_FAR
    return holds, {"gap removed": removed}


@claim("`diagnose` still names both runs `overfitting`.")
def clock_schedules_overfit(ns: Namespace) -> Evidence:
    patterns = {
        name: ns["diagnose"](ns["schedule_runs"][name]).pattern
        for name in ("step", "cosine")
    }
    return all(p == "overfitting" for p in patterns.values()), patterns


@claim(
    "One-cycle, which climbs to ten times the rate, leaves a wider gap "
    "than the constant rate, and `diagnose` reads its climb as "
    "`lr_too_high`."
)
def one_cycle_widens_the_gap(ns: Namespace) -> Evidence:
    runs = ns["schedule_runs"]
    gaps = {name: runs[name].gap[-1] for name in ("one-cycle", "constant")}
    peak = max(runs["one-cycle"].lr) / runs["constant"].lr[0]
    pattern = ns["diagnose"](runs["one-cycle"]).pattern
    holds = (
        gaps["one-cycle"] > gaps["constant"]
        and math.isclose(peak, 10, rel_tol=0.01)
        and pattern == "lr_too_high"
    )
    return holds, {
        "gap": gaps,
        "peak over the constant rate": peak,
        "pattern": pattern,
    }


@claim(
    "Its first cut comes within a few epochs of the validation loss's best,",
    below=True,
)
def first_cut_soon_after_the_best(ns: Namespace) -> Evidence:
    """A few: at most A_FEW epochs after the epoch of the lowest
    validation loss seen before the cut."""
    run = ns["plateau_run"]
    first = ns["cuts"][0]
    best_before = 1 + int(np.argmin(run.val_loss[:first]))
    return 0 < first - best_before <= A_FEW, {
        "first cut": first,
        "best epoch before it": best_before,
    }


@claim(
    "the training loss, printed below, ends within a fifth of where it "
    "stood at the first cut.",
    below=True,
)
def training_stalls_after_the_cut(ns: Namespace) -> Evidence:
    """Within a fifth: |end - at the cut| at most a fifth of the value at
    the cut."""
    at_cut = ns["first_cut"]["train_loss"]
    end = ns["plateau_run"].train_loss[-1]
    return abs(end - at_cut) <= 0.2 * at_cut, {
        "at the first cut": at_cut,
        "at the end": end,
    }


def init_runs(ns: Namespace) -> dict:
    """The initialisation section's runs, by name."""
    return ns["init_runs"]


@claim(
    "its training loss stays within 0.01 of a uniform guess's, and "
    "`diagnose` names it `underfitting`."
)
def zeros_never_learn(ns: Namespace) -> Evidence:
    history = init_runs(ns)["zeros"]
    farthest = max(abs(loss - GUESS) for loss in history.train_loss)
    pattern = ns["diagnose"](history).pattern
    holds = farthest < 0.01 and pattern == "underfitting"
    return holds, {"farthest from a guess": farthest, "pattern": pattern}


@claim(
    "the first loss is more than five times a guess's, the network fits "
    "its training set all the same, and the final gap is more than ten "
    "times the default's."
)
def large_weights_widen_the_gap(ns: Namespace) -> Evidence:
    """Fits all the same: the course's definition of fitted (verdict)."""
    runs = init_runs(ns)
    large, default = runs["x10"], runs["default"]
    holds = (
        large.train_loss[0] > 5 * GUESS
        and fitted(large)
        and large.gap[-1] > 10 * default.gap[-1]
    )
    return holds, {
        "first loss": large.train_loss[0],
        "final gaps (x10, default)": [large.gap[-1], default.gap[-1]],
    }


@claim(
    "`diagnose` does not name this run `overfitting` (its pattern is "
    "printed above): it compares the validation loss with its own lowest "
    "value, and from a start this bad the curve ends within 5% of its "
    "lowest."
)
def large_weights_fool_diagnose(ns: Namespace) -> Evidence:
    history = init_runs(ns)["x10"]
    pattern = ns["diagnose"](history).pattern
    above_lowest = history.val_loss[-1] / min(history.val_loss) - 1
    holds = pattern != "overfitting" and above_lowest < 0.05
    return holds, {"pattern": pattern, "above its lowest": above_lowest}


@claim(
    "after 30 epochs its training loss is still more than five times the "
    "default's, and `diagnose` reads the run as a rate too low or as "
    "underfitting."
)
def tiny_weights_learn_slowly(ns: Namespace) -> Evidence:
    runs = init_runs(ns)
    ratio = runs["x0.01"].train_loss[-1] / runs["default"].train_loss[-1]
    pattern = ns["diagnose"](runs["x0.01"]).pattern
    holds = ratio > 5 and pattern in ("lr_too_low", "underfitting")
    return holds, {
        "training loss over the default's": ratio,
        "pattern": pattern,
    }
