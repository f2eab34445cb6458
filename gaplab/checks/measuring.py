"""Visible checks for lesson 02, "Measuring honestly".

Each check runs the learner's function on a small probe problem built so
that every classic mistake moves the answer far beyond rounding: the model
has dropout, the last batch is small, and per-sample losses differ widely.
Probes record how the function used the model, the loss and the optimiser
(mode, gradients, batches), so a failure names the likely mistake.

Checks run under their own random seed and leave the caller's random
state untouched, so calling one does not change a notebook's results.
"""

from __future__ import annotations

import copy
import functools
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from torch import nn

from gaplab.checks import fail
from gaplab.checks.own_work import suggests_reference
from gaplab.data import Dataset, Split
from gaplab.training import Evaluation, History

N_FEATURES = 6
N_CLASSES = 3
N_TRAIN = 100
N_VAL = 37
TRAIN_BATCH = 32  # 100 = 3 * 32 + 4: a last batch of 4 samples
EVAL_BATCH = 16  # 37 = 2 * 16 + 5: a last batch of 5 samples
OTHER_EVAL_BATCH = 10  # 37 = 3 * 10 + 7
EPOCHS = 3
LR = 0.1
# The learning rate as a scheduler left it: what param_groups hold, while
# the optimiser's defaults still say LR.
SCHEDULED_LR = 0.05
FIRST_EPOCH_DELAY = 0.2  # seconds
# A smoothed cross-entropy: an evaluate that ignores loss_fn shows.
OTHER_LOSS = nn.CrossEntropyLoss(label_smoothing=0.3)
REL_TOL = 1e-4
ABS_TOL = 1e-6

CheckFn = TypeVar("CheckFn", bound=Callable[..., Any])


# ---------------------------------------------------------------- probes


@dataclass(frozen=True)
class Call:
    """One forward pass: the mode, whether autograd recorded it, inputs."""

    training: bool
    grad_enabled: bool
    inputs: torch.Tensor


class ProbeNet(nn.Module):
    """A small MLP with dropout that records every forward pass."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(N_FEATURES, 16),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(16, N_CLASSES),
        )
        self.calls: list[Call] = []

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        self.calls.append(
            Call(self.training, torch.is_grad_enabled(), inputs.detach())
        )
        return self.net(inputs)

    def take_calls(self) -> list[Call]:
        """The forward passes since the last take, oldest first."""
        calls, self.calls = self.calls, []
        return calls


@dataclass(frozen=True)
class LossRecord:
    """One call of the loss: its value, batch size and, when it will be
    backpropagated, the gradient this batch alone gives each parameter."""

    value: float
    n: int
    batch_grads: list[torch.Tensor] | None


class RecordingLoss:
    """Cross-entropy (batch mean) that records every call; its first call
    can take `first_call_seconds` longer, to make the first epoch slow."""

    def __init__(
        self, model: nn.Module, first_call_seconds: float = 0.0
    ) -> None:
        self.parameters = list(model.parameters())
        self.records: list[LossRecord] = []
        self.first_call_seconds = first_call_seconds

    def __call__(
        self, outputs: torch.Tensor, targets: torch.Tensor
    ) -> torch.Tensor:
        if not self.records:
            time.sleep(self.first_call_seconds)
        loss = F.cross_entropy(outputs, targets)
        batch_grads = None
        if loss.requires_grad:
            batch_grads = list(
                torch.autograd.grad(loss, self.parameters, retain_graph=True)
            )
        self.records.append(LossRecord(loss.item(), len(targets), batch_grads))
        return loss


@dataclass(frozen=True)
class Step:
    """One optimiser step: the loss backpropagated for it, the gradients
    the optimiser found, and the parameters it left."""

    loss: LossRecord | None
    grads: list[torch.Tensor | None]
    params_after: list[torch.Tensor]


class RecordingSGD(torch.optim.SGD):
    """Plain SGD that records every step, paired with the latest loss that
    `loss_fn` computed with gradients."""

    def __init__(self, model: nn.Module, loss_fn: RecordingLoss) -> None:
        super().__init__(model.parameters(), lr=LR)
        self.loss_fn = loss_fn
        self.steps: list[Step] = []

    def step(self, closure: Any = None) -> Any:
        parameters = self.param_groups[0]["params"]
        grads = [
            None if p.grad is None else p.grad.detach().clone()
            for p in parameters
        ]
        result = super().step(closure)
        backpropagated = [
            r for r in self.loss_fn.records if r.batch_grads is not None
        ]
        self.steps.append(
            Step(
                loss=backpropagated[-1] if backpropagated else None,
                grads=grads,
                params_after=[p.detach().clone() for p in parameters],
            )
        )
        return result


def labelled_split(
    model: ProbeNet, inputs: torch.Tensor, hard: torch.Tensor
) -> Split:
    """Label `inputs` with the class the model finds most likely, except
    the `hard` ones, which get the least likely class: their losses are
    large, so where they fall matters."""
    with torch.no_grad():
        logits = model.net.eval()(inputs)
    model.net.train()
    targets = torch.where(hard, logits.argmin(1), logits.argmax(1))
    return Split(inputs, targets)


def make_probe() -> tuple[ProbeNet, Dataset]:
    """A fresh probe model and its dataset (call under a fixed seed).

    Every third training sample is hard; in validation the last five, which
    make up the ragged last batch at batch size 16, are hard.
    """
    model = ProbeNet()
    train_hard = torch.arange(N_TRAIN) % 3 == 0
    val_hard = torch.arange(N_VAL) >= N_VAL - 5
    train = labelled_split(model, torch.randn(N_TRAIN, N_FEATURES), train_hard)
    val = labelled_split(model, torch.randn(N_VAL, N_FEATURES), val_hard)
    data = Dataset(
        name="probe",
        task="classification",
        train=train,
        val=val,
        test=val,
        n_classes=N_CLASSES,
    )
    return model, data


# ------------------------------------------------------------ references


def reference_evaluation(
    net: nn.Module, split: Split, loss_fn: Callable[..., Any] = F.cross_entropy
) -> Evaluation:
    """Eval-mode loss and accuracy over the whole split in one pass."""
    was_training = net.training
    net.eval()
    with torch.no_grad():
        logits = net(split.X)
    net.train(was_training)
    loss = loss_fn(logits.double(), split.y).item()
    accuracy = (logits.argmax(1) == split.y).double().mean().item()
    return Evaluation(loss=loss, accuracy=accuracy)


def batch_evaluations(
    net: nn.Module, split: Split, batch_size: int
) -> list[tuple[int, Evaluation]]:
    """Size and eval-mode evaluation of each batch, in the split's order."""
    return [
        (len(y), reference_evaluation(net, Split(X, y)))
        for X, y in split.batches(batch_size)
    ]


def evaluation_with(
    model: ProbeNet, params: Sequence[torch.Tensor], split: Split
) -> Evaluation:
    """The reference evaluation of `model`'s network with `params`."""
    net = copy.deepcopy(model.net)
    with torch.no_grad():
        for parameter, value in zip(net.parameters(), params, strict=True):
            parameter.copy_(value)
    return reference_evaluation(net, split)


def weighted_mean(values: Iterable[float], weights: Iterable[int]) -> float:
    """Mean of `values`, each counted `weight` times."""
    pairs = list(zip(values, weights, strict=True))
    return sum(v * w for v, w in pairs) / sum(w for _, w in pairs)


# --------------------------------------------------------------- helpers


def close(a: float, b: float) -> bool:
    """Equal up to float32 rounding of sums over a few batches."""
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def all_close(a: Sequence[float], b: Sequence[float]) -> bool:
    """Element-wise `close` of two equally long sequences."""
    return len(a) == len(b) and all(
        close(x, y) for x, y in zip(a, b, strict=True)
    )


def epoch_numbers(epochs: int) -> list[int]:
    """Epoch numbers as a History counts them: 1 to `epochs`."""
    return list(range(1, epochs + 1))


def require_callable(function: Any, name: str) -> None:
    """Reject anything but a function before running a check on it."""
    if not callable(function):
        raise TypeError(
            f"pass your {name} function itself (e.g. check({name})), got "
            f"a {type(function).__name__}"
        )


def as_number(value: Any, what: str) -> float:
    """`value` as a float, or a failure saying why it is not a number."""
    if isinstance(value, torch.Tensor):
        if value.requires_grad:
            fail(
                f"{what} is a tensor that still carries autograd's graph: "
                "add up loss.item() (or loss.detach()) so the graph of "
                "every batch is not kept alive"
            )
        fail(
            f"{what} is a torch.Tensor: return a Python float "
            "(tensor.item() or float(tensor))"
        )
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(f"{what} should be a float, got {type(value).__name__}")
    return float(value)


def seeded(check: CheckFn) -> CheckFn:
    """Run a check under seed 0 without touching the caller's RNG."""

    @functools.wraps(check)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            return check(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# -------------------------------------------------------------- evaluate


def run_evaluate(
    evaluate: Callable[..., Any],
    model: ProbeNet,
    split: Split,
    batch_size: int,
    loss_fn: Callable[..., Any] = F.cross_entropy,
) -> tuple[Evaluation, list[Call]]:
    """Call the learner's evaluate; check what it did and returned."""
    result = evaluate(model, split, loss_fn, batch_size)
    calls = model.take_calls()
    loss = getattr(result, "loss", None)
    recorded = [c for c in calls if c.grad_enabled]
    if recorded or (isinstance(loss, torch.Tensor) and loss.requires_grad):
        fail(
            "gradients were recorded — wrap the loop in torch.no_grad(): "
            "a measurement learns nothing, and autograd would keep every "
            "batch's activations in memory"
        )
    if not isinstance(result, Evaluation):
        fail(
            "evaluate should return Evaluation(loss=..., accuracy=...), "
            f"got {type(result).__name__}"
        )
    return (
        Evaluation(
            loss=as_number(result.loss, "Evaluation.loss"),
            accuracy=as_number(result.accuracy, "Evaluation.accuracy"),
        ),
        calls,
    )


def check_batches_seen(calls: list[Call], n: int, batch_size: int) -> None:
    """Every sample seen once, in batches of at most `batch_size`."""
    sizes = [len(c.inputs) for c in calls]
    if not sizes:
        fail("evaluate never called the model: run model(inputs) per batch")
    if max(sizes) > batch_size:
        fail(
            f"the model saw {max(sizes)} samples in one call but batch_size "
            f"was {batch_size}: evaluate batch by batch "
            "(split.batches(batch_size)) so a large split fits in memory"
        )
    if sum(sizes) != n:
        fail(
            f"the model saw {sum(sizes)} samples but the split has {n}: "
            "every sample must count exactly once"
        )


def diagnose_loss(
    got: float, expected: float, batches: list[tuple[int, Evaluation]]
) -> None:
    """Fail with the likely mistake when the mean loss is wrong."""
    if close(got, expected):
        return
    losses = [e.loss for _, e in batches]
    n = sum(size for size, _ in batches)
    last_size = batches[-1][0]
    if close(got, sum(losses) / len(losses)):
        fail(
            "the mean over batches is not weighted by batch size: the last "
            f"batch has {last_size} samples but counted like a full one "
            "(add loss * len(targets), then divide by len(split))"
        )
    if close(got, losses[-1]):
        fail(
            "reported the last batch's loss instead of the mean over the "
            "whole split"
        )
    if close(got, expected * n):
        fail(
            "the loss is the sum over samples, not the mean: divide the "
            "total by len(split)"
        )
    fail(
        f"the loss is {got:.6f}, but the sample-weighted mean loss over the "
        f"split is {expected:.6f}"
    )


def diagnose_accuracy(
    got: float, expected: float, batches: list[tuple[int, Evaluation]]
) -> None:
    """Fail with the likely mistake when the accuracy is wrong."""
    if close(got, expected):
        return
    accuracies = [e.accuracy or 0.0 for _, e in batches]
    n = sum(size for size, _ in batches)
    if close(got, sum(accuracies) / len(accuracies)):
        fail(
            "the accuracy is an unweighted mean of batch accuracies: count "
            "the correct predictions over all batches, then divide by "
            "len(split)"
        )
    if close(got, 100 * expected):
        fail(
            f"the accuracy is {got:.2f}, a percentage: return a fraction "
            "between 0 and 1"
        )
    if close(got, expected * n):
        fail(
            "the accuracy is the number of correct predictions: divide it "
            "by len(split)"
        )
    fail(
        f"the accuracy is {got:.6f}, but the fraction of correct "
        f"predictions (argmax of the outputs) is {expected:.6f}"
    )


@suggests_reference("evaluate")
@seeded
def check_evaluate(evaluate: Callable[..., Any]) -> None:
    """Check `evaluate(model, split, loss_fn, batch_size) -> Evaluation`.

    It must use eval mode, record no gradients, weight each batch by its
    size, see every sample once in batches of at most `batch_size`, and
    leave the model in the mode it found it.
    """
    require_callable(evaluate, "evaluate")
    model, data = make_probe()
    split = data.val
    expected = reference_evaluation(model.net, split)

    model.train()
    first, calls = run_evaluate(evaluate, model, split, EVAL_BATCH)
    if not model.training:
        fail(
            "the model was left in eval mode: restore its previous mode "
            "(was_training = model.training before model.eval(), then "
            "model.train(was_training)), or training would go on without "
            "dropout"
        )
    second, more_calls = run_evaluate(evaluate, model, split, EVAL_BATCH)
    if any(c.training for c in calls + more_calls):
        fail(
            "dropout was still on: two calls gave different losses "
            f"({first.loss:.4f} and {second.loss:.4f}) — call model.eval() "
            "before measuring"
        )
    check_batches_seen(calls, len(split), EVAL_BATCH)
    batches = batch_evaluations(model.net, split, EVAL_BATCH)
    diagnose_loss(first.loss, expected.loss, batches)
    diagnose_accuracy(first.accuracy or 0.0, expected.accuracy or 0.0, batches)

    other, _ = run_evaluate(evaluate, model, split, OTHER_EVAL_BATCH)
    if not close(other.loss, expected.loss):
        fail(
            f"with batch_size {OTHER_EVAL_BATCH} the loss is "
            f"{other.loss:.6f}, with {EVAL_BATCH} it is {first.loss:.6f}: "
            "an honest mean does not depend on how the split is batched"
        )
    model.eval()
    run_evaluate(evaluate, model, split, EVAL_BATCH)
    if model.training:
        fail(
            "the model was in eval mode before evaluate and in train mode "
            "after: restore the previous mode (model.train(was_training)) "
            "instead of always calling model.train()"
        )
    check_other_loss(evaluate, model, split)
    print(
        "check_evaluate passed: eval mode, no gradients, sample-weighted "
        "mean, previous mode restored."
    )


def check_other_loss(
    evaluate: Callable[..., Any], model: ProbeNet, split: Split
) -> None:
    """evaluate measures with the loss_fn it is given."""
    smoothed, _ = run_evaluate(evaluate, model, split, EVAL_BATCH, OTHER_LOSS)
    wanted = reference_evaluation(model.net, split, OTHER_LOSS).loss
    if not close(smoothed.loss, wanted):
        fail(
            f"with loss_fn=nn.CrossEntropyLoss(label_smoothing=0.3) the "
            f"loss is {smoothed.loss:.6f}, but that loss over the split is "
            f"{wanted:.6f}: compute each batch's loss with the loss_fn "
            "argument, not with a loss of your choice"
        )


# ------------------------------------------------------- train_one_epoch


def check_steps(steps: list[Step], n: int, batch_size: int) -> None:
    """One optimiser step per batch, each on the current batch's gradient,
    and every sample used once."""
    if not steps:
        fail("optimizer.step() was never called: the model never learned")
    if any(s.loss is None for s in steps):
        fail(
            "loss_fn was not called before optimizer.step(): compute each "
            "batch's loss with the loss_fn you were given"
        )
    for index, step in enumerate(steps):
        if any(g is None for g in step.grads):
            fail(
                "there were no gradients at optimizer.step(): call "
                "loss.backward() before optimizer.step()"
            )
        if not grads_match(step.grads, step.loss.batch_grads):
            so_far = [s.loss.batch_grads for s in steps[: index + 1]]
            if grads_match(
                step.grads, [sum(g) for g in zip(*so_far, strict=True)]
            ):
                fail(
                    "gradients accumulated across batches: call "
                    "optimizer.zero_grad() once per batch, before "
                    "loss.backward()"
                )
            fail(
                f"at step {index + 1} the gradients were not those of the "
                "current batch's loss: per batch, call zero_grad(), "
                "compute the loss, loss.backward(), then optimizer.step()"
            )
    sizes = [s.loss.n for s in steps]
    expected_steps = math.ceil(n / batch_size)
    if max(sizes) > batch_size:
        fail(
            f"a batch held {max(sizes)} samples but batch_size was "
            f"{batch_size}"
        )
    if sum(sizes) < n and len(steps) == n // batch_size:
        fail(
            f"the epoch used {sum(sizes)} of {n} samples: keep the last, "
            f"smaller batch ({n % batch_size} samples) instead of dropping "
            "it"
        )
    if len(steps) != expected_steps or sum(sizes) != n:
        fail(
            f"took {len(steps)} optimizer steps on {sum(sizes)} samples; "
            f"one epoch of {n} samples in batches of {batch_size} is "
            f"{expected_steps} steps, each sample used once"
        )


def grads_match(
    got: Sequence[torch.Tensor | None], expected: Sequence[torch.Tensor]
) -> bool:
    """Whether two lists of per-parameter gradients agree."""
    return all(
        g is not None and torch.allclose(g, e, rtol=1e-4, atol=1e-6)
        for g, e in zip(got, expected, strict=True)
    )


def diagnose_running_loss(got: float, steps: list[Step], n: int) -> None:
    """Fail with the likely mistake when the running loss is wrong."""
    losses = [s.loss.value for s in steps]
    sizes = [s.loss.n for s in steps]
    expected = weighted_mean(losses, sizes)
    if close(got, expected):
        return
    if close(got, losses[-1]):
        fail(
            "reported the last batch's loss instead of the epoch mean: "
            "add up loss * len(targets) over the epoch, divide by "
            "len(split)"
        )
    if close(got, sum(losses) / len(losses)):
        fail(
            "the mean over batches is not weighted by batch size: the last "
            f"batch has {sizes[-1]} samples but counted like a full one"
        )
    if close(got, expected * n):
        fail("the running loss is a sum over samples: divide by len(split)")
    fail(
        f"returned {got:.6f}, but the sample-weighted mean of this epoch's "
        f"batch losses is {expected:.6f}"
    )


@suggests_reference("train_one_epoch")
@seeded
def check_train_one_epoch(train_one_epoch: Callable[..., Any]) -> None:
    """Check `train_one_epoch(model, split, loss_fn, optimizer, batch_size)
    -> float`: one shuffled pass in train mode, one optimiser step per
    batch on that batch's gradient, returning the sample-weighted mean of
    the batch losses (the running training loss)."""
    require_callable(train_one_epoch, "train_one_epoch")
    model, data = make_probe()
    loss_fn = RecordingLoss(model)
    optimizer = RecordingSGD(model, loss_fn)
    model.eval()  # as a sloppy caller might have left it
    result = train_one_epoch(
        model, data.train, loss_fn, optimizer, TRAIN_BATCH
    )
    if not loss_fn.records:
        fail(
            "loss_fn was never called: compute each batch's loss with the "
            "loss_fn you were given"
        )
    learning = [c for c in model.calls if c.grad_enabled]
    if any(not c.training for c in learning):
        fail(
            "the model was in eval mode while training, so dropout was "
            "off: call model.train() at the start of the epoch (the caller "
            "may have left it in eval mode)"
        )
    check_steps(optimizer.steps, len(data.train), TRAIN_BATCH)
    seen = torch.cat([c.inputs for c in learning])
    if len(seen) == N_TRAIN and torch.equal(seen, data.train.X):
        fail(
            "the batches came in the split's stored order: shuffle every "
            "epoch (split.batches(batch_size, shuffle=True)) so that "
            "consecutive steps do not always see the same samples together"
        )
    running = as_number(result, "the returned running loss")
    diagnose_running_loss(running, optimizer.steps, len(data.train))
    print(
        "check_train_one_epoch passed: train mode, shuffled batches, one "
        "clean step per batch, sample-weighted running loss."
    )


# ----------------------------------------------------------------- train


def check_history_shape(history: Any, epochs: int) -> None:
    """A History with one entry per epoch in every field."""
    if not isinstance(history, History):
        fail(
            "train should return a gaplab History (history = History(), "
            f"then append to its lists), got {type(history).__name__}"
        )
    if history.epoch != epoch_numbers(epochs):
        fail(
            f"history.epoch should be {epoch_numbers(epochs)} (epochs count "
            "from 1), got "
            f"{history.epoch}"
        )
    for field in fields(History):
        values = getattr(history, field.name)
        if len(values) != epochs:
            fail(
                f"history.{field.name} has {len(values)} entries after "
                f"{epochs} epochs: append one per epoch"
            )


def diagnose_epoch_losses(
    name: str,
    got: list[float],
    after: list[float],
    before: list[float],
    running: list[float],
) -> None:
    """Fail with the likely mistake when an eval-mode loss is wrong.

    `after` and `before` are the reference losses of the model after and
    before each epoch's training; `running` the epoch's running loss.
    """
    if all_close(got, after):
        return
    if name == "train_loss" and all_close(got, running):
        fail(
            "the training loss in the history is the running (train-mode) "
            "loss, not the end-of-epoch eval-mode measurement: record "
            "evaluate(model, data.train, loss_fn) after each epoch"
        )
    if all_close(got, before):
        fail(
            f"history.{name} was measured before each epoch's training: "
            "measure after train_one_epoch, so epoch t describes the model "
            "after t epochs"
        )
    epoch = next(
        t
        for t, (g, a) in enumerate(zip(got, after, strict=True), 1)
        if not close(g, a)
    )
    fail(
        f"history.{name} at epoch {epoch} is {got[epoch - 1]:.6f}, but the "
        f"model after epoch {epoch} measures {after[epoch - 1]:.6f} in eval "
        "mode: use evaluate() on the right split after the epoch"
    )


@suggests_reference("train")
@seeded
def check_train(train: Callable[..., Any]) -> None:
    """Check `train(model, data, loss_fn, optimizer, epochs, batch_size)
    -> History`: per epoch, the running loss and the eval-mode losses and
    accuracies of both splits measured after the epoch, the learning rate
    and the epoch's duration."""
    require_callable(train, "train")
    model, data = make_probe()
    # A first epoch slower than the rest by a known margin: times counted
    # from the start of training then add up to far more than the call.
    loss_fn = RecordingLoss(model, first_call_seconds=FIRST_EPOCH_DELAY)
    optimizer = RecordingSGD(model, loss_fn)
    optimizer.param_groups[0]["lr"] = SCHEDULED_LR
    initial = [p.detach().clone() for p in model.parameters()]
    started = time.perf_counter()
    history = train(model, data, loss_fn, optimizer, EPOCHS, TRAIN_BATCH)
    elapsed = time.perf_counter() - started
    check_history_shape(history, EPOCHS)

    per_epoch = math.ceil(N_TRAIN / TRAIN_BATCH)
    steps = optimizer.steps
    if len(steps) != EPOCHS * per_epoch:
        fail(
            f"took {len(steps)} optimizer steps in {EPOCHS} epochs; an "
            f"epoch of {N_TRAIN} samples in batches of {TRAIN_BATCH} has "
            f"{per_epoch}"
        )
    ends = [
        steps[t * per_epoch - 1].params_after for t in epoch_numbers(EPOCHS)
    ]
    starts = [initial, *ends[:-1]]
    epochs_steps = [
        steps[(t - 1) * per_epoch : t * per_epoch]
        for t in epoch_numbers(EPOCHS)
    ]
    running = [
        weighted_mean([s.loss.value for s in chunk], [s.loss.n for s in chunk])
        for chunk in epochs_steps
    ]
    for split_name, split in (("train", data.train), ("val", data.val)):
        after = [evaluation_with(model, p, split) for p in ends]
        before = [evaluation_with(model, p, split) for p in starts]
        diagnose_epoch_losses(
            f"{split_name}_loss",
            getattr(history, f"{split_name}_loss"),
            [e.loss for e in after],
            [e.loss for e in before],
            running,
        )
        accuracies = getattr(history, f"{split_name}_acc")
        if not all_close(accuracies, [e.accuracy for e in after]):
            fail(
                f"history.{split_name}_acc should hold the eval-mode "
                f"accuracy on data.{split_name} after each epoch, got "
                f"{accuracies}"
            )
    train_after = history.train_loss
    if not all_close(history.running_train_loss, running):
        if all_close(history.running_train_loss, train_after):
            fail(
                "history.running_train_loss holds the eval-mode training "
                "loss: record the value train_one_epoch returns"
            )
        fail(
            f"history.running_train_loss is {history.running_train_loss}, "
            f"but each epoch's batch losses average to {running}"
        )
    if history.lr != [SCHEDULED_LR] * EPOCHS:
        fail(
            "history.lr should record optimizer.param_groups[0]['lr'] each "
            f"epoch ({SCHEDULED_LR} here, as a scheduler left it; the "
            f"optimiser's defaults still say {LR}), got {history.lr}"
        )
    check_epoch_times(history.epoch_time, elapsed)
    print(
        "check_train passed: running loss, eval-mode losses and accuracies "
        "after each epoch, learning rate and time recorded."
    )


def check_epoch_times(times: list[Any], elapsed: float) -> None:
    """Each epoch's own duration: positive floats that add up to no more
    than the whole call took."""
    if not all(isinstance(t, float) and t > 0 for t in times):
        fail(
            "history.epoch_time should hold each epoch's duration in "
            "seconds (time.perf_counter() before and after the epoch), got "
            f"{times}"
        )
    if sum(times) > 1.05 * elapsed + 0.01:
        fail(
            f"history.epoch_time holds {[round(t, 4) for t in times]}, which "
            f"add up to more than the {elapsed:.4f} s that train took: "
            "record each epoch's own duration (perf_counter() at the start "
            "of the epoch), not the time since training began"
        )


# ----------------------------------------------------------- plot_curves


def probe_history() -> History:
    """A made-up six-epoch history whose three loss curves all differ."""
    epochs = list(range(1, 7))
    train = [1.2, 0.8, 0.6, 0.45, 0.35, 0.3]
    return History(
        epoch=epochs,
        train_loss=train,
        running_train_loss=[1.6, 1.0, 0.75, 0.6, 0.5, 0.45],
        val_loss=[1.25, 0.9, 0.7, 0.62, 0.6, 0.61],
        train_acc=[0.6, 0.7, 0.8, 0.85, 0.9, 0.92],
        val_acc=[0.55, 0.68, 0.75, 0.8, 0.82, 0.82],
        lr=[1e-3] * 6,
        epoch_time=[0.1] * 6,
    )


def line_showing(ax: Axes, x: list[int], y: list[float]) -> Any:
    """The first line on `ax` that draws exactly the points (x, y)."""
    for line in ax.get_lines():
        xs = np.asarray(line.get_xdata(), dtype=float)
        ys = np.asarray(line.get_ydata(), dtype=float)
        if (
            xs.shape == ys.shape == (len(x),)
            and np.allclose(xs, x)
            and np.allclose(ys, y)
        ):
            return line
    return None


def loss_axes(result: Any) -> tuple[Any, Axes]:
    """The figure and the loss axes out of what plot_curves returned."""
    if not (isinstance(result, tuple) and len(result) == 2):
        fail(
            "plot_curves should return (fig, axes), as plot_history does, "
            f"got {type(result).__name__}"
        )
    fig, axes = result
    ax = axes if isinstance(axes, Axes) else next(iter(axes), None)
    if not isinstance(ax, Axes):
        fail("plot_curves should return (fig, axes) with the loss axes first")
    return fig, ax


def check_running_line_style(running: Any) -> None:
    """The running loss is dashed and labelled as a training loss."""
    style = running.get_linestyle()
    if style != "--":
        fail(
            f"the running-loss line is drawn with linestyle {style!r}: draw "
            "it dashed (linestyle='--'), as the text asks, so that it stands "
            "apart from the eval-mode curves"
        )
    label = running.get_label().lower()
    if "val" in label or not ("train" in label or "running" in label):
        fail(
            f"the running-loss line is labelled {running.get_label()!r}: "
            "name it as the running training loss, so that nobody reads it "
            "as another curve"
        )


def check_accuracy_panel(fig: Any, history: History) -> None:
    """A second panel shows both accuracies (show_accuracy=True)."""
    shown = [
        ax
        for ax in fig.axes
        if line_showing(ax, history.epoch, history.train_acc) is not None
        and line_showing(ax, history.epoch, history.val_acc) is not None
    ]
    if not shown:
        fail(
            "no panel shows history.train_acc and history.val_acc: call "
            "plot_history(history, show_accuracy=True), as the text asks"
        )


@suggests_reference("plot_curves")
@seeded
def check_plot_curves(plot_curves: Callable[..., Any]) -> None:
    """Check `plot_curves(history) -> (fig, axes)`: the loss axes show the
    eval-mode training and validation losses and, labelled in the legend,
    the running training loss."""
    require_callable(plot_curves, "plot_curves")
    history = probe_history()
    fig, ax = loss_axes(plot_curves(history))
    try:
        for name in ("train_loss", "val_loss"):
            if line_showing(ax, history.epoch, getattr(history, name)) is None:
                fail(
                    f"the loss axes do not show history.{name}: start from "
                    "plot_history(history), which draws both eval-mode "
                    "losses"
                )
        running = line_showing(ax, history.epoch, history.running_train_loss)
        if running is None:
            fail(
                "no line on the loss axes shows history.running_train_loss: "
                "add it with axes[0].plot(history.epoch, "
                "history.running_train_loss, label=...)"
            )
        legend = ax.get_legend()
        names = (
            []
            if legend is None
            else [t.get_text() for t in legend.get_texts()]
        )
        label = running.get_label()
        if label.startswith("_") or label not in names:
            fail(
                "the running-loss line is not in the legend: give it a "
                "label and call axes[0].legend() again after drawing it"
            )
        check_running_line_style(running)
        check_accuracy_panel(fig, history)
    finally:
        plt.close(fig)
    print(
        "check_plot_curves passed: eval-mode losses and the labelled "
        "running loss on one axis."
    )
