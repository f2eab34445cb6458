"""Remedies for the gap, one module each, as lessons 05-07 build them:
early stopping, weight penalties and decay groups, inverted dropout, one
step of batch normalisation; and `gap_closure`, the harness that measures
whether each one closes the gap against the overfit baseline."""

from gaplab.remedies.batch_norm import batch_norm_step
from gaplab.remedies.dropout import Dropout
from gaplab.remedies.early_stopping import EarlyStopping
from gaplab.remedies.penalties import (
    decay_groups,
    l1_penalty,
    l2_penalty,
    weight_penalty,
)

__all__ = [
    "Dropout",
    "EarlyStopping",
    "batch_norm_step",
    "decay_groups",
    "l1_penalty",
    "l2_penalty",
    "weight_penalty",
]
