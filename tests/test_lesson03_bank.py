"""An independent bank of learner answers to lesson 03's three exercises
(a run that overfits with a small network, a run that underfits with a
big one, and the "overfit one batch" sanity check), written from the
exercise text alone, and run through the real graded cells (visible
checks and hidden tests).

Every correct answer, in whatever style, must be accepted; every wrong
one, a mistake that learners reading the text really make, must fail
with an AssertionError, which carries the check's message.

The first two answers are values, `RunConfig`s; the third a function.
The text's limits: digits only; at most 2,000 parameters to overfit and
at least 100,000 to underfit; at most 5,000 optimiser steps and 3e10
parameters x epochs x samples (training and validation); label noise
0.0 or a committed rate. The wrong one-batch answers change one thing
each in `plain_loop`, the first correct answer.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, replace
from typing import Any

import pytest
import torch

from gaplab.data import Split
from gaplab.experiments import OVERFIT_BASELINE, RunConfig
from gaplab.overfitting import ONE_BATCH_MAX_LOSS, ONE_BATCH_STEPS
from gaplab.training import evaluate
from tests.notebook_tools import grade_answer

ASSIGNMENT = "03-overfitting"
NAMES = {
    "overfit_config_tests": "overfit_config",
    "underfit_config_tests": "underfit_config",
    "can_overfit_one_batch_tests": "can_overfit_one_batch",
}
OVERFIT = "overfit_config_tests"
UNDERFIT = "underfit_config_tests"
ONE_BATCH = "can_overfit_one_batch_tests"


def grade(test_id: str, answer: Any) -> None:
    """Run the graded cell `test_id` with `answer` as the learner's
    answer, bound under the name the exercise's stub defines."""
    grade_answer(ASSIGNMENT, test_id, NAMES[test_id], answer)


big_run = OVERFIT_BASELINE  # the notebook's name for it


# ============================================ exercise 1: overfit_config
# 64 inputs, 10 classes: a hidden layer of h units has 75 h + 10
# parameters, so one layer of 26 (1,960) is the widest within 2,000.

# One wide layer, few noisy samples, one full batch per epoch.
wide_noisy = RunConfig(
    dataset="digits",
    n_train=50,
    label_noise=0.4,
    hidden=(26,),
    lr=1e-2,
    epochs=300,
    batch_size=50,
)
# Two narrow layers (1,482 parameters), 30% noise, two batches.
deep_narrow = RunConfig(
    n_train=50,
    label_noise=0.3,
    hidden=(16, 16),
    lr=1e-2,
    epochs=300,
    batch_size=25,
)
# Plain SGD at a large rate instead of Adam.
sgd_large_rate = RunConfig(
    n_train=40,
    label_noise=0.2,
    hidden=(24,),
    optimizer="sgd",
    lr=0.5,
    epochs=400,
    batch_size=20,
)
# No label noise at all: 20 clean samples are few enough to memorise.
clean_tiny = RunConfig(
    n_train=20,
    hidden=(20,),
    lr=1e-2,
    epochs=300,
    batch_size=20,
)
# The baseline of section 1, shrunk to the cap with `replace`.
shrunk_baseline = replace(
    big_run,
    n_train=100,
    label_noise=0.4,
    hidden=(25,),
    optimizer="adamw",
    lr=3e-3,
    epochs=400,
    batch_size=50,
)

# One unit over the cap: 75 x 27 + 10 = 2,035 parameters.
one_unit_too_wide = replace(wide_noisy, hidden=(27,))
# The network of section 1: it overfits, with 301,066 parameters.
baseline_network = replace(wide_noisy, hidden=(512, 512), epochs=100)
# Overfits, but on the moons, not on digits.
on_moons = RunConfig(
    dataset="moons",
    n_train=50,
    hidden=(32, 32),
    lr=3e-3,
    epochs=200,
    batch_size=32,
)
# Batches of one: 50 x 300 = 15,000 optimiser steps.
too_many_steps = replace(wide_noisy, batch_size=1)
# All the clean training data, briefly: it fits, but the validation loss
# never turns up: a good fit.
good_fit = RunConfig(hidden=(26,), lr=1e-3, epochs=30, batch_size=64)
# A rate too small to get anywhere: underfits instead.
rate_too_small = replace(wide_noisy, lr=1e-5)
# Stopped long before it memorises: underfits.
too_few_epochs = replace(wide_noisy, epochs=10)
# Weight decay keeps it from fitting the noise: underfits.
weight_decay_on = replace(wide_noisy, weight_decay=0.1)
# 25% is not one of the committed noise rates.
uncommitted_noise = replace(wide_noisy, label_noise=0.25)
# The right settings, but as a dict rather than a RunConfig.
settings_dict = asdict(wide_noisy)

# ========================================== exercise 2: underfit_config
# The network of section 1 (301,066 parameters), held back by its
# optimiser or its budget.

# Adam at a rate a thousand times too small.
tiny_rate = replace(big_run, lr=1e-6, epochs=30)
# Plain SGD at a small rate, for few epochs.
slow_sgd = replace(big_run, optimizer="sgd", lr=1e-3, epochs=20)
# Trained too briefly: section 6's own example.
three_epochs = replace(big_run, epochs=3)
# Weight decay so strong the weights stay near zero.
heavy_weight_decay = replace(big_run, weight_decay=1.0, epochs=30)
# One wide hidden layer (150,010 parameters) on all the training data.
one_wide_layer = RunConfig(
    hidden=(2000,), optimizer="sgd", lr=1e-4, epochs=10, batch_size=64
)

# Underfits, but the network is too small: section 6's other example.
two_units = replace(big_run, hidden=(2,), lr=1e-2)
# Just under the floor: 65 x 1,300 + 1,301 x 10 = 97,510 parameters.
just_under_floor = RunConfig(hidden=(1300,), lr=1e-6, epochs=20, batch_size=64)
# Underfits, but on the moons, not on digits.
moons_underfit = RunConfig(
    dataset="moons",
    hidden=(512, 512),
    lr=1e-6,
    epochs=20,
    batch_size=32,
)
# All 1,078 samples in one batch for 100 epochs: 100 steps, but
# 301,066 x 100 x (1,078 + 359) = 4.3e10 of work, over 3e10.
too_much_work = replace(
    big_run, n_train=None, batch_size=1078, lr=1e-6, epochs=100
)
# Batches of one: 200 x 30 = 6,000 optimiser steps.
steps_over_budget = replace(big_run, batch_size=1, lr=1e-7, epochs=30)
# The run of section 1 unchanged but shorter: it still fits and overfits.
still_overfits = replace(big_run, epochs=30)
# More label noise does not stop it fitting: it overfits.
more_noise = replace(big_run, label_noise=0.4, epochs=50)
# Dropout alone does not keep this network from fitting 200 samples.
dropout_half = replace(big_run, dropout=0.5, epochs=50)


# ==================================== exercise 3: can_overfit_one_batch


def plain_loop(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """The textbook loop, then `evaluate` on the batch."""
    inputs, targets = batch
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
    return bool(
        evaluate(model, Split(inputs, targets), loss_fn).loss < max_loss
    )


def measured_by_hand(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Zeroes the gradients after each step; measures in eval mode under
    no_grad by hand, and puts the model back in the mode it was in."""
    x, y = batch
    was_training = model.training
    model.train()
    optimizer.zero_grad(set_to_none=True)
    step = 0
    while step < steps:
        loss_fn(model(x), y).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
    model.eval()
    with torch.no_grad():
        final = loss_fn(model(x), y).item()
    model.train(was_training)
    return final < max_loss


def with_closure(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Each step through `optimizer.step(closure)`, on the model's device."""
    device = next(model.parameters()).device
    inputs, targets = (t.to(device) for t in batch)

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        return loss

    model.train(True)
    for _ in range(steps):
        optimizer.step(closure)
    final = evaluate(model, Split(inputs, targets), loss_fn).loss
    return True if final < max_loss else False


def inference_mode_measure(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Trains under `enable_grad`; measures under `inference_mode` with
    the model in eval mode, restoring the mode afterwards."""
    inputs, targets = batch
    model.train()
    with torch.enable_grad():
        for _ in range(steps):
            for parameter in model.parameters():
                parameter.grad = None
            loss_fn(model(inputs), targets).backward()
            optimizer.step()
    model.eval()
    try:
        with torch.inference_mode():
            final = float(loss_fn(model(inputs), targets))
    finally:
        model.train()
    return final < float(max_loss)


def own_optimizer(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Ignores the optimiser it is given and makes a fresh Adam over the
    model's parameters: it hides the very bug the check exists for."""
    inputs, targets = batch
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    return bool(
        evaluate(model, Split(inputs, targets), loss_fn).loss < max_loss
    )


def boosted_rate(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Multiplies the optimiser's learning rate by ten "to converge
    faster": a zero or diverging rate in the pipeline goes unseen."""
    inputs, targets = batch
    for group in optimizer.param_groups:
        group["lr"] = group["lr"] * 10
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    return bool(
        evaluate(model, Split(inputs, targets), loss_fn).loss < max_loss
    )


def with_scheduler(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Adds a one-cycle schedule to the optimiser, so that it trains at
    rates the pipeline never uses."""
    inputs, targets = batch
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=0.01, total_steps=steps
    )
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
        scheduler.step()
    return bool(
        evaluate(model, Split(inputs, targets), loss_fn).loss < max_loss
    )


def sub_batches(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Reads `steps` as epochs over mini-batches of 4: four times as many
    optimiser steps on a quarter of the batch each."""
    split = Split(*batch)
    model.train()
    for _ in range(steps):
        for inputs, targets in split.batches(4, shuffle=True):
            optimizer.zero_grad()
            loss_fn(model(inputs), targets).backward()
            optimizer.step()
    return bool(evaluate(model, split, loss_fn).loss < max_loss)


def no_train_mode(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Trains in whatever mode the model arrives in: eval mode freezes
    batch norm and turns dropout off while training."""
    inputs, targets = batch
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    return bool(
        evaluate(model, Split(inputs, targets), loss_fn).loss < max_loss
    )


def never_zeroes_gradients(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Never resets the gradients: every step adds to the last ones."""
    inputs, targets = batch
    model.train()
    for _ in range(steps):
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    return bool(
        evaluate(model, Split(inputs, targets), loss_fn).loss < max_loss
    )


def last_training_loss(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Judges by the last step's training loss: train mode, and measured
    before that step's update."""
    inputs, targets = batch
    model.train()
    loss = None
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
    return bool(loss.item() < max_loss)


def measured_in_train_mode(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Measures under no_grad but forgets eval mode: dropout stays on."""
    inputs, targets = batch
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    with torch.no_grad():
        final = loss_fn(model(inputs), targets).item()
    return final < max_loss


def lax_threshold(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Passes a loss up to ten times `max_loss` ("close enough")."""
    inputs, targets = batch
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    final = evaluate(model, Split(inputs, targets), loss_fn).loss
    return bool(final < 10 * max_loss)


def loss_went_down(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Passes when the loss fell at all: the test the text warns of."""
    inputs, targets = batch
    split = Split(inputs, targets)
    before = evaluate(model, split, loss_fn).loss
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    return bool(evaluate(model, split, loss_fn).loss < before)


def default_threshold(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Compares with the default `ONE_BATCH_MAX_LOSS`, not `max_loss`."""
    inputs, targets = batch
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    final = evaluate(model, Split(inputs, targets), loss_fn).loss
    return bool(final < ONE_BATCH_MAX_LOSS)


def default_steps(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Always takes `ONE_BATCH_STEPS` steps, whatever `steps` says."""
    inputs, targets = batch
    model.train()
    for _ in range(ONE_BATCH_STEPS):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    final = evaluate(model, Split(inputs, targets), loss_fn).loss
    return bool(final < max_loss)


def one_step_short(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Counts its steps from 1 and stops at `steps`: one step short."""
    inputs, targets = batch
    model.train()
    for _ in range(1, steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    final = evaluate(model, Split(inputs, targets), loss_fn).loss
    return bool(final < max_loss)


def at_most(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Passes a loss equal to `max_loss`, which does not lie below it."""
    inputs, targets = batch
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    final = evaluate(model, Split(inputs, targets), loss_fn).loss
    return bool(final <= max_loss)


def returns_tensor(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Returns a 0-d bool tensor, not a Python bool."""
    inputs, targets = batch
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        final = loss_fn(model(inputs), targets)
    model.train()
    return final < max_loss


def returns_loss(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Returns the final loss itself rather than the verdict."""
    inputs, targets = batch
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    return evaluate(model, Split(inputs, targets), loss_fn).loss


def trains_a_copy(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Trains a deep copy, so as not to touch the model: the optimiser it
    is given holds the original's parameters, which the copy's gradients
    never reach, and the pipeline under test is not the one trained."""
    inputs, targets = batch
    twin = copy.deepcopy(model)
    twin.train()
    fresh = type(optimizer)(twin.parameters(), **optimizer.defaults)
    for _ in range(steps):
        fresh.zero_grad()
        loss_fn(twin(inputs), targets).backward()
        fresh.step()
    return bool(
        evaluate(twin, Split(inputs, targets), loss_fn).loss < max_loss
    )


def own_softmax(
    model,
    batch,
    loss_fn,
    optimizer,
    steps=ONE_BATCH_STEPS,
    max_loss=ONE_BATCH_MAX_LOSS,
):
    """Puts a softmax between the model and the loss: the bug of the demo,
    added by the check itself."""
    inputs, targets = batch
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs).softmax(dim=1), targets).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        final = loss_fn(model(inputs).softmax(dim=1), targets).item()
    model.train()
    return final < max_loss


# ================================================================= tests


CORRECT = [
    pytest.param(OVERFIT, wide_noisy, id="overfit-wide_noisy"),
    pytest.param(OVERFIT, deep_narrow, id="overfit-deep_narrow"),
    pytest.param(OVERFIT, sgd_large_rate, id="overfit-sgd_large_rate"),
    pytest.param(OVERFIT, clean_tiny, id="overfit-clean_tiny"),
    pytest.param(OVERFIT, shrunk_baseline, id="overfit-shrunk_baseline"),
    pytest.param(UNDERFIT, tiny_rate, id="underfit-tiny_rate"),
    pytest.param(UNDERFIT, slow_sgd, id="underfit-slow_sgd"),
    pytest.param(UNDERFIT, three_epochs, id="underfit-three_epochs"),
    pytest.param(
        UNDERFIT, heavy_weight_decay, id="underfit-heavy_weight_decay"
    ),
    pytest.param(UNDERFIT, one_wide_layer, id="underfit-one_wide_layer"),
    pytest.param(ONE_BATCH, plain_loop, id="one_batch-plain_loop"),
    pytest.param(ONE_BATCH, measured_by_hand, id="one_batch-measured_by_hand"),
    pytest.param(ONE_BATCH, with_closure, id="one_batch-with_closure"),
    pytest.param(
        ONE_BATCH,
        inference_mode_measure,
        id="one_batch-inference_mode_measure",
    ),
]


def slow_if_it_trains(cases: list) -> list:
    """The configuration cases train runs (minutes in all on 2 cores):
    they run with `pytest -m slow`, outside the default suite."""
    return [
        case
        if case.values[0] == ONE_BATCH
        else pytest.param(*case.values, id=case.id, marks=pytest.mark.slow)
        for case in cases
    ]


@pytest.mark.parametrize(("test_id", "answer"), slow_if_it_trains(CORRECT))
def test_a_correct_answer_passes(test_id, answer):
    grade(test_id, answer)


WRONG = [
    pytest.param(OVERFIT, one_unit_too_wide, id="overfit-one_unit_too_wide"),
    pytest.param(OVERFIT, baseline_network, id="overfit-baseline_network"),
    pytest.param(OVERFIT, on_moons, id="overfit-on_moons"),
    pytest.param(OVERFIT, too_many_steps, id="overfit-too_many_steps"),
    pytest.param(OVERFIT, good_fit, id="overfit-good_fit"),
    pytest.param(OVERFIT, rate_too_small, id="overfit-rate_too_small"),
    pytest.param(OVERFIT, too_few_epochs, id="overfit-too_few_epochs"),
    pytest.param(OVERFIT, weight_decay_on, id="overfit-weight_decay_on"),
    pytest.param(OVERFIT, uncommitted_noise, id="overfit-uncommitted_noise"),
    pytest.param(OVERFIT, settings_dict, id="overfit-settings_dict"),
    pytest.param(UNDERFIT, two_units, id="underfit-two_units"),
    pytest.param(UNDERFIT, just_under_floor, id="underfit-just_under_floor"),
    pytest.param(UNDERFIT, moons_underfit, id="underfit-moons_underfit"),
    pytest.param(UNDERFIT, too_much_work, id="underfit-too_much_work"),
    pytest.param(UNDERFIT, steps_over_budget, id="underfit-steps_over_budget"),
    pytest.param(UNDERFIT, still_overfits, id="underfit-still_overfits"),
    pytest.param(UNDERFIT, more_noise, id="underfit-more_noise"),
    pytest.param(UNDERFIT, dropout_half, id="underfit-dropout_half"),
    pytest.param(ONE_BATCH, own_optimizer, id="one_batch-own_optimizer"),
    pytest.param(ONE_BATCH, boosted_rate, id="one_batch-boosted_rate"),
    pytest.param(ONE_BATCH, with_scheduler, id="one_batch-with_scheduler"),
    pytest.param(ONE_BATCH, sub_batches, id="one_batch-sub_batches"),
    pytest.param(ONE_BATCH, no_train_mode, id="one_batch-no_train_mode"),
    pytest.param(
        ONE_BATCH,
        never_zeroes_gradients,
        id="one_batch-never_zeroes_gradients",
    ),
    pytest.param(
        ONE_BATCH, last_training_loss, id="one_batch-last_training_loss"
    ),
    pytest.param(
        ONE_BATCH,
        measured_in_train_mode,
        id="one_batch-measured_in_train_mode",
    ),
    pytest.param(ONE_BATCH, lax_threshold, id="one_batch-lax_threshold"),
    pytest.param(ONE_BATCH, loss_went_down, id="one_batch-loss_went_down"),
    pytest.param(
        ONE_BATCH, default_threshold, id="one_batch-default_threshold"
    ),
    pytest.param(ONE_BATCH, default_steps, id="one_batch-default_steps"),
    pytest.param(ONE_BATCH, one_step_short, id="one_batch-one_step_short"),
    pytest.param(
        ONE_BATCH,
        at_most,
        id="one_batch-at_most",
    ),
    pytest.param(ONE_BATCH, returns_tensor, id="one_batch-returns_tensor"),
    pytest.param(ONE_BATCH, returns_loss, id="one_batch-returns_loss"),
    pytest.param(ONE_BATCH, trains_a_copy, id="one_batch-trains_a_copy"),
    pytest.param(ONE_BATCH, own_softmax, id="one_batch-own_softmax"),
]


@pytest.mark.parametrize(("test_id", "answer"), slow_if_it_trains(WRONG))
def test_a_wrong_answer_fails(test_id, answer):
    with pytest.raises(AssertionError):
        grade(test_id, answer)
