"""Early stopping, as a `fit` callback with the semantics of Keras 3.

Lesson 05's learners write this class; the library keeps this reference
so that later lessons (and the gap-closure harness) can use it.

What Keras 3 does, and this class does too:

* an epoch improves only if it beats the best so far by MORE than
  `min_delta`;
* every monitored epoch adds one to `wait`, an improvement resets it to 0
  (only when it also beats `baseline`, if one is given), and training
  stops when `wait` reaches `patience`, never on the first epoch;
* the first `start_from_epoch` epochs are not monitored;
* `restore_best_weights` puts the best epoch's weights back at the end of
  training, whether or not the callback stopped it (tf.keras 2 restored
  only when it had stopped training, a known source of bugs).

One addition, from Lightning's `check_finite`: a NaN or infinite
monitored value stops training at once, since nothing after it can be
trusted.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Literal

from torch import nn

from gaplab.training import Callback, History

Mode = Literal["auto", "min", "max"]


def monitor_direction(monitor: str, mode: Mode) -> Literal["min", "max"]:
    """Whether a lower or a higher `monitor` is better. In "auto" mode a
    loss is minimised and an accuracy maximised."""
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if monitor.endswith("loss"):
        return "min"
    if monitor.endswith("acc"):
        return "max"
    raise ValueError(
        f"cannot tell whether {monitor!r} should fall or rise: pass "
        "mode='min' or mode='max'"
    )


def is_improvement(
    current: float,
    reference: float | None,
    direction: Literal["min", "max"],
    min_delta: float,
) -> bool:
    """Whether `current` beats `reference` by more than `min_delta`."""
    if reference is None:
        return True
    if direction == "min":
        return current < reference - min_delta
    return current > reference + min_delta


class EarlyStopping(Callback):
    """Stop `fit` when a monitored measurement stops improving.

    `monitor` names a `History` field ("val_loss", "val_acc",
    "train_loss", ...). After training, `best_epoch` and `stopped_epoch`
    are epoch numbers as `History` counts them (from 1), 0 when there was
    none.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: Mode = "auto",
        min_delta: float = 0.0,
        patience: int = 0,
        restore_best_weights: bool = False,
        baseline: float | None = None,
        start_from_epoch: int = 0,
    ) -> None:
        history_fields = History().to_dict()
        if monitor not in history_fields:
            raise ValueError(
                f"monitor must name a History field, got {monitor!r}: "
                f"choose from {sorted(history_fields)}"
            )
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be an int >= 0, got {patience!r}")
        if not isinstance(start_from_epoch, int) or start_from_epoch < 0:
            raise ValueError(
                f"start_from_epoch must be an int >= 0, got "
                f"{start_from_epoch!r}"
            )
        self.monitor = monitor
        self.direction = monitor_direction(monitor, mode)
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.reset()
        self.resuming = False

    def reset(self) -> None:
        """Forget everything seen, so that one instance can train again."""
        self.wait = 0
        self.best: float | None = None
        self.best_epoch = 0
        self.stopped_epoch = 0
        self.best_weights: dict[str, Any] | None = None

    def on_train_begin(self, model: nn.Module) -> None:
        """Start afresh, unless a saved state was just loaded."""
        if not self.resuming:
            self.reset()
        self.resuming = False

    def on_epoch_end(self, history: History, model: nn.Module) -> bool:
        """Record the epoch; True once training should stop."""
        epoch = history.epoch[-1]
        current = getattr(history, self.monitor)[-1]
        if current is None:
            raise ValueError(
                f"{self.monitor} was not recorded (a regression run has no "
                "accuracy): monitor a loss instead"
            )
        if epoch <= self.start_from_epoch:
            return False
        if not math.isfinite(current):
            self.stopped_epoch = epoch
            return True
        if self.restore_best_weights and self.best_weights is None:
            self.keep_weights(model, epoch)
        self.wait += 1
        if is_improvement(current, self.best, self.direction, self.min_delta):
            self.best = current
            self.keep_weights(model, epoch)
            if is_improvement(
                current, self.baseline, self.direction, self.min_delta
            ):
                self.wait = 0
            return False
        if self.wait >= self.patience and epoch > 1:
            self.stopped_epoch = epoch
            return True
        return False

    def keep_weights(self, model: nn.Module, epoch: int) -> None:
        """Remember `epoch` as the best, with a copy of its weights when
        they are to be restored."""
        self.best_epoch = epoch
        if self.restore_best_weights:
            self.best_weights = copy.deepcopy(model.state_dict())

    def on_train_end(self, history: History, model: nn.Module) -> None:
        """Put the best weights back, if asked to keep them."""
        if self.restore_best_weights and self.best_weights is not None:
            model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict[str, Any]:
        """What is needed to resume monitoring where it stopped."""
        return {
            "wait": self.wait,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from what `state_dict` returned: the next `fit` goes on
        counting patience from there instead of starting afresh."""
        missing = set(self.state_dict()) - set(state)
        if missing:
            raise KeyError(
                f"state lacks {sorted(missing)}: pass what state_dict() "
                "returned"
            )
        self.wait = state["wait"]
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.stopped_epoch = state["stopped_epoch"]
        self.best_weights = state["best_weights"]
        self.resuming = True
