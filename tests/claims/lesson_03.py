"""What lesson 03 (Overfit on purpose) says about its computed results,
asserted on seeds 0, 1 and 2."""

from __future__ import annotations

import math

import torch
from torch import nn

from gaplab.overfitting import model_outputs
from tests.claims import Claims, Evidence, Namespace

claim = Claims("03-overfitting")

# "A much larger fraction": at least this many times larger.
MUCH_LARGER = 3
# "Almost all" of the flipped samples' fit comes after the onset.
ALMOST_ALL = 0.8
# "At chance": within this of 1 / n_classes.
NEAR_CHANCE = 0.05
# "Near zero" for a training loss: below this fraction of its start.
NEAR_ZERO = 0.01
# "Close together": two losses within this of each other.
CLOSE = 0.15
# "Almost stopped falling" and "falling fast", in loss per epoch.
ALMOST_STOPPED = 0.01
FALLING_FAST = 0.1
# Where a two-class model is "unsure": a probability in this band.
UNSURE = (0.2, 0.8)


@claim(
    "after the onset, validation *loss* grows by a much larger fraction "
    "than validation *accuracy* falls"
)
def loss_grows_more_than_accuracy_falls(ns: Namespace) -> Evidence:
    growth, drop = ns["val_loss_growth"], ns["val_acc_drop"]
    holds = drop > 0 and growth > MUCH_LARGER * drop
    return holds, {"validation loss growth": growth, "accuracy fall": drop}


@claim(
    "The training loss keeps falling towards zero and the training "
    "accuracy reaches 100%, wrong labels included. The validation loss "
    "turns up."
)
def the_big_run_memorises_everything(ns: Namespace) -> Evidence:
    history, tracker = ns["history"], ns["tracker"]
    holds = (
        ns["training_loss_fraction"](history) < NEAR_ZERO
        and history.train_acc[-1] == 1.0
        and tracker.flipped_fit[-1] == 1.0
        and history.val_loss[-1] > min(history.val_loss)
    )
    return holds, {
        "final training loss": history.train_loss[-1],
        "final training accuracy": history.train_acc[-1],
        "flipped samples fitted": tracker.flipped_fit[-1],
    }


@claim("This run's training accuracy reaches 100%")
def the_definition_calls_the_big_run_overfitting(ns: Namespace) -> Evidence:
    """And the run overfits by the definition the paragraph gives."""
    history = ns["history"]
    holds = history.train_acc[-1] == 1.0 and ns["overfits"](history)
    return holds, {
        "training accuracy": history.train_acc[-1],
        "verdict": ns["verdict"](history),
    }


@claim(
    "The clean samples are fitted first and fast, the flipped ones late "
    "and slowly, almost all of it after the onset."
)
def clean_first_flipped_after_the_onset(ns: Namespace) -> Evidence:
    tracker, onset = ns["tracker"], ns["onset"]
    clean, flipped = tracker.clean_fit, tracker.flipped_fit
    at_onset = flipped[onset - 1]
    after = (flipped[-1] - at_onset) / flipped[-1]
    holds = clean[onset - 1] > 2 * at_onset and after >= ALMOST_ALL
    return holds, {
        "clean fitted at the onset": clean[onset - 1],
        "flipped fitted at the onset": at_onset,
        "share of the flipped fit after the onset": after,
    }


@claim(
    "At the onset the network *disagrees* with most of its wrong training "
    "labels and predicts the true digit instead."
)
def the_onset_model_predicts_true_labels(ns: Namespace) -> Evidence:
    share = ns["true_at_onset"].float().mean().item()
    return share > 0.5, {"flipped samples predicted as true": share}


@claim("this replays the first part of the run, as the last line above")
def the_replay_matches_the_run(ns: Namespace) -> Evidence:
    replayed = ns["onset_history"].val_loss[-1]
    original = ns["history"].val_loss[ns["onset"] - 1]
    return math.isclose(replayed, original, rel_tol=1e-6), {
        "replayed": replayed,
        "original": original,
    }


def unsure_share(ns: Namespace, model: nn.Module) -> float:
    """Share of the plot's plane where `model` gives class 1 a probability
    in the UNSURE band: the width of its pale band."""
    points = ns["moons"].train.X
    low, high = points.min(0).values - 0.5, points.max(0).values + 0.5
    axes = [
        torch.linspace(lo, hi, 100)
        for lo, hi in zip(low.tolist(), high.tolist(), strict=True)
    ]
    grid = torch.cartesian_prod(*axes)
    probability = model_outputs(model, grid).softmax(1)[:, 1]
    unsure = (probability > UNSURE[0]) & (probability < UNSURE[1])
    return unsure.float().mean().item()


@claim(
    "The long run fits the training points better, but the validation "
    "points that fall in the overlap now land on the wrong side of a "
    "confident boundary"
)
def the_long_moons_run_is_confidently_worse(ns: Namespace) -> Evidence:
    """Also the paragraph's picture: the long run's pale band (where it
    is unsure) covers less of the plane."""
    moons, evaluate = ns["moons"], ns["evaluate"]
    loss = nn.CrossEntropyLoss()
    numbers = {}
    for name, model in ns["moons_models"].items():
        numbers[name] = (
            evaluate(model, moons.train, loss).loss,
            evaluate(model, moons.val, loss).loss,
            unsure_share(ns, model),
        )
    (train_a, val_a, band_a), (train_b, val_b, band_b) = numbers.values()
    holds = train_b < train_a and val_b > val_a and band_b < band_a
    return holds, {"(train loss, val loss, unsure share)": numbers}


@claim(
    "The network fits random labels perfectly. It takes longer, since "
    "there is no shared pattern to exploit and every sample must be "
    "stored on its own, but it gets there within the same budget, while "
    "its validation accuracy stays at chance"
)
def random_labels_are_memorised_later(ns: Namespace) -> Evidence:
    first = ns["first_epoch_at"]
    true_run, random_run = ns["true_history"], ns["random_history"]
    true_epoch = first(true_run.train_acc, 1.0)
    random_epoch = first(random_run.train_acc, 1.0)
    chance = 1 / ns["clean"].n_classes
    holds = (
        random_epoch is not None
        and true_epoch is not None
        and random_epoch > true_epoch
        and abs(random_run.val_acc[-1] - chance) < NEAR_CHANCE
    )
    return holds, {
        "first epoch at 100% (true, random)": (true_epoch, random_epoch),
        "random-label validation accuracy": random_run.val_acc[-1],
    }


@claim(
    "A training loss near zero says nothing about generalisation: it is "
    "reached on true and on random labels alike."
)
def near_zero_training_loss_on_both(ns: Namespace) -> Evidence:
    true_run, random_run = ns["true_history"], ns["random_history"]
    fraction = ns["training_loss_fraction"]
    losses = (fraction(true_run), fraction(random_run))
    accuracies = (true_run.val_acc[-1], random_run.val_acc[-1])
    holds = max(losses) < NEAR_ZERO and accuracies[0] > 3 * accuracies[1]
    return holds, {
        "final training loss / first epoch's": losses,
        "validation accuracies": accuracies,
    }


@claim("had hundreds of thousands of parameters for 200")
def the_big_run_has_hundreds_of_thousands(ns: Namespace) -> Evidence:
    count, samples = ns["n_parameters"], len(ns["data"].train)
    return 100_000 <= count < 1_000_000 and samples == 200, {
        "parameters": count,
        "training samples": samples,
    }


@claim(
    "Both runs underfit: both losses stay high, closer to the ln 10 of a "
    "uniform guess than to zero, and close together."
)
def both_underfit_runs_stay_high(ns: Namespace) -> Evidence:
    runs = ns["underfit_runs"]
    half = math.log(10) / 2
    finals = {
        name: (run.train_loss[-1], run.val_loss[-1])
        for name, run in runs.items()
    }
    holds = all(ns["underfits"](run) for run in runs.values()) and all(
        min(pair) > half and abs(pair[0] - pair[1]) < CLOSE
        for pair in finals.values()
    )
    return holds, {"(training, validation) loss": finals}


@claim(
    "But the small network's training loss has almost stopped falling: "
    "more epochs will help little, it needs more capacity. The brief run was "
    "falling fast when it stopped"
)
def small_stopped_brief_still_falling(ns: Namespace) -> Evidence:
    fall = ns["late_fall_per_epoch"]
    small = fall(ns["underfit_runs"]["too small"])
    brief = fall(ns["underfit_runs"]["too brief"])
    holds = small < ALMOST_STOPPED and brief > FALLING_FAST
    return holds, {"late fall per epoch (small, brief)": (small, brief)}


@claim("The misaligned labels pass")
def the_one_batch_check_passes_and_fails_as_said(ns: Namespace) -> Evidence:
    """And the paragraph: the softmax-first pipeline fails, its loss
    falls from about ln 10 but stops at the floor, above it."""
    results = ns["sanity_results"]
    working, misaligned, softmax = results.values()
    holds = (
        working[0]
        and misaligned[0]
        and not softmax[0]
        and ns["floor"] <= softmax[1] < math.log(10)
    )
    return holds, {"(passed, final loss)": results, "floor": ns["floor"]}
