"""What lesson 07 (Dropout and batch norm) says about its computed
results, asserted on seeds 0, 1 and 2."""

from __future__ import annotations

import copy
from itertools import pairwise

import torch

from gaplab.remedies.gap_closure import REMEDIES, closes_gap
from gaplab.verdict import val_loss_rise
from tests.claims import Claims, Evidence, Namespace

claim = Claims("07-dropout-batchnorm")

# "Stay low to the end, where the baseline's climb": the baseline's
# validation loss rises by more than CLIMBS after its onset, the
# remedy's by at most STAYS_LOW of that.
CLIMBS = 0.1
STAYS_LOW = 0.5
# "Several times sooner".
SEVERAL = 3
# "Close to p", "close to the mean input" for 10,000 elements.
SHARE_CLOSE = 0.02
MEAN_CLOSE = 0.05
# "Well above": at least this ratio. "Dozens of epochs": at least 24.
WELL_ABOVE = 1.5
DOZENS = 24
# "End up close": the final running and eval-mode training losses of the
# baseline within this of each other.
END_CLOSE = 0.02
# "Float rounding" for float32 activations of this size.
ROUNDING = 1e-5


@claim(
    "Dropout passes on every seed, so the harness says it closes the gap, "
    "as this lesson claims."
)
def dropout_closes_the_gap(ns: Namespace) -> Evidence:
    comparisons = ns["results"]["dropout"]
    verdict = closes_gap(comparisons)
    claimed = REMEDIES["dropout"].closes
    return verdict and claimed, {"closes": verdict, "claimed": claimed}


@claim(
    "Its validation curves stay low to the end, where the baseline's climb."
)
def dropout_curves_stay_low(ns: Namespace) -> Evidence:
    rises = [
        (val_loss_rise(c.baseline.history), val_loss_rise(c.treated.history))
        for c in ns["results"]["dropout"]
    ]
    holds = all(
        baseline > CLIMBS and dropout <= STAYS_LOW * baseline
        for baseline, dropout in rises
    )
    return holds, {"rise after the onset (baseline, dropout)": rises}


@claim(
    "Batch norm fails on every seed: on none does it remove the share of "
    "the gap the report says it needs"
)
def batch_norm_fails(ns: Namespace) -> Evidence:
    comparisons = ns["results"]["batch norm"]
    removed = [c.gap_reduction for c in comparisons]
    holds = (
        not any(c.gap_shrinks or c.passes for c in comparisons)
        and not closes_gap(comparisons)
        and not REMEDIES["batch norm"].closes
    )
    return holds, {
        "gap removed": removed,
        "claimed": REMEDIES["batch norm"].gap_reduction,
    }


@claim(
    "With batch norm the network fits every training label several times "
    "sooner than the baseline does, on every seed."
)
def batch_norm_memorises_sooner(ns: Namespace) -> Evidence:
    epochs = ns["perfect_epochs"]
    pairs = list(zip(epochs["baseline"], epochs["batch norm"], strict=True))
    holds = all(
        baseline is not None and bn is not None and baseline >= SEVERAL * bn
        for baseline, bn in pairs
    )
    return holds, {"first epoch at 100% (baseline, batch norm)": pairs}


@claim(
    "Dropout, which switches off a new random share of the units at every "
    "step, never lets the network fit every training label within the "
    "budget."
)
def dropout_never_fits_every_label(ns: Namespace) -> Evidence:
    epochs = ns["perfect_epochs"]["dropout"]
    return all(e is None for e in epochs), {"first epoch at 100%": epochs}


@claim(
    "The share of zeros is close to $p$, each survivor is $1/(1-p)$, and "
    "the mean output stays close to the mean input"
)
def your_layer_keeps_the_mean(ns: Namespace) -> Evidence:
    dropped, p = ns["dropped"], ns["layer"].p
    share = (dropped == 0).double().mean().item()
    survivors = dropped[dropped != 0]
    scale_right = torch.allclose(
        survivors, torch.full_like(survivors, 1 / (1 - p))
    )
    mean = dropped.mean().item()
    holds = (
        abs(share - p) < SHARE_CLOSE
        and scale_right
        and abs(mean - 1) < MEAN_CLOSE
    )
    return holds, {"share": share, "p": p, "mean": mean}


@claim("Your layer passes the harness's criteria on this seed too.")
def your_layer_passes(ns: Namespace) -> Evidence:
    yours = ns["yours"]
    return yours.passes, {
        "gap removed": yours.gap_reduction,
        "validation loss": yours.treated.val_loss,
    }


@claim("Its numbers are not those of section 1's run from the same seed")
def your_layer_draws_other_masks(ns: Namespace) -> Evidence:
    yours = ns["yours"].treated.val_loss
    torchs = ns["results"]["dropout"][0].treated.val_loss
    return yours != torchs, {"yours": yours, "nn.Dropout": torchs}


def dropout_runs(ns: Namespace) -> list:
    """Section 1's dropout runs, one per seed."""
    return [c.treated.history for c in ns["results"]["dropout"]]


@claim("Without dropout the two end up close.")
def without_dropout_the_training_losses_agree(ns: Namespace) -> Evidence:
    pairs = [
        (b.history.running_train_loss[-1], b.history.train_loss[-1])
        for b in ns["baselines"]
    ]
    holds = all(abs(running - honest) < END_CLOSE for running, honest in pairs)
    return holds, {"baseline's final (running, eval mode)": pairs}


@claim(
    "On every seed the running training loss ends well above the training "
    "loss measured in eval mode, and for dozens of epochs it is even above "
    "the validation loss."
)
def running_loss_sits_high(ns: Namespace) -> Evidence:
    ratios = [
        r.running_train_loss[-1] / r.train_loss[-1] for r in dropout_runs(ns)
    ]
    above = [
        sum(
            running > val
            for running, val in zip(
                r.running_train_loss, r.val_loss, strict=True
            )
        )
        for r in dropout_runs(ns)
    ]
    holds = all(x >= WELL_ABOVE for x in ratios) and all(
        n >= DOZENS for n in above
    )
    return holds, {"running / eval-mode": ratios, "epochs above val": above}


@claim(
    "so early in training even the eval-mode training loss sits above the "
    "validation loss, but for fewer epochs on every seed."
)
def labels_explain_part_of_it(ns: Namespace) -> Evidence:
    """Some epochs with the eval-mode training loss above validation, and
    fewer of them than with the running loss, on every seed."""
    counts = [
        (
            sum(t > v for t, v in zip(r.train_loss, r.val_loss, strict=True)),
            sum(
                t > v
                for t, v in zip(r.running_train_loss, r.val_loss, strict=True)
            ),
        )
        for r in dropout_runs(ns)
    ]
    holds = all(0 < honest < running for honest, running in counts)
    return holds, {"epochs above validation (eval mode, running)": counts}


@claim(
    "At the last epoch the honest gap, measured in eval mode, is positive "
    "on every seed"
)
def honest_gap_is_positive(ns: Namespace) -> Evidence:
    gaps = [c.treated.gap for c in ns["results"]["dropout"]]
    return all(g > 0 for g in gaps), {"gaps": gaps}


@claim("Your step and the layer agree to float rounding.")
def your_step_matches_the_layer(ns: Namespace) -> Evidence:
    differences = ns["step_differences"]
    return all(d < ROUNDING for d in differences.values()), differences


@claim(
    "In train mode the validation loss falls as the batches grow from 2 to "
    "32; with batches of 2 it is more than twice the loss measured in eval "
    "mode."
)
def train_mode_needs_large_batches(ns: Namespace) -> Evidence:
    losses = ns["train_mode_losses"]
    falls = all(a > b for a, b in pairwise(losses.values()))
    twice = losses[2] > 2 * ns["eval_loss"]
    return falls and twice, {"train mode": losses, "eval": ns["eval_loss"]}


@claim("PyTorch refuses it in train mode:")
def a_batch_of_one_is_refused(ns: Namespace) -> Evidence:
    model = copy.deepcopy(ns["train_mode_model"])
    try:
        with torch.no_grad():
            model(ns["data"].val.X[:1])
    except ValueError as error:
        return True, {"error": str(error)}
    return False, {"error": None}


@claim("Its running mean has moved: measuring changed the model.")
def measuring_in_train_mode_changes_the_model(ns: Namespace) -> Evidence:
    return ns["moved"] > 0, {"largest change": ns["moved"]}
