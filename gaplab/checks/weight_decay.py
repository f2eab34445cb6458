"""Visible checks of lesson 06 (Weight decay).

`l2_penalty` is tried on small models whose answer is known: an MLP
whose biases are far from zero, a deeper one with batch norm (whose
scale and shift are 1-D and stay out), a convolutional net nested in
blocks (its kernel has three dimensions), the MLP in float64, and a
model without weights; each at its own strength, and at strength 0. The
value must match, the model must be left as it was, and the gradient
must be `strength * w` on every weight and nothing on the rest. A wrong
value is compared with the usual mistakes, so that the message can name
one. The hidden tests run `check_penalty_values` and
`check_penalty_gradients` on other models and strengths.

`decay_config` is trained from CHECK_SEED and compared with the overfit
baseline from the same seed by the gap-closure harness's criteria
(`gaplab.remedies.gap_closure`): the gap of the kept model must shrink by
at least MIN_GAP_REDUCTION and its validation loss must be lower. The
hidden tests repeat that on HIDDEN_SEEDS with `compared`, which trains
each (config, seed) once per session.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from functools import cache
from typing import Any

import torch
from torch import nn

from gaplab.checks import fail, reported_warnings
from gaplab.checks.own_work import suggests_reference
from gaplab.experiments import OVERFIT_BASELINE, RunConfig
from gaplab.models import mlp
from gaplab.remedies.gap_closure import (
    Comparison,
    KeptModel,
    Remedy,
    train_and_keep,
)

CHECK_SEED = 0
HIDDEN_SEEDS = (0, 1, 2)
MIN_GAP_REDUCTION = 0.5
# The fields of a RunConfig that exercise 2 may change.
REGULARISATION = ("weight_decay", "optimizer", "decay_biases", "l1", "l2")
# A float32 answer sums its squares in another order than the check.
RTOL = 1e-4
ATOL = 1e-7


# ---------------------------------------------------- exercise 1: models


class ConvBlock(nn.Module):
    """A convolution and its activation, as a nested block."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(2, 3, kernel_size=3)
        self.act = nn.ReLU()

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(inputs))


def nested_conv_net() -> nn.Module:
    """A small 1-D convolutional net whose layers sit inside blocks:
    weights of two and of three dimensions, none at the top level."""
    head = nn.Sequential(nn.Flatten(), nn.Linear(12, 2))
    return nn.Sequential(nn.Sequential(ConvBlock()), head)


def mlp_6_5_3() -> nn.Module:
    """An MLP with one hidden layer: two weight matrices."""
    return mlp(6, 3, (5,))


def deep_batch_norm_mlp() -> nn.Module:
    """Three hidden layers with batch norm, whose scale PyTorch names
    'weight' although it is 1-D."""
    return mlp(6, 3, (8, 7, 5), batch_norm=True)


def float64_mlp() -> nn.Module:
    """The MLP with one hidden layer, in double precision."""
    return mlp_6_5_3().double()


def weightless_model() -> nn.Module:
    """A batch norm layer alone: parameters, but no weights."""
    return nn.BatchNorm1d(4)


@dataclass(frozen=True)
class PenaltyCase:
    """A model, built afresh for every call, and a strength."""

    description: str
    build: Callable[[], nn.Module]
    strength: float
    seed: int = CHECK_SEED

    def model(self) -> nn.Module:
        """The case's model, the same on every call: random weights,
        every 1-D parameter drawn from [0.5, 1.5], far from zero, so that
        an answer that penalises them is visibly off. The global random
        state is left as it was."""
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)
            model = self.build()
            with torch.no_grad():
                for parameter in model.parameters():
                    if parameter.ndim < 2:
                        parameter.uniform_(0.5, 1.5)
        return model

    def where(self) -> str:
        """The case, as a message names it."""
        return f"{self.description}, strength={self.strength}"


VALUE_CASES = (
    PenaltyCase("an MLP 6-5-3", mlp_6_5_3, 0.3),
    PenaltyCase("the same MLP", mlp_6_5_3, 2.5),
    PenaltyCase("an MLP 6-8-7-5-3 with batch norm", deep_batch_norm_mlp, 0.04),
    PenaltyCase(
        "a conv net whose layers sit in nested blocks", nested_conv_net, 0.7
    ),
)
# Checked after the gradients, so that a penalty cut off from the
# weights hears about that first.
EDGE_CASES = (
    PenaltyCase("the MLP 6-5-3 in float64", float64_mlp, 0.3),
    PenaltyCase(
        "a model without weights (BatchNorm1d alone)", weightless_model, 0.5
    ),
    PenaltyCase("an MLP 6-5-3", mlp_6_5_3, 0.0),
)
# One of each model: with and without batch norm, and the nested conv.
GRADIENT_CASES = VALUE_CASES[:1] + VALUE_CASES[2:]
# For the hidden tests: other models, seeds and strengths.
HIDDEN_VALUE_CASES = (
    PenaltyCase("an MLP 4-9-9-2", lambda: mlp(4, 2, (9, 9)), 1.7, seed=5),
    PenaltyCase(
        "an MLP 3-6-6-1 with batch norm",
        lambda: mlp(3, 1, (6, 6), batch_norm=True),
        0.01,
        seed=6,
    ),
    PenaltyCase("a nested conv net", nested_conv_net, 3.0, seed=7),
    PenaltyCase(
        "an MLP 5-4-2 in float64", lambda: mlp(5, 2, (4,)).double(), 0.2
    ),
    PenaltyCase("a conv net", nested_conv_net, 0.0, seed=8),
)
HIDDEN_GRADIENT_CASES = HIDDEN_VALUE_CASES[:3]


# ------------------------------------------- exercise 1: what is measured


NO_HALF = (
    "it is twice the expected value: the factor is strength / 2, which "
    "makes the gradient strength * w"
)
WITH_BIASES = (
    "it includes the 1-D parameters (biases, batch norm's scale and "
    "shift): penalise only the parameters with at least 2 dimensions"
)
BY_NAME = (
    "it also penalises batch norm's scale, which PyTorch names 'weight' "
    "although it is 1-D: select the weights by their number of "
    "dimensions (p.ndim >= 2), not by name"
)
LINEAR_ONLY = (
    "it leaves out the convolution's kernel (3 dimensions): a weight is "
    "every parameter with at least 2 dimensions, whatever its layer"
)


def weights(model: nn.Module) -> list[torch.Tensor]:
    """The parameters with at least two dimensions, detached."""
    return [p.detach() for p in model.parameters() if p.ndim >= 2]


def squares(tensors: Sequence[torch.Tensor]) -> float:
    """The sum of the squares of every entry, in float64."""
    return sum(float(t.double().pow(2).sum()) for t in tensors)


def expected_penalty(model: nn.Module, strength: float) -> float:
    """(strength / 2) times the sum of the squared weights."""
    return strength / 2 * squares(weights(model))


def mistaken_penalties(
    model: nn.Module, strength: float
) -> list[tuple[str, float]]:
    """What the usual mistakes give on `model`, each with the message
    that names it."""
    matrices = weights(model)
    half = strength / 2
    flat = torch.cat(
        [w.double().flatten() for w in matrices]
        or [torch.zeros(0, dtype=torch.float64)]
    )
    every = [p.detach() for p in model.parameters()]
    named_weight = [
        p.detach() for n, p in model.named_parameters() if "weight" in n
    ]
    linear = [
        m.weight.detach() for m in model.modules() if isinstance(m, nn.Linear)
    ]
    norms = sum(float(w.double().norm()) for w in matrices)
    means = sum(float(w.double().pow(2).mean()) for w in matrices)
    return [
        (NO_HALF, strength * squares(matrices)),
        (WITH_BIASES, half * squares(every)),
        (BY_NAME, half * squares(named_weight)),
        (LINEAR_ONLY, half * squares(linear)),
        ("it ignores `strength`", squares(matrices) / 2),
        ("it uses strength squared", strength * half * squares(matrices)),
        ("it sums the norms of the weights, not their squares", half * norms),
        (
            "it averages the squares instead of summing them",
            half * float(flat.pow(2).mean()),
        ),
        (
            "it averages the squares of each weight instead of summing them",
            half * means,
        ),
        (
            "it sums absolute values: that is the L1 penalty, not L2",
            half * float(flat.abs().sum()),
        ),
    ]


def close(got: float, expected: float) -> bool:
    """Equal within what a float32 answer can reach."""
    return math.isclose(got, expected, rel_tol=RTOL, abs_tol=ATOL)


def named_mistake(model: nn.Module, strength: float, got: float) -> str:
    """The usual mistake that gives `got`, or what to look at."""
    expected = expected_penalty(model, strength)
    for mistake, value in mistaken_penalties(model, strength):
        if close(got, value) and not close(value, expected):
            return mistake
    if expected and got == 0:
        return (
            f"it is 0 for strength={strength}: is a floor division "
            "(strength // 2) or an empty selection of weights to blame?"
        )
    if expected:
        return (
            f"it is {got / expected:.4g} times the expected value: is a "
            "weight missing, counted twice, or squared differently?"
        )
    return "the model has no weights, so the penalty is 0"


def state_of(model: nn.Module) -> list[torch.Tensor]:
    """A copy of every parameter, to see whether a call changed them."""
    return [p.detach().clone() for p in model.parameters()]


def call_penalty(
    penalty: Callable[..., Any], model: nn.Module, case: PenaltyCase
) -> torch.Tensor:
    """The answer's penalty for `case` on `model`: a 0-dim tensor in the
    model's dtype that leaves the model unchanged, or a failure that
    says what came back instead."""
    before = state_of(model)
    try:
        result = penalty(model, case.strength)
    except NotImplementedError:
        raise
    except Exception as error:
        fail(
            f"l2_penalty raised {type(error).__name__}: {error} on "
            f"{case.where()}"
        )
    if not isinstance(result, torch.Tensor):
        fail(
            f"on {case.where()} l2_penalty returned {result!r}, a "
            f"{type(result).__name__}, not a torch.Tensor: the training "
            "loop adds it to the loss and backpropagates through it, so "
            "compute it with torch operations on the parameters (no "
            ".item(), float() or numpy), and return a tensor for every "
            "strength and every model, one without weights included"
        )
    if result.ndim != 0:
        fail(
            f"on {case.where()} l2_penalty returned a tensor of shape "
            f"{tuple(result.shape)}: return a 0-dim tensor (a single "
            "number), e.g. the .sum() of the squares, starting from "
            "torch.zeros(()) if you accumulate"
        )
    changed = any(
        not torch.equal(old, new)
        for old, new in zip(before, state_of(model), strict=True)
    )
    if changed:
        fail(
            f"on {case.where()} calling l2_penalty changed the model's "
            "parameters: it must only measure them; the optimiser's step "
            "does the shrinking, through the penalty's gradient"
        )
    dtype = next(model.parameters()).dtype
    if result.dtype != dtype:
        fail(
            f"on {case.where()} l2_penalty returned a {result.dtype} "
            f"tensor for a {dtype} model: start any accumulator in the "
            "model's dtype, or add without an in-place += into a float32 "
            "zero"
        )
    return result


def check_penalty_values(
    penalty: Callable[..., Any], cases: Sequence[PenaltyCase]
) -> None:
    """The answer's value on each case, against the formula."""
    for case in cases:
        model = case.model()
        got = float(call_penalty(penalty, model, case).detach())
        expected = expected_penalty(model, case.strength)
        if not close(got, expected):
            fail(
                f"on {case.where()} l2_penalty returned {got:.6g}, "
                f"expected {expected:.6g} = strength / 2 x the sum of the "
                f"squared weights: {named_mistake(model, case.strength, got)}"
            )


def check_penalty_gradients(
    penalty: Callable[..., Any], cases: Sequence[PenaltyCase]
) -> None:
    """The gradient of the answer's penalty: strength * w on every
    weight, nothing on the other parameters."""
    for case in cases:
        model = case.model()
        result = call_penalty(penalty, model, case)
        if not result.requires_grad:
            fail(
                f"on {case.where()} the penalty is not connected to the "
                "weights (requires_grad is False), so it cannot shrink "
                "them: .item(), float(), torch.tensor(...), .detach(), "
                ".data, state_dict() or torch.no_grad() cut the graph"
            )
        result.backward()
        for name, parameter in model.named_parameters():
            grad = parameter.grad
            if parameter.ndim < 2:
                if grad is not None and bool(grad.abs().max() > 0):
                    fail(
                        f"on {case.where()} the penalty has a gradient on "
                        f"{name}, a 1-D parameter: leave biases and "
                        "batch norm's scale and shift out"
                    )
                continue
            want = case.strength * parameter.detach()
            if grad is None or not torch.allclose(
                grad, want, rtol=RTOL, atol=1e-6
            ):
                worst = (
                    "no gradient"
                    if grad is None
                    else f"largest error {(grad - want).abs().max():.3g}"
                )
                fail(
                    f"on {case.where()} the gradient on {name} is not "
                    f"strength * w ({worst}): every weight must enter the "
                    "penalty once, squared, with the factor strength / 2"
                )


@suggests_reference("l2_penalty")
def check_l2_penalty(penalty: Callable[..., Any]) -> None:
    """Check exercise 1: value, type, dtype and gradient of the penalty
    on models with and without batch norm, nested blocks and
    convolutions, at several strengths and at 0."""
    if not callable(penalty):
        raise TypeError(
            "pass your function itself, e.g. check_l2_penalty(l2_penalty), "
            f"got a {type(penalty).__name__}"
        )
    with reported_warnings():
        check_penalty_values(penalty, VALUE_CASES)
        check_penalty_gradients(penalty, GRADIENT_CASES)
        check_penalty_values(penalty, EDGE_CASES)
    print(
        "check_l2_penalty passed: the right value on "
        f"{len(VALUE_CASES) + len(EDGE_CASES)} models and strengths "
        "(batch norm, nested conv, float64, no weights, strength 0), and "
        "the gradient strength * w on every weight, none on biases and "
        "batch norm."
    )


# ------------------------------------------------- exercise 2: the config


def require_regularisation_only(config: Any) -> RunConfig:
    """The learner's config, if it is a RunConfig that differs from the
    baseline in regularisation fields only (with `hidden` as a tuple,
    whatever sequence it was written as)."""
    if config is None:
        fail("decay_config is None: assign a RunConfig(...) to it")
    if not isinstance(config, RunConfig):
        fail(
            "decay_config must be a gaplab.experiments.RunConfig, got a "
            f"{type(config).__name__}: build it with "
            "replace(OVERFIT_BASELINE, ...)"
        )
    if isinstance(config.hidden, list | tuple):
        config = replace(config, hidden=tuple(config.hidden))
    for field in fields(RunConfig):
        if field.name in REGULARISATION:
            continue
        got = getattr(config, field.name)
        baseline = getattr(OVERFIT_BASELINE, field.name)
        if got != baseline:
            fail(
                f"decay_config changes {field.name}: {got!r} instead of "
                f"the baseline's {baseline!r}. A remedy is measured "
                "against the same data, model and budget: change only "
                f"{', '.join(REGULARISATION)}, e.g. with "
                "replace(OVERFIT_BASELINE, ...)"
            )
    if config == OVERFIT_BASELINE:
        fail(
            "decay_config is the baseline itself: add weight decay or a "
            f"penalty through {', '.join(REGULARISATION)}"
        )
    return config


@cache
def kept_run(config: RunConfig, seed: int) -> KeptModel:
    """`config` trained from `seed`, with the model it keeps; once per
    (config, seed) in a session."""
    return train_and_keep(config, seed)


def compared(config: RunConfig, seed: int) -> Comparison:
    """`config` against the baseline from `seed`, as the gap-closure
    harness compares a remedy. A run that cannot train fails with what
    went wrong."""
    remedy = Remedy(
        name="decay_config",
        lesson="06-weight-decay",
        config=config,
        gap_reduction=MIN_GAP_REDUCTION,
        closes=True,
        added_code="",
    )
    try:
        treated = kept_run(config, seed)
    except Exception as error:
        fail(
            f"decay_config could not be trained: {type(error).__name__}: "
            f"{error}. Strengths and weight_decay must be numbers >= 0"
        )
    return Comparison(remedy, seed, kept_run(OVERFIT_BASELINE, seed), treated)


def describe(comparison: Comparison) -> str:
    """The numbers both criteria look at, baseline and decay_config."""
    baseline, treated = comparison.baseline, comparison.treated
    return (
        f"seed {comparison.seed}: gap {baseline.gap:.3f} -> "
        f"{treated.gap:.3f} ({comparison.gap_reduction:.0%} of the "
        f"baseline's removed), validation loss {baseline.val_loss:.3f} "
        f"-> {treated.val_loss:.3f}"
    )


def require_closure(comparison: Comparison) -> None:
    """Fail, saying which criterion missed and which way to move, unless
    the comparison passes both."""
    if comparison.passes:
        return
    numbers = describe(comparison)
    training = comparison.treated.history.train_loss[-1]
    if comparison.gap_shrinks:
        fail(
            f"the gap shrank, but the validation loss is not lower "
            f"({numbers}): with training loss {training:.3f} the model "
            "underfits, like the negative control. A small gap from a "
            "model too constrained to learn does not count: decay less"
        )
    if comparison.val_improves:
        fail(
            f"the validation loss is lower, but the gap shrank by less "
            f"than {MIN_GAP_REDUCTION:.0%} ({numbers}): decay more "
            "strongly"
        )
    fail(
        f"neither criterion holds ({numbers}): the gap must shrink by at "
        f"least {MIN_GAP_REDUCTION:.0%} and the validation loss must be "
        "lower"
    )


def check_decay_config(config: Any) -> None:
    """Check exercise 2: only regularisation changed, and trained from
    CHECK_SEED the config closes the gap by the harness's criteria."""
    checked = require_regularisation_only(config)
    comparison = compared(checked, CHECK_SEED)
    require_closure(comparison)
    print(
        f"check_decay_config passed on {describe(comparison)}. The "
        f"hidden tests repeat it on seeds {HIDDEN_SEEDS}."
    )
