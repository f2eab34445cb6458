"""What lesson 08 (More data, augmentation and label smoothing) says
about its computed results, asserted on seeds 0, 1 and 2."""

from __future__ import annotations

from itertools import pairwise

from gaplab.learning_curves import LearningCurve
from gaplab.remedies.gap_closure import REMEDIES, closes_gap
from tests.claims import Claims, Evidence, Namespace

claim = Claims("08-more-data")

SHIFTS = "augmentation (random shifts)"
SMOOTHING = "label smoothing"
MORE_DATA = "more data"
# "Fits well under all of them": a final training accuracy at most this,
# with a fifth of the labels wrong (at least half of those not fitted).
WELL_UNDER = 0.9
# "A fraction of the distance the validation curve falls": the widest
# band, training or validation, at most this share of the fall of the
# mean validation loss from the smallest size to the largest.
FRACTION = 0.5
# "Close to zero", for a baseline gap near 0.7.
NEAR_ZERO = 0.1
# "Differ" and "agree to float rounding" for float32 losses near 5.
DIFFER = 1e-3
ROUNDING = 1e-5
# "Close to certain": a mean confidence of at least this.
CLOSE_TO_CERTAIN = 0.95


@claim(
    "Random shifts and label smoothing pass on every seed, so the harness "
    "says each closes the gap, as this lesson claims."
)
def shifts_and_smoothing_close_the_gap(ns: Namespace) -> Evidence:
    verdicts = {
        name: closes_gap(ns["results"][name]) for name in (SHIFTS, SMOOTHING)
    }
    claimed = {name: REMEDIES[name].closes for name in verdicts}
    holds = all(verdicts.values()) and all(claimed.values())
    return holds, {"closes": verdicts, "claimed": claimed}


@claim("Shifts remove more of the gap than smoothing does on every seed.")
def shifts_remove_more(ns: Namespace) -> Evidence:
    pairs = [
        (shifted.gap_reduction, smoothed.gap_reduction)
        for shifted, smoothed in zip(
            ns["results"][SHIFTS], ns["results"][SMOOTHING], strict=True
        )
    ]
    return all(s > m for s, m in pairs), {
        "gap removed (shifts, smoothing)": pairs
    }


@claim(
    "More data fails on every seed: its validation loss at the last epoch "
    "is not lower than the baseline's"
)
def more_data_fails(ns: Namespace) -> Evidence:
    comparisons = ns["results"][MORE_DATA]
    holds = (
        not any(c.val_improves for c in comparisons)
        and not closes_gap(comparisons)
        and not REMEDIES[MORE_DATA].closes
    )
    losses = [(c.baseline.val_loss, c.treated.val_loss) for c in comparisons]
    return holds, {"validation loss (baseline, more data)": losses}


@claim(
    "The baseline and the run with more data fit every training label on "
    "every seed, the wrong ones included."
)
def baseline_and_more_data_fit_everything(ns: Namespace) -> Evidence:
    accuracies = ns["final_train_accuracy"]
    runs = {name: accuracies[name] for name in ("baseline", MORE_DATA)}
    holds = all(a == 1.0 for values in runs.values() for a in values)
    return holds, runs


@claim("With random shifts the network fits well under all of them")
def shifts_do_not_fit_everything(ns: Namespace) -> Evidence:
    accuracies = ns["final_train_accuracy"][SHIFTS]
    return all(a <= WELL_UNDER for a in accuracies), {"accuracy": accuracies}


def curves(ns: Namespace) -> dict[str, LearningCurve]:
    return ns["curves"]


def mean_losses(curve: LearningCurve) -> dict[str, list[float]]:
    return {
        "training": curve.train_loss.mean(axis=0).tolist(),
        "validation": curve.val_loss.mean(axis=0).tolist(),
        "gap": curve.gap.mean(axis=0).tolist(),
    }


@claim(
    "On both curves the validation loss falls as the training set grows, "
    "and the gap narrows at every step."
)
def validation_falls_and_gap_narrows(ns: Namespace) -> Evidence:
    means = {title: mean_losses(curve) for title, curve in curves(ns).items()}
    holds = all(
        all(a > b for a, b in pairwise(losses["validation"]))
        and all(a > b for a, b in pairwise(losses["gap"]))
        for losses in means.values()
    )
    return holds, {"means": means}


@claim("The network's training loss rises")
def network_training_loss_rises(ns: Namespace) -> Evidence:
    train = mean_losses(ns["torch_curve"])["training"]
    return all(a < b for a, b in pairwise(train)), {"training": train}


@claim("Logistic regression's training loss falls instead")
def logistic_training_loss_falls(ns: Namespace) -> Evidence:
    train = mean_losses(ns["sklearn_curve"])["training"]
    return all(a > b for a, b in pairwise(train)), {"training": train}


@claim(
    "The shaded bands, from the lowest to the highest seed, are a fraction "
    "of the distance the validation curve falls"
)
def bands_are_narrow(ns: Namespace) -> Evidence:
    curve = ns["torch_curve"]
    widest = max(
        float((losses.max(axis=0) - losses.min(axis=0)).max())
        for losses in (curve.train_loss, curve.val_loss)
    )
    mean_val = curve.val_loss.mean(axis=0)
    fall = float(mean_val[0] - mean_val[-1])
    return widest <= FRACTION * fall, {"widest band": widest, "fall": fall}


@claim(
    "On both curves the last doubling still lowered the validation loss, "
    "but by less than the doubling before it"
)
def diminishing_returns(ns: Namespace) -> Evidence:
    gains = {}
    for title, curve in curves(ns).items():
        mean = curve.val_loss.mean(axis=0)
        gains[title] = (float(mean[-3] - mean[-2]), curve.last_doubling_gain())
    holds = all(0 < last < before for before, last in gains.values())
    return holds, {"gain (doubling before, last doubling)": gains}


@claim(
    "It takes exactly as many optimiser steps as the baseline",
    below=True,
)
def same_number_of_steps(ns: Namespace) -> Evidence:
    epochs = (len(ns["your_history"]), len(ns["baselines"][0].history))
    return epochs[0] == epochs[1], {"epochs (yours, baseline)": epochs}


@claim("Your shifts pass the harness's criteria on this seed too.")
def your_shifts_pass(ns: Namespace) -> Evidence:
    yours = ns["yours"]
    return yours.passes, {
        "gap removed": yours.gap_reduction,
        "validation loss (baseline, yours)": (
            yours.baseline.val_loss,
            yours.treated.val_loss,
        ),
    }


@claim(
    "Their gap is close to zero, as it is for the harness's shifts on every "
    "seed in section 1"
)
def shifted_gaps_are_near_zero(ns: Namespace) -> Evidence:
    gaps = [ns["yours"].treated.gap] + [
        c.treated.gap for c in ns["results"][SHIFTS]
    ]
    holds = all(abs(g) <= NEAR_ZERO for g in gaps)
    return holds, {"gaps (yours, then seeds)": gaps}


@claim(
    "At the same number the variant and PyTorch's loss differ; rescaled, "
    "they agree to float rounding."
)
def conventions_differ_by_a_rescaling(ns: Namespace) -> Evidence:
    variant = float(ns["variant"])
    same_number = float(ns["yours_at_0_1"])
    rescaled = float(ns["yours_rescaled"])
    holds = (
        abs(variant - same_number) > DIFFER
        and abs(variant - rescaled) < ROUNDING
    )
    return holds, {
        "variant": variant,
        "at the same number": same_number,
        "rescaled": rescaled,
    }


@claim(
    "Smoothing does not stop the network from learning the wrong labels: "
    "it still predicts most of them."
)
def smoothing_still_memorises(ns: Namespace) -> Evidence:
    memorised = ns["memorised"]
    return memorised[SMOOTHING] > 0.5, {"share predicted": memorised}


@claim(
    "on the flipped digits and on the validation split alike, the smoothed "
    "network is less sure of its answers than the baseline, which is close "
    "to certain of the wrong labels it memorised"
)
def smoothing_lowers_confidence(ns: Namespace) -> Evidence:
    flipped, val = ns["flipped_confidence"], ns["val_confidence"]
    holds = (
        flipped[SMOOTHING] < flipped["baseline"]
        and val[SMOOTHING] < val["baseline"]
        and flipped["baseline"] >= CLOSE_TO_CERTAIN
    )
    return holds, {"on the flipped digits": flipped, "on validation": val}
