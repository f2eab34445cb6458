"""An independent bank of learner answers to the exercises of lesson 06
(weight decay): 1 (`l2_penalty`) and 2 (`decay_config`), written from the
exercise text alone, and run through the real graded cells (visible
checks and hidden tests).

Every correct answer, in whatever style, must be accepted; every wrong
one, a mistake that learners reading the text really make, must fail
with an AssertionError, which carries the check's message.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from gaplab.experiments import OVERFIT_BASELINE, RunConfig
from tests.notebook_tools import grade_answer

ASSIGNMENT = "06-weight-decay"


def weights_of(model: nn.Module) -> list[torch.Tensor]:
    """The parameters with at least two dimensions, as the text defines
    the weights."""
    return [p for p in model.parameters() if p.ndim >= 2]


# ======================================================== exercise 1
# ------------------------------------------------------ correct answers


def l2_generator(model: nn.Module, strength: float) -> torch.Tensor:
    """A generator of squared sums over the weights, halved and scaled;
    `as_tensor` keeps a model without weights a tensor too."""
    squares = sum((w**2).sum() for w in model.parameters() if w.ndim >= 2)
    return strength / 2 * torch.as_tensor(squares)


def l2_named_loop(model: nn.Module, strength: float) -> torch.Tensor:
    """An explicit loop over named parameters, skipping 1-D ones, from a
    0-dim zero that takes the weights' dtype by promotion."""
    total = torch.zeros(())
    for _name, parameter in model.named_parameters():
        if parameter.dim() < 2:
            continue
        total = total + torch.sum(torch.square(parameter))
    return total * (strength / 2)


def l2_flat_dot(model: nn.Module, strength: float) -> torch.Tensor:
    """All weights flattened into one vector, and its dot product with
    itself."""
    vectors = [w.reshape(-1) for w in weights_of(model)]
    if not vectors:
        return torch.zeros(())
    flat = torch.cat(vectors)
    return 0.5 * strength * torch.dot(flat, flat)


def l2_norms_squared(model: nn.Module, strength: float) -> torch.Tensor:
    """The squared (Frobenius, i.e. vector) norm of each weight."""
    total = torch.tensor(0.0)
    for w in weights_of(model):
        total = total + torch.linalg.vector_norm(w) ** 2
    return strength * total / 2


def make_l2_penalty():
    """A closure: the factory builds the penalty function."""
    half = 0.5

    def penalty(model: nn.Module, strength: float) -> torch.Tensor:
        terms = [(w * w).sum() for w in weights_of(model)]
        if not terms:
            return torch.zeros(())
        return half * strength * torch.stack(terms).sum()

    return penalty


l2_closure = make_l2_penalty()
l2_closure.__name__ = "l2_closure"


class SquaredWeights:
    """A class: an instance called like the function, walking every
    module's own parameters (so nested blocks are reached once each)."""

    __name__ = "l2_callable_class"

    def __call__(self, model: nn.Module, strength: float) -> torch.Tensor:
        first = next(model.parameters(), torch.zeros(()))
        total = torch.zeros((), dtype=first.dtype, device=first.device)
        for module in model.modules():
            for parameter in module.parameters(recurse=False):
                if parameter.ndim >= 2:
                    total = total + parameter.pow(2).sum()
        return (strength / 2) * total


l2_callable_class = SquaredWeights()


def l2_tensordot(model: nn.Module, strength: float) -> torch.Tensor:
    """Each weight fully contracted with itself, folded with reduce from a
    zero on the model's device and dtype."""
    first = next(model.parameters(), torch.zeros(()))
    zero = torch.zeros((), dtype=first.dtype, device=first.device)
    squares = (torch.tensordot(w, w, dims=w.ndim) for w in weights_of(model))
    return strength / 2 * functools.reduce(operator.add, squares, zero)


def l2_zero_early(model: nn.Module, strength: float) -> torch.Tensor:
    """Strength 0 returns a zero tensor at once, on the model's device and
    dtype; otherwise squares through a list comprehension."""
    first = next(model.parameters(), torch.zeros(()))
    if strength == 0:
        return torch.zeros((), dtype=first.dtype, device=first.device)
    total = torch.zeros((), dtype=first.dtype, device=first.device)
    for w in [p for p in model.parameters() if len(p.shape) > 1]:
        total = total + w.square().sum()
    return strength * 0.5 * total


CORRECT_L2 = [
    l2_generator,
    l2_named_loop,
    l2_flat_dot,
    l2_norms_squared,
    l2_closure,
    l2_callable_class,
    l2_tensordot,
    l2_zero_early,
]


@pytest.mark.parametrize("answer", CORRECT_L2, ids=lambda f: f.__name__)
def test_a_correct_l2_penalty_passes(answer):
    grade_answer(ASSIGNMENT, "l2_penalty_tests", "l2_penalty", answer)


# -------------------------------------------------------- wrong answers
# Which parameters


def all_parameters(model, strength):
    """Penalises every parameter, biases and batch-norm scale/shift too."""
    return strength / 2 * sum(p.pow(2).sum() for p in model.parameters())


def ndim_at_least_one(model, strength):
    """Off by one: `ndim >= 1` keeps the 1-D biases."""
    params = [p for p in model.parameters() if p.ndim >= 1]
    return strength / 2 * sum(p.pow(2).sum() for p in params)


def ndim_above_two(model, strength):
    """Off by one: `ndim > 2` drops the linear layers' matrices."""
    params = [p for p in model.parameters() if p.ndim > 2]
    return strength / 2 * torch.as_tensor(sum(p.pow(2).sum() for p in params))


def ndim_exactly_two(model, strength):
    """`ndim == 2`: a weight with more than two dimensions (a convolution
    kernel) is left out."""
    params = [p for p in model.parameters() if p.ndim == 2]
    return strength / 2 * torch.as_tensor(sum(p.pow(2).sum() for p in params))


def linear_layers_only(model, strength):
    """Only `nn.Linear` weights: any other layer's weight matrix is left
    out."""
    squares = [
        m.weight.pow(2).sum()
        for m in model.modules()
        if isinstance(m, nn.Linear)
    ]
    return strength / 2 * torch.as_tensor(sum(squares))


def top_level_children_only(model, strength):
    """Walks `model.children()`, so weights inside nested blocks are
    missed."""
    total = torch.zeros(())
    for child in model.children():
        for p in child.parameters(recurse=False):
            if p.ndim >= 2:
                total = total + p.pow(2).sum()
    return strength / 2 * total


def weight_in_name(model, strength):
    """Selects by name: "weight" also matches batch norm's 1-D scale."""
    total = torch.zeros(())
    for name, p in model.named_parameters():
        if "weight" in name:
            total = total + p.pow(2).sum()
    return strength / 2 * total


def not_named_bias(model, strength):
    """Excludes only parameters named "bias": batch norm's scale stays."""
    total = torch.zeros(())
    for name, p in model.named_parameters():
        if not name.endswith("bias"):
            total = total + p.pow(2).sum()
    return strength / 2 * total


def first_weight_only(model, strength):
    """Only the first layer's weight."""
    first = next(p for p in model.parameters() if p.ndim >= 2)
    return strength / 2 * first.pow(2).sum()


def last_weight_only(model, strength):
    """Only the output layer's weight."""
    last = [p for p in model.parameters() if p.ndim >= 2][-1]
    return strength / 2 * last.pow(2).sum()


# The formula


def no_half(model, strength):
    """Missing factor 1/2: strength times the sum (gradient 2 * strength
    * w)."""
    return strength * sum(w.pow(2).sum() for w in weights_of(model))


def ignores_strength(model, strength):
    """Ignores `strength`: half the sum of squares whatever it is."""
    return 0.5 * sum(w.pow(2).sum() for w in weights_of(model))


def floor_divides_strength(model, strength):
    """`strength // 2`: floor division makes any strength below 2 zero."""
    return strength // 2 * sum(w.pow(2).sum() for w in weights_of(model))


def l1_instead(model, strength):
    """Absolute values (L1) instead of squares."""
    return strength / 2 * sum(w.abs().sum() for w in weights_of(model))


def norm_not_squared(model, strength):
    """Each weight's norm, not its squared norm."""
    return strength / 2 * sum(w.norm() for w in weights_of(model))


def global_norm_not_squared(model, strength):
    """The norm of all weights together, not squared."""
    flat = torch.cat([w.reshape(-1) for w in weights_of(model)])
    return strength / 2 * torch.linalg.vector_norm(flat)


def spectral_norm_squared(model, strength):
    """`ord=2` on a matrix is the spectral norm, not the sum of
    squares."""
    return (
        strength
        / 2
        * sum(
            torch.linalg.matrix_norm(w, ord=2) ** 2 for w in weights_of(model)
        )
    )


def gram_matrix_sum(model, strength):
    """Sums every entry of W @ W.T instead of its trace."""
    return strength / 2 * sum((w @ w.T).sum() for w in weights_of(model))


def squares_of_sums(model, strength):
    """Squares each weight's sum instead of summing its squares."""
    return strength / 2 * sum(w.sum() ** 2 for w in weights_of(model))


def mean_of_squares(model, strength):
    """The mean of the squares, not their sum."""
    return strength / 2 * sum(w.pow(2).mean() for w in weights_of(model))


def divides_by_layer_count(model, strength):
    """Divides by the number of weight tensors, as in the 1/(2n) of
    some texts."""
    weights = weights_of(model)
    total = sum(w.pow(2).sum() for w in weights)
    return strength / (2 * len(weights)) * total


# What comes back


def returns_item(model, strength):
    """`.item()`: a Python float, not a differentiable tensor."""
    total = sum(w.pow(2).sum() for w in weights_of(model))
    return (strength / 2 * total).item()


def detached_weights(model, strength):
    """Squares detached weights: no gradient reaches the model."""
    total = sum(w.detach().pow(2).sum() for w in weights_of(model))
    return strength / 2 * total


def under_no_grad(model, strength):
    """Computed under `torch.no_grad()`: not differentiable."""
    with torch.no_grad():
        total = sum(w.pow(2).sum() for w in weights_of(model))
        return strength / 2 * total


def through_data(model, strength):
    """Squares `.data`: no gradient."""
    return strength / 2 * sum(w.data.pow(2).sum() for w in weights_of(model))


def wrapped_in_torch_tensor(model, strength):
    """`torch.tensor(...)` around the result copies it and drops the
    graph."""
    total = sum(w.pow(2).sum() for w in weights_of(model))
    return torch.tensor(float(strength / 2 * total))


def through_numpy(model, strength):
    """Computed in numpy: neither a tensor nor differentiable."""
    arrays = [w.detach().cpu().numpy() for w in weights_of(model)]
    return strength / 2 * sum(np.sum(a**2) for a in arrays)


def from_state_dict(model, strength):
    """Reads `model.state_dict()`, whose tensors are detached."""
    total = sum(
        t.pow(2).sum() for t in model.state_dict().values() if t.ndim >= 2
    )
    return strength / 2 * total


def per_layer_vector(model, strength):
    """One term per weight, stacked but never summed: not 0-dim."""
    return (
        strength / 2 * torch.stack([w.pow(2).sum() for w in weights_of(model)])
    )


def shape_one_accumulator(model, strength):
    """Accumulates into `torch.zeros(1)`: shape (1,), not 0-dim."""
    total = torch.zeros(1)
    for w in weights_of(model):
        total = total + w.pow(2).sum()
    return strength / 2 * total


def python_zero_for_no_strength(model, strength):
    """Returns a plain 0.0 for strength 0, not a tensor."""
    if strength == 0:
        return 0.0
    return strength / 2 * sum(w.pow(2).sum() for w in weights_of(model))


def float32_accumulator(model, strength):
    """Adds in place into a float32 zero: a float64 model's penalty comes
    back float32, not in the model's dtype."""
    total = torch.tensor(0.0)
    for w in weights_of(model):
        total += w.pow(2).sum()
    return strength / 2 * total


def python_sum_without_start(model, strength):
    """Plain `sum` of the squares: a model without weights gives a
    Python float, not a tensor."""
    return strength / 2 * sum(w.pow(2).sum() for w in weights_of(model))


def decays_the_weights_too(model, strength):
    """Also applies the decay step to the weights in place (the gradient
    strength * w, taken as an instruction): calling it changes the
    model."""
    weights = weights_of(model)
    penalty = strength / 2 * sum(w.pow(2).sum() for w in weights)
    with torch.no_grad():
        for w in weights:
            w.mul_(1 - strength)
    return penalty


# The forbidden reference


def library_l2_penalty(model, strength):
    """Hands in the library's reference (forbidden)."""
    from gaplab.remedies import l2_penalty as reference

    return reference(model, strength)


def library_weight_penalty(model, strength):
    """Hands in the library's `weight_penalty` (forbidden)."""
    from gaplab.remedies import weight_penalty

    penalty = weight_penalty(l2=strength)
    if penalty is None:
        return torch.zeros(())
    return penalty(model)


WRONG_L2 = [
    all_parameters,
    ndim_at_least_one,
    ndim_above_two,
    ndim_exactly_two,
    linear_layers_only,
    top_level_children_only,
    weight_in_name,
    not_named_bias,
    first_weight_only,
    last_weight_only,
    no_half,
    ignores_strength,
    floor_divides_strength,
    l1_instead,
    norm_not_squared,
    global_norm_not_squared,
    spectral_norm_squared,
    gram_matrix_sum,
    squares_of_sums,
    mean_of_squares,
    divides_by_layer_count,
    returns_item,
    detached_weights,
    under_no_grad,
    through_data,
    wrapped_in_torch_tensor,
    through_numpy,
    from_state_dict,
    per_layer_vector,
    shape_one_accumulator,
    python_zero_for_no_strength,
    float32_accumulator,
    python_sum_without_start,
    decays_the_weights_too,
    library_l2_penalty,
    library_weight_penalty,
]


@pytest.mark.parametrize("answer", WRONG_L2, ids=lambda f: f.__name__)
def test_a_wrong_l2_penalty_fails(answer):
    with pytest.raises(AssertionError):
        grade_answer(ASSIGNMENT, "l2_penalty_tests", "l2_penalty", answer)


# ======================================================== exercise 2
# Each config trains from several seeds, so this part stays small.
# ------------------------------------------------------ correct answers

CORRECT_DECAY = [
    # An L2 penalty added to the loss, on the weights only.
    pytest.param(replace(OVERFIT_BASELINE, l2=1e-2), id="l2_penalty_1e-2"),
    # Decoupled decay, written out field by field, biases left alone.
    pytest.param(
        RunConfig(
            n_train=200,
            label_noise=0.2,
            hidden=(512, 512),
            epochs=100,
            batch_size=32,
            optimizer="adamw",
            weight_decay=3.0,
            decay_biases=False,
        ),
        id="adamw_3_explicit_fields",
    ),
    # Adam's own (coupled, L2) weight decay, on the weights only.
    pytest.param(
        replace(OVERFIT_BASELINE, weight_decay=1e-2, decay_biases=False),
        id="adam_weight_decay_1e-2",
    ),
]


@pytest.mark.parametrize("answer", CORRECT_DECAY)
def test_a_correct_decay_config_passes(answer):
    grade_answer(ASSIGNMENT, "decay_config_tests", "decay_config", answer)


# -------------------------------------------------------- wrong answers

WRONG_DECAY = [
    # Too weak: the gap shrinks by far less than half.
    pytest.param(replace(OVERFIT_BASELINE, l2=1e-4), id="l2_too_weak"),
    # Absurdly strong: the model underfits, its validation loss rises.
    pytest.param(replace(OVERFIT_BASELINE, l2=1.0), id="l2_absurd"),
    # Strong enough to underfit on other seeds (hidden seeds 1 and 2).
    pytest.param(replace(OVERFIT_BASELINE, l2=3e-2), id="l2_too_strong"),
    # Adam's own weight decay, but a tiny one.
    pytest.param(
        replace(OVERFIT_BASELINE, weight_decay=1e-5), id="adam_decay_tiny"
    ),
    # A good penalty, but also a lower learning rate.
    pytest.param(replace(OVERFIT_BASELINE, l2=1e-2, lr=3e-4), id="changes_lr"),
    # A good penalty, but fewer epochs.
    pytest.param(
        replace(OVERFIT_BASELINE, l2=1e-2, epochs=40), id="changes_epochs"
    ),
    # A good penalty, but a smaller model.
    pytest.param(
        replace(OVERFIT_BASELINE, l2=1e-2, hidden=(128,)),
        id="changes_model",
    ),
    # A good penalty plus dropout, which is not a field the exercise
    # allows.
    pytest.param(
        replace(OVERFIT_BASELINE, l2=1e-2, dropout=0.5),
        id="adds_dropout",
    ),
]


@pytest.mark.parametrize("answer", WRONG_DECAY)
def test_a_wrong_decay_config_fails(answer):
    with pytest.raises(AssertionError):
        grade_answer(ASSIGNMENT, "decay_config_tests", "decay_config", answer)
