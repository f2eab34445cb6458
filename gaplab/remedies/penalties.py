"""Weight penalties added to the training loss, and parameter groups for
an optimiser's own weight decay.

Lesson 06's learners write `l2_penalty`; the library keeps the reference.
Only weights are penalised: the parameters with at least two dimensions
(the matrices of linear layers). Biases and the scale and shift of batch
norm are left alone, as is usual: shrinking a bias does not make the
function simpler, only shifted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from gaplab.training import Penalty


def is_weight(parameter: torch.Tensor) -> bool:
    """Whether a parameter is a weight that decay should shrink."""
    return parameter.ndim >= 2


def decayed_weights(model: nn.Module) -> Iterator[torch.Tensor]:
    """The parameters that a penalty or weight decay applies to."""
    return (p for p in model.parameters() if is_weight(p))


def l2_penalty(model: nn.Module, strength: float) -> torch.Tensor:
    """(strength / 2) times the sum of squared weights, biases excluded.

    The factor 1/2 makes the penalty's gradient `strength * w`: exactly
    the step that SGD's `weight_decay=strength` takes.
    """
    squares = sum(w.pow(2).sum() for w in decayed_weights(model))
    return 0.5 * strength * torch.as_tensor(squares)


def l1_penalty(model: nn.Module, strength: float) -> torch.Tensor:
    """strength times the sum of absolute weights, biases excluded: a
    constant pull towards zero that drives small weights to exactly 0."""
    magnitudes = sum(w.abs().sum() for w in decayed_weights(model))
    return strength * torch.as_tensor(magnitudes)


def weight_penalty(l1: float = 0.0, l2: float = 0.0) -> Penalty | None:
    """One penalty of both kinds for `fit`, or None when both are 0."""
    if l1 < 0 or l2 < 0:
        raise ValueError(f"penalty strengths must be >= 0, got {l1=}, {l2=}")
    if not l1:
        return None if not l2 else lambda model: l2_penalty(model, l2)
    if not l2:
        return lambda model: l1_penalty(model, l1)
    return lambda model: l1_penalty(model, l1) + l2_penalty(model, l2)


def decay_groups(
    model: nn.Module, weight_decay: float
) -> list[dict[str, Any]]:
    """Parameter groups for an optimiser: weights decayed, biases and
    norm parameters not. Pass them in place of `model.parameters()`."""
    weights = [p for p in model.parameters() if is_weight(p)]
    others = [p for p in model.parameters() if not is_weight(p)]
    return [
        {"params": weights, "weight_decay": weight_decay},
        {"params": others, "weight_decay": 0.0},
    ]
