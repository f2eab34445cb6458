"""Inverted dropout, the reference of lesson 07's exercise.

In training each activation is zeroed with probability `p` (a DROP
probability, as in PyTorch; some texts use the keep probability 1 - p)
and the survivors are scaled by 1 / (1 - p), so that the expected
activation is unchanged. In eval mode the layer is the identity.
"""

from __future__ import annotations

import torch
from torch import nn


class Dropout(nn.Module):
    """Zero each input with probability `p` in training, scale the rest
    by 1 / (1 - p); pass inputs through unchanged in eval mode."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(
                f"p is the probability to DROP a unit and must be in "
                f"[0, 1), got {p!r}"
            )
        self.p = p

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return inputs
        keep = torch.rand_like(inputs) >= self.p
        return inputs * keep / (1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"
