"""Remedies for the gap, one module each, as lessons 05-10 build them:
early stopping, weight penalties and decay groups, inverted dropout, one
step of batch normalisation, random shifts of the digits, label-smoothed
cross-entropy, learning-rate schedules. Two modules build on the
training runs of `gaplab.experiments` and are imported by name:
`capacity`, a capacity chosen on validation, and `gap_closure`, the
harness that measures whether each remedy closes the gap against the
overfit baseline."""

from gaplab.remedies.augmentation import random_shifts
from gaplab.remedies.batch_norm import batch_norm_step
from gaplab.remedies.dropout import Dropout
from gaplab.remedies.early_stopping import EarlyStopping
from gaplab.remedies.label_smoothing import smoothed_cross_entropy
from gaplab.remedies.penalties import (
    decay_groups,
    l1_penalty,
    l2_penalty,
    weight_penalty,
)
from gaplab.remedies.schedules import ScheduleCallback

__all__ = [
    "Dropout",
    "EarlyStopping",
    "ScheduleCallback",
    "batch_norm_step",
    "decay_groups",
    "l1_penalty",
    "l2_penalty",
    "random_shifts",
    "smoothed_cross_entropy",
    "weight_penalty",
]
