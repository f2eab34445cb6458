"""A simpler model, chosen on validation: lesson 10's capacity sweep.

`capacity_sweep` trains one config at several network shapes, each from
several seeds, and keeps every run's last-epoch losses: the validation
curve of the network's capacity, measured in parameters. `pick_capacity`
is the reference of lesson 10's exercise, the one-standard-error rule
(Hastie, Tibshirani and Friedman, The Elements of Statistical Learning,
section 7.10): among the models whose mean validation loss is within one
standard error of the best mean, take the smallest, since the seeds
cannot tell them apart and the smaller one has less room to memorise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gaplab.data import Dataset
from gaplab.experiments import (
    RunConfig,
    build_model,
    load_dataset,
    run_experiment,
)
from gaplab.plotting import TRAIN_COLOUR, VAL_COLOUR, draw_band

# Line styles of the validation curve, by depth (1, 2, 3 hidden layers,
# then again).
DEPTH_STYLES = ("o-", "s--", "^:")


@dataclass(frozen=True)
class CapacitySweep:
    """Last-epoch losses of one config at several shapes, one row per
    shape (`hidden`, with `sizes` its parameter counts) and one column
    per seed."""

    hidden: tuple[tuple[int, ...], ...]
    sizes: np.ndarray
    seeds: tuple[int, ...]
    train_loss: np.ndarray
    val_loss: np.ndarray

    def shape_of(self, size: int) -> tuple[int, ...]:
        """The hidden layers of the swept model with `size` parameters."""
        pairs = zip(self.hidden, self.sizes, strict=True)
        matches = [shape for shape, count in pairs if count == size]
        if not matches:
            raise ValueError(
                f"no swept model has {size} parameters: choose one of "
                f"{self.sizes.tolist()}"
            )
        return matches[0]


def parameter_count(config: RunConfig, data: Dataset) -> int:
    """The number of trainable parameters of `config`'s model on
    `data`."""
    model = build_model(config, data)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def capacity_sweep(
    config: RunConfig,
    hidden_shapes: Sequence[tuple[int, ...]],
    seeds: Sequence[int],
) -> CapacitySweep:
    """Train `config` with each of `hidden_shapes` from each seed; keep
    the last epoch's training and validation losses."""
    data = load_dataset(config)
    shapes = tuple(tuple(shape) for shape in hidden_shapes)
    losses = np.array(
        [
            [
                last_losses(replace(config, hidden=shape), seed, data)
                for seed in seeds
            ]
            for shape in shapes
        ]
    )
    sizes = [parameter_count(replace(config, hidden=s), data) for s in shapes]
    return CapacitySweep(
        hidden=shapes,
        sizes=np.array(sizes),
        seeds=tuple(seeds),
        train_loss=losses[..., 0],
        val_loss=losses[..., 1],
    )


def last_losses(
    config: RunConfig, seed: int, data: Dataset
) -> tuple[float, float]:
    """Training and validation loss after the last epoch of one run."""
    _, history = run_experiment(config, seed=seed, data=data)
    return history.train_loss[-1], history.val_loss[-1]


def pick_capacity(
    sizes: Sequence[int] | np.ndarray | torch.Tensor,
    val_losses: Sequence[Sequence[float]] | np.ndarray | torch.Tensor,
) -> int:
    """The size the one-standard-error rule picks: the smallest model
    whose mean validation loss (over its row of seeds) is at most the
    lowest mean plus the standard error of that best model's losses
    (sample standard deviation over the square root of the seeds)."""
    sizes = np.asarray(sizes)
    losses = np.asarray(val_losses, dtype=float)
    if losses.ndim != 2 or len(losses) != len(sizes) or losses.shape[1] < 2:
        raise ValueError(
            f"val_losses must have one row per size ({len(sizes)}) and a "
            f"column per seed (at least 2), got shape {losses.shape}"
        )
    means = losses.mean(axis=1)
    best = int(means.argmin())
    standard_error = losses[best].std(ddof=1) / math.sqrt(losses.shape[1])
    within = means <= means[best] + standard_error
    return int(sizes[within].min())


def plot_validation_curve(
    sweep: CapacitySweep, ax: Axes | None = None
) -> tuple[Figure, Axes]:
    """Mean training and validation loss against the parameter count,
    with the seeds' lowest-to-highest band, on a log scale; one line per
    depth, since a deeper network is not a point on the wider ones'
    curve."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 3.6), layout="constrained")
    depths = sorted({len(shape) for shape in sweep.hidden})
    for depth in depths:
        style = DEPTH_STYLES[(depth - 1) % len(DEPTH_STYLES)]
        rows = [i for i, s in enumerate(sweep.hidden) if len(s) == depth]
        rows.sort(key=lambda row: sweep.sizes[row])
        layers = f"{depth} hidden layer{'s' if depth > 1 else ''}"
        for losses, colour, name in (
            (sweep.train_loss, TRAIN_COLOUR, "training"),
            (sweep.val_loss, VAL_COLOUR, "validation"),
        ):
            draw_band(
                ax,
                sweep.sizes[rows],
                losses[rows].T,
                colour,
                f"{name}, {layers}",
                style,
            )
    ax.set_xscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel("loss after the last epoch")
    ax.set_title(f"capacity sweep, seeds {list(sweep.seeds)}")
    ax.legend(fontsize="small")
    return ax.figure, ax
