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
# "Fits almost perfectly": a training loss below this (the probability
# of the right label above 0.98 on average, in log terms).
ALMOST_PERFECT = 0.02
# "Close to zero", for a baseline gap near 0.7.
NEAR_ZERO = 0.1
# "Differ" and "agree to float rounding" for float32 losses near 5.
DIFFER = 1e-3
ROUNDING = 1e-5
# "Close to certain": a mean probability of at least this.
CLOSE_TO_CERTAIN = 0.95
# "About the same validation accuracy": within this.
SAME_ACCURACY = 0.03


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
    "every seed, the wrong ones included"
)
def baseline_and_more_data_fit_everything(ns: Namespace) -> Evidence:
    accuracies = ns["final_train_accuracy"]
    runs = {name: accuracies[name] for name in ("baseline", MORE_DATA)}
    holds = all(a == 1.0 for values in runs.values() for a in values)
    return holds, runs


@claim("it has more wrong labels to memorise")
def more_data_has_more_wrong_labels(ns: Namespace) -> Evidence:
    wrong = ns["wrong_labels"]
    return wrong[MORE_DATA] > wrong["baseline"], {"wrong labels": wrong}


@claim(
    "Stopped at its best epoch, the run with more data does reach a lower "
    "validation loss than the baseline at its best on every seed"
)
def more_data_is_better_at_its_best(ns: Namespace) -> Evidence:
    pairs = [
        (c.baseline.best_val_loss, c.treated.best_val_loss)
        for c in ns["results"][MORE_DATA]
    ]
    return all(more < base for base, more in pairs), {
        "best validation loss (baseline, more data)": pairs
    }


@claim("With random shifts the network fits well under all of the labels")
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
    "With a penalty a hundred times weaker, the model fits every training "
    "set it is given almost perfectly, whatever its size",
    below=True,
)
def weak_penalty_fits_every_size(ns: Namespace) -> Evidence:
    train = mean_losses(ns["weak_penalty_curve"])["training"]
    return all(loss < ALMOST_PERFECT for loss in train), {"training": train}


@claim(
    "The network's shaded bands, from the lowest to the highest seed (the "
    "bands printed above), are a fraction of the distance the validation "
    "curve falls"
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


@claim("The same number of steps: the same samples, batches and epochs.")
def same_number_of_steps(ns: Namespace) -> Evidence:
    steps = (len(ns["batches_moved"]), ns["baseline_steps"])
    return steps[0] == steps[1], {"steps (yours, the baseline's)": steps}


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


def effects(ns: Namespace, column: str) -> dict[str, float]:
    return {name: row[column] for name, row in ns["effects"].items()}


@claim(
    "Smoothing does not stop the network from learning the wrong labels: "
    "it still predicts most of them."
)
def smoothing_still_memorises(ns: Namespace) -> Evidence:
    predicted = effects(ns, "predicts wrong")
    return predicted[SMOOTHING] > 0.5, {"share predicted": predicted}


@claim(
    "the probability it gives a memorised wrong label is lower than the "
    "baseline's, which is close to certain of them"
)
def smoothing_lowers_the_wrong_labels_probability(ns: Namespace) -> Evidence:
    probability = effects(ns, "p(wrong label)")
    holds = (
        probability[SMOOTHING] < probability["baseline"]
        and probability["baseline"] >= CLOSE_TO_CERTAIN
    )
    return holds, {"probability of the wrong label": probability}


@claim(
    "it is less sure of its validation answers too, for about the same "
    "validation accuracy"
)
def smoothing_hedges_on_validation(ns: Namespace) -> Evidence:
    confidence = effects(ns, "val confidence")
    accuracy = effects(ns, "val accuracy")
    holds = (
        confidence[SMOOTHING] < confidence["baseline"]
        and abs(accuracy[SMOOTHING] - accuracy["baseline"]) <= SAME_ACCURACY
    )
    return holds, {"confidence": confidence, "accuracy": accuracy}


@claim("Its training loss, measured with plain cross-entropy, rises")
def smoothing_raises_the_training_loss(ns: Namespace) -> Evidence:
    loss = effects(ns, "training loss")
    return loss[SMOOTHING] > loss["baseline"], {"training loss": loss}


@claim("The shifted network predicts fewer of the wrong labels")
def shifts_memorise_less(ns: Namespace) -> Evidence:
    predicted = effects(ns, "predicts wrong")
    holds = predicted[SHIFTS] < min(
        predicted["baseline"], predicted[SMOOTHING]
    )
    return holds, {"share predicted": predicted}
