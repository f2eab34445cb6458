"""One honest evaluation contract and a training loop that records it.

`evaluate` measures a split the same way for training and validation data:
eval mode, no gradients, a sample-weighted mean. `fit` calls it on both
splits after every epoch and returns the record as a `History`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from gaplab.data import Dataset, Split
from gaplab.utils import get_device

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
# A term added to the training loss only, computed from the model: a
# weight penalty. Measurements never include it.
Penalty = Callable[[nn.Module], torch.Tensor]
# A change to each training batch's inputs that keeps their labels
# (see gaplab.remedies.augmentation).
Augment = Callable[[torch.Tensor], torch.Tensor]
EVAL_BATCH_SIZE = 1024


@dataclass(frozen=True)
class Evaluation:
    """Mean loss over a split, and accuracy when the task has classes."""

    loss: float
    accuracy: float | None = None


def is_classification(outputs: torch.Tensor, targets: torch.Tensor) -> bool:
    """True when outputs are per-class scores and targets class indices."""
    return outputs.ndim == 2 and not targets.is_floating_point()


def check_targets(
    outputs: torch.Tensor, targets: torch.Tensor, loss_fn: LossFn
) -> None:
    """Reject targets that a loss would misuse or fail on cryptically.

    Float targets must match the outputs' shape: otherwise the loss
    broadcasts (n, 1) against (n,) into an (n, n) table of wrong numbers.
    """
    regression = isinstance(
        loss_fn, (nn.MSELoss, nn.L1Loss, nn.HuberLoss, nn.SmoothL1Loss)
    )
    if regression and not targets.is_floating_point():
        raise TypeError(
            f"{type(loss_fn).__name__} needs float targets, got "
            f"{targets.dtype}: convert them with y.float()"
        )
    if targets.is_floating_point() and outputs.shape != targets.shape:
        raise ValueError(
            f"model outputs have shape {tuple(outputs.shape)} but targets "
            f"{tuple(targets.shape)}: make them match (e.g. end the model "
            "with nn.Flatten(0)) so the loss does not broadcast"
        )


def evaluate(
    model: nn.Module,
    data: Split,
    loss_fn: LossFn,
    batch_size: int = EVAL_BATCH_SIZE,
) -> Evaluation:
    """Mean loss (and accuracy) of `model` on `data`, measured honestly.

    The model is in eval mode (dropout off, batch norm frozen) and no
    gradients are kept; each batch's mean loss is weighted by its size; the
    model goes back to the mode it was in. `loss_fn` must return a batch
    mean, as torch's losses do by default.
    """
    if not isinstance(data, Split):
        raise TypeError(
            f"data must be a gaplab Split, got {type(data).__name__}: pass "
            "e.g. dataset.val"
        )
    was_training = model.training
    model.eval()
    total_loss = torch.zeros((), device=data.X.device)
    correct = torch.zeros((), device=data.X.device)
    classification = False
    try:
        with torch.no_grad():
            for inputs, targets in data.batches(batch_size):
                outputs = model(inputs)
                check_targets(outputs, targets, loss_fn)
                total_loss += loss_fn(outputs, targets) * len(targets)
                classification = is_classification(outputs, targets)
                if classification:
                    predictions = outputs.argmax(dim=1)
                    correct += (predictions == targets).sum()
    finally:
        model.train(was_training)
    n = len(data)
    accuracy = correct.item() / n if classification else None
    return Evaluation(loss=total_loss.item() / n, accuracy=accuracy)


@dataclass
class History:
    """What `fit` measured, one entry per epoch (epochs count from 1).

    `train_loss` is measured after the epoch in eval mode, like `val_loss`,
    so the two are comparable. `running_train_loss` is the sample-weighted
    mean of the batch losses during the epoch, in train mode: the figure
    most frameworks print, which lags behind and includes dropout.
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    running_train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_acc: list[float | None] = field(default_factory=list)
    val_acc: list[float | None] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.epoch)

    @property
    def gap(self) -> list[float]:
        """Generalisation gap per epoch: validation minus training loss."""
        return [
            v - t for v, t in zip(self.val_loss, self.train_loss, strict=True)
        ]

    @property
    def has_accuracy(self) -> bool:
        """Whether accuracies were recorded (classification runs)."""
        return bool(self.val_acc) and self.val_acc[0] is not None

    def best_epoch(self, min_delta: float = 0.0) -> int:
        """Epoch of minimum validation loss; later epochs count only if
        they improve on the best so far by more than `min_delta`."""
        if not self.val_loss:
            raise ValueError("the history is empty: train for an epoch first")
        best_index = 0
        for index, loss in enumerate(self.val_loss):
            if loss < self.val_loss[best_index] - min_delta:
                best_index = index
        return self.epoch[best_index]

    def at(self, epoch: int) -> dict[str, Any]:
        """Every measurement of one epoch, by name; None for one that was
        not recorded (the accuracies of a regression run)."""
        index = self.epoch.index(epoch)
        return {
            f.name: values[index] if values else None
            for f in fields(self)
            for values in [getattr(self, f.name)]
        }

    def to_dict(self) -> dict[str, list]:
        """Plain lists, ready for JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, list]) -> History:
        """The inverse of `to_dict`."""
        names = {f.name for f in fields(cls)}
        unknown = set(record) - names
        if unknown:
            raise ValueError(
                f"unknown History fields {sorted(unknown)}: expected "
                f"{sorted(names)}"
            )
        return cls(**{name: list(values) for name, values in record.items()})


class Callback:
    """Hooks into `fit`; later lessons build early stopping on them.

    `on_epoch_end` returns True to stop training after this epoch.
    """

    def on_train_begin(self, model: nn.Module) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, history: History, model: nn.Module) -> bool:
        """Called after each epoch's measurements; True stops training."""
        return False

    def on_train_end(self, history: History, model: nn.Module) -> None:
        """Called once after the last epoch."""


def train_one_epoch(
    model: nn.Module,
    data: Split,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    batch_size: int,
    penalty: Penalty | None = None,
    augment: Augment | None = None,
    train_loss_fn: LossFn | None = None,
) -> float:
    """One pass over shuffled `data`; returns the running training loss.

    `augment` changes each batch's inputs before the model sees them.
    The gradient step minimises `train_loss_fn` (`loss_fn` if None) plus
    a `penalty`; the running loss returned is `loss_fn` alone, the loss
    every measurement uses.
    """
    model.train()
    running = torch.zeros((), device=data.X.device)
    for inputs, targets in data.batches(batch_size, shuffle=True):
        optimizer.zero_grad(set_to_none=True)
        if augment is not None:
            inputs = augment(inputs)
        outputs = model(inputs)
        check_targets(outputs, targets, loss_fn)
        loss = loss_fn(outputs, targets)
        objective = (
            loss if train_loss_fn is None else train_loss_fn(outputs, targets)
        )
        if penalty is not None:
            objective = objective + penalty(model)
        objective.backward()
        optimizer.step()
        running += loss.detach() * len(targets)
    return running.item() / len(data)


def fit(
    model: nn.Module,
    data: Dataset,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    batch_size: int = 64,
    callbacks: Sequence[Callback] = (),
    device: str | torch.device = "auto",
    progress: bool = True,
    penalty: Penalty | None = None,
    augment: Augment | None = None,
    train_loss_fn: LossFn | None = None,
) -> History:
    """Train `model` for up to `epochs` epochs and return its `History`.

    After every epoch both splits are measured with `evaluate`. The data
    moves to the device once and stays there. Callbacks see the history
    after each epoch and may stop training early. A `penalty` (see
    `gaplab.remedies.weight_penalty`) is added to the training objective
    only, and so are an `augment` of the training batches and a
    `train_loss_fn` that differs from the measured loss (a label-smoothed
    cross-entropy, say): every loss recorded is `loss_fn` on the data.
    """
    if not isinstance(data, Dataset):
        raise TypeError(
            f"data must be a gaplab Dataset, got {type(data).__name__}: "
            "load one with e.g. gaplab.load_digits()"
        )
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    target = get_device(device)
    model.to(target)
    train, val = data.train.to(target), data.val.to(target)
    history = History()
    for callback in callbacks:
        callback.on_train_begin(model)
    bar = tqdm(range(1, epochs + 1), disable=not progress, unit="epoch")
    for epoch in bar:
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(
            model,
            train,
            loss_fn,
            optimizer,
            batch_size,
            penalty,
            augment,
            train_loss_fn,
        )
        on_train = evaluate(model, train, loss_fn)
        on_val = evaluate(model, val, loss_fn)
        history.epoch.append(epoch)
        history.running_train_loss.append(running)
        history.train_loss.append(on_train.loss)
        history.val_loss.append(on_val.loss)
        history.train_acc.append(on_train.accuracy)
        history.val_acc.append(on_val.accuracy)
        history.lr.append(lr)
        history.epoch_time.append(time.perf_counter() - start)
        bar.set_postfix(train=f"{on_train.loss:.3f}", val=f"{on_val.loss:.3f}")
        stop = [c.on_epoch_end(history, model) for c in callbacks]
        if any(stop):
            break
    bar.close()
    for callback in callbacks:
        callback.on_train_end(history, model)
    return history
