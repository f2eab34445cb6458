"""What lesson 04 (Diagnose the curves) says about its computed results,
asserted. The lesson trains nothing: it reads the recorded curve bank,
whose every variant holds three seeds, so it runs once, as written."""

from __future__ import annotations

import matplotlib.pyplot as plt

from gaplab.diagnose import VERDICT_OF_PATTERN
from tests.claims import Claims, Evidence, Namespace

claim = Claims("04-diagnosing", seeds=(None,))

# How many times larger "several times" is read to mean.
SEVERAL = 3


def runs_of(ns: Namespace, label: str) -> list:
    """The shown runs labelled `label`."""
    return [run for run in ns["shown"] if run.label == label]


@claim(
    "In the first epochs the training loss is *above* the validation "
    "loss: the flipped labels make the training set harder"
)
def flipped_labels_start_above_validation(ns: Namespace) -> Evidence:
    gap = ns["overfit"].history.gap
    return gap[0] < 0, {"gap after epoch 1": gap[0]}


@claim(
    "The overfitting runs stand out: their gap is not just large, it is "
    "still widening fast"
)
def overfitting_gap_largest_and_fastest(ns: Namespace) -> Evidence:
    """Read as: the overfitting runs have the largest median final gap
    and the largest median gap growth of all patterns."""
    table = ns["gap_medians"]
    gap, growth = table["overfitting"]
    others = [v for name, v in table.items() if name != "overfitting"]
    holds = all(gap > g and growth > r for g, r in others)
    return holds, {"(median gap, median growth)": table}


@claim(
    "Over the short window the gap of some of these runs even seems to "
    "shrink; the longer windows agree that it is widening"
)
def short_window_noisy_long_windows_agree(ns: Namespace) -> Evidence:
    growth = ns["gap_growth"]
    runs = [run for run in ns["shown"] if run.variant == "noise20-n200"]
    short = [growth(run.history, window=ns["WINDOW"]) for run in runs]
    longer = [
        growth(run.history, window=window)
        for run in runs
        for window in (10, 20)
    ]
    holds = any(g < 0 for g in short) and all(g > 0 for g in longer)
    return holds, {"short window": short, "windows 10 and 20": longer}


@claim(
    "In both, the validation loss rose after the onset; only in the first "
    "did the accuracy fall with it",
    below=True,
)
def both_rose_only_overfitting_lost_accuracy(ns: Namespace) -> Evidence:
    changes = {}
    for run in (ns["overfit"], ns["overconfident"]):
        history = run.history
        onset = history.at(history.best_epoch(ns["MIN_DELTA"]))
        changes[run.id] = (
            history.val_loss[-1] - onset["val_loss"],
            history.val_acc[-1] - onset["val_acc"],
        )
    (loss_a, acc_a), (loss_b, acc_b) = changes.values()
    holds = loss_a > 0 and loss_b > 0 and acc_a < 0 and acc_b >= 0
    return holds, {"(val loss change, val acc change)": changes}


@claim(
    "measured in eval mode, with every unit, the same network does better "
    "on its training data than on validation data, as usual"
)
def dropout_eval_train_below_val(ns: Namespace) -> Evidence:
    dropout, _ = ns["below_runs"]
    running, train, val = ns["window_means"][dropout.id]
    holds = train < val < running and dropout.history.gap[-1] > 0
    return holds, {
        "running, eval train, val": (running, train, val),
        "final gap": dropout.history.gap[-1],
    }


@claim(
    "so even in eval mode its training loss stays above the validation loss"
)
def flipped_labels_eval_train_above_val(ns: Namespace) -> Evidence:
    _, noisy = ns["below_runs"]
    running, train, val = ns["window_means"][noisy.id]
    return train > val, {"running, eval train, val": (running, train, val)}


@claim(
    "The training accuracies overlap: the best run that did not fit, held "
    "back by weight decay, ends with a higher training accuracy than the "
    "worst overfitting runs"
)
def training_accuracies_overlap(ns: Namespace) -> Evidence:
    spans = ns["spans"]["training accuracy"]
    _, best_not_fitted = spans["not fitted"]
    worst_overfitting, _ = spans["overfitting"]
    not_fitted = [
        run
        for label in ns["NOT_FITTED"]
        for run in runs_of(ns, label)
    ]
    best = max(not_fitted, key=lambda run: run.history.train_acc[-1])
    holds = (
        best_not_fitted > worst_overfitting
        and best.config.weight_decay > 0
    )
    return holds, {"ranges": spans, "best run that did not fit": best.id}


@claim(
    "every overfitting run ends below `FITTED_FRACTION`, every run that "
    "did not fit ends above it"
)
def training_loss_fraction_separates(ns: Namespace) -> Evidence:
    spans = ns["spans"]["L_T / L_0"]
    _, highest_overfitting = spans["overfitting"]
    lowest_not_fitted, _ = spans["not fitted"]
    cut = ns["FITTED_FRACTION"]
    holds = highest_overfitting < cut < lowest_not_fitted
    return holds, {"ranges": spans, "FITTED_FRACTION": cut}


@claim("Every pattern that speaks about the fit agrees with the verdict")
def patterns_agree_with_the_verdict(ns: Namespace) -> Evidence:
    disagreements = [
        (run.id, ns["verdict"](run.history))
        for run in ns["shown"]
        if run.label in VERDICT_OF_PATTERN
        and ns["verdict"](run.history) != VERDICT_OF_PATTERN[run.label]
    ]
    return not disagreements, {"disagreements": disagreements}


@claim(
    "The two other patterns name a cause or a way of measuring, not a "
    "fit, so their runs fall on more than one side"
)
def cause_patterns_span_verdicts(ns: Namespace) -> Evidence:
    """Also the next sentences: lr_too_high runs that collapsed underfit
    and some that recovered do not; dropout runs below the running loss
    fit well, the flipped-label ones did not fit and have a high
    validation loss."""
    verdict = ns["verdict"]
    by_pattern = {
        pattern: sorted({verdict(run.history) for run in runs_of(ns, pattern)})
        for pattern in ("lr_too_high", "val_below_running_train")
    }
    below = runs_of(ns, "val_below_running_train")
    dropout_only = [run for run in below if run.config.label_noise == 0]
    noisy = [run for run in below if run.config.label_noise > 0]
    healthy_val = max(
        run.history.val_loss[-1] for run in runs_of(ns, "healthy")
    )
    holds = (
        {"underfitting", "good fit"} <= set(by_pattern["lr_too_high"])
        and all(verdict(run.history) == "good fit" for run in dropout_only)
        and all(verdict(run.history) == "underfitting" for run in noisy)
        and all(run.history.val_loss[-1] > healthy_val for run in noisy)
        and bool(dropout_only)
        and bool(noisy)
    )
    return holds, {"verdicts": by_pattern, "worst healthy val": healthy_val}


@claim(
    "The smallest gaps belong to runs that underfit: a gap is small when "
    "the model is about as bad on both splits. The runs you would want "
    "have gaps several times larger."
)
def smallest_gaps_learned_nothing(ns: Namespace) -> Evidence:
    """Read as: each of the five smallest gaps belongs to an underfitting
    run, and each of the five lowest validation losses has a gap at least
    SEVERAL times the largest of those five gaps."""
    small = ns["smallest_gaps"]
    best = ns["lowest_val_loss"]
    largest_small = max(abs(run.history.gap[-1]) for run in small)
    smallest_best = min(run.history.gap[-1] for run in best)
    holds = (
        all(ns["verdict"](run.history) == "underfitting" for run in small)
        and smallest_best >= SEVERAL * largest_small
    )
    return holds, {
        "largest of the smallest gaps": largest_small,
        "smallest gap of the best runs": smallest_best,
    }


@claim(
    "The loss_acc_disagree runs do at least as well on validation data as "
    "the healthy runs, by loss and by accuracy, yet the gap-only policy "
    "rejects every one of them"
)
def disagree_runs_good_but_rejected_by_gap(ns: Namespace) -> Evidence:
    healthy = ns["medians"](runs_of(ns, "healthy"))
    disagree = ns["medians"](runs_of(ns, "loss_acc_disagree"))
    kept = [
        run.id
        for run in runs_of(ns, "loss_acc_disagree")
        if ns["gap_only_policy"](run.history)
    ]
    holds = disagree[0] <= healthy[0] and disagree[1] >= healthy[1]
    return holds and not kept, {
        "healthy (val loss, val acc)": healthy,
        "loss_acc_disagree (val loss, val acc)": disagree,
        "kept by the gap-only policy": kept,
    }


@claim(
    "The policy that judges both keeps every healthy and every "
    "loss_acc_disagree run, and no run that overfits in the classic way, "
    "underfits or learns too slowly. It also keeps the dropout runs"
)
def policy_keeps_what_it_says(ns: Namespace) -> Evidence:
    """And the next sentence: it keeps some lr_too_high runs, not all,
    among them the run with the lowest validation loss of the bank."""

    def keeps(run) -> bool:
        return ns["acceptable_run"](
            run.history, ns["MAX_VAL_LOSS"], ns["MAX_GAP"], ns["MAX_GROWTH"]
        )

    count = {
        pattern: sum(keeps(run) for run in runs_of(ns, pattern))
        for pattern in ns["PATTERNS"]
    }
    total = {p: len(runs_of(ns, p)) for p in ns["PATTERNS"]}
    dropout = [
        run
        for run in runs_of(ns, "val_below_running_train")
        if run.config.label_noise == 0
    ]
    kept_unstable = [run for run in runs_of(ns, "lr_too_high") if keeps(run)]
    lowest = sorted(ns["shown"], key=lambda run: run.history.val_loss[-1])
    holds = (
        count["healthy"] == total["healthy"]
        and count["loss_acc_disagree"] == total["loss_acc_disagree"]
        and count["overfitting"] == count["underfitting"] == 0
        and count["lr_too_low"] == 0
        and all(keeps(run) for run in dropout)
        and 0 < len(kept_unstable) < total["lr_too_high"]
        and lowest[0].id in {run.id for run in kept_unstable}
    )
    return holds, {
        "kept per pattern": count,
        "lr_too_high kept": [run.id for run in kept_unstable],
    }


@claim(
    "All panels share one loss axis that starts at zero, so that \"high\" "
    "and \"low\" mean the same in all.",
    below=True,
)
def pattern_grid_shares_one_axis_from_zero(ns: Namespace) -> Evidence:
    figure = ns["plot_pattern_grid"](ns["first_of_each"])
    limits = {ax.get_ylim() for ax in figure.axes if ax.axison}
    plt.close(figure)
    (bottom, _), *_ = limits
    return len(limits) == 1 and bottom == 0, {"y limits": sorted(limits)}
