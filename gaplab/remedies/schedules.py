"""Learning-rate schedules from `torch.optim.lr_scheduler`, run by `fit`.

`fit` knows nothing of schedulers: a `ScheduleCallback` steps one once
at the end of every epoch, after both splits were measured. Lesson 10's
learners write this callback; the library keeps this reference so that
the gap-closure harness can train with a schedule.

PyTorch's schedulers are stepped after the optimiser, once per epoch
here, so the first epoch trains at the initial rate and `History.lr`
records the rate each epoch trained at. `ReduceLROnPlateau` alone needs
the monitored value; it gets the epoch's validation loss. It cuts the
rate once more than `patience` epochs in a row failed to improve on the
best (relative threshold 1e-4 by default): one bad epoch later than an
early stopping with the same patience stops, since Keras's
`EarlyStopping` stops when its count of bad epochs reaches `patience`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import nn
from torch.optim.lr_scheduler import (
    CosineAnnealingLR,
    LRScheduler,
    OneCycleLR,
    ReduceLROnPlateau,
    StepLR,
)

from gaplab.training import Callback, History

Scheduler = LRScheduler | ReduceLROnPlateau
ScheduleName = Literal["constant", "step", "cosine", "one-cycle", "plateau"]
# A plateau is `PLATEAU_PATIENCE` epochs without improvement; each cuts
# the rate to `PLATEAU_FACTOR` of itself. The step schedule does the
# same cut every third of the budget.
PLATEAU_PATIENCE = 3
PLATEAU_FACTOR = 0.1
# One-cycle climbs to this multiple of the optimiser's rate, then falls.
ONE_CYCLE_PEAK = 10.0


SCHEDULES: dict[str, Callable[[torch.optim.Optimizer, int], Scheduler]] = {
    "step": lambda optimizer, epochs: StepLR(
        optimizer, step_size=max(epochs // 3, 1), gamma=PLATEAU_FACTOR
    ),
    "cosine": lambda optimizer, epochs: CosineAnnealingLR(
        optimizer, T_max=epochs
    ),
    "one-cycle": lambda optimizer, epochs: OneCycleLR(
        optimizer,
        max_lr=ONE_CYCLE_PEAK * optimizer.param_groups[0]["lr"],
        total_steps=epochs,
    ),
    "plateau": lambda optimizer, epochs: ReduceLROnPlateau(
        optimizer, factor=PLATEAU_FACTOR, patience=PLATEAU_PATIENCE
    ),
}


def check_schedule_name(name: str) -> None:
    """Reject a schedule name that neither `make_scheduler` nor
    `RunConfig` knows, listing the ones they do."""
    if name != "constant" and name not in SCHEDULES:
        raise ValueError(
            f"schedule must be 'constant' or one of {sorted(SCHEDULES)}, "
            f"got {name!r}"
        )


def make_scheduler(
    name: ScheduleName, optimizer: torch.optim.Optimizer, epochs: int
) -> Scheduler | None:
    """The schedule `name` over a budget of `epochs` epochs, stepped
    once per epoch; None for a constant rate."""
    check_schedule_name(name)
    if name == "constant":
        return None
    return SCHEDULES[name](optimizer, epochs)


class ScheduleCallback(Callback):
    """Step `scheduler` once after every epoch of `fit`; a plateau
    scheduler is given the epoch's validation loss."""

    def __init__(self, scheduler: Scheduler) -> None:
        if not isinstance(scheduler, LRScheduler | ReduceLROnPlateau):
            raise TypeError(
                "scheduler must be one of torch.optim.lr_scheduler's, got "
                f"{type(scheduler).__name__}: build it on the optimiser "
                "you pass to fit"
            )
        self.scheduler = scheduler

    def on_epoch_end(self, history: History, model: nn.Module) -> bool:
        """Step the schedule; never stops training."""
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(history.val_loss[-1])
        else:
            self.scheduler.step()
        return False
