"""Lesson 07's graded cells, tested as nbgrader runs them: plausible wrong
answers fail each real graded cell with a message that names the
mistake, a correct answer that warns writes nothing to stderr, and a
blank answer raises NotImplementedError. The checks themselves are
tested too: they leave the global random state alone, and their oracle
(BatchNorm1d) agrees with the library's reference. The independent
answer bank (test_lesson07_bank.py) adds many more answers."""

from __future__ import annotations

import re
import warnings

import pytest
import torch
from torch import nn

from gaplab.checks.dropout_batch_norm import (
    NORM_CASES,
    check_batch_norm_step,
    check_inverted_dropout,
    check_step_values,
    reference_step,
)
from gaplab.remedies import Dropout, batch_norm_step
from tests.notebook_tools import grade_answer

ASSIGNMENT = "07-dropout-batchnorm"


def grade_dropout(answer) -> None:
    grade_answer(
        ASSIGNMENT, "InvertedDropout_tests", "InvertedDropout", answer
    )


def grade_step(answer) -> None:
    grade_answer(
        ASSIGNMENT, "batch_norm_step_tests", "batch_norm_step", answer
    )


# ------------------------------------------------- exercise 1: dropout


class Layer(nn.Module):
    """A correct layer whose mask and scale the subclasses change."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(p)
        self.p = p

    def mask(self, x: torch.Tensor) -> torch.Tensor:
        return torch.rand_like(x) >= self.p

    def scale(self) -> float:
        return 1 / (1 - self.p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        return x * self.mask(x) * self.scale()


class Warns(Layer):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        warnings.warn("dropping", UserWarning, stacklevel=1)
        return super().forward(x)


class KeepsP(Layer):
    def mask(self, x: torch.Tensor) -> torch.Tensor:
        return torch.rand_like(x) < self.p


class Unscaled(Layer):
    def scale(self) -> float:
        return 1.0


class OneMaskPerRow(Layer):
    def mask(self, x: torch.Tensor) -> torch.Tensor:
        return torch.rand(x.shape[0], 1) >= self.p


class MaskOnce(Layer):
    def mask(self, x: torch.Tensor) -> torch.Tensor:
        if not hasattr(self, "kept"):
            self.kept = {}
        return self.kept.setdefault(x.shape, super().mask(x))


class AlwaysDrops(Layer):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.mask(x) * self.scale()


class Detached(Layer):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x).detach()


class OnCpu(Layer):
    def mask(self, x: torch.Tensor) -> torch.Tensor:
        return torch.rand(x.shape) >= self.p


class AssertsP(nn.Module):
    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        assert 0 <= p < 1
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return Layer.forward(self, x)


def test_a_correct_answer_that_warns_writes_to_stdout_only(capsys):
    grade_dropout(Warns)
    printed = capsys.readouterr()
    assert "UserWarning: dropping" in printed.out
    assert printed.err == ""


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (KeepsP, "which is 1 - p: p is the probability to DROP"),
        (Unscaled, "the survivors are not scaled"),
        (OneMaskPerRow, "along a row were both dropped"),
        (MaskOnce, "the same elements on every call"),
        (AlwaysDrops, "in eval mode (self.training is False)"),
        (Detached, "no gradient reaches the input"),
        (OnCpu, "on meta, the layer raised"),
        (AssertsP, "raised AssertionError, not ValueError"),
    ],
    ids=lambda value: getattr(value, "__name__", "message"),
)
def test_a_wrong_layer_fails_naming_the_mistake(answer, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        grade_dropout(answer)


def test_a_blank_layer_raises_not_implemented():
    class Blank(nn.Module):
        def __init__(self, p: float = 0.5) -> None:
            super().__init__()
            raise NotImplementedError

    with pytest.raises(NotImplementedError):
        check_inverted_dropout(Blank)


def test_the_dropout_check_leaves_the_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check_inverted_dropout(Layer)
    assert torch.equal(torch.rand(3), expected)


def test_the_library_layer_passes_the_visible_check(capsys):
    check_inverted_dropout(Dropout)
    assert "scores 0" in capsys.readouterr().out


# ------------------------------------------- exercise 2: batch norm step


def step_with(normalise_var, running_var, momentum_on_batch=True):
    """A step whose variances and momentum are chosen by the caller."""

    def step(x, running_mean, old_var, momentum=0.1, eps=1e-5):
        mean = x.mean(0)
        y = (x - mean) / torch.sqrt(normalise_var(x) + eps)
        weight = momentum if momentum_on_batch else 1 - momentum
        return (
            y,
            (1 - weight) * running_mean + weight * mean,
            (1 - weight) * old_var + weight * running_var(x),
        )

    return step


def biased(x):
    return x.var(0, correction=0)


def unbiased(x):
    return x.var(0, correction=1)


def warns(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    warnings.warn("normalising", UserWarning, stacklevel=1)
    return step_with(biased, unbiased)(
        x, running_mean, running_var, momentum, eps
    )


def no_defaults(x, running_mean, running_var, momentum, eps):
    return step_with(biased, unbiased)(
        x, running_mean, running_var, momentum, eps
    )


def test_a_correct_step_that_warns_writes_to_stdout_only(capsys):
    grade_step(warns)
    printed = capsys.readouterr()
    assert "UserWarning: normalising" in printed.out
    assert printed.err == ""


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (step_with(unbiased, unbiased), "normalises with the unbiased"),
        (step_with(biased, biased), "averaged with the biased variance"),
        (
            step_with(biased, unbiased, momentum_on_batch=False),
            "the Keras way round",
        ),
        (no_defaults, "missing 2 required positional arguments"),
    ],
    ids=["unbiased_y", "biased_running", "keras_momentum", "no_defaults"],
)
def test_a_wrong_step_fails_naming_the_mistake(answer, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        grade_step(answer)


def test_the_oracle_agrees_with_the_library_reference():
    check_step_values(batch_norm_step, NORM_CASES)


def test_the_cases_are_repeatable_and_differ_from_each_other():
    for case in NORM_CASES:
        first, second = case.tensors(), case.tensors()
        assert all(
            torch.equal(a, b) for a, b in zip(first, second, strict=True)
        )
    x, mean, var = NORM_CASES[0].tensors()
    y, new_mean, new_var = reference_step(NORM_CASES[0], x, mean, var)
    # Features on their own scales: normalising changes them.
    assert not torch.allclose(y, x, atol=0.1)
    assert not torch.allclose(new_mean, mean, atol=0.01)


def test_a_blank_step_raises_not_implemented():
    def blank(x, running_mean, running_var, momentum=0.1, eps=1e-5):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        check_batch_norm_step(blank)


def test_the_reference_refuses_a_batch_it_cannot_normalise():
    with pytest.raises(ValueError, match="at least 2 examples"):
        batch_norm_step(torch.ones(1, 3), torch.zeros(3), torch.ones(3))
    with pytest.raises(ValueError, match=r"\(batch, features\)"):
        batch_norm_step(torch.ones(4), torch.zeros(4), torch.ones(4))
