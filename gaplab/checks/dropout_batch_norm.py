"""Visible checks of lesson 07 (Dropout and batch norm).

`InvertedDropout` is built with several drop probabilities and driven as
a network drives it. In train mode every output must be 0 or the input
divided by 1 - p; the share of zeros must be p; each element must be
dropped on its own (not whole rows, not one mask for the whole batch,
not an exact count), afresh on each call, reproducibly under
`torch.manual_seed`; the gradient must reach the input through the same
mask; shape, dtype and device must be kept, and the input left as it
was. In eval mode the layer must be the identity, whatever the grad
mode. Probabilities outside [0, 1) must raise ValueError.

`batch_norm_step` is compared with `torch.nn.BatchNorm1d(affine=False)`
in train mode, on batches whose features have their own means and
scales, at several sizes, momenta, eps and dtypes, with the defaults
left out once: the normalised batch, the running statistics, and the
gradient with respect to the batch. A wrong value is compared with the
usual mistakes, so that the message can name one.

The hidden tests run the same functions with other probabilities,
shapes and cases.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from gaplab.checks import fail, reported_warnings
from gaplab.checks.own_work import suggests_reference

DropoutClass = Callable[[float], Any]
BatchNormStep = Callable[..., Any]

DROP_PROBABILITIES = (0.2, 0.5, 0.7)
BAD_PROBABILITIES = (-0.1, 1.0, 1.5)
# 100,000 elements: the share of zeros is within 0.0016 of p (1 sd).
LARGE = (400, 250)
SHARE_TOLERANCE = 0.01
# A float32 division by 1 - p, or a multiplication by its inverse.
RTOL = 1e-5
ATOL = 1e-6
# Other shapes a layer meets: one example, images, a batch of sequences.
OTHER_SHAPES = ((1000,), (10, 20, 30), (4, 3, 8, 8))
CHECK_SEED = 0


# ------------------------------------------------- exercise 1: dropout


def positive_inputs(
    shape: Sequence[int], seed: int, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Inputs in [0.5, 1.5], none of them 0, so that every zero in the
    output was dropped; the global random state is left alone."""
    generator = torch.Generator().manual_seed(seed)
    return 0.5 + torch.rand(tuple(shape), generator=generator, dtype=dtype)


def build_dropout(dropout_class: DropoutClass, p: float) -> nn.Module:
    """The answer's layer for `p`, or a failure that says why not."""
    try:
        layer = dropout_class(p)
    except NotImplementedError:
        raise
    except Exception as error:
        fail(f"InvertedDropout(p={p}) raised {type(error).__name__}: {error}")
    if not isinstance(layer, nn.Module):
        fail(
            f"InvertedDropout(p={p}) built a {type(layer).__name__}: define "
            "a class InvertedDropout(nn.Module), so that model.train() and "
            "model.eval() reach it"
        )
    stored = getattr(layer, "p", None)
    if stored != p:
        fail(
            f"InvertedDropout(p={p}) has self.p = {stored!r}: keep the drop "
            "probability it was given as self.p, as nn.Dropout does"
        )
    return layer


def set_mode(layer: nn.Module, training: bool) -> nn.Module:
    """`layer.train()` or `layer.eval()`, or a failure that says why they
    do not work."""
    try:
        return layer.train(training)
    except Exception as error:
        fail(
            f"layer.{'train' if training else 'eval'}() raised "
            f"{type(error).__name__}: {error}. Did __init__ call "
            "super().__init__() first?"
        )


def run_layer(layer: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """The layer's output for `inputs`: a tensor of the same shape, dtype
    and device, the inputs left as they were, or a failure."""
    before = inputs.detach().clone()
    where = (
        f"p={getattr(layer, 'p', '?')}, "
        f"{'train' if layer.training else 'eval'} mode, input of shape "
        f"{tuple(inputs.shape)}, {inputs.dtype}, on {inputs.device}"
    )
    try:
        outputs = layer(inputs)
    except NotImplementedError:
        raise
    except Exception as error:
        fail(f"with {where}, the layer raised {type(error).__name__}: {error}")
    if not isinstance(outputs, torch.Tensor):
        fail(f"with {where}, the layer returned a {type(outputs).__name__}")
    got = (tuple(outputs.shape), outputs.dtype, outputs.device)
    if got != (tuple(inputs.shape), inputs.dtype, inputs.device):
        fail(
            f"with {where}, the layer returned shape {got[0]}, {got[1]}, on "
            f"{got[2]}: keep the input's shape, dtype and device (draw the "
            "mask with torch.rand_like(x), or with device=x.device)"
        )
    if inputs.device.type != "meta" and not torch.equal(inputs, before):
        fail(
            f"with {where}, the layer changed its input in place: return a "
            "new tensor (x * mask, not x.mul_(mask) or x[...] = 0); the "
            "layer before it may still need its output for the gradient"
        )
    return outputs


DROPOUT_MISTAKES = (
    (lambda x, p: x, "the survivors are not scaled: divide them by 1 - p"),
    (
        lambda x, p: x * (1 - p),
        "the survivors are multiplied by 1 - p: divide by it instead, so "
        "that the expected output equals the input",
    ),
    (
        lambda x, p: x / p,
        "the survivors are divided by p: p is the probability to DROP, "
        "the survivors are scaled by 1 / (1 - p)",
    ),
)


def check_survivors(
    inputs: torch.Tensor, outputs: torch.Tensor, p: float
) -> None:
    """Every output is 0 or its input divided by 1 - p."""
    kept = outputs != 0
    want = inputs / (1 - p)
    right = torch.isclose(outputs[kept], want[kept], rtol=RTOL, atol=ATOL)
    if bool(right.all()):
        return
    for mistake, message in DROPOUT_MISTAKES:
        scaled = mistake(inputs[kept], p)
        if bool(torch.isclose(outputs[kept], scaled, rtol=RTOL).all()):
            fail(f"with p={p}: {message}")
    index = int((~right).nonzero()[0])
    fail(
        f"with p={p}, an input of {float(inputs[kept][index]):.6g} came out "
        f"as {float(outputs[kept][index]):.6g}, neither 0 nor "
        f"{float(want[kept][index]):.6g} = x / (1 - p): each element is "
        "either dropped (0) or kept and divided by 1 - p, the same scale "
        "for every element"
    )


def check_share_dropped(outputs: torch.Tensor, p: float, where: str) -> None:
    """The share of zeros is p, within what chance allows."""
    share = float((outputs == 0).double().mean())
    if abs(share - p) <= SHARE_TOLERANCE:
        return
    if abs(share - (1 - p)) <= SHARE_TOLERANCE:
        fail(
            f"{where} with p={p} the layer dropped {share:.1%} of the "
            f"elements, which is 1 - p: p is the probability to DROP an "
            "element (keep it where the uniform draw is >= p)"
        )
    fail(
        f"{where} with p={p} the layer dropped {share:.1%} of the elements, "
        f"not {p:.0%}: drop each element with probability p, using p itself"
    )


def check_training(
    dropout_class: DropoutClass,
    probabilities: Sequence[float] = DROP_PROBABILITIES,
    seed: int = CHECK_SEED,
) -> None:
    """Train mode on a large batch: scale, share of zeros, and at p = 0
    the identity; also under torch.no_grad(), which is not eval mode."""
    inputs = positive_inputs(LARGE, seed)
    for p in probabilities:
        layer = set_mode(build_dropout(dropout_class, p), True)
        outputs = run_layer(layer, inputs).detach()
        check_survivors(inputs, outputs, p)
        check_share_dropped(outputs, p, "in train mode")
        with torch.no_grad():
            outputs = run_layer(layer, inputs)
        check_share_dropped(
            outputs,
            p,
            "in train mode under torch.no_grad() (which does not mean eval "
            "mode: read self.training)",
        )
    layer = set_mode(build_dropout(dropout_class, 0.0), True)
    if not torch.allclose(run_layer(layer, inputs), inputs):
        fail("with p=0 the layer must return its input unchanged")


def drop_masks(layer: nn.Module, inputs: torch.Tensor, calls: int) -> list:
    """Where the layer dropped, on each of `calls` calls."""
    return [run_layer(layer, inputs).detach() == 0 for _ in range(calls)]


def both_dropped(mask: torch.Tensor, dim: int) -> float:
    """How often two neighbours along `dim` are both dropped."""
    size = mask.shape[dim]
    first = mask.narrow(dim, 0, size - 1)
    second = mask.narrow(dim, 1, size - 1)
    return float((first & second).double().mean())


def check_independence(
    dropout_class: DropoutClass, p: float = 0.5, seed: int = CHECK_SEED
) -> None:
    """Each element is dropped on its own: two neighbours along any
    dimension are both dropped as often as chance makes two independent
    elements (the share of zeros squared, whatever that share is), the
    count of zeros varies from call to call, and each call draws a new
    mask."""
    layer = set_mode(build_dropout(dropout_class, p), True)
    inputs = positive_inputs(LARGE, seed)
    masks = drop_masks(layer, inputs, 5)
    share = float(masks[0].double().mean())
    pairs = {
        along: both_dropped(masks[0], dim)
        for dim, along in enumerate(("down a column", "along a row"))
    }
    # The direction furthest from independence names the mistake.
    along, both = max(pairs.items(), key=lambda item: abs(item[1] - share**2))
    if abs(both - share**2) > 2 * SHARE_TOLERANCE:
        fail(
            f"with p={p}, two neighbouring elements {along} were both "
            f"dropped {both:.1%} of the time, where independent draws "
            f"give {share**2:.0%} (the share of zeros, {share:.0%}, "
            "squared): drop every element on its own, with a mask of "
            "the input's full shape (not one per row, nor one shared "
            "by the batch)"
        )
    if all(torch.equal(masks[0], mask) for mask in masks[1:]):
        fail(
            "the layer dropped the same elements on every call: draw a new "
            "mask on each call of forward, not once in __init__"
        )
    counts = {int(mask.sum()) for mask in masks}
    if len(counts) == 1:
        fail(
            f"the layer dropped exactly {counts.pop()} elements on each of "
            f"{len(masks)} calls: drop each element independently with "
            "probability p, so that the count varies, rather than a fixed "
            "number of them"
        )


def check_seeded(dropout_class: DropoutClass, seed: int = CHECK_SEED) -> None:
    """torch.manual_seed makes the mask reproducible; the global random
    state is put back afterwards."""
    layer = set_mode(build_dropout(dropout_class, 0.5), True)
    inputs = positive_inputs((50, 40), seed)
    with torch.random.fork_rng():
        outputs = []
        for _ in range(2):
            torch.manual_seed(seed)
            outputs.append(run_layer(layer, inputs).detach())
    if not torch.equal(*outputs):
        fail(
            "after torch.manual_seed with the same seed the layer dropped "
            "other elements: draw the mask from torch's global generator "
            "(torch.rand_like, torch.bernoulli), not numpy's or a "
            "generator of your own, so that a seeded run can be repeated"
        )


def check_eval(
    dropout_class: DropoutClass,
    probabilities: Sequence[float] = DROP_PROBABILITIES,
    seed: int = CHECK_SEED,
) -> None:
    """Eval mode is the identity, set on the layer or on a model that
    holds it, with gradients on."""
    inputs = positive_inputs((100, 30), seed)
    for p in probabilities:
        layer = set_mode(build_dropout(dropout_class, p), False)
        model = set_mode(nn.Sequential(nn.Identity(), layer), True)
        set_mode(model, False)
        for where, module in (("the layer", layer), ("a model", model)):
            outputs = run_layer(module, inputs)
            if not torch.equal(outputs, inputs):
                fail(
                    f"after {where}.eval() with p={p}, the layer changed "
                    "its input: in eval mode (self.training is False) "
                    "return the input unchanged, neither dropped nor "
                    "scaled. Read self.training, which .eval() sets; "
                    "self.train is a method, always true"
                )


def check_shapes_and_devices(
    dropout_class: DropoutClass,
    shapes: Sequence[Sequence[int]] = OTHER_SHAPES,
    p: float = 0.3,
    seed: int = CHECK_SEED,
) -> None:
    """Any shape, float64, and another device: PyTorch's 'meta' device
    (no values, only shapes) stands in for a GPU; a GPU is tried too
    when there is one."""
    layer = set_mode(build_dropout(dropout_class, p), True)
    for shape in shapes:
        inputs = positive_inputs(shape, seed)
        check_survivors(inputs, run_layer(layer, inputs).detach(), p)
    inputs = positive_inputs((200, 50), seed, torch.float64)
    check_survivors(inputs, run_layer(layer, inputs).detach(), p)
    devices = ["meta"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        run_layer(layer, positive_inputs((20, 30), seed).to(device))


def check_gradient(
    dropout_class: DropoutClass, p: float = 0.4, seed: int = CHECK_SEED
) -> None:
    """The gradient reaches the input through the mask: 1 / (1 - p)
    where an element was kept, 0 where it was dropped."""
    layer = set_mode(build_dropout(dropout_class, p), True)
    inputs = positive_inputs((60, 40), seed).requires_grad_()
    outputs = run_layer(layer, inputs)
    if not outputs.requires_grad:
        fail(
            "no gradient reaches the input: the output must be computed "
            "from x with torch operations, not from x.data, under "
            "torch.no_grad(), or through numpy"
        )
    outputs.sum().backward()
    want = (outputs.detach() != 0).to(inputs.dtype) / (1 - p)
    if inputs.grad is None or not torch.allclose(
        inputs.grad, want, rtol=RTOL, atol=ATOL
    ):
        fail(
            f"with p={p} the gradient with respect to the input is not "
            "1 / (1 - p) where an element was kept and 0 where it was "
            "dropped: multiply x by the mask you drew, and by the scale"
        )


def check_rejects(
    dropout_class: DropoutClass,
    probabilities: Sequence[float] = BAD_PROBABILITIES,
) -> None:
    """A drop probability outside [0, 1) raises ValueError."""
    for p in probabilities:
        try:
            dropout_class(p)
        except ValueError:
            continue
        except NotImplementedError:
            raise
        except Exception as error:
            fail(
                f"InvertedDropout(p={p}) raised {type(error).__name__}, not "
                "ValueError: raise ValueError(...) for p outside [0, 1) "
                "(an assert is skipped when Python runs with -O)"
            )
        fail(
            f"InvertedDropout(p={p}) was accepted: p is a probability to "
            "drop, in [0, 1) (p = 1 would drop everything and divide by "
            "zero); raise ValueError otherwise"
        )


def run_dropout(dropout_class: DropoutClass) -> torch.Tensor:
    """Build the answer's layer and use it once in each mode, as a
    network does (what the hidden tests trace)."""
    layer = set_mode(build_dropout(dropout_class, 0.5), True)
    inputs = positive_inputs((8, 6), CHECK_SEED)
    dropped = run_layer(layer, inputs)
    return dropped + run_layer(set_mode(layer, False), inputs)


def check_dropout_behaviour(
    dropout_class: DropoutClass,
    probabilities: Sequence[float] = DROP_PROBABILITIES,
    seed: int = CHECK_SEED,
) -> None:
    """Every requirement of exercise 1, with these probabilities and
    inputs from `seed`; the layer's draws leave the global random state
    as it was."""
    with torch.random.fork_rng():
        check_rejects(dropout_class)
        check_independence(dropout_class, seed=seed)
        check_training(dropout_class, probabilities, seed)
        check_eval(dropout_class, probabilities, seed)
        check_seeded(dropout_class, seed)
        check_gradient(dropout_class, seed=seed)
        check_shapes_and_devices(dropout_class, seed=seed)


@suggests_reference("InvertedDropout")
def check_inverted_dropout(dropout_class: DropoutClass) -> None:
    """Check exercise 1: see the module's docstring."""
    if not callable(dropout_class):
        raise TypeError(
            "pass your class itself, e.g. "
            "check_inverted_dropout(InvertedDropout), got a "
            f"{type(dropout_class).__name__}"
        )
    with reported_warnings():
        check_dropout_behaviour(dropout_class)
    print(
        "check_inverted_dropout passed: in train mode the right share of "
        f"zeros for p in {DROP_PROBABILITIES}, each dropped on its own and "
        "afresh, survivors scaled by 1 / (1 - p), the gradient through the "
        "mask; the identity in eval mode; any shape, dtype and device."
    )


# ------------------------------------------- exercise 2: batch norm step


@dataclass(frozen=True)
class NormCase:
    """A batch, running statistics and the arguments of one call; None
    leaves an argument to its default."""

    description: str
    batch: int
    features: int
    momentum: float | None = None
    eps: float | None = None
    dtype: torch.dtype = torch.float32
    seed: int = CHECK_SEED

    def keywords(self) -> dict[str, float]:
        """The arguments passed by name: those the case sets."""
        named = {"momentum": self.momentum, "eps": self.eps}
        return {k: v for k, v in named.items() if v is not None}

    def where(self) -> str:
        """The case, as a message names it."""
        arguments = ", ".join(f"{k}={v}" for k, v in self.keywords().items())
        return (
            f"{self.description} (x of shape ({self.batch}, "
            f"{self.features}), {self.dtype}"
            f"{', ' + arguments if arguments else ', default arguments'})"
        )

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x, whose features have their own means (-5 to 5) and scales
        (0.5 to 3), and running statistics far from 0 and 1; the global
        random state is left alone."""
        generator = torch.Generator().manual_seed(self.seed)

        def draw(*shape: int) -> torch.Tensor:
            return torch.rand(shape, generator=generator, dtype=self.dtype)

        shift = 10 * draw(self.features) - 5
        scale = 0.5 + 2.5 * draw(self.features)
        noise = torch.randn(
            (self.batch, self.features), generator=generator, dtype=self.dtype
        )
        running_mean = 4 * draw(self.features) - 2
        running_var = 0.5 + 2 * draw(self.features)
        return shift + scale * noise, running_mean, running_var


NORM_CASES = (
    NormCase("a batch of 32", 32, 5),
    NormCase(
        "fewer examples than features", 7, 12, momentum=0.3, eps=0.5, seed=1
    ),
    NormCase("the smallest batch", 2, 3, momentum=0.5, eps=1e-3, seed=2),
    NormCase(
        "a float64 batch", 16, 4, momentum=0.05, eps=1e-5, dtype=torch.float64
    ),
)
GRADIENT_CASE = NORM_CASES[0]


def reference_step(
    case: NormCase, x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """What torch.nn.BatchNorm1d(affine=False) does in train mode."""
    layer = nn.BatchNorm1d(
        case.features, affine=False, dtype=case.dtype, **case.keywords()
    )
    with torch.no_grad():
        layer.running_mean.copy_(mean)
        layer.running_var.copy_(var)
    normalised = layer.train()(x)
    return normalised, layer.running_mean, layer.running_var


def usual_mistakes(
    case: NormCase, x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor
) -> list[tuple[str, str, torch.Tensor]]:
    """(output, mistake, what it gives) for the usual mistakes."""
    momentum = 0.1 if case.momentum is None else case.momentum
    eps = 1e-5 if case.eps is None else case.eps
    batch_mean = x.mean(0)
    biased = x.var(0, correction=0)
    unbiased = x.var(0, correction=1)
    new_var = (1 - momentum) * var + momentum * unbiased
    return [
        (
            "y",
            "it normalises with the unbiased variance (divided by n - 1): "
            "normalise with the biased one, divided by n",
            (x - batch_mean) / torch.sqrt(unbiased + eps),
        ),
        (
            "y",
            "eps is added to the standard deviation: add it to the "
            "variance, inside the square root",
            (x - batch_mean) / (torch.sqrt(biased) + eps),
        ),
        (
            "y",
            "it normalises with the running statistics, as eval mode "
            "does: train mode uses the batch's own mean and variance",
            (x - mean) / torch.sqrt(var + eps),
        ),
        (
            "y",
            "it normalises with the updated running statistics: train "
            "mode uses the batch's own mean and variance",
            (x - torch.lerp(mean, batch_mean, momentum))
            / torch.sqrt(new_var + eps),
        ),
        (
            "running_var",
            "the running variance is averaged with the biased variance: "
            "PyTorch averages in the unbiased one (divided by n - 1)",
            (1 - momentum) * var + momentum * biased,
        ),
        (
            "running_var",
            "momentum is applied the Keras way round: in PyTorch the new "
            "running value is (1 - momentum) * old + momentum * batch's",
            momentum * var + (1 - momentum) * unbiased,
        ),
        (
            "running_mean",
            "momentum is applied the Keras way round: in PyTorch the new "
            "running value is (1 - momentum) * old + momentum * batch's",
            momentum * mean + (1 - momentum) * batch_mean,
        ),
        (
            "running_mean",
            "the running mean is not updated: move it towards the batch's",
            mean,
        ),
        (
            "running_var",
            "the running variance is not updated: move it towards the "
            "batch's unbiased variance",
            var,
        ),
        (
            "running_mean",
            "the running mean is replaced by the batch's: average it, "
            "(1 - momentum) * old + momentum * batch's",
            batch_mean,
        ),
    ]


def values_match(got: torch.Tensor, want: torch.Tensor) -> bool:
    """Equal within what a float32 computation in another order reaches."""
    return got.shape == want.shape and torch.allclose(
        got.to(want.dtype), want, rtol=1e-4, atol=1e-4
    )


def call_step(
    step: BatchNormStep,
    case: NormCase,
    x: torch.Tensor,
    mean: torch.Tensor,
    var: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The answer's three tensors for the case, with the right shapes and
    dtype, its inputs left as they were; or a failure that says why."""
    originals = [t.detach().clone() for t in (x, mean, var)]
    try:
        result = step(x, mean, var, **case.keywords())
    except NotImplementedError:
        raise
    except Exception as error:
        fail(
            f"on {case.where()} batch_norm_step raised "
            f"{type(error).__name__}: {error}"
        )
    if not isinstance(result, tuple | list) or len(result) != 3:
        fail(
            f"on {case.where()} batch_norm_step returned "
            f"{type(result).__name__}: return three tensors, "
            "(y, new_running_mean, new_running_var)"
        )
    shapes = (tuple(x.shape), (case.features,), (case.features,))
    for name, value, shape in zip(
        ("y", "running_mean", "running_var"), result, shapes, strict=True
    ):
        if not isinstance(value, torch.Tensor):
            fail(f"on {case.where()} the new {name} is not a tensor")
        if tuple(value.shape) != shape or value.dtype != case.dtype:
            fail(
                f"on {case.where()} the new {name} has shape "
                f"{tuple(value.shape)} and dtype {value.dtype}, expected "
                f"{shape} and {case.dtype}: statistics are taken over the "
                "batch (dim 0), one per feature"
            )
    for name, before, after in zip(
        ("x", "running_mean", "running_var"),
        originals,
        (x, mean, var),
        strict=True,
    ):
        if not torch.equal(before, after.detach()):
            fail(
                f"on {case.where()} batch_norm_step changed its argument "
                f"{name} in place (-=, *=, mul_, copy_...): return new "
                "tensors and leave the caller's as they were"
            )
    return result[0], result[1], result[2]


def check_step_values(
    step: BatchNormStep, cases: Sequence[NormCase] = NORM_CASES
) -> None:
    """The normalised batch and both running statistics, against
    BatchNorm1d in train mode."""
    for case in cases:
        x, mean, var = case.tensors()
        got = dict(
            zip(
                ("y", "running_mean", "running_var"),
                call_step(step, case, x, mean, var),
                strict=True,
            )
        )
        want = dict(
            zip(
                ("y", "running_mean", "running_var"),
                reference_step(case, x, mean, var),
                strict=True,
            )
        )
        if values_match(got["running_mean"], want["running_var"]) and (
            values_match(got["running_var"], want["running_mean"])
        ):
            fail(
                f"on {case.where()} the running mean and variance come "
                "back in each other's place: return (y, new_running_mean, "
                "new_running_var)"
            )
        for name in ("y", "running_mean", "running_var"):
            if values_match(got[name].detach(), want[name].detach()):
                continue
            hint = next(
                (
                    mistake
                    for output, mistake, value in usual_mistakes(
                        case, x, mean, var
                    )
                    if output == name
                    and values_match(got[name].detach(), value)
                ),
                "compare it term by term with the formulas above the exercise",
            )
            error = float((got[name].detach() - want[name]).abs().max())
            fail(
                f"on {case.where()} the new {name} differs from "
                f"BatchNorm1d's by up to {error:.3g}: {hint}"
            )


def check_step_gradient(
    step: BatchNormStep, case: NormCase = GRADIENT_CASE
) -> None:
    """The gradient of a weighted sum of y with respect to x, as through
    BatchNorm1d: it flows through the batch's mean and variance too."""
    x, mean, var = case.tensors()
    weights = torch.linspace(-1, 2, x.numel(), dtype=x.dtype).view_as(x)
    answer_x = x.clone().requires_grad_()
    y = call_step(step, case, answer_x, mean, var)[0]
    if not y.requires_grad:
        fail(
            f"on {case.where()} no gradient flows from y to x: compute y "
            "with torch operations on x (no .item(), .detach(), .data or "
            "numpy), as a layer that trains must"
        )
    (y * weights).sum().backward()
    reference_x = x.clone().requires_grad_()
    (
        reference_step(case, reference_x, mean, var)[0] * weights
    ).sum().backward()
    if answer_x.grad is None or not torch.allclose(
        answer_x.grad, reference_x.grad, rtol=1e-3, atol=1e-4
    ):
        fail(
            f"on {case.where()} the gradient with respect to x differs from "
            "BatchNorm1d's: compute the mean and variance from x itself, "
            "not from a detached copy, so that the gradient flows through "
            "them"
        )


@suggests_reference("batch_norm_step")
def check_batch_norm_step(step: BatchNormStep) -> None:
    """Check exercise 2: see the module's docstring."""
    if not callable(step):
        raise TypeError(
            "pass your function itself, e.g. check_batch_norm_step("
            f"batch_norm_step), got a {type(step).__name__}"
        )
    with reported_warnings():
        check_step_values(step)
        check_step_gradient(step)
    print(
        f"check_batch_norm_step passed: on {len(NORM_CASES)} batches (2 to "
        "32 examples, float32 and float64, default and other momentum and "
        "eps), y, the running mean and variance and the gradient match "
        "BatchNorm1d in train mode."
    )
