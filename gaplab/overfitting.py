"""Overfitting and underfitting on purpose (lesson 03).

The tools that show what an overfit model memorised (flipped labels,
shuffled labels, decision boundaries) and the reference "overfit one
batch" sanity check. What overfitting and underfitting mean is defined
once, in gaplab.verdict.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import nn

from gaplab.data import Dataset, Split
from gaplab.training import Callback, History, evaluate

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

# The "overfit one batch" sanity check: the loss a working pipeline gets
# below on one small batch, and how many steps it may take.
ONE_BATCH_MAX_LOSS = 0.05
ONE_BATCH_STEPS = 500


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters: the usual first measure of capacity."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def with_shuffled_labels(dataset: Dataset, seed: int) -> Dataset:
    """The same dataset with its training labels randomly permuted.

    This is the random-label experiment of Zhang et al. (2017),
    "Understanding deep learning requires rethinking generalization". A
    permutation keeps every class as frequent as before, so chance
    accuracy is unchanged, but it breaks every link between an image and
    its label. Validation and test labels stay true. `flipped` marks the
    samples whose label now differs from the clean one.
    """
    if dataset.task != "classification":
        raise ValueError(
            f"{dataset.name} is a {dataset.task} set: shuffled labels are "
            "defined for classification"
        )
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    labels = dataset.train.y
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(labels), generator=generator)
    shuffled = labels[order.to(labels.device)]
    clean = dataset.clean_train_y
    if clean is None:
        clean = labels
    return replace(
        dataset,
        name=f"{dataset.name} (shuffled labels)",
        train=Split(dataset.train.X, shuffled),
        flipped=shuffled != clean,
        clean_train_y=clean,
    )


def model_device(model: nn.Module) -> torch.device:
    """The device that holds `model`'s parameters."""
    return next(model.parameters()).device


def model_outputs(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """`model`'s outputs on `inputs`, on the CPU, measured as `evaluate`
    measures: eval mode, no gradients, and the model goes back to the
    mode it was in."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return model(inputs.to(model_device(model))).cpu()
    finally:
        model.train(was_training)


def predict_classes(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """Predicted class of each input (the largest logit), on the CPU."""
    return model_outputs(model, inputs).argmax(dim=1)


def flipped_and_labels(dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """The dataset's flipped mask and the labels it trains on, on the CPU."""
    if dataset.flipped is None or not bool(dataset.flipped.any()):
        raise ValueError(
            f"{dataset.name} has no flipped training labels: load it with "
            "label noise, e.g. load_digits(n_train=200, label_noise=0.2)"
        )
    return dataset.flipped.cpu(), dataset.train.y.cpu()


def memorised_flips(model: nn.Module, dataset: Dataset) -> torch.Tensor:
    """Indices of the flipped training samples that `model` predicts with
    their wrong, flipped label: the noise it has memorised.

    A model that learned only the shared patterns of each class predicts
    the true label for most of them instead.
    """
    flipped, labels = flipped_and_labels(dataset)
    predicted = predict_classes(model, dataset.train.X)
    return torch.nonzero(flipped & (predicted == labels)).flatten()


class MemorisationTracker(Callback):
    """Records, after each epoch, how much of the training set is fitted,
    separately for the samples with clean and with flipped labels.

    `clean_fit[i]` is the fraction of clean-labelled training samples
    predicted with their label after epoch i + 1, `flipped_fit[i]` the
    fraction of flipped ones predicted with their wrong label.
    """

    def __init__(self, dataset: Dataset) -> None:
        self.flipped, self.labels = flipped_and_labels(dataset)
        self.inputs = dataset.train.X
        self.clean_fit: list[float] = []
        self.flipped_fit: list[float] = []

    def on_train_begin(self, model: nn.Module) -> None:
        self.clean_fit.clear()
        self.flipped_fit.clear()

    def on_epoch_end(self, history: History, model: nn.Module) -> bool:
        fitted = predict_classes(model, self.inputs) == self.labels
        self.clean_fit.append(fitted[~self.flipped].float().mean().item())
        self.flipped_fit.append(fitted[self.flipped].float().mean().item())
        return False


def plot_digits(
    images: torch.Tensor, captions: Sequence[str], columns: int = 6
) -> Figure:
    """Show flattened 8x8 digit images in a grid, each over its caption."""
    if len(images) != len(captions):
        raise ValueError(
            f"{len(images)} images but {len(captions)} captions: give "
            "one caption per image"
        )
    if len(images) == 0:
        raise ValueError("there are no images to show")
    columns = min(columns, len(images))
    rows = math.ceil(len(images) / columns)
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(1.3 * columns, 1.6 * rows),
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, caption in zip(axes.flat, images, captions, strict=False):
        ax.imshow(image.cpu().reshape(8, 8).numpy(), cmap="gray_r")
        ax.set_title(caption, fontsize="small")
    return fig


def plot_decision_boundary(
    model: nn.Module,
    split: Split,
    ax: Axes | None = None,
    title: str | None = None,
    resolution: int = 200,
) -> Axes:
    """The probability a two-class 2-D model gives class 1 over the plane,
    its 0.5 boundary, and the samples of `split` coloured by label.

    Pass `ax` to draw side by side with another model.
    """
    if split.X.ndim != 2 or split.X.shape[1] != 2:
        raise ValueError(
            f"inputs have shape {tuple(split.X.shape)}: decision boundaries "
            "are drawn for 2-D inputs such as load_moons()"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(4.8, 3.2), layout="constrained")
    points, labels = split.X.cpu().numpy(), split.y.cpu().numpy()
    low, high = points.min(axis=0) - 0.5, points.max(axis=0) + 0.5
    grid_x, grid_y = np.meshgrid(
        np.linspace(low[0], high[0], resolution),
        np.linspace(low[1], high[1], resolution),
    )
    grid = torch.tensor(
        np.column_stack([grid_x.ravel(), grid_y.ravel()]), dtype=torch.float32
    )
    logits = model_outputs(model, grid)
    probability = logits.softmax(dim=1)[:, 1].reshape(grid_x.shape).numpy()
    ax.contourf(
        grid_x, grid_y, probability, levels=20, cmap="RdBu_r", alpha=0.6
    )
    ax.contour(
        grid_x, grid_y, probability, levels=[0.5], colors="k", linewidths=1
    )
    ax.scatter(
        points[:, 0],
        points[:, 1],
        c=labels,
        cmap="RdBu_r",
        edgecolors="k",
        linewidths=0.5,
        s=18,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize="medium")
    return ax


def can_overfit_one_batch(
    model: nn.Module,
    batch: tuple[torch.Tensor, torch.Tensor],
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    steps: int = ONE_BATCH_STEPS,
    max_loss: float = ONE_BATCH_MAX_LOSS,
) -> bool:
    """Train on one small batch for `steps` steps; True when the loss on
    it ends below `max_loss`.

    A pipeline with enough capacity that cannot drive the loss on a few
    samples to almost zero is broken (an optimiser over the wrong
    parameters, a learning rate of 0, a softmax before the cross-entropy),
    and no amount of data or tuning will fix it. `model` is trained in
    place, so pass a fresh one.
    """
    inputs, targets = batch
    model.train()
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
    return evaluate(model, Split(inputs, targets), loss_fn).loss < max_loss
