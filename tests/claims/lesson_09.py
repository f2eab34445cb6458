"""What lesson 09 (Data problems that look like overfitting) says about
its computed results, asserted on seeds 0, 1 and 2."""

from __future__ import annotations

import math

import torch
from torch import nn

from gaplab import evaluate, load_digits
from gaplab.data_problems import (
    DIGITS_RUN,
    DUPLICATE_THRESHOLD,
    DUPLICATES,
    IMBALANCE,
    LEAKY_SELECTION,
    LEAKY_STATISTICS,
    N_FOLDS,
    NOISE_FEATURES,
    NOISE_ROWS,
    NOISE_RUN,
    PLANTED_NOISE,
    PLANTED_SHARE,
    RARE_CLASSES,
    RARE_KEEP,
    SELECTED_FEATURES,
    SORTED_SPLIT,
    SORTED_VAL_SHARE,
    TYPICAL_SHARE,
    TYPICAL_SPLIT,
    Measured,
    balanced_accuracy,
    label_shift,
    load_noise,
    make_imbalanced,
    predictions,
    select_features,
)
from gaplab.diagnose import ACC_TOLERANCE, diagnose
from tests.claims import Claims, Evidence, Namespace

claim = Claims("09-data-problems")

# "Well above a coin toss": a validation accuracy of at least this.
WELL_ABOVE_CHANCE = 0.65
# "Near a coin toss" and "a coin toss": an accuracy within this of 0.5
# (100 rows: one standard deviation of a coin toss is 0.05).
NEAR_CHANCE = 0.1
# "Almost nothing right" and "almost never wrong".
ALMOST_NOTHING, ALMOST_ALWAYS = 0.05, 0.99
# "To float rounding", for standardised pixels.
ROUNDING = 1e-5
# "Less than a twentieth of a standard deviation".
TWENTIETH = 0.05
# "Differ by less than 0.02", as the sentence says.
LOSS_DIFFERENCE = 0.02
# "Well inside" and "well outside" the duplicate threshold: by this.
WELL = 0.05
# "Close to 1" for a label shift, and "only a hint": at most this.
CLOSE_TO_ONE, HINT = 0.95, 0.25
# "At most 0.01", as the sentence says, for the folds' label shift.
FOLD_SHIFT = 0.01
# "Far below every fold": by at least this much accuracy.
FAR_BELOW = 0.5
# "A handful" of validation digits per rare class.
HANDFUL = 5
# "Light noise" on pixels in [0, 1]: a standard deviation of at most this.
LIGHT_NOISE = 0.05
# "The same class mix" for the imbalanced splits: a label shift of at most.
SAME_MIX = 0.02
# "About as well as its training split": accuracies within this, and
# losses within LOSS_DIFFERENCE.
ABOUT_AS_WELL = 0.03
# "About the unplanted share": a ratio of gaps within this of it.
ABOUT_SHARE = 0.05
# "Far less than the sorted split": at most this share of its shift.
FAR_LESS = 0.5
# "Far more of their digits": the largest share kept at least this many
# times the smallest.
FAR_MORE = 2
# "One to a few standard errors": a spread of 1 to this many.
A_FEW = 4
# The rule for a suspect split: more than this many standard errors.
SUSPECT = 2
# "Misses the rare digits far more often": at least this many times the
# common classes' miss rate.
MISSED_MORE = 3
REMEDIES = ("weighted", "oversampled")
# The problems whose honest value comes from the same training run.
SAME_RUN = (DUPLICATES, TYPICAL_SPLIT, IMBALANCE)


def runs(ns: Namespace, problem: str) -> list[Measured]:
    return ns["results"][problem]


def accuracies(ns: Namespace, problem: str) -> list[tuple[float, float]]:
    """(reported, honest) validation accuracy per seed."""
    return [
        (run.reported_accuracy, run.honest_accuracy)
        for run in runs(ns, problem)
    ]


def patterns(ns: Namespace, problem: str) -> list[str]:
    return [run.pattern for run in runs(ns, problem)]


# ------------------------------------------------------- the setup


@claim("`DIGITS_RUN`: one hidden layer of 64 units, 30 epochs")
def digits_run_is_as_described(ns: Namespace) -> Evidence:
    described = (DIGITS_RUN.hidden, DIGITS_RUN.epochs)
    return described == ((64,), 30), {"hidden, epochs": described}


@claim("`NOISE_RUN`: the same layer, 60 epochs in batches of 16")
def noise_run_is_as_described(ns: Namespace) -> Evidence:
    described = (NOISE_RUN.hidden, NOISE_RUN.epochs, NOISE_RUN.batch_size)
    holds = described == (DIGITS_RUN.hidden, 60, 16)
    return holds, {"hidden, epochs, batch size": described}


@claim(
    "For duplicates, typical digits and imbalance both values come from one "
    "training run, scored on two validation sets or by two measures; for "
    "leaky statistics, leaky feature selection and the sorted split, the "
    "honest value comes from a second training run",
    below=True,
)
def honest_values_come_from_the_runs_described(ns: Namespace) -> Evidence:
    """One run: the reported and honest curves share their training
    losses; a second run: they do not."""
    shared = {
        problem: [
            run.reported.train_loss == run.honest.train_loss
            for run in runs(ns, problem)
        ]
        for problem in ns["results"]
    }
    holds = all(
        all(same) == (problem in SAME_RUN) and len(set(same)) == 1
        for problem, same in shared.items()
    )
    return holds, {"one run": shared}


@claim(
    "1,000 features of pure noise with coin-toss labels; the 20 features "
    "most correlated with the labels are kept"
)
def noise_is_as_described(ns: Namespace) -> Evidence:
    noise = load_noise(0)
    labels = set(noise.train.y.tolist())
    holds = (
        (NOISE_FEATURES, SELECTED_FEATURES) == (1000, 20)
        and noise.n_features == NOISE_FEATURES
        and labels == {0, 1}
    )
    return holds, {
        "features, selected": (NOISE_FEATURES, SELECTED_FEATURES),
        "labels": sorted(labels),
    }


@claim(
    "does exactly this with pure noise: 100 rows per split, 1,000 Gaussian"
    " features"
)
def noise_rows_are_as_described(ns: Namespace) -> Evidence:
    noise = load_noise(0)
    sizes = [len(noise.train), len(noise.val), len(noise.test)]
    return sizes == [NOISE_ROWS] * 3 == [100] * 3, {"rows per split": sizes}


@claim(
    "a third of the validation digits replaced by copies of training "
    "digits, half exact and half with light noise added"
)
def planting_is_as_described(ns: Namespace) -> Evidence:
    """ "Light noise": Gaussian, of standard deviation at most
    LIGHT_NOISE (pixels in [0, 1])."""
    holds = PLANTED_SHARE == 1 / 3 and 0 < PLANTED_NOISE <= LIGHT_NOISE
    return holds, {"planted share": PLANTED_SHARE, "noise": PLANTED_NOISE}


@claim(
    "the training and validation digits sorted by class, the last fifth "
    "kept for validation"
)
def sorted_split_is_as_described(ns: Namespace) -> Evidence:
    return SORTED_VAL_SHARE == 0.2, {"share": SORTED_VAL_SHARE}


@claim("the half of its digits closest to their class's average image")
def typical_split_is_as_described(ns: Namespace) -> Evidence:
    return TYPICAL_SHARE == 0.5, {"share": TYPICAL_SHARE}


@claim("the digits 5 to 9 kept one in ten, in every split")
def imbalance_is_as_described(ns: Namespace) -> Evidence:
    described = (RARE_CLASSES, RARE_KEEP)
    return described == ((5, 6, 7, 8, 9), 0.1), {"rare, kept": described}


@claim(
    "the second value is the **balanced accuracy**, the mean of the recalls "
    "of the classes (section 5). It is not the more honest of the two: "
    "validation has the same class mix as the data the model meets",
    below=True,
)
def imbalance_second_value_is_balanced(ns: Namespace) -> Evidence:
    """The same mix: the imbalanced training and validation splits'
    label shift is at most SAME_MIX."""
    data = make_imbalanced(load_digits())
    shift = label_shift(data.train.y, data.val.y, 10)
    pairs = [
        (
            run.honest_accuracy,
            balanced_accuracy(predictions(run.model, data.val), data.val.y),
        )
        for run in runs(ns, IMBALANCE)
    ]
    holds = shift <= SAME_MIX and all(a == b for a, b in pairs)
    return holds, {"label shift": shift, "(second value, balanced)": pairs}


@claim(
    "`DUPLICATE_THRESHOLD` (0.25: a Euclidean distance over the 64 pixels, "
    "each in 0-1)"
)
def threshold_is_as_described(ns: Namespace) -> Evidence:
    pixels = load_digits().train.X
    found = (pixels.shape[1], float(pixels.min()), float(pixels.max()))
    holds = DUPLICATE_THRESHOLD == 0.25 and found[0] == 64
    holds = holds and 0 <= found[1] and found[2] <= 1
    return holds, {
        "threshold": DUPLICATE_THRESHOLD,
        "pixels, lowest, highest": found,
    }


# ------------------------------------------------- 1. the result first


@claim(
    "on every seed the leaky and the honest validation accuracies are "
    "within one validation digit of each other"
)
def leaky_statistics_change_nothing(ns: Namespace) -> Evidence:
    one_digit = 1 / len(load_digits().val)
    pairs = accuracies(ns, LEAKY_STATISTICS)
    holds = all(abs(r - h) <= one_digit + 1e-12 for r, h in pairs)
    return holds, {"(leaky, honest)": pairs, "one digit": one_digit}


@claim(
    "it turns pure noise into a validation accuracy well above a coin toss "
    "on every seed, where the honest choice stays near one"
)
def leaky_selection_beats_chance(ns: Namespace) -> Evidence:
    """ "Well above": at least WELL_ABOVE_CHANCE; "near": within
    NEAR_CHANCE of 0.5."""
    pairs = accuracies(ns, LEAKY_SELECTION)
    holds = all(
        r >= WELL_ABOVE_CHANCE and abs(h - 0.5) <= NEAR_CHANCE
        for r, h in pairs
    )
    return holds, {"(leaky, honest)": pairs}


@claim("Duplicates raise the validation accuracy on every seed.")
def duplicates_raise_accuracy(ns: Namespace) -> Evidence:
    pairs = accuracies(ns, DUPLICATES)
    return all(r > h for r, h in pairs), {"(with, without)": pairs}


@claim(
    "sorted by class, validation says the network gets almost nothing "
    "right; cleaned of unusual digits, it says the network is almost never "
    "wrong"
)
def unrepresentative_splits_mislead_both_ways(ns: Namespace) -> Evidence:
    sorted_ = accuracies(ns, SORTED_SPLIT)
    typical = accuracies(ns, TYPICAL_SPLIT)
    holds = all(r <= ALMOST_NOTHING < h for r, h in sorted_) and all(
        h < r and r >= ALMOST_ALWAYS for r, h in typical
    )
    return holds, {"sorted": sorted_, "typical": typical}


@claim(
    "with imbalanced classes the plain accuracy is above the balanced "
    "accuracy on every seed"
)
def accuracy_above_balanced_accuracy(ns: Namespace) -> Evidence:
    pairs = accuracies(ns, IMBALANCE)
    return all(r > h for r, h in pairs), {"(accuracy, balanced)": pairs}


@claim(
    "It calls the runs with leaky statistics, duplicates and imbalanced "
    "classes healthy on every seed."
)
def healthy_where_the_data_is_flawed(ns: Namespace) -> Evidence:
    found = {
        problem: patterns(ns, problem)
        for problem in (LEAKY_STATISTICS, DUPLICATES, IMBALANCE)
    }
    holds = all(p == "healthy" for names in found.values() for p in names)
    return holds, found


@claim(
    "It reads the leaky feature selection as overfitting on every seed "
    "(`overfitting`, or `loss_acc_disagree` where the accuracy held), as "
    "it does the honest one"
)
def selection_runs_read_as_overfitting(ns: Namespace) -> Evidence:
    leaky = patterns(ns, LEAKY_SELECTION)
    honest = [
        diagnose(run.honest).pattern for run in runs(ns, LEAKY_SELECTION)
    ]
    overfitting = {"overfitting", "loss_acc_disagree"}
    holds = set(leaky + honest) <= overfitting
    return holds, {"leaky": leaky, "honest": honest}


@claim(
    "It reads the sorted split as a loss that rises while the accuracy "
    "stays near zero (`loss_acc_disagree`: the accuracy did not fall) and "
    "the typical digits as a validation loss below the running training "
    "loss (`val_below_running_train`)"
)
def split_patterns(ns: Namespace) -> Evidence:
    """ "Did not fall": the last accuracy is at least the first minus
    diagnose's ACC_TOLERANCE."""
    sorted_ = patterns(ns, SORTED_SPLIT)
    typical = patterns(ns, TYPICAL_SPLIT)
    accuracy = [
        (
            run.reported.val_acc[0],
            max(run.reported.val_acc),
            run.reported.val_acc[-1],
        )
        for run in runs(ns, SORTED_SPLIT)
    ]
    holds = (
        set(sorted_) == {"loss_acc_disagree"}
        and set(typical) == {"val_below_running_train"}
        and all(
            best <= ALMOST_NOTHING and last >= first - ACC_TOLERANCE
            for first, best, last in accuracy
        )
    )
    return holds, {
        "sorted": sorted_,
        "typical": typical,
        "sorted accuracy (first, best, last)": accuracy,
    }


# ------------------------------------------------------------ 2. leakage


@claim("Your honest inputs are the library's, to float rounding.")
def honest_inputs_match_the_library(ns: Namespace) -> Evidence:
    return ns["from_library"] <= ROUNDING, {"largest": ns["from_library"]}


@claim(
    "The leaky inputs sit on average less than a twentieth of a standard "
    "deviation from the honest ones"
)
def leaky_inputs_barely_move(ns: Namespace) -> Evidence:
    return ns["moved"] < TWENTIETH, {"mean difference": ns["moved"]}


@claim("on every seed the two validation losses differ by less than 0.02")
def leaky_losses_barely_differ(ns: Namespace) -> Evidence:
    pairs = [
        (run.reported.val_loss[-1], run.honest.val_loss[-1])
        for run in runs(ns, LEAKY_STATISTICS)
    ]
    holds = all(abs(r - h) < LOSS_DIFFERENCE for r, h in pairs)
    return holds, {"(leaky, honest)": pairs}


@claim(
    "On every seed the leaky run's validation loss at its onset is below "
    "the coin toss's $\\ln 2$, at a later epoch than the honest run's onset"
)
def leaky_curve_promises_learning(ns: Namespace) -> Evidence:
    found = []
    for run in runs(ns, LEAKY_SELECTION):
        leaky, honest = diagnose(run.reported), diagnose(run.honest)
        at_onset = run.reported.at(leaky.onset_epoch)["val_loss"]
        found.append((at_onset, leaky.onset_epoch, honest.onset_epoch))
    holds = all(
        loss < math.log(2) and leaky > honest for loss, leaky, honest in found
    )
    return holds, {"(loss at onset, onset, honest onset)": found}


@claim("on the fresh test rows, that model is a coin toss")
def leaky_model_is_a_coin_toss(ns: Namespace) -> Evidence:
    fresh = []
    for run in runs(ns, LEAKY_SELECTION):
        data = select_features(load_noise(run.seed), leaky=True)
        fresh.append(evaluate(run.model, data.test, nn.CrossEntropyLoss()))
    scores = [measured.accuracy for measured in fresh]
    holds = all(abs(s - 0.5) <= NEAR_CHANCE for s in scores)
    return holds, {"test accuracy": scores}


@claim("The honest run's onset is its first epoch")
def honest_selection_learns_nothing(ns: Namespace) -> Evidence:
    onsets = [
        diagnose(run.honest).onset_epoch for run in runs(ns, LEAKY_SELECTION)
    ]
    return all(o == 1 for o in onsets), {"onsets": onsets}


# --------------------------------------------------------- 3. duplicates


@claim(
    "None: the course's split holds no exact copy and no near one between "
    "any two splits, and even the closest pair is further apart than the "
    "threshold."
)
def digits_hold_no_duplicates(ns: Namespace) -> Evidence:
    found = ns["found_in_digits"]
    holds = all(
        exact == near == 0 and closest > DUPLICATE_THRESHOLD
        for exact, near, closest in found.values()
    )
    return holds, found


@claim(
    "At threshold 0 your detector finds the exact copies, half of the "
    "planted digits, and nothing else."
)
def threshold_zero_finds_the_exact_copies(ns: Namespace) -> Evidence:
    exact, planted, nearest = ns["exact"], ns["planted"], ns["nearest"]
    holds = (
        torch.equal(exact, nearest == 0)
        and int(exact.sum()) == int(planted.sum()) // 2
        and not (exact & ~planted).any()
    )
    return holds, {"found": int(exact.sum()), "planted": int(planted.sum())}


@claim(
    "At the threshold it finds every planted digit and flags none of the "
    "others"
)
def threshold_finds_every_planted_digit(ns: Namespace) -> Evidence:
    flagged, planted = ns["flagged"], ns["planted"]
    return torch.equal(flagged, planted), {
        "flagged": int(flagged.sum()),
        "planted": int(planted.sum()),
    }


@claim(
    "the copies with noise added lie well inside it, the nearest genuine "
    "validation digit well outside"
)
def threshold_has_room_on_both_sides(ns: Namespace) -> Evidence:
    nearest, planted = ns["nearest"], ns["planted"]
    farthest_copy = float(nearest[planted].max())
    closest_genuine = float(nearest[~planted].min())
    holds = (
        farthest_copy <= DUPLICATE_THRESHOLD - WELL
        and closest_genuine >= DUPLICATE_THRESHOLD + WELL
    )
    return holds, {
        "farthest copy": farthest_copy,
        "closest genuine": closest_genuine,
    }


@claim("With the copies, the validation loss is lower and the gap smaller")
def copies_lower_the_loss(ns: Namespace) -> Evidence:
    scores = ns["scores"]
    with_copies = scores["with the copies"].loss
    without = scores["without them"].loss
    # The gap is each loss minus the same training loss.
    return with_copies < without, {"(with, without)": (with_copies, without)}


@claim("It scores the copies about as well as its training split")
def copies_score_like_training(ns: Namespace) -> Evidence:
    """ "About as well": accuracies within ABOUT_AS_WELL, losses within
    LOSS_DIFFERENCE."""
    scores = ns["scores"]
    copies, train = scores["the copies alone"], scores["the training split"]
    holds = (
        abs(copies.accuracy - train.accuracy) <= ABOUT_AS_WELL
        and abs(copies.loss - train.loss) <= LOSS_DIFFERENCE
    )
    return holds, {
        "copies (loss, accuracy)": (copies.loss, copies.accuracy),
        "training (loss, accuracy)": (train.loss, train.accuracy),
    }


@claim(
    "the planted split's accuracy is the mix of the two parts' accuracies, "
    "weighted by the planted share"
)
def planted_accuracy_is_the_mix(ns: Namespace) -> Evidence:
    rebuilt = ns["rebuilt"]
    with_copies = ns["scores"]["with the copies"].accuracy
    share, planted = ns["share"], float(ns["planted"].float().mean())
    holds = abs(rebuilt - with_copies) <= 1e-6 and share == planted
    return holds, {
        "(rebuilt, measured)": (rebuilt, with_copies),
        "(share flagged, share planted)": (share, planted),
    }


@claim("the gap shrinks to about the unplanted share of the true one")
def gap_shrinks_by_the_share(ns: Namespace) -> Evidence:
    """ "About": the ratio of the gaps within ABOUT_SHARE of 1 - share."""
    scores, train_loss = ns["scores"], ns["train_loss"]
    ratio = (scores["with the copies"].loss - train_loss) / (
        scores["without them"].loss - train_loss
    )
    holds = abs(ratio - (1 - ns["share"])) <= ABOUT_SHARE
    return holds, {"ratio of the gaps": ratio, "unplanted": 1 - ns["share"]}


@claim(
    "On every seed `diagnose` calls both curves healthy, and the gap it "
    "measures with the copies is smaller than the true one"
)
def duplicates_hide_part_of_the_gap(ns: Namespace) -> Evidence:
    found = [
        (run.pattern, diagnose(run.honest).pattern)
        for run in runs(ns, DUPLICATES)
    ]
    gaps = [
        (run.reported.gap[-1], run.honest.gap[-1])
        for run in runs(ns, DUPLICATES)
    ]
    holds = all(p == ("healthy", "healthy") for p in found) and all(
        r < h for r, h in gaps
    )
    return holds, {"patterns": found, "gaps (with, without)": gaps}


# ---------------------------------------------- 4. unrepresentative splits


@claim(
    "The sorted split's validation digits are almost all of classes the "
    "training split does not hold: its label shift is close to 1."
)
def sorted_split_shifts_almost_everything(ns: Namespace) -> Evidence:
    split = ns["sorted_split"]
    unseen = ~torch.isin(split.val.y, split.train.y.unique())
    share = float(unseen.double().mean())
    shift = ns["shifts"]["sorted by class"]
    holds = share >= CLOSE_TO_ONE and shift >= CLOSE_TO_ONE
    return holds, {"unseen share": share, "label shift": shift}


@claim(
    "The plain random split draws both its parts from the same class mix, "
    "yet its label shift is above 0"
)
def random_split_shift_is_above_zero(ns: Namespace) -> Evidence:
    plain = ns["shifts"]["a new split, plain"]
    return plain > 0, {"plain split's shift": plain}


@claim(
    "The typical digits' label shift is above that of every random subset "
    "of their size: they shift the class mix beyond chance, though far "
    "less than the sorted split"
)
def typical_digits_shift_beyond_chance(ns: Namespace) -> Evidence:
    """ "Far less": at most FAR_LESS of the sorted split's shift."""
    shifts, chance = ns["shifts"], ns["random_shifts"]
    typical = shifts["typical digits"]
    holds = (
        typical > max(chance)
        and typical <= FAR_LESS * shifts["sorted by class"]
    )
    return holds, {"shifts": shifts, "largest by chance": max(chance)}


@claim(
    "some classes keep far more of their validation digits among the "
    "typical ones than others"
)
def typical_digits_keep_classes_unevenly(ns: Namespace) -> Evidence:
    """ "Far more": the largest share kept is at least FAR_MORE times the
    smallest."""
    kept = torch.bincount(ns["typical"].y, minlength=10)
    whole = torch.bincount(ns["digits"].val.y, minlength=10)
    shares = (kept / whole).tolist()
    holds = max(shares) >= FAR_MORE * min(shares)
    return holds, {"share kept per class": shares}


@claim(
    "The stratified splits, the course's and the new one, are the closest "
    "to the training mix, closer than the plain random split."
)
def stratified_splits_are_closest(ns: Namespace) -> Evidence:
    shifts = ns["shifts"]
    stratified = ("the course's split", "a new split, stratified")
    others = [v for name, v in shifts.items() if name not in stratified]
    holds = max(shifts[name] for name in stratified) < min(others)
    return holds, {"shifts": shifts}


@claim(
    "Label shift finds the first problem plainly, and of the second only a "
    "small shift, though one beyond chance"
)
def label_shift_finds_the_first(ns: Namespace) -> Evidence:
    """ "Plainly": at least CLOSE_TO_ONE; "small": at most HINT; "beyond
    chance": above every random subset of the typical digits' size."""
    shifts, chance = ns["shifts"], ns["random_shifts"]
    holds = (
        shifts["sorted by class"] >= CLOSE_TO_ONE
        and max(chance) < shifts["typical digits"] <= HINT
    )
    return holds, {"shifts": shifts, "largest by chance": max(chance)}


@claim(
    "On the sorted split, the validation loss is lowest at the first epoch "
    "on every seed and climbs from there, while the accuracy stays near zero"
)
def sorted_split_loss_climbs(ns: Namespace) -> Evidence:
    curves = [run.reported for run in runs(ns, SORTED_SPLIT)]
    found = [
        (h.val_loss[0], min(h.val_loss), h.val_loss[-1], max(h.val_acc))
        for h in curves
    ]
    holds = all(
        first == lowest < last and accuracy <= ALMOST_NOTHING
        for first, lowest, last, accuracy in found
    )
    return holds, {"(first, lowest, last loss, best accuracy)": found}


@claim("`diagnose` reads a run that overfits from the start")
def sorted_split_overfits_from_the_start(ns: Namespace) -> Evidence:
    found = [
        (diagnose(run.reported).onset_epoch, run.pattern)
        for run in runs(ns, SORTED_SPLIT)
    ]
    holds = all(
        onset == 1 and pattern in ("overfitting", "loss_acc_disagree")
        for onset, pattern in found
    )
    return holds, {"(onset, pattern)": found}


@claim(
    "the validation split holds the 8s and 9s (and a few 7s), and the "
    "training split not one 8 or 9"
)
def sorted_split_classes(ns: Namespace) -> Evidence:
    split = ns["sorted_split"]
    val = torch.bincount(split.val.y, minlength=10).tolist()
    train = torch.bincount(split.train.y, minlength=10).tolist()
    holds = (
        sum(val[:7]) == 0
        and 0 < val[7] <= HANDFUL * 2
        and val[8] > 0
        and val[9] > 0
        and train[8] == train[9] == 0
    )
    return holds, {"validation": val, "training": train}


@claim(
    "On the typical digits the validation loss ends below the training "
    "loss on every seed, a negative gap"
)
def typical_digits_negative_gap(ns: Namespace) -> Evidence:
    gaps = [run.reported.gap[-1] for run in runs(ns, TYPICAL_SPLIT)]
    return all(g < 0 for g in gaps), {"gaps": gaps}


@claim("Five folds, shuffled from `SEED`:")
def five_folds(ns: Namespace) -> Evidence:
    return N_FOLDS == 5, {"folds": N_FOLDS}


@claim("Every fold's label shift is at most 0.01")
def folds_keep_the_class_mix(ns: Namespace) -> Evidence:
    shifts = ns["fold_shift"]
    return all(s <= FOLD_SHIFT for s in shifts), {"shifts": shifts}


@claim(
    "The folds' accuracies spread over one to a few standard errors of one "
    "fold"
)
def folds_spread_over_a_few_errors(ns: Namespace) -> Evidence:
    """ "One to a few": from 1 to A_FEW standard errors of an accuracy
    at the folds' mean on one fold's digits."""
    folds, error = ns["fold_accuracy"], ns["fold_error"]
    mean = sum(folds) / len(folds)
    n = len(ns["folds"][0].val)
    in_errors = (max(folds) - min(folds)) / error
    holds = abs(error - math.sqrt(mean * (1 - mean) / n)) < 1e-9
    holds = holds and 1 <= in_errors <= A_FEW
    return holds, {"spread in standard errors": in_errors, "folds": folds}


@claim("The course's split lies within two standard errors of the folds' mean")
def course_split_within_the_folds(ns: Namespace) -> Evidence:
    away = ns["errors_away"]["the course's split"]
    course = ns["single"]["the course's split"]
    honest = ns["results"][SORTED_SPLIT][0].honest_accuracy
    holds = abs(away) <= SUSPECT and course[0] == honest
    return holds, {"standard errors away": away, "course": course}


@claim(
    "The sorted split falls far below every fold, and the typical digits "
    "above every fold, both more than two standard errors from the folds' "
    "mean"
)
def flawed_splits_outside_the_folds(ns: Namespace) -> Evidence:
    folds = ns["fold_accuracy"]
    single = {name: accuracy for name, (accuracy, _) in ns["single"].items()}
    away = ns["errors_away"]
    holds = (
        single[SORTED_SPLIT] <= min(folds) - FAR_BELOW
        and single[TYPICAL_SPLIT] > max(folds)
        and away[SORTED_SPLIT] < -SUSPECT
        and away[TYPICAL_SPLIT] > SUSPECT
    )
    return holds, {
        "single splits": single,
        "folds": folds,
        "standard errors away": away,
    }


# --------------------------------------------------------- 5. imbalance


@claim(
    "the rare classes' mean recall is below the common classes': the "
    "network misses the rare digits far more often"
)
def rare_classes_are_missed(ns: Namespace) -> Evidence:
    """ "Far more often": a miss rate at least MISSED_MORE times the
    common classes'."""
    rare, common = ns["rare_recall"], ns["common_recall"]
    holds = rare < common and 1 - rare >= MISSED_MORE * (1 - common)
    return holds, {"rare": rare, "common": common}


@claim("Each rare class has only a handful of validation digits here")
def rare_classes_are_few(ns: Namespace) -> Evidence:
    counts = torch.bincount(ns["targets"], minlength=10).tolist()
    rare = [counts[c] for c in RARE_CLASSES]
    return all(0 < n <= HANDFUL for n in rare), {"rare counts": rare}


def remedy_table(ns: Namespace, column: str) -> dict[int, dict[str, float]]:
    """`column` of the remedies' table, by seed, then by remedy."""
    table: dict[int, dict[str, float]] = {}
    for (seed, name), row in ns["remedies"].items():
        table.setdefault(seed, {})[name] = row[column]
    return table


def every_seed(ns: Namespace) -> bool:
    """The table holds every seed of section 1, each with all three runs."""
    table = remedy_table(ns, "gap")
    return list(table) == list(ns["seeds"]) and all(
        list(row) == ["none", *REMEDIES] for row in table.values()
    )


@claim(
    "On every seed both remedies raise the balanced accuracy, and the "
    "number of rare validation digits the network gets right, above the "
    "plain run's, and both lower the plain accuracy"
)
def remedies_trade_accuracy_for_recall(ns: Namespace) -> Evidence:
    balanced = remedy_table(ns, "balanced")
    rare = remedy_table(ns, "rare right")
    accuracy = remedy_table(ns, "accuracy")
    holds = every_seed(ns) and all(
        balanced[s][r] > balanced[s]["none"]
        and rare[s][r] > rare[s]["none"]
        and accuracy[s][r] < accuracy[s]["none"]
        for s in balanced
        for r in REMEDIES
    )
    return holds, {"balanced": balanced, "rare": rare, "accuracy": accuracy}


@claim("Both also widen the gap, through a higher validation loss")
def remedies_widen_the_gap(ns: Namespace) -> Evidence:
    gap, val = remedy_table(ns, "gap"), remedy_table(ns, "val loss")
    holds = every_seed(ns) and all(
        gap[s][r] > gap[s]["none"] and val[s][r] > val[s]["none"]
        for s in gap
        for r in REMEDIES
    )
    return holds, {"gap": gap, "validation loss": val}


@claim("weighting raises the training loss, while oversampling lowers it")
def remedies_differ_on_training(ns: Namespace) -> Evidence:
    train = remedy_table(ns, "train loss")
    holds = every_seed(ns) and all(
        row["weighted"] > row["none"] > row["oversampled"]
        for row in train.values()
    )
    return holds, {"training loss": train}


@claim(
    "Oversampling also brings the rare classes' own training loss lowest of "
    "the three runs, with the widest gap to their validation loss"
)
def oversampling_fits_the_rare_training_digits(ns: Namespace) -> Evidence:
    train = remedy_table(ns, "rare train")
    val = remedy_table(ns, "rare val")
    gap = {s: {r: val[s][r] - train[s][r] for r in train[s]} for s in train}
    holds = every_seed(ns) and all(
        min(train[s], key=train[s].__getitem__) == "oversampled"
        and max(gap[s], key=gap[s].__getitem__) == "oversampled"
        for s in train
    )
    return holds, {"rare training loss": train, "rare gap": gap}


@claim("`diagnose` calls every run healthy.")
def remedied_runs_look_healthy(ns: Namespace) -> Evidence:
    found = ns["patterns"]
    holds = every_seed(ns) and set(found.values()) == {"healthy"}
    return holds, {str(key): pattern for key, pattern in found.items()}


@claim(
    "On every seed the adjustment lowers both remedies' validation loss and "
    "narrows their gap, though not down to the plain run's gap"
)
def logit_adjustment_narrows_the_gap(ns: Namespace) -> Evidence:
    remedies, adjusted = ns["remedies"], ns["adjusted"]
    found = {
        str(key): (
            remedies[key]["val loss"],
            row["val loss"],
            remedies[key]["gap"],
            row["gap"],
            remedies[key[0], "none"]["gap"],
        )
        for key, row in adjusted.items()
    }
    expected = {(s, r) for s in ns["seeds"] for r in REMEDIES}
    holds = set(adjusted) == expected and all(
        adjusted_val < val and plain_gap < adjusted_gap < gap
        for val, adjusted_val, gap, adjusted_gap, plain_gap in found.values()
    )
    return holds, {"(val loss, adjusted, gap, adjusted, plain gap)": found}
