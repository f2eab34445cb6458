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
from gaplab.training import Callback, History, fit
from gaplab.utils import seed_everything

OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run except its seed.

    `n_train` and `label_noise` select the data (see `load_digits`);
    `hidden` and `dropout` the model (see `mlp`); the rest the optimiser
    and the budget.
    """

    dataset: Literal["digits", "moons"] = "digits"
    n_train: int | None = None
    label_noise: float = 0.0
    hidden: tuple[int, ...] = (64,)
    dropout: float = 0.0
    optimizer: Literal["adam", "sgd"] = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
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
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")


def load_dataset(config: RunConfig) -> Dataset:
    """The data a config names."""
    if config.dataset == "moons":
        return load_moons(n_train=config.n_train or 200)
    return load_digits(n_train=config.n_train, label_noise=config.label_noise)


def build_model(config: RunConfig, data: Dataset) -> nn.Module:
    """A fresh MLP shaped for `data`, with the config's capacity."""
    return mlp(
        data.n_features, data.n_classes or 1, config.hidden, config.dropout
    )


def make_optimizer(
    config: RunConfig, model: nn.Module
) -> torch.optim.Optimizer:
    """The config's optimiser over `model`'s parameters."""
    return OPTIMIZERS[config.optimizer](
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
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
    loss_fn = nn.CrossEntropyLoss() if data.n_classes else nn.MSELoss()
    history = fit(
        model,
        data,
        loss_fn,
        make_optimizer(config, model),
        epochs=config.epochs,
        batch_size=config.batch_size,
        callbacks=callbacks,
        device=device,
        progress=progress,
    )
    return model, history
