"""Record the curve bank, datasets/curve_bank.json, from real training runs.

Each `Variant` below is one way to produce a pattern of training curves
with the course library (`gaplab.experiments.run_experiment` on the
digits), and is trained from each of SEEDS. One variant per pattern is
held out: lessons and visible checks read only the "shown" runs, hidden
tests also the "heldout" ones, so a diagnosis is tested on curves its
author never saw.

Run from the repository root: python datasets/make_curve_bank.py
It trains on one CPU thread, which is faster for networks this small and
makes the curves independent of the number of cores; a run takes a few
minutes at most. `git diff datasets/` afterwards shows what changed.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from gaplab.data import write_bundled_json, write_checksums
from gaplab.diagnose import CURVE_BANK_FILE, PATTERNS
from gaplab.experiments import RunConfig, run_experiment
from gaplab.training import History

FOLDER = Path(__file__).resolve().parent
SEEDS = (0, 1, 2)
SIGNIFICANT_DIGITS = 5


@dataclass(frozen=True)
class Variant:
    """A recipe for one pattern: a run config and why it shows it."""

    label: str
    name: str
    description: str
    config: RunConfig
    heldout: bool = False


VARIANTS = (
    Variant(
        "healthy",
        "adam-64",
        "64 hidden units, Adam at 1e-3 with weight decay 1e-4, stopped "
        "after 40 epochs while validation loss is still at its minimum",
        RunConfig(hidden=(64,), weight_decay=1e-4, epochs=40),
    ),
    Variant(
        "healthy",
        "sgd-128",
        "128 hidden units, plain SGD at a well-chosen 0.1 for 60 epochs: "
        "both curves fall smoothly together",
        RunConfig(hidden=(128,), optimizer="sgd", lr=0.1, epochs=60),
    ),
    Variant(
        "healthy",
        "adam-64x64-n600",
        "two layers of 64 units on the first 600 training samples, Adam "
        "at 1e-3 for 30 epochs",
        RunConfig(n_train=600, hidden=(64, 64), epochs=30),
    ),
    Variant(
        "healthy",
        "adam-32",
        "32 hidden units, Adam at 3e-3 for 30 epochs",
        RunConfig(hidden=(32,), lr=3e-3, epochs=30),
        heldout=True,
    ),
    Variant(
        "overfitting",
        "noise30-n300",
        "512 hidden units on 300 samples, 30% of their labels flipped, "
        "Adam at 3e-3 for 60 epochs: the network memorises the wrong "
        "labels, validation loss turns up and validation accuracy falls",
        RunConfig(
            n_train=300, label_noise=0.3, hidden=(512,), lr=3e-3, epochs=60
        ),
    ),
    Variant(
        "overfitting",
        "noise20-n200",
        "two layers of 256 units on 200 samples with 20% flipped labels, "
        "100 epochs",
        RunConfig(n_train=200, label_noise=0.2, hidden=(256, 256), epochs=100),
    ),
    Variant(
        "overfitting",
        "noise20-full",
        "512 hidden units on the full training split with 20% flipped "
        "labels, Adam at 3e-3 for 60 epochs",
        RunConfig(label_noise=0.2, hidden=(512,), lr=3e-3, epochs=60),
    ),
    Variant(
        "overfitting",
        "noise10-n300",
        "two layers of 256 units on 300 samples with 10% flipped labels, "
        "80 epochs",
        RunConfig(n_train=300, label_noise=0.1, hidden=(256, 256), epochs=80),
        heldout=True,
    ),
    Variant(
        "underfitting",
        "wd-0.1",
        "64 hidden units with weight decay 0.1: the penalty keeps the "
        "weights too small to fit, and both losses level off high",
        RunConfig(hidden=(64,), lr=3e-3, weight_decay=0.1, epochs=30),
    ),
    Variant(
        "underfitting",
        "wd-0.05-16",
        "16 hidden units with weight decay 0.05, Adam at 1e-2 for 30 epochs",
        RunConfig(hidden=(16,), lr=1e-2, weight_decay=0.05, epochs=30),
    ),
    Variant(
        "underfitting",
        "bottleneck-2",
        "a hidden layer of 2 units: too little capacity for ten classes, "
        "trained to a plateau with Adam at 1e-2 for 60 epochs",
        RunConfig(hidden=(2,), lr=1e-2, epochs=60),
    ),
    Variant(
        "underfitting",
        "sgd-wd-0.05",
        "128 hidden units, SGD at 0.1 with weight decay 0.05 for 40 epochs",
        RunConfig(
            hidden=(128,),
            optimizer="sgd",
            lr=0.1,
            weight_decay=0.05,
            epochs=40,
        ),
        heldout=True,
    ),
    Variant(
        "lr_too_high",
        "sgd-1.0",
        "two layers of 128 units, SGD at 1.0: steps so large that the loss "
        "jumps from epoch to epoch",
        RunConfig(hidden=(128, 128), optimizer="sgd", lr=1.0, epochs=30),
    ),
    Variant(
        "lr_too_high",
        "adam-0.05",
        "two layers of 128 units, Adam at 0.05: the loss spikes, recovers "
        "and spikes again",
        RunConfig(hidden=(128, 128), lr=0.05, epochs=30),
    ),
    Variant(
        "lr_too_high",
        "sgd-2.0-collapse",
        "64 hidden units, SGD at 2.0: the network learns a little in the "
        "first epoch, then one huge step silences its units and the loss "
        "returns to chance level for good",
        RunConfig(hidden=(64,), optimizer="sgd", lr=2.0, epochs=30),
    ),
    Variant(
        "lr_too_high",
        "adam-0.1",
        "64 hidden units, Adam at 0.1 for 30 epochs",
        RunConfig(hidden=(64,), lr=0.1, epochs=30),
        heldout=True,
    ),
    Variant(
        "lr_too_low",
        "sgd-0.01",
        "64 hidden units, SGD at 0.01 for 30 epochs: both losses creep "
        "down and are still falling when training stops",
        RunConfig(hidden=(64,), optimizer="sgd", lr=1e-2, epochs=30),
    ),
    Variant(
        "lr_too_low",
        "adam-1e-4",
        "64 hidden units, Adam at 1e-4 for 30 epochs",
        RunConfig(hidden=(64,), lr=1e-4, epochs=30),
    ),
    Variant(
        "lr_too_low",
        "sgd-0.01-bs32",
        "128 hidden units, SGD at 0.01 with batches of 32 for 30 epochs",
        RunConfig(
            hidden=(128,), optimizer="sgd", lr=1e-2, batch_size=32, epochs=30
        ),
    ),
    Variant(
        "lr_too_low",
        "adam-3e-5",
        "256 hidden units, Adam at 3e-5 for 30 epochs",
        RunConfig(hidden=(256,), lr=3e-5, epochs=30),
        heldout=True,
    ),
    Variant(
        "val_below_running_train",
        "dropout-0.7",
        "128 hidden units with dropout 0.7: during the epoch, in train "
        "mode, the network works with 30% of its units, so the running "
        "training loss stays above the validation loss",
        RunConfig(hidden=(128,), dropout=0.7, epochs=30),
    ),
    Variant(
        "val_below_running_train",
        "dropout-0.6",
        "64 hidden units with dropout 0.6 for 40 epochs",
        RunConfig(hidden=(64,), dropout=0.6, epochs=40),
    ),
    Variant(
        "val_below_running_train",
        "noise40-dropout",
        "128 hidden units with dropout 0.5, 40% of the training labels "
        "flipped: the training labels are harder than the clean "
        "validation labels, so validation sits below training even in "
        "eval mode",
        RunConfig(hidden=(128,), label_noise=0.4, dropout=0.5, epochs=30),
    ),
    Variant(
        "val_below_running_train",
        "noise30-wd",
        "64 hidden units with weight decay 0.01 and 30% flipped training "
        "labels, 30 epochs",
        RunConfig(hidden=(64,), label_noise=0.3, weight_decay=1e-2, epochs=30),
        heldout=True,
    ),
    Variant(
        "loss_acc_disagree",
        "adam-256x3",
        "three layers of 256 units on clean labels, 60 epochs: training "
        "loss goes to zero, the model grows overconfident, validation "
        "loss rises while validation accuracy holds",
        RunConfig(hidden=(256, 256, 256), epochs=60),
    ),
    Variant(
        "loss_acc_disagree",
        "adam-128x128",
        "two layers of 128 units on clean labels, Adam at 3e-3 for 60 epochs",
        RunConfig(hidden=(128, 128), lr=3e-3, epochs=60),
    ),
    Variant(
        "loss_acc_disagree",
        "adam-256x256",
        "two layers of 256 units on clean labels, Adam at 1e-3 for 80 epochs",
        RunConfig(hidden=(256, 256), epochs=80),
    ),
    Variant(
        "loss_acc_disagree",
        "adam-256x256-3e-3",
        "two layers of 256 units on clean labels, Adam at 3e-3 for 60 epochs",
        RunConfig(hidden=(256, 256), lr=3e-3, epochs=60),
        heldout=True,
    ),
)


def record_run(variant: Variant, seed: int) -> History:
    """Train `variant` from `seed` on the CPU and return its history."""
    _, history = run_experiment(variant.config, seed=seed, device="cpu")
    return history


def rounded(value: float | None) -> float | None:
    """`value` to SIGNIFICANT_DIGITS digits; None for inf and nan, which
    JSON cannot hold (the loader reads them back as inf)."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def history_record(history: History) -> dict[str, list]:
    """The history as rounded JSON lists, without the epoch times: wall
    clock is not reproducible and says nothing about the curves."""
    record = history.to_dict()
    del record["epoch_time"]
    return {
        name: values if name == "epoch" else [rounded(v) for v in values]
        for name, values in record.items()
    }


def bank_entry(variant: Variant, seed: int, history: History) -> dict:
    """One entry of the bank: label, origin and curves of a run."""
    return {
        "id": f"{variant.label}/{variant.name}/seed{seed}",
        "label": variant.label,
        "variant": variant.name,
        "description": variant.description,
        "seed": seed,
        "config": asdict(variant.config),
        "split": "heldout" if variant.heldout else "shown",
        "history": history_record(history),
    }


def make_curve_bank(
    variants: tuple[Variant, ...] = VARIANTS, seeds: tuple[int, ...] = SEEDS
) -> dict[str, Any]:
    """Train every variant from every seed; return the bank's content."""
    entries = [
        bank_entry(variant, seed, record_run(variant, seed))
        for variant in variants
        for seed in seeds
    ]
    return {
        "made_by": "datasets/make_curve_bank.py",
        "dataset": "digits (gaplab.data.load_digits)",
        "patterns": list(PATTERNS),
        "entries": entries,
    }


def main() -> None:
    """Record the bank, write it with its checksum, report the cost."""
    torch.set_num_threads(1)
    start = time.perf_counter()
    bank = make_curve_bank()
    write_bundled_json(FOLDER, CURVE_BANK_FILE, bank)
    write_checksums(FOLDER)
    size = (FOLDER / CURVE_BANK_FILE).stat().st_size
    print(
        f"{len(bank['entries'])} runs in "
        f"{time.perf_counter() - start:.0f} s; "
        f"{CURVE_BANK_FILE}: {size / 1e3:.0f} kB"
    )


if __name__ == "__main__":
    main()
