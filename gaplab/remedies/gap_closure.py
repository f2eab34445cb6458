"""Does a remedy close the gap? The course's harness, defined once.

Each remedy of lessons 05-10 is a `Remedy`: the configuration its lesson
uses (a change to `OVERFIT_BASELINE`, lesson 03's overfit run), the
fraction by which its lesson claims it shrinks the gap, and whether it
is claimed to close the gap at all. `compare` trains the baseline and
the remedy from the same seeds, on the same data and epoch budget.

A remedy closes the gap only if, on every one of at least `MIN_SEEDS`
seeds, BOTH

* the gap of the kept model shrinks by at least the claimed fraction,
  and
* its validation loss is lower than the baseline's.

The kept model is the one a learner would keep: the restored best epoch
for early stopping, the last epoch otherwise. The second condition is
what stops underfitting from counting: a model too constrained to learn
has a small gap and a high validation loss (the negative control shows
it). Beside the verdict, each comparison reports, without requiring
anything of them, the baseline stopped at its own best epoch and the
test loss of each kept model, read once after every choice was made on
validation.

`python -m gaplab.remedies.gap_closure --write EVIDENCE.md` runs every
remedy on `HARNESS_SEEDS` and writes the evidence table. It runs in this
process with one torch thread, as the tests do (tests/conftest.py): the
thread count changes the trained numbers in their last digits (by up to
0.055 after 100 epochs), and the tests compare a fresh run with the
committed table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gaplab.diagnose import diagnose
from gaplab.experiments import (
    OVERFIT_BASELINE,
    RunConfig,
    load_dataset,
    loss_for,
    run_experiment,
)
from gaplab.remedies.early_stopping import EarlyStopping
from gaplab.training import Callback, History, evaluate

HARNESS_SEEDS = (0, 1, 2)
MIN_SEEDS = 3
EARLY_STOPPING_PATIENCE = 10
MORE_DATA_LESSON = "08-more-data"
CAPACITY_LESSON = "10-capacity-optimisation"
BASELINE_NAME = "baseline"


@dataclass(frozen=True)
class Remedy:
    """One remedy as its lesson uses it, and what the lesson claims.

    `gap_reduction` is the fraction of the baseline's gap that the kept
    model's gap must lose; `closes` says whether the lesson claims the
    remedy closes the gap (False for a remedy that honestly does not,
    and for the negative control). `added_code` is what a plain PyTorch
    training loop gains to apply it; `patience` (early stopping only)
    is the patience of an `EarlyStopping` that restores the best weights.
    """

    name: str
    lesson: str
    config: RunConfig
    gap_reduction: float
    closes: bool
    added_code: str
    patience: int | None = None

    def callbacks(self) -> list[Callback]:
        """Fresh callbacks for one run of this remedy."""
        if self.patience is None:
            return []
        return [
            EarlyStopping(patience=self.patience, restore_best_weights=True)
        ]

    @property
    def lines_added(self) -> int:
        """Lines of code the remedy adds to a plain loop, comments and
        blank lines not counted."""
        lines = (line.strip() for line in self.added_code.splitlines())
        return sum(1 for line in lines if line and not line.startswith("#"))


# What an L2 penalty adds to a plain loop, whatever its strength `l2`.
L2_IN_THE_LOSS = """
weights = [p for p in model.parameters() if p.ndim >= 2]
loss = loss + l2 / 2 * sum(w.pow(2).sum() for w in weights)
"""

REMEDIES: dict[str, Remedy] = {
    remedy.name: remedy
    for remedy in (
        Remedy(
            name="early stopping",
            lesson="05-early-stopping",
            config=OVERFIT_BASELINE,
            gap_reduction=0.75,
            closes=True,
            patience=EARLY_STOPPING_PATIENCE,
            added_code="""
best_val, best_state, wait = float("inf"), None, 0
# after measuring each epoch's validation loss:
if val_loss < best_val:
    best_val, wait = val_loss, 0
    best_state = copy.deepcopy(model.state_dict())
else:
    wait += 1
    if wait >= patience:
        break
# after the loop:
model.load_state_dict(best_state)
""",
        ),
        Remedy(
            name="L2 penalty",
            lesson="06-weight-decay",
            config=replace(OVERFIT_BASELINE, l2=1e-2),
            gap_reduction=0.5,
            closes=True,
            added_code=L2_IN_THE_LOSS,
        ),
        Remedy(
            name="decoupled weight decay (AdamW)",
            lesson="06-weight-decay",
            config=replace(
                OVERFIT_BASELINE,
                optimizer="adamw",
                weight_decay=3.0,
                decay_biases=False,
            ),
            gap_reduction=0.5,
            closes=True,
            added_code="""
weights = [p for p in model.parameters() if p.ndim >= 2]
others = [p for p in model.parameters() if p.ndim < 2]
groups = [{"params": weights}, {"params": others, "weight_decay": 0.0}]
optimizer = torch.optim.AdamW(groups, weight_decay=3.0)
""",
        ),
        Remedy(
            name="absurd L2 penalty (negative control)",
            lesson="06-weight-decay",
            config=replace(OVERFIT_BASELINE, l2=1.0),
            gap_reduction=0.5,
            closes=False,
            added_code=L2_IN_THE_LOSS,
        ),
        Remedy(
            name="dropout",
            lesson="07-dropout-batchnorm",
            config=replace(OVERFIT_BASELINE, dropout=0.6),
            gap_reduction=0.3,
            closes=True,
            added_code="""
# after each hidden layer's activation:
nn.Dropout(0.6),
nn.Dropout(0.6),
""",
        ),
        Remedy(
            name="batch norm",
            lesson="07-dropout-batchnorm",
            config=replace(OVERFIT_BASELINE, batch_norm=True),
            gap_reduction=0.25,
            closes=False,
            added_code="""
# between each hidden linear layer and its activation:
nn.BatchNorm1d(512),
nn.BatchNorm1d(512),
""",
        ),
        Remedy(
            name="more data",
            lesson=MORE_DATA_LESSON,
            config=replace(OVERFIT_BASELINE, n_train=400),
            gap_reduction=0.3,
            closes=False,
            added_code="""
# no code: 400 training digits instead of 200, from the same noisy
# split (their wrong labels too), and twice the optimiser steps per epoch
""",
        ),
        Remedy(
            name="augmentation (random shifts)",
            lesson=MORE_DATA_LESSON,
            config=replace(OVERFIT_BASELINE, max_shift=1),
            gap_reduction=0.5,
            closes=True,
            added_code="""
def random_shifts(images, max_shift):
    n = len(images)
    padded = F.pad(images.reshape(n, 8, 8), [max_shift] * 4)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, n, 1))
    pixels = torch.arange(8)
    rows = (offsets[0] + pixels)[:, :, None]
    columns = (offsets[1] + pixels)[:, None, :]
    batch = torch.arange(n)[:, None, None]
    return padded[batch, rows, columns].reshape(n, 64)
# before each training batch's forward pass:
inputs = random_shifts(inputs, max_shift=1)
""",
        ),
        Remedy(
            name="label smoothing",
            lesson=MORE_DATA_LESSON,
            config=replace(OVERFIT_BASELINE, label_smoothing=0.1),
            gap_reduction=0.15,
            closes=True,
            added_code="""
# train with this loss; measure with the plain one:
train_loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
""",
        ),
        Remedy(
            name="a simpler model",
            lesson=CAPACITY_LESSON,
            config=replace(OVERFIT_BASELINE, hidden=(128,)),
            gap_reduction=0.9,
            closes=True,
            added_code="""
# one hidden layer of 128 instead of two of 512, the line replaced:
model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
""",
        ),
        Remedy(
            name="learning-rate schedule (ReduceLROnPlateau)",
            lesson=CAPACITY_LESSON,
            config=replace(OVERFIT_BASELINE, schedule="plateau"),
            gap_reduction=0.75,
            closes=True,
            added_code="""
scheduler = ReduceLROnPlateau(optimizer, factor=0.1, patience=3)
# after measuring each epoch's validation loss:
scheduler.step(val_loss)
""",
        ),
    )
}
NEGATIVE_CONTROL = "absurd L2 penalty (negative control)"


def remedy_named(name: str) -> Remedy:
    """The registry's remedy `name`, or a clear error."""
    try:
        return REMEDIES[name]
    except KeyError:
        raise KeyError(
            f"no remedy {name!r}: choose from {sorted(REMEDIES)}"
        ) from None


@dataclass(frozen=True)
class KeptModel:
    """A trained run, the epoch whose model is kept, and that model's
    loss on the test split."""

    history: History
    kept_epoch: int
    test_loss: float

    @property
    def gap(self) -> float:
        """Validation minus training loss of the kept model."""
        return self.history.gap[self.kept_epoch - 1]

    @property
    def val_loss(self) -> float:
        """Validation loss of the kept model."""
        return self.history.val_loss[self.kept_epoch - 1]

    @property
    def best_val_loss(self) -> float:
        """The lowest validation loss of the run: what stopping it at its
        own best epoch would have kept."""
        return min(self.history.val_loss)

    @property
    def epoch_time(self) -> float:
        """Median seconds per epoch, training and both measurements."""
        return statistics.median(self.history.epoch_time)


def kept_epoch(history: History, callbacks: Sequence[Callback]) -> int:
    """The epoch whose weights the model ends with: the best epoch an
    early stopping restored, else the last."""
    for callback in callbacks:
        restored = (
            isinstance(callback, EarlyStopping)
            and callback.restore_best_weights
            and callback.best_epoch
        )
        if restored:
            return callback.best_epoch
    return history.epoch[-1]


def train_and_keep(
    config: RunConfig,
    seed: int,
    callbacks: Sequence[Callback] = (),
    device: str | torch.device = "auto",
) -> KeptModel:
    """Train `config` from `seed`; measure the kept model on the test
    split, once, after training chose it."""
    data = load_dataset(config)
    model, history = run_experiment(
        config, seed=seed, data=data, callbacks=callbacks, device=device
    )
    model_device = next(model.parameters()).device
    test = evaluate(model, data.test.to(model_device), loss_for(data))
    return KeptModel(history, kept_epoch(history, callbacks), test.loss)


@dataclass(frozen=True)
class Comparison:
    """A remedy against the baseline, trained from the same seed."""

    remedy: Remedy
    seed: int
    baseline: KeptModel
    treated: KeptModel

    @property
    def gap_reduction(self) -> float:
        """The fraction of the baseline's gap that the remedy removed."""
        return 1.0 - self.treated.gap / self.baseline.gap

    @property
    def gap_shrinks(self) -> bool:
        """Whether the gap shrank by at least the claimed fraction."""
        return self.gap_reduction >= self.remedy.gap_reduction

    @property
    def val_improves(self) -> bool:
        """Whether the kept model's validation loss beats the baseline's."""
        return self.treated.val_loss < self.baseline.val_loss

    @property
    def passes(self) -> bool:
        """Both criteria on this seed."""
        return self.gap_shrinks and self.val_improves

    @property
    def beats_baseline_best(self) -> bool:
        """Reported, not required: whether the remedy also beats the
        baseline stopped at its own best epoch."""
        return self.treated.val_loss < self.baseline.best_val_loss

    @property
    def epoch_time_ratio(self) -> float:
        """The remedy's median epoch time over the baseline's."""
        return self.treated.epoch_time / self.baseline.epoch_time


def closes_gap(comparisons: Sequence[Comparison]) -> bool:
    """Whether one remedy closes the gap: it passes both criteria on
    every seed, and there are at least `MIN_SEEDS` of them."""
    remedies = {comparison.remedy.name for comparison in comparisons}
    if len(remedies) != 1:
        raise ValueError(
            f"pass the comparisons of one remedy, got {sorted(remedies)}"
        )
    seeds = {comparison.seed for comparison in comparisons}
    if len(seeds) < MIN_SEEDS:
        raise ValueError(
            f"a verdict needs at least {MIN_SEEDS} seeds, got "
            f"{sorted(seeds)}: compare on more"
        )
    return all(comparison.passes for comparison in comparisons)


def train_baselines(
    seeds: Sequence[int] = HARNESS_SEEDS,
    device: str | torch.device = "auto",
) -> list[KeptModel]:
    """The overfit baseline trained from each seed: train it once and
    pass it to `compare` for every remedy of a lesson."""
    return [
        train_and_keep(OVERFIT_BASELINE, seed, device=device) for seed in seeds
    ]


def compare(
    remedy: Remedy,
    seeds: Sequence[int] = HARNESS_SEEDS,
    baselines: Sequence[KeptModel] | None = None,
    device: str | torch.device = "auto",
) -> list[Comparison]:
    """Train `remedy` from each seed, in this process, and compare it
    with the baseline from the same seed (trained here unless
    `baselines`, from `train_baselines` with the same seeds, are given);
    one comparison per seed."""
    if baselines is None:
        baselines = train_baselines(seeds, device)
    if len(baselines) != len(seeds):
        raise ValueError(
            f"{len(baselines)} baselines for {len(seeds)} seeds: train "
            "them with train_baselines(seeds)"
        )
    return [
        Comparison(
            remedy,
            seed,
            baseline,
            train_and_keep(
                remedy.config, seed, remedy.callbacks(), device=device
            ),
        )
        for seed, baseline in zip(seeds, baselines, strict=True)
    ]


def run_harness(
    names: Sequence[str] = tuple(REMEDIES),
    seeds: Sequence[int] = HARNESS_SEEDS,
) -> dict[str, list[Comparison]]:
    """Every remedy in `names` against the baseline on every seed. The
    baseline is trained once per seed and shared by all remedies."""
    baselines = train_baselines(seeds)
    return {
        name: compare(remedy_named(name), seeds, baselines=baselines)
        for name in names
    }


def claim_holds(comparisons: Sequence[Comparison]) -> bool:
    """Whether the harness agrees with what the lesson claims."""
    return closes_gap(comparisons) == comparisons[0].remedy.closes


def tick(value: bool) -> str:
    """A table cell for a yes/no."""
    return "yes" if value else "no"


def evidence_table(results: dict[str, list[Comparison]]) -> str:
    """The evidence, as a Markdown table: one row per remedy and seed."""
    header = (
        "| remedy | lesson | seed | baseline gap | remedy gap | gap removed "
        "| claimed | baseline val | remedy val | val lower | passes "
        "| beats baseline's best val | baseline test | remedy test "
        "| lines added | epoch time |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|---:"
        "|---:|---:|\n"
    )
    rows = [
        f"| {c.remedy.name} | {c.remedy.lesson} | {c.seed} "
        f"| {c.baseline.gap:.3f} | {c.treated.gap:.3f} "
        f"| {c.gap_reduction:.0%} | {c.remedy.gap_reduction:.0%} "
        f"| {c.baseline.val_loss:.3f} | {c.treated.val_loss:.3f} "
        f"| {tick(c.val_improves)} | {tick(c.passes)} "
        f"| {tick(c.beats_baseline_best)} "
        f"| {c.baseline.test_loss:.3f} | {c.treated.test_loss:.3f} "
        f"| {c.remedy.lines_added} | {c.epoch_time_ratio:.2f}x |"
        for comparisons in results.values()
        for c in comparisons
    ]
    return header + "\n".join(rows) + "\n"


def verdict_table(results: dict[str, list[Comparison]]) -> str:
    """One line per remedy: the claim, the harness's verdict, agreement."""
    header = (
        "| remedy | claimed | closes the gap on every seed | claim holds |\n"
        "|---|---|---|---|\n"
    )
    rows = [
        f"| {name} | {'closes' if c[0].remedy.closes else 'does not close'}"
        f" | {tick(closes_gap(c))} | {tick(claim_holds(c))} |"
        for name, c in results.items()
    ]
    return header + "\n".join(rows) + "\n"


def evidence_document(results: dict[str, list[Comparison]]) -> str:
    """The Markdown file the README links."""
    seeds = sorted({c.seed for cs in results.values() for c in cs})
    baseline = OVERFIT_BASELINE
    return (
        "# Evidence: does each remedy close the gap?\n\n"
        "Written by `python -m gaplab.remedies.gap_closure --write "
        "EVIDENCE.md`; do not edit by hand. Baseline: lesson 03's overfit "
        f"run ({baseline.n_train} digits, {baseline.label_noise:.0%} of "
        f"their labels flipped, hidden layers {baseline.hidden}, "
        f"{baseline.optimizer} at lr {baseline.lr}, {baseline.epochs} "
        f"epochs in batches of {baseline.batch_size}), seeds {seeds}.\n\n"
        "A remedy closes the gap only if, on every seed, the gap of the "
        "kept model shrinks by at least the claimed fraction AND its "
        "validation loss is lower than the baseline's. The kept model is "
        "the restored best epoch for early stopping, the last epoch "
        'otherwise. "Beats baseline\'s best val" compares with the '
        "baseline stopped at its own best epoch, and the test losses are "
        'read once, after training; neither is required. "Lines added" '
        "counts what a plain training loop gains (`Remedy.added_code`); "
        "epoch time is the remedy's median over the baseline's.\n\n"
        + verdict_table(results)
        + "\n"
        + evidence_table(results)
    )


def config_changes(config: RunConfig) -> str:
    """The fields in which `config` differs from the baseline, as
    `name=value` pairs: what a remedy changes."""
    return ", ".join(
        f"{field.name}={getattr(config, field.name)!r}"
        for field in fields(RunConfig)
        if getattr(config, field.name) != getattr(OVERFIT_BASELINE, field.name)
    )


def report(comparisons: Sequence[Comparison]) -> None:
    """Print one remedy's comparisons, as the lessons show them: each
    seed's gap and validation loss, baseline -> remedy; the harness's
    verdict beside what the lesson claims; and the seeds on which the
    remedy also beats the baseline stopped at its own best epoch."""
    remedy = comparisons[0].remedy
    print(f"{remedy.name} ({config_changes(remedy.config)}):")
    for c in comparisons:
        print(
            f"  seed {c.seed}: gap {c.baseline.gap:.3f} -> "
            f"{c.treated.gap:.3f} ({c.gap_reduction:.0%} removed), "
            f"validation loss {c.baseline.val_loss:.3f} -> "
            f"{c.treated.val_loss:.3f}, passes: {c.passes}"
        )
    print(
        f"  needs {remedy.gap_reduction:.0%} of the gap removed; closes "
        f"the gap on every seed: {closes_gap(comparisons)} (the lesson "
        f"claims: {remedy.closes})"
    )
    beaten = [c.seed for c in comparisons if c.beats_baseline_best]
    print(
        "  lower validation loss than the baseline stopped at its best "
        f"epoch on seeds: {beaten}"
    )


def plot_comparisons(
    comparisons: Sequence[Comparison], ax: Axes | None = None
) -> tuple[Figure, Axes]:
    """Validation loss of the baseline and the remedy, one line per seed,
    each labelled with the pattern `diagnose` names for its run."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    for comparison in comparisons:
        for run, colour, name in (
            (comparison.baseline, "tab:grey", BASELINE_NAME),
            (comparison.treated, "tab:green", comparison.remedy.name),
        ):
            ax.plot(
                run.history.epoch,
                run.history.val_loss,
                color=colour,
                label=f"{name}, seed {comparison.seed}: "
                f"{diagnose(run.history).pattern}",
            )
            ax.plot(
                run.kept_epoch, run.val_loss, "o", color=colour, markersize=4
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    ax.set_title(f"{comparisons[0].remedy.name} against the overfit baseline")
    ax.legend(fontsize="x-small")
    return ax.figure, ax


def main(argv: Sequence[str] | None = None) -> int:
    """Run the harness, print the tables, optionally write the file.
    Exits 1 when some remedy's result differs from its lesson's claim."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", type=Path, help="write the evidence here")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=list(HARNESS_SEEDS)
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    results = run_harness(seeds=args.seeds)
    document = evidence_document(results)
    print(document)
    if args.write:
        args.write.write_text(document)
        print(f"wrote {args.write}")
    return 0 if all(claim_holds(c) for c in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
