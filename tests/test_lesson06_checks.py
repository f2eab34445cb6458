"""Lesson 06's graded cells, tested as nbgrader runs them: correct
alternative answers must pass each real graded cell (visible checks and
hidden tests), plausible wrong ones must fail it with a message that
names the mistake, and a correct answer that warns must write nothing
to stderr. The independent answer bank (test_lesson06_bank.py) adds
many more answers; this file pins the messages."""

from __future__ import annotations

import warnings
from dataclasses import replace

import pytest
import torch
from torch import nn

from gaplab.checks.weight_decay import (
    PenaltyCase,
    mlp_6_5_3,
    require_regularisation_only,
)
from gaplab.experiments import OVERFIT_BASELINE, RunConfig
from gaplab.remedies.penalties import is_weight
from tests.notebook_tools import grade_answer

ASSIGNMENT = "06-weight-decay"
PENALTY = "l2_penalty_tests"
CONFIG = "decay_config_tests"


def grade_penalty(answer) -> None:
    grade_answer(ASSIGNMENT, PENALTY, "l2_penalty", answer)


def grade_config(answer) -> None:
    grade_answer(ASSIGNMENT, CONFIG, "decay_config", answer)


# ------------------------------------------------ exercise 1: l2_penalty


def with_library_test(model, strength):
    """Correct: the library's `is_weight` (allowed) and a Python loop."""
    total = None
    for parameter in model.parameters():
        if is_weight(parameter):
            term = (parameter * parameter).sum()
            total = term if total is None else total + term
    if total is None:
        return torch.zeros(())
    return 0.5 * strength * total


def through_parameters_to_vector(model, strength):
    """Correct: one flat vector of the weights, in the model's dtype."""
    weights = [p for p in model.parameters() if p.dim() >= 2]
    if not weights:
        return torch.zeros(())
    flat = nn.utils.parameters_to_vector(weights)
    return strength * flat.square().sum() / 2


def warns_but_is_right(model, strength):
    """Correct, but it raises a warning on the way."""
    warnings.warn("computing the penalty", UserWarning, stacklevel=1)
    return with_library_test(model, strength)


@pytest.mark.parametrize(
    "answer", [with_library_test, through_parameters_to_vector]
)
def test_alternative_penalties_pass(answer):
    grade_penalty(answer)


def test_a_warning_goes_to_stdout_not_stderr(capsys):
    grade_penalty(warns_but_is_right)
    printed = capsys.readouterr()
    assert "UserWarning: computing the penalty" in printed.out
    assert printed.err == ""


def weights(model):
    return [p for p in model.parameters() if p.ndim >= 2]


def scaled(factor, selection=weights, square=lambda w: w.pow(2).sum()):
    """A penalty factor x sum(square(w)) over `selection(model)`, with
    strength entering as `factor(strength)`."""

    def penalty(model, strength):
        terms = [square(w) for w in selection(model)]
        return factor(strength) * torch.stack(terms).sum()

    return penalty


def everything(model):
    return list(model.parameters())


def named_weight(model):
    return [p for n, p in model.named_parameters() if n.endswith("weight")]


def linear_only(model):
    return [m.weight for m in model.modules() if isinstance(m, nn.Linear)]


def detached(model, strength):
    return strength / 2 * sum(w.detach().pow(2).sum() for w in weights(model))


def as_float(model, strength):
    return float(strength / 2 * sum(w.pow(2).sum() for w in weights(model)))


def per_weight(model, strength):
    return strength / 2 * torch.stack([w.pow(2).sum() for w in weights(model)])


def float32_total(model, strength):
    total = torch.zeros(())
    for w in weights(model):
        total += w.pow(2).sum()
    return strength / 2 * total


def shrinks_in_place(model, strength):
    penalty = strength / 2 * sum(w.pow(2).sum() for w in weights(model))
    with torch.no_grad():
        for w in weights(model):
            w.mul_(0.5)
    return penalty


def raises(model, strength):
    return model.weights


WRONG_PENALTIES = [
    (scaled(lambda s: s), "twice the expected value"),
    (scaled(lambda s: s / 2, everything), "includes the 1-D parameters"),
    (scaled(lambda s: s / 2, named_weight), "names 'weight'"),
    (scaled(lambda s: s / 2, linear_only), "leaves out the convolution"),
    (scaled(lambda s: 0.5), "ignores `strength`"),
    (scaled(lambda s: s * s / 2), "strength squared"),
    (scaled(lambda s: s / 2, square=torch.linalg.vector_norm), "norms"),
    (
        scaled(lambda s: s / 2, square=lambda w: w.pow(2).mean()),
        "averages the squares of each weight",
    ),
    (scaled(lambda s: s / 2, square=lambda w: w.abs().sum()), "L1 penalty"),
    (scaled(lambda s: s // 2), "floor division"),
    (detached, "requires_grad is False"),
    (as_float, "not a torch.Tensor"),
    (per_weight, r"shape \(2,\)"),
    (float32_total, "torch.float32 tensor for a torch.float64 model"),
    (shrinks_in_place, "changed the model's parameters"),
    (raises, "raised AttributeError"),
]


@pytest.mark.parametrize(
    ("answer", "message"),
    WRONG_PENALTIES,
    ids=[message for _, message in WRONG_PENALTIES],
)
def test_wrong_penalties_fail_naming_the_mistake(answer, message):
    with pytest.raises(AssertionError, match=message):
        grade_penalty(answer)


def test_the_cases_are_repeatable_and_leave_the_random_state_alone():
    case = PenaltyCase("an MLP", mlp_6_5_3, 0.3)
    before = torch.random.get_rng_state()
    first, second = case.model(), case.model()
    assert torch.equal(torch.random.get_rng_state(), before)
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)
    assert all(p.min() >= 0.5 for p in first.parameters() if p.ndim < 2), (
        "1-D parameters must be far from zero"
    )


# ---------------------------------------------- exercise 2: decay_config


def test_an_alternative_config_passes():
    # An L1 penalty instead of L2: it closes the gap too (section 4).
    grade_config(replace(OVERFIT_BASELINE, l1=3e-4))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hidden": (256, 256)}, "hidden"),
        ({"n_train": 400}, "n_train"),
        ({"label_noise": 0.1}, "label_noise"),
        ({"epochs": 50}, "epochs"),
        ({"batch_size": 64}, "batch_size"),
        ({"lr": 3e-4}, "lr"),
        ({"dropout": 0.5}, "dropout"),
        ({"batch_norm": True}, "batch_norm"),
    ],
)
def test_a_config_that_changes_more_than_regularisation_fails(changes, field):
    answer = replace(OVERFIT_BASELINE, weight_decay=1e-2, **changes)
    with pytest.raises(AssertionError, match=f"decay_config changes {field}"):
        grade_config(answer)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (None, "is None"),
        ({"l2": 1e-2}, "must be a gaplab.experiments.RunConfig"),
        (OVERFIT_BASELINE, "is the baseline itself"),
        (RunConfig(l2=1e-2), "decay_config changes n_train"),
    ],
    ids=["none", "dict", "baseline", "default RunConfig"],
)
def test_configs_that_cannot_be_accepted_fail_before_training(answer, message):
    with pytest.raises(AssertionError, match=message):
        grade_config(answer)


def test_hidden_layers_written_as_a_list_are_the_baseline_s():
    answer = replace(OVERFIT_BASELINE, l2=1e-2, hidden=[512, 512])
    checked = require_regularisation_only(answer)
    assert checked == replace(OVERFIT_BASELINE, l2=1e-2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"l2": 1e-3}, "shrank by less than 50%.*decay more strongly"),
        ({"l2": 1.0}, "the model underfits, like the negative control"),
        ({"l2": -1e-2}, "could not be trained"),
    ],
    ids=["too weak", "too strong", "negative"],
)
def test_configs_that_do_not_close_the_gap_fail(changes, message):
    with pytest.raises(AssertionError, match=message):
        grade_config(replace(OVERFIT_BASELINE, **changes))
