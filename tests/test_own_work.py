"""References in the library cannot be handed in as answers.

For every exercise with a library reference, the real
graded cell (visible checks and hidden tests, as nbgrader runs them)
gives 0 to the reference itself and to every disguise of it, with a
message that asks for the learner's own code; the visible check, when it
fails, ends with the line that loads the reference; and a learner who
took every load line can still run each lesson to its end.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
import threading
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sklearn.metrics
import sklearn.preprocessing
import torch
import torch.nn.functional as F
from torch import nn

import gaplab.losses
from gaplab.checks import diagnosis, losses, measuring, overfitting
from gaplab.checks.capacity_optimisation import (
    check_pick_capacity,
    check_schedule_callback,
)
from gaplab.checks.data_problems import (
    check_balanced_accuracy,
    check_label_shift,
    check_near_duplicates,
    check_standardise,
)
from gaplab.checks.dropout_batch_norm import (
    check_batch_norm_step,
    check_inverted_dropout,
)
from gaplab.checks.early_stopping import check_early_stopping
from gaplab.checks.more_data import (
    check_shift_images,
    check_smoothed_cross_entropy,
)
from gaplab.checks.own_work import (
    EXERCISES,
    require_own_work,
    resolve,
)
from gaplab.checks.weight_decay import check_l2_penalty
from tests.notebook_tools import (
    grade_id,
    namespace_before,
    read_notebook,
    run_graded_cell,
    run_source,
    solution_notebooks,
    solution_path,
)

OWN_CODE = "this exercise asks for your own code"
# Exercises whose answer is not a function the library carries: the run
# configs of lessons 03 and 06.
WITHOUT_REFERENCE = {"overfit_config", "underfit_config", "decay_config"}
CHECKS: dict[str, Callable[..., None]] = {
    "mse": losses.check_mse,
    "mae": losses.check_mae,
    "huber": losses.check_huber,
    "cross_entropy": losses.check_cross_entropy,
    "evaluate": measuring.check_evaluate,
    "train_one_epoch": measuring.check_train_one_epoch,
    "train": measuring.check_train,
    "plot_curves": measuring.check_plot_curves,
    "can_overfit_one_batch": overfitting.check_can_overfit_one_batch,
    "gap_growth": diagnosis.check_gap_growth,
    "loss_acc_disagree": diagnosis.check_loss_acc_disagree,
    "diagnose": diagnosis.check_diagnose,
    "acceptable_run": diagnosis.check_acceptable_run,
    "EarlyStopping": check_early_stopping,
    "l2_penalty": check_l2_penalty,
    "InvertedDropout": check_inverted_dropout,
    "batch_norm_step": check_batch_norm_step,
    "shift_images": check_shift_images,
    "smoothed_cross_entropy": check_smoothed_cross_entropy,
    "standardise": check_standardise,
    "near_duplicates": check_near_duplicates,
    "label_shift": check_label_shift,
    "balanced_accuracy": check_balanced_accuracy,
    "pick_capacity": check_pick_capacity,
    "ScheduleCallback": check_schedule_callback,
}


def bound_by(load_line: str) -> dict[str, Any]:
    """The names a load line binds, and what it binds them to."""
    namespace: dict[str, Any] = {}
    exec(load_line, namespace)
    namespace.pop("__builtins__")
    return namespace


def grade(name: str, bindings: dict[str, Any]) -> None:
    """Run exercise `name`'s real graded cell with `bindings` in place of
    the learner's answers."""
    lesson = EXERCISES[name].lesson
    namespace = namespace_before(lesson, f"{name}_tests")
    namespace.update(bindings)
    try:
        run_graded_cell(lesson, f"{name}_tests", namespace)
    finally:
        plt.close("all")


def fails_as_not_own_work(name: str, bindings: dict[str, Any]) -> None:
    with pytest.raises(AssertionError, match=OWN_CODE) as error:
        grade(name, bindings)
    assert EXERCISES[name].load_line in str(error.value)


# ---------------------------------------------------------- the registry


def answer_cells(lesson: str) -> list[str]:
    """The grade_ids of a solution notebook's answer cells."""
    notebook = read_notebook(solution_path(lesson))
    return [
        grade_id(cell)
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    ]


def test_every_exercise_with_a_reference_is_registered():
    lessons = sorted({e.lesson for e in EXERCISES.values()})
    with_answers = [
        path.parent.name
        for path in solution_notebooks()
        if answer_cells(path.parent.name)
    ]
    assert lessons == with_answers
    for lesson in lessons:
        registered = {n for n, e in EXERCISES.items() if e.lesson == lesson}
        answers = set(answer_cells(lesson)) - WITHOUT_REFERENCE
        assert answers == registered, lesson


@pytest.mark.parametrize("name", EXERCISES)
def test_the_registry_entry_is_sound(name):
    entry = EXERCISES[name]
    # The load line imports the reference's module, so that it resolves.
    bound = bound_by(entry.load_line)
    for dotted in entry.forbidden:
        assert resolve(dotted) is not None, f"{dotted} does not exist"
    assert name in bound, "the load line must bind the answer's name"
    for value in bound.values():
        assert any(value is resolve(d) for d in entry.forbidden), value
    source = read_notebook(solution_path(entry.lesson)).cells
    graded = next(c for c in source if grade_id(c) == f"{name}_tests")
    hidden = graded.source.split("### BEGIN HIDDEN TESTS")[1]
    assert re.search(rf'require_own_work\(\s*"{name}"', hidden), (
        "the hidden tests must call require_own_work"
    )


def test_later_cells_use_exactly_what_the_gap_growth_line_binds():
    assert set(bound_by(EXERCISES["gap_growth"].load_line)) == {
        "slope",
        "gap_growth",
    }


# ------------------------------------------ references and their disguises


class Delegate:
    """A class whose instances call the reference."""

    def __init__(self, reference: Callable[..., Any]) -> None:
        self.reference = reference

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.reference(*args, **kwargs)


def disguises(name: str) -> dict[str, Callable[..., Any]]:
    """The exercise's reference, plainly and in disguise."""
    reference = bound_by(EXERCISES[name].load_line)[name]
    module = sys.modules[reference.__module__]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return reference(*args, **kwargs)

    return {
        "reference": reference,
        "def": wrapper,
        "lambda": lambda *args, **kwargs: reference(*args, **kwargs),
        "partial": functools.partial(reference),
        "class": Delegate(reference),
        "module attribute": lambda *args, **kwargs: getattr(
            module, reference.__name__
        )(*args, **kwargs),
    }


# Lesson 03's graded cell trains several pipelines in its visible check
# (about 25 s): the load line goes through it (below), the disguises
# through its hidden test's own probe.
SLOW = {"can_overfit_one_batch"}


@pytest.mark.parametrize("disguise", list(disguises("mse")))
@pytest.mark.parametrize("name", sorted(set(EXERCISES) - SLOW))
def test_the_reference_in_any_disguise_scores_zero(name, disguise):
    fails_as_not_own_work(name, {name: disguises(name)[disguise]})


@pytest.mark.parametrize("disguise", list(disguises("mse")))
def test_the_sanity_check_in_any_disguise_is_caught(disguise):
    answer = disguises("can_overfit_one_batch")[disguise]
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    batch = torch.randn(4, 2), torch.tensor([0, 1, 0, 1])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(AssertionError, match=OWN_CODE):
        require_own_work(
            "can_overfit_one_batch",
            answer,
            model,
            batch,
            nn.CrossEntropyLoss(),
            optimizer,
            steps=5,
        )


@pytest.mark.parametrize("name", EXERCISES)
def test_the_load_line_scores_zero(name):
    fails_as_not_own_work(name, bound_by(EXERCISES[name].load_line))


def test_own_gap_growth_on_the_library_slope_scores_zero():
    """The answer cell's helper is part of the answer."""
    from gaplab.diagnose import check_history, least_squares_slope

    def gap_growth(history, window=5):
        check_history(history, window)
        return least_squares_slope(history.gap[-window:])

    fails_as_not_own_work("gap_growth", {"gap_growth": gap_growth})
    namespace = namespace_before("04-diagnosing", "gap_growth_tests")
    fails_as_not_own_work(
        "gap_growth",
        {"gap_growth": namespace["gap_growth"], "slope": least_squares_slope},
    )


def reduced(losses: torch.Tensor, reduction: str) -> torch.Tensor:
    return losses.mean() if reduction == "mean" else losses.sum()


def per_row(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return logits[torch.arange(len(targets)), targets]


def standardise_by_hand(train, *others):
    """Lesson 09's exercise 1 without any library: the honest part of an
    answer that takes train's own scaling from scikit-learn."""
    std = train.std(dim=0, correction=0)
    std, mean = torch.where(std > 0, std, 1.0), train.mean(dim=0)
    return tuple((split - mean) / std for split in (train, *others))


BUILT_INS = [
    ("mse", lambda p, t, *, reduction="mean": F.mse_loss(
        p, t, reduction=reduction)),
    ("mse", lambda p, t, *, reduction="mean": nn.MSELoss(
        reduction=reduction)(p, t)),
    ("mse", lambda p, t, *, reduction="mean": 2 * F.huber_loss(
        p, t, delta=1e30, reduction=reduction)),
    ("mse", lambda p, t, *, reduction="mean": reduction == "mean" and
        float(sklearn.metrics.mean_squared_error(
            p.flatten().numpy(), t.flatten().numpy()))
        or ((p - t) ** 2).sum()),
    ("mae", lambda p, t, *, reduction="mean": F.l1_loss(
        p, t, reduction=reduction)),
    ("mae", lambda p, t, *, reduction="mean": nn.L1Loss(
        reduction=reduction)(p, t)),
    ("huber", lambda p, t, *, delta=1.0, reduction="mean": F.huber_loss(
        p, t, delta=delta, reduction=reduction)),
    ("huber", lambda p, t, *, delta=1.0, reduction="mean": delta *
        F.smooth_l1_loss(p, t, beta=delta, reduction=reduction)),
    ("huber", lambda p, t, *, delta=1.0, reduction="mean": nn.HuberLoss(
        delta=delta, reduction=reduction)(p, t)),
    ("cross_entropy", lambda z, y, *, reduction="mean": F.cross_entropy(
        z, y, reduction=reduction)),
    ("cross_entropy", lambda z, y, *, reduction="mean": nn.CrossEntropyLoss(
        reduction=reduction)(z, y)),
    ("cross_entropy", lambda z, y, *, reduction="mean": F.nll_loss(
        F.log_softmax(z, dim=1), y, reduction=reduction)),
    ("cross_entropy", lambda z, y, *, reduction="mean": reduced(
        torch.logsumexp(z, dim=1) - per_row(z, y), reduction)),
    ("cross_entropy", lambda z, y, *, reduction="mean": reduced(
        z.logsumexp(dim=1) - per_row(z, y), reduction)),
    ("cross_entropy", lambda z, y, *, reduction="mean": reduced(
        -per_row(gaplab.losses.log_softmax(z), y), reduction)),
    ("standardise", lambda train, *others: tuple(
        torch.from_numpy(scaler.transform(split.numpy())).to(split.dtype)
        for scaler in [sklearn.preprocessing.StandardScaler().fit(train)]
        for split in (train, *others))),
    ("standardise", lambda train, *others: (
        torch.from_numpy(sklearn.preprocessing.scale(train.numpy())),
        *standardise_by_hand(train, *others)[1:])),
    ("balanced_accuracy", lambda p, t: float(
        sklearn.metrics.balanced_accuracy_score(t, p))),
    ("balanced_accuracy", lambda p, t: float(sklearn.metrics.recall_score(
        t, p, average="macro", labels=t.unique().numpy()))),
    ("balanced_accuracy", lambda p, t: float(np.nanmean(
        np.diag(m := sklearn.metrics.confusion_matrix(t, p)) / m.sum(1)))),
]


@pytest.mark.parametrize(
    ("name", "answer"), BUILT_INS, ids=[n for n, _ in BUILT_INS]
)
def test_a_forbidden_built_in_scores_zero(name, answer):
    fails_as_not_own_work(name, {name: answer})


def test_an_earlier_exercise_s_reference_may_be_used():
    """A learner who took the load lines of exercises 1 and 2 of lesson
    04 can still write exercise 3 and score."""
    lesson = "04-diagnosing"
    namespace = namespace_before(lesson, "diagnose")
    for earlier in ("gap_growth", "loss_acc_disagree"):
        run_source(EXERCISES[earlier].load_line, namespace)
    notebook = read_notebook(solution_path(lesson))
    answer = next(c for c in notebook.cells if grade_id(c) == "diagnose")
    run_source(answer.source, namespace)
    run_graded_cell(lesson, "diagnose_tests", namespace)


# ------------------------------------------------------------ the mechanism


def own_mse(predictions, targets, *, reduction="mean"):
    return reduced((predictions - targets) ** 2, reduction)


def test_the_previous_profiler_is_put_back():
    def previous(frame, event, arg):
        pass

    inputs = torch.ones(2), torch.zeros(2)
    threading.setprofile(previous)
    sys.setprofile(previous)
    try:
        require_own_work("mse", own_mse, *inputs)
        with pytest.raises(AssertionError, match=OWN_CODE):
            require_own_work("mse", F.mse_loss, *inputs)
        assert sys.getprofile() is previous
        assert threading.getprofile() is previous
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    require_own_work("mse", own_mse, *inputs)
    assert sys.getprofile() is None and threading.getprofile() is None


def test_an_answer_that_raises_keeps_its_error():
    def broken(predictions, targets):
        raise NotImplementedError()

    def calls_then_breaks(predictions, targets):
        F.mse_loss(predictions, targets)
        raise ValueError("after the reference")

    with pytest.raises(NotImplementedError):
        require_own_work("mse", broken, torch.ones(2), torch.zeros(2))
    with pytest.raises(AssertionError, match=OWN_CODE):
        require_own_work("mse", calls_then_breaks, torch.ones(2), 1.0)
    assert sys.getprofile() is None


def test_switching_the_tracing_off_is_caught():
    def sneaky(predictions, targets, *, reduction="mean"):
        sys.setprofile(None)
        return gaplab.losses.mse(predictions, targets, reduction=reduction)

    with pytest.raises(AssertionError, match="sys.setprofile"):
        require_own_work("mse", sneaky, torch.ones(2), torch.zeros(2))
    assert sys.getprofile() is None


def test_a_thread_does_not_hide_the_reference():
    def threaded(predictions, targets, *, reduction="mean"):
        result = []
        worker = threading.Thread(
            target=lambda: result.append(
                gaplab.losses.mse(predictions, targets, reduction=reduction)
            )
        )
        worker.start()
        worker.join()
        return result[0]

    with pytest.raises(AssertionError, match="gaplab.losses.mse"):
        require_own_work("mse", threaded, torch.ones(2), torch.zeros(2))


# ---------------------------------------------------------- visible checks


def wrong_answer(*args: Any, **kwargs: Any) -> Any:
    """Returns nothing useful, whatever the exercise."""
    return None


@pytest.mark.parametrize("name", EXERCISES)
def test_a_failing_check_ends_with_the_load_line(name):
    with pytest.raises(Exception) as error:
        CHECKS[name](wrong_answer)
    notes = getattr(error.value, "__notes__", [])
    text = "\n".join([str(error.value), *notes])
    plt.close("all")
    assert "scores 0" in text
    assert text.rstrip().splitlines()[-1] == EXERCISES[name].load_line


@pytest.mark.parametrize("name", ["mse", "evaluate", "loss_acc_disagree"])
def test_a_passing_check_on_the_reference_warns_on_stdout(name, capsys):
    CHECKS[name](bound_by(EXERCISES[name].load_line)[name])
    printed = capsys.readouterr()
    assert f"Note: {name}: {OWN_CODE}" in printed.out
    assert printed.err == ""


# ----------------------------------- the lessons run on the references


def test_the_load_lines_parse_as_one_import():
    for entry in EXERCISES.values():
        (statement,) = ast.parse(entry.load_line).body
        assert isinstance(statement, ast.ImportFrom)
