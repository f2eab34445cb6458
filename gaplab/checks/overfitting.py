"""Visible checks of lesson 03 (Overfit on purpose).

The two configuration exercises are graded by what their runs do: each
check trains the learner's `RunConfig` from a fixed seed and applies the
course's definitions (`overfits`, `underfits` in gaplab.verdict). The
sanity-check exercise is graded on pipelines whose answer is known: one
that works, and broken ones that look as if they train.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

import torch
from torch import nn

from gaplab.checks import fail
from gaplab.checks.own_work import suggests_reference
from gaplab.data import Split, load_digits
from gaplab.experiments import (
    RunConfig,
    build_model,
    load_dataset,
    run_experiment,
)
from gaplab.models import mlp
from gaplab.overfitting import ONE_BATCH_STEPS, count_parameters
from gaplab.training import History, evaluate
from gaplab.utils import seed_everything
from gaplab.verdict import (
    FITTED_FRACTION,
    MIN_DELTA,
    overfits,
    training_loss_fraction,
    underfits,
    val_loss_rise,
)

CHECK_SEED = 0
# Exercise 1 overfits with a small network, exercise 2 underfits with a
# big one: capacity alone decides neither.
MAX_PARAMETERS_TO_OVERFIT = 2_000
MIN_PARAMETERS_TO_UNDERFIT = 100_000
# A checked run must finish in seconds on a laptop CPU: at most this many
# optimiser steps, and at most this much arithmetic, counted as
# parameters x epochs x (training + validation samples).
MAX_CHECK_STEPS = 5_000
MAX_CHECK_WORK = 3e10
# The pipelines the sanity check is tried on: 16 digits, a 64-unit MLP.
ONE_BATCH_SIZE = 16
ONE_BATCH_HIDDEN = (64,)
ONE_BATCH_LR = 1e-3


def require_run_config(config: Any, name: str) -> None:
    """Reject anything but a RunConfig before training it."""
    if config is None:
        fail(f"{name} is None: assign a RunConfig(...) to {name}")
    if not isinstance(config, RunConfig):
        fail(
            f"{name} must be a gaplab.experiments.RunConfig, got a "
            f"{type(config).__name__}: build it with RunConfig(...)"
        )


def checked_parameters(config: RunConfig) -> int:
    """Parameters of the config's model, after making sure the run is
    cheap enough to train inside a check, on the data the exercise names
    and the library can load."""
    if config.dataset != "digits":
        fail(
            f"the config trains on {config.dataset!r}; the exercise asks for "
            "a run on digits (dataset='digits', the default)"
        )
    try:
        data = load_dataset(config)
    except ValueError as error:
        fail(f"the run cannot start: {error}")
    parameters = count_parameters(build_model(config, data))
    n_train, n_val = len(data.train), len(data.val)
    steps = config.epochs * math.ceil(n_train / config.batch_size)
    if steps > MAX_CHECK_STEPS:
        fail(
            f"this run takes {steps:,} optimiser steps ({config.epochs} "
            f"epochs of {n_train} samples in batches of "
            f"{config.batch_size}); a check allows {MAX_CHECK_STEPS:,}: "
            "use fewer epochs or larger batches"
        )
    work = parameters * config.epochs * (n_train + n_val)
    if work > MAX_CHECK_WORK:
        fail(
            f"this run is too expensive for a quick check: {parameters:,} "
            f"parameters x {config.epochs} epochs x {n_train + n_val} "
            f"samples = {work:.1e} > {MAX_CHECK_WORK:.0e}: use fewer "
            "epochs, fewer training samples or a smaller network"
        )
    return parameters


def describe(history: History) -> str:
    """The numbers of a run that the definitions look at."""
    return (
        f"training loss {history.train_loss[0]:.3f} after epoch 1, "
        f"{history.train_loss[-1]:.3f} at the end "
        f"({training_loss_fraction(history):.3f} of its start); "
        f"validation loss {history.val_loss[-1]:.3f} at the end, "
        f"{val_loss_rise(history):.3f} above its value at the onset "
        f"(epoch {history.best_epoch(MIN_DELTA)} of {len(history)})"
    )


def why_not_overfitting(history: History) -> str:
    """Which part of the overfitting definition a run misses, and which
    levers would change that."""
    if underfits(history):
        return (
            f"the run has not fitted its training data: {describe(history)}."
            f" Overfitting needs a training loss that ends at most "
            f"{FITTED_FRACTION} of its start: give the small net less to "
            "memorise, more steps or larger ones"
        )
    return (
        f"the validation loss did not rise by more than {MIN_DELTA} after "
        f"its onset: {describe(history)}. Make memorising cost more: train "
        "longer past the onset, or give it samples whose labels do not "
        "generalise"
    )


def why_not_underfitting(history: History) -> str:
    """Why a run does not underfit, and which levers would change that."""
    return (
        f"the run fitted its training data: {describe(history)}. "
        f"Underfitting means a training loss that ends above "
        f"{FITTED_FRACTION} of its start: keep the optimiser from making "
        "progress"
    )


def check_overfit_config(config: Any) -> None:
    """Check exercise 1: a run with at most MAX_PARAMETERS_TO_OVERFIT
    parameters that, trained from seed CHECK_SEED, overfits."""
    require_run_config(config, "overfit_config")
    parameters = checked_parameters(config)
    if parameters > MAX_PARAMETERS_TO_OVERFIT:
        fail(
            f"hidden={config.hidden} gives {parameters:,} parameters; this "
            f"exercise allows at most {MAX_PARAMETERS_TO_OVERFIT:,}: use "
            "fewer or narrower hidden layers, and let the data and the "
            "training do the overfitting"
        )
    _, history = run_experiment(config, seed=CHECK_SEED)
    if not overfits(history):
        fail(why_not_overfitting(history))
    print(
        f"check_overfit_config passed: {parameters:,} parameters, "
        f"{describe(history)}."
    )


def check_underfit_config(config: Any) -> None:
    """Check exercise 2: a run with at least MIN_PARAMETERS_TO_UNDERFIT
    parameters that, trained from seed CHECK_SEED, underfits."""
    require_run_config(config, "underfit_config")
    parameters = checked_parameters(config)
    if parameters < MIN_PARAMETERS_TO_UNDERFIT:
        fail(
            f"hidden={config.hidden} gives only {parameters:,} parameters; "
            f"this exercise asks for at least "
            f"{MIN_PARAMETERS_TO_UNDERFIT:,}, e.g. hidden=(512, 512): a tiny "
            "net underfits trivially, the exercise is to make a big one "
            "underfit"
        )
    _, history = run_experiment(config, seed=CHECK_SEED)
    if not underfits(history):
        fail(why_not_underfitting(history))
    print(
        f"check_underfit_config passed: {parameters:,} parameters, "
        f"{describe(history)}."
    )


@cache
def digits_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """The first ONE_BATCH_SIZE training digits, with their true labels."""
    train = load_digits().train
    return train.X[:ONE_BATCH_SIZE], train.y[:ONE_BATCH_SIZE]


def one_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """A fresh copy of the digits batch, safe from in-place changes."""
    inputs, targets = digits_batch()
    return inputs.clone(), targets.clone()


class CountingAdam(torch.optim.Adam):
    """Adam that counts its steps."""

    def __init__(self, parameters: Any, **options: Any) -> None:
        super().__init__(parameters, **options)
        self.steps_taken = 0

    def step(self, closure: Any = None) -> Any:
        self.steps_taken += 1
        return super().step(closure)


class ModeLog(list):
    """(training, gradients enabled) of each forward pass of a model."""

    def watch(self, model: nn.Module) -> None:
        model.register_forward_hook(
            lambda module, inputs, output: self.append(
                (module.training, torch.is_grad_enabled())
            )
        )


def fresh_pipeline(
    broken: str | None = None,
) -> tuple[nn.Module, nn.Module, CountingAdam]:
    """(model, loss_fn, optimizer) for the digits batch, seeded.

    broken=None works. "detached optimizer" hands the optimiser another
    model's parameters, so `model` never changes; "double softmax" ends
    the model with a softmax, so the cross-entropy (which applies its own)
    cannot go below log(1 + 9/e) = 1.46; "zero lr" has a learning rate
    of 0.
    """
    seed_everything(CHECK_SEED)
    model: nn.Module = mlp(64, 10, ONE_BATCH_HIDDEN)
    trained: nn.Module = model
    if broken == "detached optimizer":
        trained = mlp(64, 10, ONE_BATCH_HIDDEN)
    elif broken == "double softmax":
        model = nn.Sequential(model, nn.Softmax(dim=1))
        trained = model
    lr = 0.0 if broken == "zero lr" else ONE_BATCH_LR
    optimizer = CountingAdam(trained.parameters(), lr=lr)
    return model, nn.CrossEntropyLoss(), optimizer


def call_sanity_check(
    function: Callable[..., Any],
    broken: str | None,
    description: str,
    **options: Any,
) -> tuple[bool, float]:
    """The learner's answer on one pipeline, and that pipeline's loss on
    the batch afterwards (to quote in a message)."""
    model, loss_fn, optimizer = fresh_pipeline(broken)
    batch = one_batch()
    result = function(model, batch, loss_fn, optimizer, **options)
    if isinstance(result, torch.Tensor):
        fail(
            f"for {description} it returned a tensor ({result!r}), not a "
            "bool: compare a Python number, e.g. loss.item() < max_loss, "
            "or wrap the comparison in bool(...)"
        )
    if not isinstance(result, bool):
        fail(
            f"for {description} it returned {result!r} (a "
            f"{type(result).__name__}): return True or False, whether the "
            "final loss is below max_loss"
        )
    loss = evaluate(model, Split(*one_batch()), loss_fn).loss
    return result, loss


def check_how_it_trains(
    function: Callable[..., Any], description: str
) -> None:
    """On a working pipeline whose model arrives in eval mode: `steps`
    optimiser steps in train mode with the optimiser as given, then the
    loss measured in eval mode without gradients."""
    model, loss_fn, optimizer = fresh_pipeline()
    lr = optimizer.param_groups[0]["lr"]
    modes = ModeLog()
    modes.watch(model)
    model.eval()
    function(model, one_batch(), loss_fn, optimizer)
    wanted = ONE_BATCH_STEPS
    if optimizer.steps_taken != wanted:
        fail(
            f"for {description} it took {optimizer.steps_taken} optimiser "
            f"steps, not steps={wanted}: one step per iteration, each on "
            "the whole batch"
        )
    if optimizer.param_groups[0]["lr"] != lr:
        fail(
            f"for {description} it changed the optimiser's learning rate "
            f"from {lr} to {optimizer.param_groups[0]['lr']}: the optimiser "
            "is part of the pipeline under test, use it as it is given"
        )
    if any(grad and not training for training, grad in modes):
        fail(
            f"for {description} it trained the model in eval mode: call "
            "model.train() before the steps (the model may arrive in eval "
            "mode)"
        )
    if not modes or modes[-1] != (False, False):
        fail(
            f"for {description} it did not measure the final loss in eval "
            "mode without gradients: measure it after the last step with "
            "evaluate (or model.eval() and torch.no_grad())"
        )


@suggests_reference("can_overfit_one_batch")
def check_can_overfit_one_batch(function: Callable[..., Any]) -> None:
    """Check exercise 3: True for a working pipeline, False for broken
    ones, and `steps` and `max_loss` are honoured."""
    if not callable(function):
        raise TypeError(
            "pass your function itself, e.g. "
            "check_can_overfit_one_batch(can_overfit_one_batch), got a "
            f"{type(function).__name__}"
        )
    working = f"a working pipeline ({ONE_BATCH_SIZE} digits, a 64-unit MLP)"
    result, loss = call_sanity_check(function, None, working)
    if not result:
        fail(
            f"it returned False for {working}: after the call the batch's "
            f"loss is {loss:.3f}. Each step needs optimizer.zero_grad(), "
            "loss.backward() and optimizer.step(), repeated `steps` times"
        )
    stuck = "a pipeline whose optimizer holds another model's parameters"
    result, _ = call_sanity_check(function, "detached optimizer", stuck)
    if result:
        fail(
            f"it returned True for {stuck}: with that optimizer `model` "
            "cannot change, so its loss cannot fall. Train with the "
            "`optimizer` you are given (it is part of the pipeline under "
            "test) and measure the loss of `model` on `batch` afterwards"
        )
    softmax = "a model ending in softmax before CrossEntropyLoss"
    result, loss = call_sanity_check(function, "double softmax", softmax)
    if result:
        fail(
            f"it returned True for {softmax}: its loss falls, but only to "
            f"{loss:.3f}, never near zero. A falling loss is not enough: "
            "return whether the final loss is below `max_loss`"
        )
    result, _ = call_sanity_check(
        function, None, f"{working} with steps=1", steps=1
    )
    if result:
        fail(
            "with steps=1 it returned True, but a single optimiser step "
            "cannot fit the batch: train for `steps` steps, not a fixed "
            "number"
        )
    frozen = "a pipeline with learning rate 0 and max_loss=3.0"
    result, loss = call_sanity_check(function, "zero lr", frozen, max_loss=3.0)
    if not result:
        fail(
            f"it returned False for {frozen}: the loss stays at {loss:.3f}, "
            "below 3.0, so the answer is True. Compare with the `max_loss` "
            "argument, not a fixed number"
        )
    check_how_it_trains(function, f"{working}, handed over in eval mode")
    model, loss_fn, _ = fresh_pipeline("zero lr")
    stuck_at = evaluate(model, Split(*one_batch()), loss_fn).loss
    level = f"a pipeline with learning rate 0 and max_loss={stuck_at:.6f}"
    result, _ = call_sanity_check(
        function, "zero lr", level, max_loss=stuck_at
    )
    if result:
        fail(
            f"it returned True for {level}: the loss stays exactly at "
            "max_loss, which is not below it. Return loss < max_loss"
        )
    print(
        "check_can_overfit_one_batch passed: True for a working pipeline, "
        "False for two broken ones; steps and max_loss honoured."
    )
