"""Small model builders the lessons share."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn


def mlp(
    n_inputs: int,
    n_outputs: int,
    hidden: Sequence[int] = (64,),
    dropout: float = 0.0,
    batch_norm: bool = False,
) -> nn.Sequential:
    """A multilayer perceptron with ReLU activations.

    `hidden` lists the widths of the hidden layers, so capacity is one
    argument; `dropout` (0 disables it) follows each hidden activation;
    `batch_norm` puts a BatchNorm1d between each hidden linear layer and
    its activation, as in the batch norm paper. A regression net with one
    output returns shape (n,), like its targets.
    """
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    layers: list[nn.Module] = []
    width = n_inputs
    for size in hidden:
        layers.append(nn.Linear(width, size))
        if batch_norm:
            layers.append(nn.BatchNorm1d(size))
        layers.append(nn.ReLU())
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, n_outputs))
    if n_outputs == 1:
        layers.append(nn.Flatten(0))
    return nn.Sequential(*layers)
