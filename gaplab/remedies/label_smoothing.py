"""Label smoothing: cross-entropy against targets that are not quite
certain.

Plain cross-entropy keeps rewarding a larger logit for the labelled
class, so a network can drive its loss on a memorised (even a wrong)
label towards 0 only by growing ever more confident. Label smoothing
(Szegedy et al., 2016) trains against a target that puts 1 - smoothing
on the labelled class and spreads `smoothing` evenly over all K classes,
the labelled one included, as `torch.nn.CrossEntropyLoss(label_smoothing
=...)` does. The best a model can then do is a finite margin, not an
infinite one. This is the reference of lesson 08's exercise.
"""

from __future__ import annotations

import torch

from gaplab.losses import (
    Reduction,
    check_classification_inputs,
    log_softmax,
    reduce_losses,
)


def smoothed_cross_entropy(
    logits: torch.Tensor,
    targets: torch.Tensor,
    smoothing: float = 0.0,
    *,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Cross-entropy of `logits` (n, K) against class indices `targets`
    smoothed by `smoothing`: per sample,
    (1 - smoothing) * (-log p_y) + smoothing * mean_k(-log p_k)."""
    check_classification_inputs(logits, targets)
    if not 0.0 <= smoothing <= 1.0:
        raise ValueError(
            f"smoothing is the share of the target spread over all "
            f"classes, from 0 to 1; got {smoothing!r}"
        )
    log_probabilities = log_softmax(logits)
    rows = torch.arange(len(targets), device=targets.device)
    labelled = -log_probabilities[rows, targets.long()]
    uniform = -log_probabilities.mean(dim=1)
    per_sample = (1.0 - smoothing) * labelled + smoothing * uniform
    return reduce_losses(per_sample, reduction)
