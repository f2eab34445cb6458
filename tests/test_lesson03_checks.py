"""Lesson 03's graded cells, tested as nbgrader runs them: correct
alternative answers must pass each real graded cell (visible checks and
hidden tests), plausible wrong ones must fail it with a message that
names the mistake. Also the behavioural claim of the lesson: its overfit
runs overfit, by the course's definition, on three seeds."""

from dataclasses import replace

import pytest
import torch

from gaplab.data import Split
from gaplab.experiments import RunConfig, run_experiment
from gaplab.training import evaluate
from gaplab.verdict import overfits, training_loss_fraction, val_loss_rise
from tests.notebook_tools import namespace_before, run_graded_cell

ASSIGNMENT = "03-overfitting"


@pytest.fixture(scope="module")
def lesson() -> dict:
    """The notebook's variables before its first graded cell. The later
    graded cells need nothing defined after it except their own answer,
    which each test supplies."""
    return namespace_before(ASSIGNMENT, "overfit_config_tests")


def run_answer(lesson: dict, grade_id: str, name: str, answer) -> None:
    """Run the graded cell `grade_id` with `answer` bound to `name`."""
    namespace = dict(lesson)
    namespace[name] = answer
    run_graded_cell(ASSIGNMENT, grade_id, namespace)


# ------------------------------------------------ behaviour of the lesson


@pytest.mark.parametrize("name", ["big_run", "overfit_config"])
def test_the_lesson_overfit_runs_overfit_on_three_seeds(lesson, name):
    config = lesson[name]
    for seed in (0, 1, 2):
        history = run_experiment(config, seed=seed)[1]
        print(
            f"{name} seed {seed}: training loss at "
            f"{training_loss_fraction(history):.4f} of its start, "
            f"validation loss rose {val_loss_rise(history):.3f}, final "
            f"gap {history.gap[-1]:.3f}"
        )
        assert overfits(history), f"{name} does not overfit on seed {seed}"


# ------------------------------------------------- exercise 1: overfitting

OVERFIT = "overfit_config_tests"


def test_an_alternative_overfit_config_passes(lesson):
    # A different optimiser, width, noise level and batch size.
    sgd_run = RunConfig(
        n_train=100,
        label_noise=0.4,
        hidden=(24,),
        optimizer="sgd",
        lr=0.5,
        epochs=300,
        batch_size=25,
    )
    run_answer(lesson, OVERFIT, "overfit_config", sgd_run)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (None, "is None"),
        ({"hidden": (16,)}, "must be a gaplab.experiments.RunConfig"),
        (
            RunConfig(n_train=200, label_noise=0.2, hidden=(512, 512)),
            "allows at most 2,000",
        ),
        (
            RunConfig(n_train=100, hidden=(16,), epochs=300, batch_size=1),
            "optimiser steps",
        ),
    ],
    ids=["none", "dict", "big network", "too many steps"],
)
def test_overfit_configs_that_cannot_be_accepted_fail_before_training(
    lesson, answer, message
):
    with pytest.raises(AssertionError, match=message):
        run_answer(lesson, OVERFIT, "overfit_config", answer)


def test_a_small_net_at_the_default_learning_rate_has_not_fitted(lesson):
    slow = RunConfig(n_train=200, label_noise=0.2, hidden=(16,), epochs=100)
    with pytest.raises(AssertionError, match="has not fitted its training"):
        run_answer(lesson, OVERFIT, "overfit_config", slow)


def test_memorising_clean_labels_without_a_rise_is_not_overfitting(lesson):
    clean = RunConfig(
        n_train=300, hidden=(16,), lr=1e-2, epochs=100, batch_size=64
    )
    with pytest.raises(AssertionError, match="did not rise by more than"):
        run_answer(lesson, OVERFIT, "overfit_config", clean)


# ------------------------------------------------ exercise 2: underfitting

UNDERFIT = "underfit_config_tests"


@pytest.mark.parametrize(
    "changes",
    [
        {"epochs": 2},
        {"optimizer": "sgd", "lr": 1e-3, "epochs": 20},
    ],
    ids=["too brief", "plain sgd, small lr"],
)
def test_alternative_underfit_configs_pass(lesson, changes):
    answer = replace(lesson["big_run"], **changes)
    run_answer(lesson, UNDERFIT, "underfit_config", answer)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hidden": (2,)}, "gives only 160 parameters"),
        ({}, "the run fitted its training data"),
        ({"epochs": 30}, "the run fitted its training data"),
        ({"n_train": None}, "too expensive"),
    ],
    ids=["tiny net", "overfits", "shorter", "too expensive"],
)
def test_wrong_underfit_configs_fail(lesson, changes, message):
    answer = replace(lesson["big_run"], **changes)
    with pytest.raises(AssertionError, match=message):
        run_answer(lesson, UNDERFIT, "underfit_config", answer)


# ------------------------------------- exercise 3: overfit one batch check

SANITY = "can_overfit_one_batch_tests"


def stop_when_fitted(
    model, batch, loss_fn, optimizer, steps=500, max_loss=0.05
):
    """Wrong: stops as soon as the training loss is below max_loss, after
    fewer than `steps` steps."""
    inputs, targets = batch
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        if loss.item() < max_loss:
            return True
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return loss_fn(model(inputs), targets).item() < max_loss


def best_loss_seen(model, batch, loss_fn, optimizer, steps=500, max_loss=0.05):
    """Correct: the lowest loss over the steps, with the library's
    evaluate for the last one."""
    inputs, targets = batch
    losses = []
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    losses.append(evaluate(model, Split(inputs, targets), loss_fn).loss)
    return bool(min(losses) < max_loss)


@pytest.mark.parametrize("answer", [best_loss_seen])
def test_alternative_sanity_checks_pass(lesson, answer):
    run_answer(lesson, SANITY, "can_overfit_one_batch", answer)


def train_steps(model, batch, loss_fn, optimizer, steps, step=True):
    """Shared body of the wrong answers: returns initial and final loss."""
    inputs, targets = batch
    first = loss_fn(model(inputs), targets).item()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        if step:
            optimizer.step()
    return first, loss_fn(model(inputs), targets)


def only_checks_the_loss_falls(
    model, batch, loss_fn, optimizer, steps=500, max_loss=0.05
):
    first, last = train_steps(model, batch, loss_fn, optimizer, steps)
    return last.item() < first


def makes_its_own_optimizer(
    model, batch, loss_fn, optimizer, steps=500, max_loss=0.05
):
    own = torch.optim.Adam(model.parameters())
    _, last = train_steps(model, batch, loss_fn, own, steps)
    return last.item() < max_loss


def never_steps(model, batch, loss_fn, optimizer, steps=500, max_loss=0.05):
    _, last = train_steps(model, batch, loss_fn, optimizer, steps, step=False)
    return last.item() < max_loss


def returns_a_tensor(
    model, batch, loss_fn, optimizer, steps=500, max_loss=0.05
):
    _, last = train_steps(model, batch, loss_fn, optimizer, steps)
    return last < max_loss


def ignores_steps(model, batch, loss_fn, optimizer, steps=500, max_loss=0.05):
    _, last = train_steps(model, batch, loss_fn, optimizer, 500)
    return last.item() < max_loss


def ignores_max_loss(
    model, batch, loss_fn, optimizer, steps=500, max_loss=0.05
):
    _, last = train_steps(model, batch, loss_fn, optimizer, steps)
    return last.item() < 0.05


WRONG_SANITY_CHECKS = [
    (only_checks_the_loss_falls, "A falling loss is not enough"),
    (makes_its_own_optimizer, "Train with the `optimizer` you are"),
    (never_steps, "returned False for a working pipeline"),
    (returns_a_tensor, "returned a tensor"),
    (ignores_steps, "with steps=1 it returned True"),
    (ignores_max_loss, "Compare with the `max_loss` argument"),
    (stop_when_fitted, "optimiser steps, not steps=500"),
]


@pytest.mark.parametrize(
    ("answer", "message"),
    WRONG_SANITY_CHECKS,
    ids=[answer.__name__ for answer, _ in WRONG_SANITY_CHECKS],
)
def test_wrong_sanity_checks_fail(lesson, answer, message):
    with pytest.raises(AssertionError, match=message):
        run_answer(lesson, SANITY, "can_overfit_one_batch", answer)
