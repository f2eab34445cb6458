"""Figures of a training run, drawn from its `History` alone."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gaplab.training import History

TRAIN_COLOUR = "tab:blue"
VAL_COLOUR = "tab:orange"
FIGURE_HEIGHT = 3.2
PANEL_WIDTH = 4.8


def plot_history(
    history: History,
    show_accuracy: bool = False,
    min_delta: float = 0.0,
    title: str | None = None,
) -> tuple[Figure, list[Axes]]:
    """Training and validation loss on one axis, the gap shaded.

    The best-validation epoch (with `min_delta`) is marked. With
    `show_accuracy`, a second panel shows both accuracies. Returns the
    figure and its axes so a lesson can add to them.
    """
    if len(history) == 0:
        raise ValueError("the history is empty: there is nothing to plot")
    if show_accuracy and not history.has_accuracy:
        raise ValueError(
            "this history has no accuracies (a regression run?): call "
            "plot_history with show_accuracy=False"
        )
    panels = 2 if show_accuracy else 1
    fig, axes = plt.subplots(
        1,
        panels,
        figsize=(PANEL_WIDTH * panels, FIGURE_HEIGHT),
        squeeze=False,
        layout="constrained",
    )
    loss_ax = axes[0][0]
    draw_losses(loss_ax, history, min_delta)
    if show_accuracy:
        draw_accuracies(axes[0][1], history)
    if title:
        fig.suptitle(title)
    return fig, list(axes[0])


def plot_curves(history: History) -> tuple[Figure, list[Axes]]:
    """`plot_history` with accuracies, and the running training loss
    added as a dashed line: the reference of lesson 02's `plot_curves`,
    to show where the running loss sits against the honest curves."""
    fig, axes = plot_history(history, show_accuracy=history.has_accuracy)
    axes[0].plot(
        history.epoch,
        history.running_train_loss,
        color=TRAIN_COLOUR,
        linestyle="--",
        label="training, running (train mode)",
    )
    axes[0].legend(frameon=False, fontsize="small")
    return fig, axes


def draw_losses(ax: Axes, history: History, min_delta: float) -> None:
    """Both loss curves, the shaded gap and the best-validation marker."""
    epochs = history.epoch
    ax.plot(epochs, history.train_loss, color=TRAIN_COLOUR, label="training")
    ax.plot(epochs, history.val_loss, color=VAL_COLOUR, label="validation")
    ax.fill_between(
        epochs,
        history.train_loss,
        history.val_loss,
        color=VAL_COLOUR,
        alpha=0.15,
        label="gap",
    )
    best = history.best_epoch(min_delta)
    ax.axvline(best, color="grey", linestyle="--", linewidth=1)
    ax.plot(
        best,
        history.at(best)["val_loss"],
        "o",
        color=VAL_COLOUR,
        label=f"best validation (epoch {best})",
    )
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (eval mode)")
    ax.legend(frameon=False, fontsize="small")


def draw_accuracies(ax: Axes, history: History) -> None:
    """Training and validation accuracy per epoch."""
    ax.plot(
        history.epoch, history.train_acc, color=TRAIN_COLOUR, label="training"
    )
    ax.plot(
        history.epoch, history.val_acc, color=VAL_COLOUR, label="validation"
    )
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, fontsize="small")


def draw_band(
    ax: Axes,
    x: np.ndarray,
    runs: np.ndarray,
    colour: str,
    label: str,
    style: str = "o-",
) -> None:
    """The mean of `runs` (one row per run, one column per x) as a line
    in `style`, and the band from the lowest to the highest run when
    there are several: the spread of seeds, shown rather than hidden."""
    ax.plot(x, runs.mean(axis=0), style, color=colour, label=label)
    if len(runs) > 1:
        ax.fill_between(
            x, runs.min(axis=0), runs.max(axis=0), color=colour, alpha=0.2
        )
