"""One training step of batch normalisation, the reference of lesson 07's
exercise 2.

In train mode `torch.nn.BatchNorm1d(affine=False)` normalises each
feature of a batch with that batch's own mean and BIASED variance (divided
by n), and moves its running statistics towards the batch's, the running
variance towards the UNBIASED one (divided by n - 1). In eval mode it
normalises with the running statistics instead, which is why a network
with batch norm must be switched to eval mode before it is measured.
"""

from __future__ import annotations

import torch


def batch_norm_step(
    inputs: torch.Tensor,
    running_mean: torch.Tensor,
    running_var: torch.Tensor,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Normalise `inputs` (batch, features) with the batch's statistics;
    return the normalised batch and the updated running mean and variance
    (new tensors: the ones passed in are left as they were)."""
    if inputs.ndim != 2 or inputs.shape[0] < 2:
        raise ValueError(
            "batch_norm_step takes a batch of shape (batch, features) with "
            f"at least 2 examples, got shape {tuple(inputs.shape)}"
        )
    mean = inputs.mean(dim=0)
    biased_var = inputs.var(dim=0, correction=0)
    normalised = (inputs - mean) / torch.sqrt(biased_var + eps)
    unbiased_var = inputs.var(dim=0, correction=1)
    new_mean = torch.lerp(running_mean, mean, momentum)
    new_var = torch.lerp(running_var, unbiased_var, momentum)
    return normalised, new_mean, new_var
