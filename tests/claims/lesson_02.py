"""What lesson 02 (Measuring honestly) says about its computed results,
asserted on seeds 0, 1 and 2."""

from __future__ import annotations

import math
from itertools import pairwise

from tests.claims import Claims, Evidence, Namespace

claim = Claims("02-measuring")

# The first epochs, while the loss still falls steeply within an epoch.
FIRST_EPOCHS = 3
# The early epochs in which the running loss makes validation look better.
EARLY_EPOCHS = 5


def last_batches_and_means(ns: Namespace) -> tuple[list[float], list[float]]:
    """Pitfall 1's table: each epoch's last batch loss and its mean."""
    rows = ns["epochs_of_batches"]
    last = [losses[-1] for _, losses in rows]
    means = [ns["weighted_mean"](losses, sizes) for sizes, losses in rows]
    return last, means


def batch_size_table(ns: Namespace) -> dict[int, tuple[int, float, float]]:
    """Pitfall 3's table, by batch size: the last batch's size and the
    weighted and unweighted validation losses of the same model."""
    model, val, loss_fn = ns["model"], ns["data"].val, ns["loss_fn"]
    table = {}
    for batch_size in (32, 50, 64, 128, len(val)):
        last = len(list(val.batches(batch_size))[-1][1])
        weighted = ns["evaluate"](model, val, loss_fn, batch_size).loss
        unweighted = ns["unweighted_batch_mean"](
            model, val, loss_fn, batch_size
        )
        table[batch_size] = (last, weighted, unweighted)
    return table


@claim(
    "In the first epochs the batch losses fall steeply *within* each epoch, "
    "so the last batch, computed with the best weights of the epoch, sits "
    "below the epoch mean"
)
def last_batch_below_mean_early(ns: Namespace) -> Evidence:
    last, means = last_batches_and_means(ns)
    pairs = list(zip(last, means, strict=True))[:FIRST_EPOCHS]
    return all(a < m for a, m in pairs), {
        f"(last batch, mean) of epochs 1-{FIRST_EPOCHS}": pairs
    }


@claim(
    "Once the loss falls slowly, the last batch lands anywhere in the "
    "spread of its epoch"
)
def last_batch_anywhere_later(ns: Namespace) -> Evidence:
    """Later, the last batch is above the epoch mean in some epoch and
    below it in another."""
    last, means = last_batches_and_means(ns)
    later = list(zip(last, means, strict=True))[FIRST_EPOCHS:]
    above = sum(a > m for a, m in later)
    return 0 < above < len(later), {
        "later epochs": len(later),
        "last batch above the mean in": above,
    }


@claim(
    "a curve of last-batch losses zigzags with the shuffle rather than "
    "with learning"
)
def last_batch_curve_zigzags(ns: Namespace) -> Evidence:
    """The epoch means fall every epoch; the last batches rise in one at
    least."""
    last, means = last_batches_and_means(ns)
    rises = sum(b > a for a, b in pairwise(last))
    means_fall = all(b < a for a, b in pairwise(means))
    return means_fall and rises > 0, {
        "epoch means": means,
        "last batches": last,
    }


@claim(
    "The last batch is also the smallest whenever the batch size does not "
    "divide the split"
)
def last_batch_is_smallest(ns: Namespace) -> Evidence:
    sizes = ns["epochs_of_batches"][0][0]
    return sizes[-1] < min(sizes[:-1]), {"batch sizes": sizes}


@claim(
    "In eval mode the same model gives the same number every time, as a "
    "measurement should."
)
def eval_mode_is_repeatable(ns: Namespace) -> Evidence:
    return len(set(ns["dropout_off"])) == 1, {"eval": ns["dropout_off"]}


@claim("With dropout on, the number changes from call to call and is higher")
def dropout_on_varies_and_is_higher(ns: Namespace) -> Evidence:
    on, off = ns["dropout_on"], ns["dropout_off"][0]
    holds = len(set(on)) == len(on) and min(on) > off
    return holds, {"dropout on": on, "eval mode": off}


@claim("the last two lines above show what happens to the gap: it is inflated")
def dropout_inflates_the_gap(ns: Namespace) -> Evidence:
    train_loss = ns["train_loss"]
    honest = ns["dropout_off"][0] - train_loss
    inflated = ns["dropout_on"][0] - train_loss
    return inflated > honest, {
        "gap in eval mode": honest,
        "gap with dropout": inflated,
    }


@claim("The validation split has a prime number of samples")
def validation_split_is_prime(ns: Namespace) -> Evidence:
    n = len(ns["data"].val)
    prime = n > 1 and all(n % d for d in range(2, math.isqrt(n) + 1))
    return prime, {"validation samples": n}


@claim(
    "The weighted column does not depend on the batch size: it is the same "
    "number"
)
def weighted_loss_ignores_batch_size(ns: Namespace) -> Evidence:
    weighted = [w for _, w, _ in batch_size_table(ns).values()]
    spread = max(weighted) - min(weighted)
    return spread < 1e-6 * max(weighted), {"weighted": weighted}


@claim(
    "The unweighted column moves with the batch size, and it is furthest "
    "off in the rows where the last batch is small"
)
def unweighted_worst_with_small_last_batch(ns: Namespace) -> Evidence:
    """The rows with the two smallest last batches are the two furthest
    from the weighted loss."""
    table = batch_size_table(ns)
    error = {b: abs(u - w) for b, (_, w, u) in table.items()}
    smallest_last = sorted(table, key=lambda b: table[b][0])[:2]
    furthest = sorted(table, key=error.get, reverse=True)[:2]
    return set(smallest_last) == set(furthest), {
        "last batch by batch size": {b: row[0] for b, row in table.items()},
        "|unweighted - weighted| by batch size": error,
    }


@claim(
    "Compared with the running training loss, the validation loss looks "
    "*better* for many epochs"
)
def validation_below_running_often(ns: Namespace) -> Evidence:
    """Read "many" as: half of the epochs or more."""
    below = ns["counts"]["validation below running training"]
    epochs = len(ns["history"])
    return below >= epochs / 2, {"epochs": epochs, "below": below}


@claim(
    "Compared with the eval-mode training loss, measured on the same "
    "weights in the same way, the paradox is gone."
)
def validation_never_below_eval_training(ns: Namespace) -> Evidence:
    below = ns["counts"]["validation below eval-mode training"]
    return below == 0, {"epochs with validation below training": below}


def running_above_eval_training(ns: Namespace) -> Evidence:
    """The running training loss is above the eval-mode one every epoch."""
    history = ns["history"]
    pairs = zip(history.running_train_loss, history.train_loss, strict=True)
    above = sum(running > honest for running, honest in pairs)
    return above == len(history), {
        "epochs": len(history),
        "running above eval-mode": above,
    }


@claim(
    "Two effects push the running loss up, and neither has anything to do "
    "with generalisation"
)
def running_loss_is_pushed_up(ns: Namespace) -> Evidence:
    return running_above_eval_training(ns)


@claim(
    "After the first epoch, while the loss is still falling fast, most of "
    "the difference is lag."
)
def lag_dominates_after_epoch_one(ns: Namespace) -> Evidence:
    lag, dropout, _ = ns["explained"][1]
    return lag > (lag + dropout) / 2, {"lag": lag, "dropout": dropout}


@claim("the lag has all but vanished and what remains is mostly dropout.")
def dropout_dominates_at_the_end(ns: Namespace) -> Evidence:
    """Read "all but vanished" as: under a tenth of the first epoch's lag."""
    first_lag = ns["explained"][1][0]
    lag, dropout, _ = ns["explained"][ns["EPOCHS"]]
    holds = (
        abs(lag) < first_lag / 10
        and dropout > abs(lag)
        and dropout > (lag + dropout) / 2
    )
    return holds, {
        "lag after epoch 1": first_lag,
        "lag at the end": lag,
        "dropout at the end": dropout,
    }


@claim("That is what `History.gap` does.")
def history_gap_uses_eval_training(ns: Namespace) -> Evidence:
    history = ns["history"]
    expected = [
        v - t
        for v, t in zip(history.val_loss, history.train_loss, strict=True)
    ]
    return history.gap == expected, {"gap after the last epoch": expected[-1]}


@claim("The losses span more than an order of magnitude")
def losses_span_an_order_of_magnitude(ns: Namespace) -> Evidence:
    history = ns["history"]
    plotted = (
        history.running_train_loss + history.train_loss + history.val_loss
    )
    span = max(plotted) / min(plotted)
    return span > 10, {"largest / smallest": span}


@claim("The dashed running loss sits above the solid eval-mode training loss")
def dashed_running_loss_above_solid(ns: Namespace) -> Evidence:
    return running_above_eval_training(ns)


@claim(
    "it would suggest that the model does better on unseen data early on, "
    "and hide part of the gap later."
)
def running_loss_misleads(ns: Namespace) -> Evidence:
    """Validation is below the running loss in the early epochs, and at
    the end val - running is smaller than the honest gap."""
    history = ns["history"]
    early = [
        history.at(epoch)["val_loss"] < history.at(epoch)["running_train_loss"]
        for epoch in range(1, EARLY_EPOCHS + 1)
    ]
    shown = history.val_loss[-1] - history.running_train_loss[-1]
    honest = history.gap[-1]
    return all(early) and shown < honest, {
        f"val below running in epochs 1-{EARLY_EPOCHS}": early,
        "gap against the running loss at the end": shown,
        "honest gap at the end": honest,
    }


@claim(
    "on the log axis they drift apart, because the training loss keeps "
    "falling faster than the validation loss, and the ratio printed above "
    "grows."
)
def honest_curves_drift_apart(ns: Namespace) -> Evidence:
    """The ratio of validation to training loss grows from the first epoch
    to the middle and from the middle to the end."""
    ratios = ns["ratios"]
    first, middle, last = ratios[0], ratios[len(ratios) // 2], ratios[-1]
    return first < middle < last, {
        "val / train after the first, middle and last epoch": (
            first,
            middle,
            last,
        )
    }


@claim(
    "the two histories even agree to rounding; otherwise they differ by "
    "the noise of a different shuffle",
    below=True,
)
def your_loop_matches_fit(ns: Namespace) -> Evidence:
    """The solution's loop draws random numbers in fit's order, so its
    first five epochs match fit's to the four printed decimals."""
    mine, theirs = ns["history"], ns["reference"]
    keys = ("running_train_loss", "val_loss")
    differences = [
        abs(mine.at(epoch)[key] - theirs.at(epoch)[key])
        for epoch in theirs.epoch
        for key in keys
    ]
    return max(differences) < 5e-5, {"largest difference": max(differences)}
