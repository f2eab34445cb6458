"""A training run described by one small config, so that lessons and the
curve-bank script can ask for "this model, this data, this budget" in a
line and get back the trained model and its `History`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from gaplab.data import Dataset, load_digits, load_moons
from gaplab.models import mlp
from gaplab.remedies.augmentation import random_shifts
from gaplab.remedies.label_smoothing import smoothed_cross_entropy
from gaplab.remedies.penalties import decay_groups, weight_penalty
from gaplab.remedies.schedules import (
    ScheduleCallback,
    ScheduleName,
    check_schedule_name,
    make_scheduler,
)
from gaplab.training import Augment, Callback, History, LossFn, fit
from gaplab.utils import seed_everything

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
}


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run except its seed.

    `n_train` and `label_noise` select the data (see `load_digits`);
    `hidden`, `dropout` and `batch_norm` the model (see `mlp`); the rest
    the optimiser, its schedule, its regularisation and the budget.
    `max_shift` moves each training image by up to that many pixels
    every time a batch shows it (digits only, see
    `gaplab.remedies.augmentation`), and `label_smoothing` trains
    against smoothed targets (see `gaplab.remedies.label_smoothing`);
    every loss is still measured with plain cross-entropy. `schedule`
    names a learning-rate schedule, stepped once per epoch (see
    `gaplab.remedies.schedules`). `weight_decay` is the optimiser's own
    (L2 for Adam and SGD, decoupled for AdamW), on every parameter as
    PyTorch does by default, or on weights only without
    `decay_biases`; `l1` and `l2` are penalties added to the training
    loss, on weights only (see `gaplab.remedies.penalties`).
    """

    dataset: Literal["digits", "moons"] = "digits"
    n_train: int | None = None
    label_noise: float = 0.0
    hidden: tuple[int, ...] = (64,)
    dropout: float = 0.0
    batch_norm: bool = False
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    decay_biases: bool = True
    l1: float = 0.0
    l2: float = 0.0
    max_shift: int = 0
    label_smoothing: float = 0.0
    schedule: ScheduleName = "constant"
    epochs: int = 50
    batch_size: int = 64

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"optimizer must be one of {sorted(OPTIMIZERS)}, got "
                f"{self.optimizer!r}"
            )
        if self.dataset not in ("digits", "moons"):
            raise ValueError(
                f"dataset must be 'digits' or 'moons', got {self.dataset!r}"
            )
        check_schedule_name(self.schedule)
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")
        if self.dataset != "digits" and (
            self.max_shift or self.label_smoothing
        ):
            raise ValueError(
                "max_shift and label_smoothing apply to the digits (images "
                f"and classes), not to {self.dataset!r}"
            )


# Lesson 03's overfit run, and the baseline every remedy is measured
# against: 200 digits with 20% of their labels flipped, a 512x512 MLP,
# Adam at its default rate, 100 epochs in batches of 32.
OVERFIT_BASELINE = RunConfig(
    n_train=200,
    label_noise=0.2,
    hidden=(512, 512),
    epochs=100,
    batch_size=32,
)


def load_dataset(config: RunConfig) -> Dataset:
    """The data a config names."""
    if config.dataset == "moons":
        return load_moons(n_train=config.n_train or 200)
    return load_digits(n_train=config.n_train, label_noise=config.label_noise)


def build_model(config: RunConfig, data: Dataset) -> nn.Module:
    """A fresh MLP shaped for `data`, with the config's capacity."""
    return mlp(
        data.n_features,
        data.n_classes or 1,
        config.hidden,
        config.dropout,
        config.batch_norm,
    )


def make_optimizer(
    config: RunConfig, model: nn.Module
) -> torch.optim.Optimizer:
    """The config's optimiser over `model`'s parameters."""
    parameters = (
        model.parameters()
        if config.decay_biases
        else decay_groups(model, config.weight_decay)
    )
    return OPTIMIZERS[config.optimizer](
        parameters, lr=config.lr, weight_decay=config.weight_decay
    )


def loss_for(data: Dataset) -> nn.Module:
    """Cross-entropy for a classification set, mean squared error else."""
    return nn.CrossEntropyLoss() if data.n_classes else nn.MSELoss()


def augmentation_for(config: RunConfig) -> Augment | None:
    """The config's change to each training batch: random shifts of up
    to `max_shift` pixels, from torch's global generator (seeded with
    the run), or None."""
    if not config.max_shift:
        return None
    return lambda images: random_shifts(images, config.max_shift)


def train_loss_for(config: RunConfig) -> LossFn | None:
    """The loss training minimises when it is not the measured one: a
    label-smoothed cross-entropy, or None."""
    if not config.label_smoothing:
        return None
    return lambda logits, targets: smoothed_cross_entropy(
        logits, targets, config.label_smoothing
    )


def run_experiment(
    config: RunConfig,
    seed: int = 0,
    data: Dataset | None = None,
    callbacks: Sequence[Callback] = (),
    device: str | torch.device = "auto",
    progress: bool = False,
) -> tuple[nn.Module, History]:
    """Train the run `config` describes from `seed`; return model and
    history. Pass `data` to train on something other than the config's
    own dataset (shuffled labels, say)."""
    seed_everything(seed)
    data = data if data is not None else load_dataset(config)
    model = build_model(config, data)
    optimizer = make_optimizer(config, model)
    scheduler = make_scheduler(config.schedule, optimizer, config.epochs)
    if scheduler is not None:
        callbacks = [*callbacks, ScheduleCallback(scheduler)]
    history = fit(
        model,
        data,
        loss_for(data),
        optimizer,
        epochs=config.epochs,
        batch_size=config.batch_size,
        callbacks=callbacks,
        device=device,
        progress=progress,
        penalty=weight_penalty(config.l1, config.l2),
        augment=augmentation_for(config),
        train_loss_fn=train_loss_for(config),
    )
    return model, history
