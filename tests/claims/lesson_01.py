"""What lesson 01 (Losses) says about its computed results, asserted on
seeds 0, 1 and 2 (only the digits network depends on the seed)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from tests.claims import Claims, Evidence, Namespace

claim = Claims("01-losses")

# "Agrees" means equal to the four decimals the lesson prints.
PRINTED = 1e-4


def table_gaps(ns: Namespace) -> dict[str, float]:
    """The gap of every row of section 6's table, by dataset and loss."""
    gaps = {}
    for dataset, name, loss, outputs, data in ns["measurements"]:
        train_loss, val_loss = ns["split_losses"](loss, outputs, data)
        gaps[f"{dataset} {name}"] = val_loss - train_loss
    return gaps


@claim(
    "always predicting the training mean would give a mean squared error "
    "of about 1",
    below=True,
)
def constant_prediction_scores_about_one(ns: Namespace) -> Evidence:
    """Read "about 1" as: within 0.1 of 1, on both splits."""
    diabetes = ns["diabetes"]
    mean = diabetes.train.y.mean()
    scores = {
        f"MSE of the training mean on {split}": float(
            ((getattr(diabetes, split).y - mean) ** 2).mean()
        )
        for split in ("train", "val")
    }
    return all(abs(s - 1) < 0.1 for s in scores.values()), scores


@claim("They can be negative and need not sum to one")
def logits_are_not_probabilities(ns: Namespace) -> Evidence:
    """The printed logits of the first training image show both."""
    first = ns["digits_logits"]["train"][0]
    smallest, total = float(first.min()), float(first.sum())
    return smallest < 0 and abs(total - 1) > 0.1, {
        "smallest logit": smallest,
        "sum of logits": total,
    }


@claim(
    "The sum of sums divided by $n$ reproduces the split's mean; the plain "
    "average of batch means does not, because it gives each sample of the "
    "short last batch more weight than the others."
)
def sum_of_sums_is_the_mean(ns: Namespace) -> Evidence:
    n = len(ns["per_sample"])
    mean = float(ns["per_sample"].mean())
    sum_of_sums = float(ns["sum_of_sums"]) / n
    plain = float(ns["batch_means"].mean())
    sizes = [len(batch) for batch in ns["batches"]]
    holds = (
        math.isclose(sum_of_sums, mean, rel_tol=1e-6)
        and abs(plain - mean) > PRINTED
        and sizes[-1] < sizes[0]
    )
    return holds, {
        "mean": mean,
        "sum of sums / n": sum_of_sums,
        "mean of batch means": plain,
        "batch sizes": sizes,
    }


@claim("yet the validation MSE grew by the largest factor of the three")
def mse_grows_most(ns: Namespace) -> Evidence:
    growth = ns["growth"]
    return max(growth, key=growth.get) == "MSE", growth


@claim("MAE and Huber charge it linearly and grow much less.")
def mae_and_huber_grow_much_less(ns: Namespace) -> Evidence:
    """Read "much less" as: their growth beyond 1 is at most half of MSE's."""
    excess = {name: factor - 1 for name, factor in ns["growth"].items()}
    others = [v for name, v in excess.items() if name != "MSE"]
    return all(v <= excess["MSE"] / 2 for v in others), excess


@claim("On the digits network's logits the naive version agrees with PyTorch.")
def naive_agrees_on_real_logits(ns: Namespace) -> Evidence:
    logits, labels = ns["digits_logits"]["train"], ns["digits"].train.y
    naive = float(ns["naive_cross_entropy"](logits, labels))
    torch_loss = float(F.cross_entropy(logits, labels))
    return abs(naive - torch_loss) < PRINTED, {
        "naive": naive,
        "PyTorch": torch_loss,
    }


@claim(
    "Once a logit exceeds the overflow threshold, $e^{z}$ is `inf` and "
    "`inf / inf` is `nan`."
)
def naive_is_nan_exactly_past_the_threshold(ns: Namespace) -> Evidence:
    """Of the scales the lesson tries, the naive loss is nan at exactly
    those that push the largest logit past ln(float32 max), and at one
    at least."""
    threshold = math.log(torch.finfo(torch.float32).max)
    logits, labels = ns["logits"], ns["labels"]
    largest = float(logits.max())
    nan_at = {
        scale: math.isnan(ns["naive_cross_entropy"](scale * logits, labels))
        for scale in (1, 5, 20)
    }
    past = {scale: scale * largest > threshold for scale in nan_at}
    return nan_at == past and any(nan_at.values()), {
        "largest logit": largest,
        "threshold": threshold,
        "nan at scale": nan_at,
    }


@claim(
    "sharper probabilities lower it on the images the model gets right and "
    "raise it on those it gets wrong"
)
def sharpening_helps_right_and_hurts_wrong(ns: Namespace) -> Evidence:
    logits, labels = ns["logits"], ns["labels"]
    right = logits.argmax(dim=1) == labels
    before = F.cross_entropy(logits, labels, reduction="none")
    measured: dict[str, object] = {"wrong images": int((~right).sum())}
    holds = True
    for scale in (5, 20):
        after = F.cross_entropy(scale * logits, labels, reduction="none")
        lowered = int((after[right] < before[right]).sum())
        raised = int((after[~right] > before[~right]).sum())
        measured[f"x{scale}: right images lowered"] = lowered
        measured[f"x{scale}: wrong images raised"] = raised
        holds &= lowered == int(right.sum()) and raised == int((~right).sum())
    return holds, measured


@claim(
    "In the first sample $e^{1000}$ overflows and the loss, which should be "
    "essentially 0, is `nan`."
)
def overflow_gives_nan(ns: Namespace) -> Evidence:
    sample, target = ns["extreme_samples"]["overflow"]
    naive = float(ns["naive_cross_entropy"](sample, target))
    torch_loss = float(F.cross_entropy(sample, target))
    return math.isnan(naive) and torch_loss < PRINTED, {
        "naive": naive,
        "PyTorch": torch_loss,
    }


@claim(
    "a confident, wrong prediction whose loss should be 200. The naive "
    "version rounds the probability to 0 and returns `inf`"
)
def underflow_gives_inf(ns: Namespace) -> Evidence:
    sample, target = ns["extreme_samples"]["underflow"]
    naive = float(ns["naive_cross_entropy"](sample, target))
    torch_loss = float(F.cross_entropy(sample, target))
    return math.isinf(naive) and abs(torch_loss - 200) < PRINTED, {
        "naive": naive,
        "PyTorch": torch_loss,
    }


@claim("Your function now survives what broke the naive one:")
def stable_cross_entropy_survives(ns: Namespace) -> Evidence:
    cross_entropy, logits, labels = (
        ns["cross_entropy"],
        ns["logits"],
        ns["labels"],
    )
    cases = {
        name: (sample, target)
        for name, (sample, target) in ns["extreme_samples"].items()
    }
    cases |= {f"digits x{s}": (s * logits, labels) for s in (1, 5, 20)}
    errors = {
        name: abs(float(cross_entropy(z, y)) - float(F.cross_entropy(z, y)))
        for name, (z, y) in cases.items()
    }
    return all(e < PRINTED for e in errors.values()), errors


@claim("with PyTorch's cross-entropy. The numbers agree with yours")
def fit_agrees_with_your_cross_entropy(ns: Namespace) -> Evidence:
    history = ns["history"]
    yours = ns["split_losses"](
        ns["cross_entropy"], ns["digits_logits"], ns["digits"]
    )
    recorded = (history.train_loss[-1], history.val_loss[-1])
    holds = all(
        abs(a - b) < PRINTED for a, b in zip(yours, recorded, strict=True)
    )
    return holds, {"yours (train, val)": yours, "fit (train, val)": recorded}


@claim("Every gap in the table is positive")
def every_gap_is_positive(ns: Namespace) -> Evidence:
    gaps = table_gaps(ns)
    return all(gap > 0 for gap in gaps.values()), gaps


@claim(
    "The three diabetes rows measure one model on the same samples, yet "
    "each loss gives it a different gap"
)
def one_model_three_gaps(ns: Namespace) -> Evidence:
    """Read "different" as: any two of the three differ by more than 10%."""
    gaps = [g for row, g in table_gaps(ns).items() if "diabetes" in row]
    holds = all(
        abs(a - b) > 0.1 * max(a, b)
        for i, a in enumerate(gaps)
        for b in gaps[i + 1 :]
    )
    return holds, {"diabetes gaps": gaps}


@claim(
    "The training loss keeps falling; the validation loss stops falling "
    "and the shaded gap widens."
)
def the_gap_opens(ns: Namespace) -> Evidence:
    """The validation minimum comes before the last epoch; after it the
    training loss still falls and the gap is wider than at the minimum
    and than after the first epoch."""
    history = ns["history"]
    best = history.best_epoch()
    at_best, last = history.at(best), history.at(history.epoch[-1])
    gap = history.gap
    holds = (
        best < last["epoch"]
        and last["train_loss"] < at_best["train_loss"]
        and gap[-1] > gap[best - 1]
        and gap[-1] > gap[0]
    )
    return holds, {
        "epoch of lowest validation loss": best,
        "last epoch": last["epoch"],
        "training loss at both": (at_best["train_loss"], last["train_loss"]),
        "gap after epoch 1, at the minimum, at the end": (
            gap[0],
            gap[best - 1],
            gap[-1],
        ),
    }
