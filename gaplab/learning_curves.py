"""Learning curves: the losses against the size of the training set.

Would more data still help? A learning curve answers before anyone
collects it: train on nested subsets of the training split (the first n
samples, as `load_digits(n_train=n)` gives them), measure each model's
training and validation loss, and look at the last sizes. While the
validation loss still falls and the gap is still open, more data helps;
once both have flattened, it buys little.

`torch_learning_curve` trains a `RunConfig` at each size from several
seeds, each run for the same number of optimiser steps, so that a small
set is not also an under-trained model. `sklearn_learning_curve` gets
the same curve for a scikit-learn estimator through
`sklearn.model_selection.learning_curve`, on the course's fixed split.
Lesson 08 plots both with `plot_learning_curve`.
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
from sklearn.base import ClassifierMixin
from sklearn.model_selection import learning_curve

from gaplab.data import Dataset
from gaplab.experiments import RunConfig, run_experiment
from gaplab.plotting import TRAIN_COLOUR, VAL_COLOUR, draw_band


@dataclass(frozen=True)
class LearningCurve:
    """Final training and validation losses, one row per run (a seed)
    and one column per training-set size."""

    sizes: tuple[int, ...]
    train_loss: np.ndarray
    val_loss: np.ndarray

    def __post_init__(self) -> None:
        expected = (self.train_loss.shape[0], len(self.sizes))
        for name in ("train_loss", "val_loss"):
            if getattr(self, name).shape != expected:
                raise ValueError(
                    f"{name} must have one row per run and one column per "
                    f"size, shape {expected}; got "
                    f"{getattr(self, name).shape}"
                )

    @property
    def gap(self) -> np.ndarray:
        """Validation minus training loss, per run and size."""
        return self.val_loss - self.train_loss

    def last_doubling_gain(self) -> float:
        """How much the mean validation loss fell between the two largest
        sizes: what the last step up in data bought."""
        mean = self.val_loss.mean(axis=0)
        return float(mean[-2] - mean[-1])


def epochs_for(steps: int, n_train: int, batch_size: int) -> int:
    """Epochs that give at least `steps` optimiser steps on `n_train`
    samples in batches of `batch_size`."""
    return math.ceil(steps / math.ceil(n_train / batch_size))


def torch_learning_curve(
    config: RunConfig,
    sizes: Sequence[int],
    seeds: Sequence[int],
    steps: int,
    device: str | torch.device = "auto",
) -> LearningCurve:
    """Train `config` on the first n training samples for each n in
    `sizes`, from each seed, for about `steps` optimiser steps each;
    record the last epoch's losses (measured in eval mode)."""
    train = np.zeros((len(seeds), len(sizes)))
    val = np.zeros_like(train)
    for row, seed in enumerate(seeds):
        for column, size in enumerate(sizes):
            sized = replace(
                config,
                n_train=size,
                epochs=epochs_for(steps, size, config.batch_size),
            )
            _, history = run_experiment(sized, seed=seed, device=device)
            train[row, column] = history.train_loss[-1]
            val[row, column] = history.val_loss[-1]
    return LearningCurve(tuple(sizes), train, val)


def sklearn_learning_curve(
    estimator: ClassifierMixin, data: Dataset, sizes: Sequence[int]
) -> LearningCurve:
    """The learning curve of a scikit-learn classifier: fitted on the
    first n training samples for each n in `sizes`, its log loss on
    those samples and on the validation split (one run: the fit is
    deterministic)."""
    inputs = torch.cat([data.train.X, data.val.X]).cpu().numpy()
    labels = torch.cat([data.train.y, data.val.y]).cpu().numpy()
    n_train = len(data.train)
    split = [(np.arange(n_train), np.arange(n_train, len(labels)))]
    _, train_scores, val_scores = learning_curve(
        estimator,
        inputs,
        labels,
        train_sizes=list(sizes),
        cv=split,
        scoring="neg_log_loss",
    )
    # One fold: the scores are negated losses, one per size.
    return LearningCurve(tuple(sizes), -train_scores.T, -val_scores.T)


def plot_learning_curve(
    curve: LearningCurve, ax: Axes | None = None, title: str = ""
) -> tuple[Figure, Axes]:
    """Training and validation loss against the training-set size: the
    mean over runs, and the band from the lowest to the highest run."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 3.6), layout="constrained")
    draw_band(ax, curve.sizes, curve.train_loss, TRAIN_COLOUR, "training")
    draw_band(ax, curve.sizes, curve.val_loss, VAL_COLOUR, "validation")
    ax.set_xscale("log", base=2)
    ax.set_xticks(curve.sizes, [str(size) for size in curve.sizes])
    ax.set_xlabel("training samples")
    ax.set_ylabel("loss after training")
    ax.set_title(title or "learning curve")
    ax.legend()
    return ax.figure, ax
