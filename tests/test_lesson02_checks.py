"""Lesson 02's exercises: correct alternatives pass the notebook's real
graded cells (visible checks and hidden tests), and plausible mistakes fail
them with a message that names the mistake. The check functions are also
tested directly."""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from gaplab.checks import measuring
from gaplab.checks.measuring import (
    check_evaluate,
    check_plot_curves,
    check_train,
    check_train_one_epoch,
)
from gaplab.data import Dataset, Split
from gaplab.plotting import plot_history
from gaplab.training import Evaluation, History, evaluate
from gaplab.training import train_one_epoch as reference_train_one_epoch
from tests.notebook_tools import (
    grade_answer,
    namespace_before,
    run_graded_cell,
)

ASSIGNMENT = "02-measuring"


def passes_graded_cell(
    cell_id: str, name: str, answer: Any, capsys: pytest.CaptureFixture
) -> None:
    """Run the graded cell with `answer` in place of the learner's `name`;
    a correct answer must pass and write nothing to stderr, warnings
    included (nbgrader would score the cell 0)."""
    namespace = namespace_before(ASSIGNMENT, cell_id)
    capsys.readouterr()
    namespace[name] = answer
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_graded_cell(ASSIGNMENT, cell_id, namespace)
    plt.close("all")
    assert capsys.readouterr().err == ""


def fails_graded_cell(
    cell_id: str, name: str, answer: Any, message: str
) -> None:
    """The graded cell fails for `answer`, with `message` in the error."""
    with pytest.raises(AssertionError, match=message):
        grade_answer(ASSIGNMENT, cell_id, name, answer)


# -------------------------------------------------------------- evaluate


def evaluate_by_concatenation(
    model: nn.Module, split: Split, loss_fn: Any, batch_size: int = 256
) -> Evaluation:
    """Correct: gather all outputs batch by batch, then one loss call."""
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        outputs = torch.cat([model(x) for x, _ in split.batches(batch_size)])
    model.train(was_training)
    loss = loss_fn(outputs, split.y).item()
    accuracy = (outputs.argmax(1) == split.y).float().mean().item()
    return Evaluation(loss=loss, accuracy=accuracy)


def evaluate_with_items(
    model: nn.Module, split: Split, loss_fn: Any, batch_size: int = 256
) -> Evaluation:
    """Correct: per-batch Python floats, mode restored in a finally."""
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                total += loss_fn(outputs, targets).item() * len(targets)
                correct += int((outputs.argmax(1) == targets).sum())
    finally:
        model.train(was_training)
    return Evaluation(total / len(split), correct / len(split))


def batch_results(
    model: nn.Module, split: Split, loss_fn: Any, batch_size: int
) -> list[tuple[int, float, float]]:
    """Size, mean loss and accuracy of each batch, in eval mode."""
    with torch.no_grad():
        results = []
        for inputs, targets in split.batches(batch_size):
            outputs = model(inputs)
            accuracy = (outputs.argmax(1) == targets).float().mean().item()
            results.append(
                (len(targets), loss_fn(outputs, targets).item(), accuracy)
            )
    return results


def evaluate_without_eval_mode(model, split, loss_fn, batch_size=256):
    """Wrong: measures with dropout on."""
    with torch.no_grad():
        results = batch_results(model, split, loss_fn, batch_size)
    n = len(split)
    return Evaluation(
        sum(size * loss for size, loss, _ in results) / n,
        sum(size * acc for size, _, acc in results) / n,
    )


def evaluate_leaving_eval_mode(model, split, loss_fn, batch_size=256):
    """Wrong: never restores the previous mode."""
    model.eval()
    return evaluate_without_eval_mode(model, split, loss_fn, batch_size)


def evaluate_always_back_to_train(model, split, loss_fn, batch_size=256):
    """Wrong: ends with model.train() whatever the mode was."""
    result = evaluate_leaving_eval_mode(model, split, loss_fn, batch_size)
    model.train()
    return result


def evaluate_recording_gradients(model, split, loss_fn, batch_size=256):
    """Wrong: no torch.no_grad()."""
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    for inputs, targets in split.batches(batch_size):
        outputs = model(inputs)
        total += loss_fn(outputs, targets).item() * len(targets)
        correct += int((outputs.argmax(1) == targets).sum())
    model.train(was_training)
    return Evaluation(total / len(split), correct / len(split))


def evaluate_unweighted(model, split, loss_fn, batch_size=256):
    """Wrong: plain mean of batch means."""
    was_training = model.training
    model.eval()
    results = batch_results(model, split, loss_fn, batch_size)
    model.train(was_training)
    return Evaluation(
        sum(loss for _, loss, _ in results) / len(results),
        sum(acc for _, _, acc in results) / len(results),
    )


def evaluate_last_batch(model, split, loss_fn, batch_size=256):
    """Wrong: keeps only the last batch's numbers."""
    was_training = model.training
    model.eval()
    _, loss, accuracy = batch_results(model, split, loss_fn, batch_size)[-1]
    model.train(was_training)
    return Evaluation(loss, accuracy)


def evaluate_percentage(model, split, loss_fn, batch_size=256):
    """Wrong: accuracy in percent."""
    result = evaluate_with_items(model, split, loss_fn, batch_size)
    return Evaluation(result.loss, 100 * result.accuracy)


def evaluate_in_one_batch(model, split, loss_fn, batch_size=256):
    """Wrong: ignores batch_size and feeds the whole split at once."""
    return evaluate_with_items(model, split, loss_fn, len(split))


def evaluate_returning_tuple(model, split, loss_fn, batch_size=256):
    """Wrong: a tuple instead of an Evaluation."""
    result = evaluate_with_items(model, split, loss_fn, batch_size)
    return result.loss, result.accuracy


# The library's own evaluate, train_one_epoch and fit are references,
# not answers: tests/test_own_work.py shows that they score 0.
CORRECT_EVALUATES = [evaluate_by_concatenation, evaluate_with_items]
WRONG_EVALUATES = [
    (evaluate_without_eval_mode, "dropout was still on: two calls gave"),
    (evaluate_leaving_eval_mode, "left in eval mode: restore its previous"),
    (evaluate_always_back_to_train, "instead of always calling model.train"),
    (evaluate_recording_gradients, "gradients were recorded — wrap"),
    (evaluate_unweighted, "not weighted by batch size: the last batch has 5"),
    (evaluate_last_batch, "reported the last batch's loss"),
    (evaluate_percentage, "a percentage"),
    (evaluate_in_one_batch, "37 samples in one call but batch_size was 16"),
    (evaluate_returning_tuple, r"should return Evaluation\(loss=..."),
]


# ------------------------------------------------------- train_one_epoch


def train_one_epoch_by_index(model, split, loss_fn, optimizer, batch_size):
    """Correct: own permutation, zero_grad after the step, float sums."""
    model.train()
    order = torch.randperm(len(split))
    total = 0.0
    for start in range(0, len(split), batch_size):
        index = order[start : start + batch_size]
        loss = loss_fn(model(split.X[index]), split.y[index])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        total += loss.item() * len(index)
    return total / len(split)


def epoch_batch_losses(
    model, split, loss_fn, optimizer, batch_size, zero_grad=True
) -> list[tuple[int, torch.Tensor]]:
    """Train one shuffled epoch; each batch's size and loss (not detached,
    so that a wrong answer can misuse it)."""
    model.train()
    results = []
    for inputs, targets in split.batches(batch_size, shuffle=True):
        if zero_grad:
            optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        results.append((len(targets), loss))
    return results


def train_one_epoch_last_batch(model, split, loss_fn, optimizer, batch_size):
    """Wrong: returns the last batch's loss."""
    results = epoch_batch_losses(model, split, loss_fn, optimizer, batch_size)
    return results[-1][1].item()


def train_one_epoch_unweighted(model, split, loss_fn, optimizer, batch_size):
    """Wrong: plain mean of the batch losses."""
    results = epoch_batch_losses(model, split, loss_fn, optimizer, batch_size)
    return sum(loss.item() for _, loss in results) / len(results)


def train_one_epoch_no_zero_grad(model, split, loss_fn, optimizer, batch_size):
    """Wrong: gradients pile up from batch to batch."""
    results = epoch_batch_losses(
        model, split, loss_fn, optimizer, batch_size, zero_grad=False
    )
    return sum(n * loss.item() for n, loss in results) / len(split)


def train_one_epoch_no_train_mode(
    model, split, loss_fn, optimizer, batch_size
):
    """Wrong: trains in whatever mode the model arrived in."""
    total = 0.0
    for inputs, targets in split.batches(batch_size, shuffle=True):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
    return total / len(split)


def train_one_epoch_unshuffled(model, split, loss_fn, optimizer, batch_size):
    """Wrong: the same batch order every epoch."""
    model.train()
    total = 0.0
    for inputs, targets in split.batches(batch_size):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
    return total / len(split)


def train_one_epoch_drop_last(model, split, loss_fn, optimizer, batch_size):
    """Wrong: skips the ragged last batch, like drop_last=True."""
    model.train()
    total, seen = 0.0, 0
    for inputs, targets in split.batches(batch_size, shuffle=True):
        if len(targets) < batch_size:
            break
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
        seen += len(targets)
    return total / seen


def train_one_epoch_keeping_graph(
    model, split, loss_fn, optimizer, batch_size
):
    """Wrong: sums the losses themselves, keeping every graph."""
    results = epoch_batch_losses(model, split, loss_fn, optimizer, batch_size)
    return sum(n * loss for n, loss in results) / len(split)


CORRECT_EPOCHS = [train_one_epoch_by_index]
WRONG_EPOCHS = [
    (train_one_epoch_last_batch, "last batch's loss instead of the epoch"),
    (train_one_epoch_unweighted, "not weighted by batch size: the last batch"),
    (train_one_epoch_no_zero_grad, "gradients accumulated across batches"),
    (train_one_epoch_no_train_mode, "eval mode while training"),
    (train_one_epoch_unshuffled, "split's stored order: shuffle"),
    (train_one_epoch_drop_last, "used 96 of 100 samples"),
    (train_one_epoch_keeping_graph, "still carries autograd's graph"),
]


# ----------------------------------------------------------------- train


def train_with_dict(model, data, loss_fn, optimizer, epochs, batch_size):
    """Correct: a dict of lists, turned into a History at the end."""
    record: dict[str, list] = {name: [] for name in History().to_dict()}
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        running = reference_train_one_epoch(
            model, data.train, loss_fn, optimizer, batch_size
        )
        record["running_train_loss"].append(running)
        for name, split in (("train", data.train), ("val", data.val)):
            result = evaluate(model, split, loss_fn)
            record[f"{name}_loss"].append(result.loss)
            record[f"{name}_acc"].append(result.accuracy)
        record["epoch"].append(epoch)
        record["lr"].append(optimizer.param_groups[0]["lr"])
        record["epoch_time"].append(time.perf_counter() - start)
    return History.from_dict(record)


def train_variant(
    model,
    data,
    loss_fn,
    optimizer,
    epochs,
    batch_size,
    *,
    measure_first=False,
    running_as_train=False,
    eval_as_running=False,
    first_epoch=1,
    skip=(),
) -> History:
    """The reference loop with one mistake switched on."""
    history = History()
    for epoch in range(first_epoch, first_epoch + epochs):
        start = time.perf_counter()
        if measure_first:
            on_train = evaluate(model, data.train, loss_fn)
            on_val = evaluate(model, data.val, loss_fn)
        running = reference_train_one_epoch(
            model, data.train, loss_fn, optimizer, batch_size
        )
        if not measure_first:
            on_train = evaluate(model, data.train, loss_fn)
            on_val = evaluate(model, data.val, loss_fn)
        values = {
            "epoch": epoch,
            "running_train_loss": on_train.loss
            if eval_as_running
            else running,
            "train_loss": running if running_as_train else on_train.loss,
            "val_loss": on_val.loss,
            "train_acc": on_train.accuracy,
            "val_acc": on_val.accuracy,
            "lr": optimizer.param_groups[0]["lr"],
            "epoch_time": time.perf_counter() - start,
        }
        for name, value in values.items():
            if name not in skip:
                getattr(history, name).append(value)
    return history


def wrong_train(**mistake: Any):
    """A train function with one mistake, named for test ids."""

    def train(model, data, loss_fn, optimizer, epochs, batch_size):
        return train_variant(
            model, data, loss_fn, optimizer, epochs, batch_size, **mistake
        )

    train.__name__ = "train_" + "_".join(mistake)
    return train


def train_returning_dict(model, data, loss_fn, optimizer, epochs, batch_size):
    """Wrong: a plain dict instead of a History."""
    return train_with_dict(
        model, data, loss_fn, optimizer, epochs, batch_size
    ).to_dict()


CORRECT_TRAINS = [train_with_dict]
WRONG_TRAINS = [
    (
        wrong_train(running_as_train=True),
        r"the training loss in the history is the running \(train-mode\) "
        "loss, not the end-of-epoch eval-mode measurement",
    ),
    (wrong_train(measure_first=True), "measured before each epoch's"),
    (wrong_train(eval_as_running=True), "running_train_loss holds the eval"),
    (wrong_train(first_epoch=0), r"epochs count from 1\), got \[0, 1, 2\]"),
    (wrong_train(skip=("lr", "epoch_time")), "history.lr has 0 entries"),
    (train_returning_dict, "should return a gaplab History"),
]


# ----------------------------------------------------------- plot_curves


def plot_curves_by_hand(history: History):
    """Correct: three labelled loss lines and the accuracy panel, on a
    figure of its own."""
    fig, (ax, accuracy_ax) = plt.subplots(1, 2, figsize=(9.6, 3.2))
    ax.plot(history.epoch, history.train_loss, label="training")
    ax.plot(history.epoch, history.val_loss, label="validation")
    ax.plot(history.epoch, history.running_train_loss, "--", label="running")
    ax.legend()
    accuracy_ax.plot(history.epoch, history.train_acc, label="training")
    accuracy_ax.plot(history.epoch, history.val_acc, label="validation")
    return fig, [ax, accuracy_ax]


def plot_curves_without_running(history: History):
    """Wrong: plot_history alone."""
    return plot_history(history, show_accuracy=True)


def plot_curves_without_legend(history: History):
    """Wrong: the running line is drawn but the legend is not redrawn."""
    fig, axes = plot_history(history)
    axes[0].plot(history.epoch, history.running_train_loss, "--")
    return fig, axes


def plot_curves_returning_figure(history: History):
    """Wrong: returns only the figure."""
    fig, _ = plot_curves_by_hand(history)
    return fig


WRONG_PLOTS = [
    (plot_curves_without_running, "shows history.running_train_loss"),
    (plot_curves_without_legend, "not in the legend"),
    (plot_curves_returning_figure, r"should return \(fig, axes\)"),
]


# ------------------------------------- every exercise's real graded cell

CORRECT_ANSWERS = [
    *(("evaluate", answer) for answer in CORRECT_EVALUATES),
    *(("train_one_epoch", answer) for answer in CORRECT_EPOCHS),
    *(("train", answer) for answer in CORRECT_TRAINS),
    ("plot_curves", plot_curves_by_hand),
]
WRONG_ANSWERS = [
    *(("evaluate", *wrong) for wrong in WRONG_EVALUATES),
    *(("train_one_epoch", *wrong) for wrong in WRONG_EPOCHS),
    *(("train", *wrong) for wrong in WRONG_TRAINS),
    *(("plot_curves", *wrong) for wrong in WRONG_PLOTS),
]


@pytest.mark.parametrize(
    ("exercise", "answer"),
    CORRECT_ANSWERS,
    ids=[answer.__name__ for _, answer in CORRECT_ANSWERS],
)
def test_correct_answer_passes_graded_cell(exercise, answer, capsys):
    passes_graded_cell(f"{exercise}_tests", exercise, answer, capsys)


@pytest.mark.parametrize(
    ("exercise", "answer", "message"),
    WRONG_ANSWERS,
    ids=[answer.__name__ for _, answer, _ in WRONG_ANSWERS],
)
def test_wrong_answer_fails_graded_cell(exercise, answer, message):
    fails_graded_cell(f"{exercise}_tests", exercise, answer, message)


# ------------------------------------------------ the checks, called directly


@pytest.mark.parametrize(
    ("check", "answer"),
    [
        (check_evaluate, evaluate_by_concatenation),
        (check_train_one_epoch, train_one_epoch_by_index),
        (check_train, train_with_dict),
        (check_plot_curves, plot_curves_by_hand),
    ],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_a_passing_check_prints_one_line(check, answer, capsys):
    check(answer)
    out, err = capsys.readouterr()
    assert out.count("\n") == 1 and out.startswith(f"{check.__name__} passed")
    assert err == ""


@pytest.mark.parametrize(
    "check",
    [check_evaluate, check_train_one_epoch, check_train, check_plot_curves],
    ids=lambda c: c.__name__,
)
def test_a_check_needs_a_function(check):
    with pytest.raises(TypeError, match="pass your .* function itself"):
        check(3)


def test_checks_leave_the_callers_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check_train_one_epoch(reference_train_one_epoch)
    assert torch.equal(torch.rand(3), expected)


def test_checks_are_repeatable():
    """Each check runs under its own seed, so a wrong answer gets the same
    message every time."""
    messages = set()
    for _ in range(2):
        with pytest.raises(AssertionError) as error:
            check_evaluate(evaluate_without_eval_mode)
        messages.add(str(error.value))
    assert len(messages) == 1


def test_probe_separates_the_mistakes_far_beyond_tolerance():
    """The weighted mean, the unweighted mean and the last batch differ by
    much more than the checks' tolerance on the probe's validation split."""
    torch.manual_seed(0)
    model, data = measuring.make_probe()
    batches = measuring.batch_evaluations(
        model.net, data.val, measuring.EVAL_BATCH
    )
    weighted = measuring.reference_evaluation(model.net, data.val).loss
    unweighted = sum(e.loss for _, e in batches) / len(batches)
    last = batches[-1][1].loss
    for wrong in (unweighted, last):
        assert abs(wrong - weighted) > 100 * measuring.REL_TOL * weighted
    assert batches[-1][0] == 5


def test_probe_dataset_is_a_gaplab_dataset_with_ragged_batches():
    torch.manual_seed(0)
    _, data = measuring.make_probe()
    assert isinstance(data, Dataset)
    assert len(data.train) % measuring.TRAIN_BATCH == 4
    assert len(data.val) % measuring.EVAL_BATCH == 5


def test_check_evaluate_names_a_second_batch_size_dependence():
    """An answer right at batch size 16 but not at 10 is caught."""

    def evaluate_tuned(model, split, loss_fn, batch_size=256):
        if batch_size == measuring.EVAL_BATCH:
            return evaluate(model, split, loss_fn, batch_size)
        return evaluate_unweighted(model, split, loss_fn, batch_size)

    with pytest.raises(AssertionError, match="does not depend on how the"):
        check_evaluate(evaluate_tuned)


def test_check_train_one_epoch_names_a_missing_backward():
    def no_backward(model, split, loss_fn, optimizer, batch_size):
        model.train()
        for inputs, targets in split.batches(batch_size, shuffle=True):
            optimizer.zero_grad()
            loss_fn(model(inputs), targets)
            optimizer.step()
        return 0.0

    with pytest.raises(AssertionError, match="call loss.backward"):
        check_train_one_epoch(no_backward)


def test_check_train_names_a_wrong_learning_rate_record():
    def train_recording_lr_wrongly(*args):
        history = train_with_dict(*args)
        history.lr = [1.0] * len(history)
        return history

    with pytest.raises(AssertionError, match="param_groups"):
        check_train(train_recording_lr_wrongly)


def test_check_plot_curves_wants_the_eval_mode_losses():
    def only_running(history):
        fig, ax = plt.subplots()
        ax.plot(history.epoch, history.running_train_loss, label="running")
        ax.legend()
        return fig, [ax]

    with pytest.raises(AssertionError, match="start from plot_history"):
        check_plot_curves(only_running)
    plt.close("all")


def test_evaluations_agree_with_math():
    """The alternatives used above are themselves right."""
    torch.manual_seed(0)
    model, data = measuring.make_probe()
    expected = measuring.reference_evaluation(model.net, data.val)
    for answer in CORRECT_EVALUATES:
        got = answer(model.net, data.val, nn.CrossEntropyLoss(), 7)
        assert math.isclose(got.loss, expected.loss, rel_tol=1e-5)
        assert math.isclose(got.accuracy, expected.accuracy, rel_tol=1e-6)
