"""What lesson 06 (Weight decay) says about its computed results,
asserted on seeds 0, 1 and 2."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

from gaplab.diagnose import diagnose
from gaplab.remedies.gap_closure import REMEDIES, closes_gap
from gaplab.verdict import overfits, val_loss_rise
from tests.claims import Claims, Evidence, Namespace

claim = Claims("06-weight-decay")

REMEDY_NAMES = ("L2 penalty", "decoupled weight decay (AdamW)")
# The baseline's validation loss "climbs": by more than this after its
# minimum. A remedy's rises "far less": at most this fraction of it.
CLIMBS = 0.1
FAR_LESS = 0.5
# "Sit at the loss of a uniform guess": within this of ln 10.
AT_UNIFORM = 0.05
# "Float rounding" for one step of float32 parameters.
ROUNDING = 1e-6
# "A factor of several" between percentiles; "many times faster".
SEVERAL = 3
MANY = 10
# "Hundreds of times apart".
HUNDREDS = 100
# Validation losses that are "close": within this of each other.
CLOSE = 0.05
# "Not small": at least this share of the weights.
NOT_SMALL = 0.2
# The histogram's left edge, and "almost none" there.
EDGE = 1e-9
ALMOST_NONE = 0.01
# "Almost all of the gap".
ALMOST_ALL = 0.9


def comparisons(ns: Namespace, name: str) -> list:
    """Section 1's comparisons of one remedy, one per seed."""
    return ns["results"][name]


@claim("Every baseline run is diagnosed as overfitting")
def every_baseline_overfits(ns: Namespace) -> Evidence:
    """By `diagnose`'s pattern (the plot's label) and by the course's
    definition; the validation loss climbs after its minimum."""
    runs = [kept.history for kept in ns["baselines"]]
    patterns = [diagnose(run).pattern for run in runs]
    climbs = [run.val_loss[-1] - min(run.val_loss) for run in runs]
    holds = all(p == "overfitting" for p in patterns) and all(
        overfits(run) and climb > CLIMBS
        for run, climb in zip(runs, climbs, strict=True)
    )
    return holds, {"patterns": patterns, "climb after the minimum": climbs}


@claim(
    "Both remedies pass on every seed, so the harness says they close "
    "the gap, as this lesson claims."
)
def both_remedies_close_the_gap(ns: Namespace) -> Evidence:
    verdicts = {
        name: closes_gap(comparisons(ns, name)) for name in REMEDY_NAMES
    }
    claimed = {name: REMEDIES[name].closes for name in REMEDY_NAMES}
    holds = all(verdicts.values()) and all(claimed.values())
    return holds, {"closes the gap": verdicts, "claimed": claimed}


def rise_pair(comparison: Any) -> tuple[float, float]:
    """How far the validation loss rose after its onset: baseline's,
    remedy's."""
    return (
        val_loss_rise(comparison.baseline.history),
        val_loss_rise(comparison.treated.history),
    )


@claim(
    "`diagnose` still names some of them overfitting, since their "
    "validation loss still rises after its minimum, though far less than "
    "the baseline's."
)
def remedied_runs_still_rise_a_little(ns: Namespace) -> Evidence:
    """Some remedied run's pattern is "overfitting"; on every seed each
    remedy's rise after the onset is at most FAR_LESS of the
    baseline's."""
    patterns, rises = {}, {}
    for name in REMEDY_NAMES:
        patterns[name] = [
            diagnose(c.treated.history).pattern for c in comparisons(ns, name)
        ]
        rises[name] = [rise_pair(c) for c in comparisons(ns, name)]
    holds = any("overfitting" in found for found in patterns.values()) and all(
        treated <= FAR_LESS * baseline
        for pairs in rises.values()
        for baseline, treated in pairs
    )
    return holds, {"patterns": patterns, "(baseline, remedy) rise": rises}


@claim(
    "on no seed does a remedy's kept model beat the baseline stopped at "
    "its own best epoch"
)
def no_remedy_beats_the_early_stopped_baseline(ns: Namespace) -> Evidence:
    beaten = {
        name: [c.seed for c in comparisons(ns, name) if c.beats_baseline_best]
        for name in REMEDY_NAMES
    }
    return not any(beaten.values()), {"seeds where it beats": beaten}


@claim(
    "It removes more of the gap than either remedy on every seed, and "
    "still fails: its validation loss is higher than the baseline's."
)
def the_control_shrinks_the_gap_and_fails(ns: Namespace) -> Evidence:
    control = comparisons(ns, "absurd L2 penalty (negative control)")
    others = [comparisons(ns, name) for name in REMEDY_NAMES]
    reductions = [c.gap_reduction for c in control]
    best_other = [
        max(remedy[i].gap_reduction for remedy in others)
        for i in range(len(control))
    ]
    holds = (
        all(r > b for r, b in zip(reductions, best_other, strict=True))
        and not closes_gap(control)
        and all(c.treated.val_loss > c.baseline.val_loss for c in control)
    )
    return holds, {
        "control's gap removed": reductions,
        "best remedy's gap removed": best_other,
        "(baseline, control) validation loss": [
            (c.baseline.val_loss, c.treated.val_loss) for c in control
        ],
    }


@claim(
    "Under the absurd penalty both losses sit at the loss of a uniform "
    "guess: the network has learned nothing, and by the course's "
    "definition it underfits."
)
def the_control_underfits_at_ln_10(ns: Namespace) -> Evidence:
    runs = [
        c.treated.history
        for c in comparisons(ns, "absurd L2 penalty (negative control)")
    ]
    finals = [(run.train_loss[-1], run.val_loss[-1]) for run in runs]
    holds = all(ns["underfits"](run) for run in runs) and all(
        abs(loss - math.log(10)) < AT_UNIFORM
        for pair in finals
        for loss in pair
    )
    return holds, {"(training, validation) loss": finals}


@claim(
    "Adam's `weight_decay` and your penalty in the loss take the same "
    "step, to float rounding."
)
def adam_weight_decay_is_l2(ns: Namespace) -> Evidence:
    difference = ns["step_differences"][ns["in_loss"]]
    return difference < ROUNDING, {"largest difference": difference}


@claim(
    "AdamW's step differs from both by more than a whole Adam step on "
    "some weights."
)
def adamw_takes_another_step(ns: Namespace) -> Evidence:
    stepped = ns["stepped"]
    decoupled = stepped[ns["decoupled"]]
    differences = [
        (decoupled - stepped[name]).abs().max().item()
        for name in (ns["in_adam"], ns["in_loss"])
    ]
    lr = ns["OVERFIT_BASELINE"].lr
    return min(differences) > lr, {"differences": differences, "lr": lr}


@claim(
    "Under Adam with L2 the fraction changes from weight to weight, by a "
    "factor of several between the 10th and the 90th percentile, and "
    "even the 10th percentile is decayed many times faster than under "
    "AdamW."
)
def adam_decays_each_weight_at_its_own_rate(ns: Namespace) -> Evidence:
    low, high, adamw = ns["low"], ns["high"], ns["adamw_decay"]
    holds = high > SEVERAL * low and low > MANY * adamw
    return holds, {
        "10th percentile": low,
        "90th percentile": high,
        "AdamW": adamw,
    }


@claim("section 1's two remedies use strengths hundreds of times apart")
def the_remedies_strengths_differ(ns: Namespace) -> Evidence:
    adamw = REMEDIES["decoupled weight decay (AdamW)"].config.weight_decay
    l2 = REMEDIES["L2 penalty"].config.l2
    return adamw > HUNDREDS * l2, {"AdamW weight_decay": adamw, "l2": l2}


@claim(
    "The decayed group holds the weight matrices of the three linear "
    "layers and nothing else."
)
def decay_groups_split_weights_from_the_rest(ns: Namespace) -> Evidence:
    """And the next sentence: everything else, 1-D, has decay 0."""
    decayed, rest = ns["groups"]
    shapes = [tuple(p.shape) for p in decayed["params"]]
    others = [tuple(p.shape) for p in rest["params"]]
    every = sum(1 for _ in ns["bn_net"].parameters())
    holds = (
        len(shapes) == 3
        and all(len(shape) == 2 for shape in shapes)
        and decayed["weight_decay"] > 0
        and rest["weight_decay"] == 0
        and all(len(shape) == 1 for shape in others)
        and len(shapes) + len(others) == every
    )
    return holds, {"decayed": shapes, "not decayed": others}


@claim(
    "at strengths that regularise about as much (their validation "
    "losses, printed below, are close)",
    below=True,
)
def l1_and_l2_runs_are_comparable(ns: Namespace) -> Evidence:
    losses = [run.val_loss[-1] for run in ns["penalised_runs"].values()]
    return abs(losses[0] - losses[1]) < CLOSE, {"validation losses": losses}


@claim(
    "L1 leaves more than twice as many weights at zero as L2 does, at "
    "about the same validation loss."
)
def l1_is_sparser(ns: Namespace) -> Evidence:
    l1, l2 = ns["near_zero"].values()
    return l1 > 2 * l2, {"share near zero (L1, L2)": (l1, l2)}


@claim("L1's weights pile up to its left")
def most_l1_weights_are_at_zero(ns: Namespace) -> Evidence:
    l1 = next(iter(ns["near_zero"].values()))
    return l1 > 0.5, {"L1 share within lr of zero": l1}


@claim(
    "L2's share at zero is not small either, but it is another "
    "population: most of it sits in the bar at the left edge"
)
def l2_zeros_are_exact(ns: Namespace) -> Evidence:
    """And: L1 has almost none in that bar."""
    l1_weights, l2_weights = ns["penalised_weights"].values()
    l2_near = list(ns["near_zero"].values())[1]
    l2_edge = (l2_weights.abs() < EDGE).float().mean().item()
    l1_edge = (l1_weights.abs() < EDGE).float().mean().item()
    holds = (
        l2_near > NOT_SMALL and l2_edge > l2_near / 2 and l1_edge < ALMOST_NONE
    )
    return holds, {
        "L2 share within lr of zero": l2_near,
        "L2 share below 1e-9": l2_edge,
        "L1 share below 1e-9": l1_edge,
    }


@claim("the L2 one leaves the smaller gap")
def l2_leaves_the_smaller_gap(ns: Namespace) -> Evidence:
    l1_gap, l2_gap = (run.gap[-1] for run in ns["penalised_runs"].values())
    return l2_gap < l1_gap, {"gap (L1, L2)": (l1_gap, l2_gap)}


@claim("The validation loss falls, then rises: the U.")
def the_sweep_is_u_shaped(ns: Namespace) -> Evidence:
    """Strictly down to an interior minimum, strictly up after it."""
    losses = [kept.val_loss for kept in ns["sweep"].values()]
    lowest = losses.index(min(losses))
    down = all(a > b for a, b in pairwise(losses[: lowest + 1]))
    up = all(a < b for a, b in pairwise(losses[lowest:]))
    holds = 0 < lowest < len(losses) - 1 and down and up
    return holds, {"strengths": list(ns["sweep"]), "validation": losses}


@claim("The training loss only rises with the strength")
def training_loss_rises_with_strength(ns: Namespace) -> Evidence:
    losses = [k.history.train_loss[-1] for k in ns["sweep"].values()]
    holds = all(a < b for a, b in pairwise(losses))
    return holds, {"training": losses}


@claim(
    "An absurd penalty removes almost all of the gap by underfitting, "
    "and fails."
)
def the_summary_on_the_control(ns: Namespace) -> Evidence:
    control = comparisons(ns, "absurd L2 penalty (negative control)")
    reductions = [c.gap_reduction for c in control]
    holds = all(r > ALMOST_ALL for r in reductions) and not closes_gap(control)
    return holds, {"gap removed": reductions}
