"""An independent bank of learner answers to the two exercises of lesson
07 (`InvertedDropout` and `batch_norm_step`), written from the exercise
spec alone, before the checks existed, by a tester who never saw them;
run through the real graded cells (visible checks and hidden tests).

Every correct answer, in whatever style, must be accepted; every wrong
one, a mistake that learners reading the text really make, must fail
with an AssertionError, which carries the check's message (any other
exception would also score 0 under nbgrader; the tests name it).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from tests.notebook_tools import grade_answer, refuse_answer

ASSIGNMENT = "07-dropout-batchnorm"


# ======================================================== exercise 1
# ------------------------------------------------------ correct answers


class DropoutRandLike(nn.Module):
    """A rand_like mask kept where u >= p, survivors divided by 1 - p;
    early return in eval mode and for p = 0."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.rand_like(x) >= self.p
        return x * keep / (1 - self.p)


class DropoutBernoulli(nn.Module):
    """torch.bernoulli of the keep probability; no special case for
    p = 0 (the mask is then all ones, x * 1 / 1 is x)."""

    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p >= 1:
            raise ValueError("p is a drop probability in [0, 1)")
        self.p = p

    def forward(self, x):
        if self.training:
            mask = torch.bernoulli(torch.full_like(x, 1 - self.p))
            return x * mask / (1 - self.p)
        return x


class DropoutWhere(nn.Module):
    """torch.where between the scaled input and zeros; the uniforms are
    drawn with torch.rand on the input's device (float32 always)."""

    def __init__(self, p=0.5):
        super().__init__()
        if not (0.0 <= p < 1.0):
            raise ValueError(p)
        self.p = float(p)

    def forward(self, x):
        if not self.training:
            return x
        keep_prob = 1.0 - self.p
        keep = torch.rand(x.shape, device=x.device) < keep_prob
        return torch.where(keep, x / keep_prob, torch.zeros_like(x))


class DropoutInPlaceMask(nn.Module):
    """bernoulli_ in place on a fresh tensor, scaled in place; the input
    itself is never touched."""

    def __init__(self, p=0.5):
        super().__init__()
        if p < 0.0 or p >= 1.0:
            raise ValueError(f"invalid drop probability {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        mask = torch.empty_like(x).bernoulli_(1.0 - self.p)
        return x * mask.div_(1.0 - self.p)


class DropoutMaskedFill(nn.Module):
    """Draw the DROP mask (u < p), masked_fill it with zeros, then scale."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError("p must satisfy 0 <= p < 1")
        self.p = p

    def forward(self, x):
        if self.training and self.p > 0:
            drop = torch.rand_like(x) < self.p
            return x.masked_fill(drop, 0.0) / (1.0 - self.p)
        return x


def inverted_dropout(x, p, training):
    """The functional form a learner writes first, then wraps."""
    if not training or p == 0:
        return x
    return x * (torch.rand_like(x) > p).to(x.dtype) / (1 - p)


class DropoutFunctionHelper(nn.Module):
    """forward delegates to a module-level function."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"p={p} outside [0, 1)")
        self.p = p

    def forward(self, x):
        return inverted_dropout(x, self.p, self.training)


def make_dropout_class():
    """A class built in a closure, its mask drawn by a local helper."""

    def draw_keep(x, p):
        return torch.rand_like(x).ge(p)

    class FactoryDropout(nn.Module):
        def __init__(self, p=0.5):
            super().__init__()
            if not 0 <= p < 1:
                raise ValueError("bad p")
            self.p = p

        def forward(self, x):
            if not self.training:
                return x
            return x * draw_keep(x, self.p) * (1.0 / (1.0 - self.p))

    return FactoryDropout


DropoutFromFactory = make_dropout_class()


class DropoutScaledMask(nn.Module):
    """Keeps the keep probability as a second attribute beside p and
    folds the scale into a float mask: mask = [u > p] / keep_prob."""

    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p >= 1:
            raise ValueError(f"expected 0 <= p < 1, got {p}")
        self.p = float(p)
        self.keep_prob = 1.0 - self.p

    def forward(self, x):
        if self.training and self.p != 0.0:
            mask = torch.rand_like(x).gt(self.p).to(x.dtype)
            return x.mul(mask.mul_(1.0 / self.keep_prob))
        return x

    def extra_repr(self):
        return f"p={self.p}"


class DropoutUniform(nn.Module):
    """uniform_ on an empty_like tensor for the uniforms."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError("p must be in [0, 1)")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        u = torch.empty_like(x).uniform_(0.0, 1.0)
        return torch.where(u >= self.p, x / (1 - self.p), x * 0)


CORRECT_DROPOUT = [
    DropoutRandLike,
    DropoutBernoulli,
    DropoutWhere,
    DropoutInPlaceMask,
    DropoutMaskedFill,
    DropoutFunctionHelper,
    DropoutFromFactory,
    DropoutScaledMask,
    DropoutUniform,
]


@pytest.mark.parametrize("answer", CORRECT_DROPOUT, ids=lambda c: c.__name__)
def test_a_correct_inverted_dropout_passes(answer):
    grade_answer(
        ASSIGNMENT, "InvertedDropout_tests", "InvertedDropout", answer
    )


# -------------------------------------------------------- wrong answers


class _Checked(nn.Module):
    """A correct __init__ (stores p, refuses p outside [0, 1)): the wrong
    answers built on it differ from the spec in forward only."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p


class KeepProbability(_Checked):
    """Reads p as the KEEP probability: keeps with probability p and
    divides by p."""

    def forward(self, x):
        if not self.training:
            return x
        keep = torch.rand_like(x) < self.p
        return x * keep / self.p


class KeepsWithProbabilityP(_Checked):
    """Keeps with probability p (the comparison the wrong way round) but
    scales by 1 / (1 - p)."""

    def forward(self, x):
        if not self.training:
            return x
        keep = torch.rand_like(x) < self.p
        return x * keep / (1 - self.p)


class NotScaled(_Checked):
    """Zeroes with probability p but forgets to scale the survivors."""

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p)


class MultipliesByKeepProb(_Checked):
    """Multiplies the survivors by 1 - p instead of dividing."""

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p) * (1 - self.p)


class DividesByP(_Checked):
    """Divides the survivors by p instead of 1 - p."""

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p) / self.p


class ClassicDropout(_Checked):
    """Non-inverted dropout: no scaling in training, multiplies by 1 - p
    in eval mode."""

    def forward(self, x):
        if self.training:
            return x * (torch.rand_like(x) >= self.p)
        return x * (1 - self.p)


class IgnoresEval(_Checked):
    """Drops in eval mode too (never looks at self.training)."""

    def forward(self, x):
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


class GradModeAsEval(_Checked):
    """Takes torch.no_grad() for eval mode instead of self.training."""

    def forward(self, x):
        if not torch.is_grad_enabled():
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


class ReadsTrainMethod(_Checked):
    """Tests `self.train` (the method, always true) instead of
    `self.training`, so it drops in eval mode too."""

    def forward(self, x):
        if self.train:
            return x * (torch.rand_like(x) >= self.p) / (1 - self.p)
        return x


class OwnTrainingFlag(_Checked):
    """Keeps its own training flag, which model.eval() never changes."""

    def __init__(self, p=0.5):
        super().__init__(p)
        self.is_training = True

    def forward(self, x):
        if not self.is_training:
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


class InPlaceOnInput(_Checked):
    """Zeroes and scales the input tensor in place (the caller's tensor
    changes; a leaf that requires grad cannot be changed in place)."""

    def forward(self, x):
        if not self.training:
            return x
        x.mul_(torch.rand_like(x) >= self.p).div_(1 - self.p)
        return x


class ThroughData(_Checked):
    """Works on x.data, so no gradient reaches the input."""

    def forward(self, x):
        if not self.training:
            return x
        return x.data * (torch.rand_like(x) >= self.p) / (1 - self.p)


class UnderNoGrad(_Checked):
    """Computes the output under torch.no_grad(): no gradient flows."""

    def forward(self, x):
        if not self.training:
            return x
        with torch.no_grad():
            return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


class NumpyRandom(_Checked):
    """Draws the mask from numpy's generator, which torch.manual_seed
    does not reach."""

    def forward(self, x):
        if not self.training:
            return x
        u = np.random.random_sample(tuple(x.shape))
        keep = torch.as_tensor(u >= self.p, device=x.device)
        return x * keep / (1 - self.p)


class PrivateGenerator(_Checked):
    """Draws from its own torch.Generator seeded once in __init__, which
    torch.manual_seed does not reach."""

    def __init__(self, p=0.5):
        super().__init__(p)
        self.generator = torch.Generator().manual_seed(0)

    def forward(self, x):
        if not self.training:
            return x
        u = torch.rand(x.shape, generator=self.generator, dtype=x.dtype)
        return x * (u.to(x.device) >= self.p) / (1 - self.p)


class CachedMask(_Checked):
    """Draws the mask once and reuses it on every later call of the same
    shape: the elements are not dropped independently call to call."""

    def __init__(self, p=0.5):
        super().__init__(p)
        self.mask = None

    def forward(self, x):
        if not self.training:
            return x
        if self.mask is None or self.mask.shape != x.shape:
            self.mask = torch.rand_like(x) >= self.p
        return x * self.mask.to(x.device) / (1 - self.p)


class SharedAcrossBatch(_Checked):
    """One mask over the features, shared by every example of the batch
    (not each element independently)."""

    def forward(self, x):
        if not self.training:
            return x
        keep = torch.rand(x.shape[1:], device=x.device) >= self.p
        return x * keep / (1 - self.p)


class WholeRows(_Checked):
    """Drops whole examples (one draw per row) instead of elements."""

    def forward(self, x):
        if not self.training:
            return x
        shape = (x.shape[0],) + (1,) * (x.dim() - 1)
        keep = torch.rand(shape, device=x.device) >= self.p
        return x * keep / (1 - self.p)


class TwoDimOnly(_Checked):
    """Draws a mask of shape (x.size(0), x.size(1)): only 2-D inputs."""

    def forward(self, x):
        if not self.training:
            return x
        u = torch.rand(x.size(0), x.size(1), device=x.device)
        return x * (u >= self.p) / (1 - self.p)


class RoundedMask(_Checked):
    """torch.round of uniforms as the mask: drops half the units whatever
    p is, then scales by 1 / (1 - p)."""

    def forward(self, x):
        if not self.training:
            return x
        return x * torch.round(torch.rand_like(x)) / (1 - self.p)


class HardCodedHalf(_Checked):
    """Stores p but drops with a hard-coded 0.5 (ignores the argument)."""

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= 0.5) / 0.5


class StoresKeepAsP(nn.Module):
    """Stores the keep probability 1 - p under the name `p`."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(p)
        self.p = 1 - p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) < self.p) / self.p


class StoresAsRate(nn.Module):
    """Stores p as `self.rate`, not as `self.p`."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(p)
        self.rate = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.rate) / (1 - self.rate)


class NoValidation(nn.Module):
    """Never checks p: no ValueError for p < 0 or p >= 1."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


class AllowsPOne(nn.Module):
    """`<=` for `<`: accepts p = 1 (and then divides by zero)."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(p)
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


class AllowsNegativeP(nn.Module):
    """Checks only the upper end: accepts p < 0."""

    def __init__(self, p=0.5):
        super().__init__()
        if p >= 1:
            raise ValueError(p)
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


class AssertsRange(nn.Module):
    """An assert instead of raising ValueError."""

    def __init__(self, p=0.5):
        super().__init__()
        assert 0 <= p < 1, "p must be in [0, 1)"
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


class RaisesPlainException(nn.Module):
    """Raises a bare Exception, not ValueError, for a bad p."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise Exception(f"bad p {p}")  # noqa: TRY002
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


class ExactFraction(_Checked):
    """Drops exactly round(p * n) elements chosen by randperm, not each
    element independently with probability p."""

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        n = x.numel()
        drop = torch.randperm(n, device=x.device)[: round(self.p * n)]
        keep = torch.ones(n, device=x.device, dtype=x.dtype)
        keep[drop] = 0
        return x * keep.view(x.shape) / (1 - self.p)


class RescaleByKeptCount(_Checked):
    """Scales the survivors by numel / kept instead of 1 / (1 - p)."""

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = (torch.rand_like(x) >= self.p).to(x.dtype)
        return x * keep * keep.numel() / keep.sum().clamp(min=1)


class MaskOnCpu(_Checked):
    """Draws the mask with torch.rand(x.shape) on the CPU, whatever the
    input's device."""

    def forward(self, x):
        if not self.training:
            return x
        keep = torch.rand(x.shape) >= self.p
        return x * keep / (1 - self.p)


class CastsToFloat32(_Checked):
    """Casts to float32: a float64 input comes back float32."""

    def forward(self, x):
        if not self.training:
            return x.float()
        keep = (torch.rand_like(x) >= self.p).float()
        return x.float() * keep / (1 - self.p)


class ForgetsSuperInit(nn.Module):
    """Forgets super().__init__(), so nn.Module is never set up."""

    def __init__(self, p=0.5):  # noqa: B027
        if not 0 <= p < 1:
            raise ValueError(p)
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


class WrapsNnDropout(_Checked):
    """Uses torch.nn.Dropout (forbidden) as a submodule."""

    def __init__(self, p=0.5):
        super().__init__(p)
        self.drop = nn.Dropout(p)

    def forward(self, x):
        return self.drop(x)


class CallsFunctionalDropout(_Checked):
    """Calls torch.nn.functional.dropout (forbidden)."""

    def forward(self, x):
        return F.dropout(x, self.p, self.training)


class CallsTorchDropout(_Checked):
    """Calls torch.dropout, another built-in dropout (forbidden)."""

    def forward(self, x):
        return torch.dropout(x, self.p, self.training)


def _library_dropout():
    from gaplab.remedies import Dropout

    return Dropout


class SubclassesLibraryDropout(nn.Module):
    """Hands the work to gaplab.remedies.Dropout (forbidden)."""

    def __init__(self, p=0.5):
        super().__init__()
        self.inner = _library_dropout()(p)
        self.p = p

    def forward(self, x):
        return self.inner(x)


WRONG_DROPOUT = [
    KeepProbability,
    KeepsWithProbabilityP,
    NotScaled,
    MultipliesByKeepProb,
    DividesByP,
    ClassicDropout,
    IgnoresEval,
    GradModeAsEval,
    ReadsTrainMethod,
    OwnTrainingFlag,
    InPlaceOnInput,
    ThroughData,
    UnderNoGrad,
    NumpyRandom,
    PrivateGenerator,
    CachedMask,
    SharedAcrossBatch,
    WholeRows,
    TwoDimOnly,
    RoundedMask,
    HardCodedHalf,
    StoresKeepAsP,
    StoresAsRate,
    NoValidation,
    AllowsPOne,
    AllowsNegativeP,
    AssertsRange,
    RaisesPlainException,
    ExactFraction,
    RescaleByKeptCount,
    MaskOnCpu,
    CastsToFloat32,
    ForgetsSuperInit,
    WrapsNnDropout,
    CallsFunctionalDropout,
    CallsTorchDropout,
    SubclassesLibraryDropout,
]


@pytest.mark.parametrize("answer", WRONG_DROPOUT, ids=lambda c: c.__name__)
def test_a_wrong_inverted_dropout_fails(answer):
    refuse_answer(
        ASSIGNMENT, "InvertedDropout_tests", "InvertedDropout", answer
    )


# ======================================================== exercise 2
# ------------------------------------------------------ correct answers


def bn_torch_var(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """torch.var with unbiased=False for y and unbiased=True for the
    running variance."""
    mean = x.mean(dim=0)
    var = x.var(dim=0, unbiased=False)
    y = (x - mean) / torch.sqrt(var + eps)
    new_mean = (1 - momentum) * running_mean + momentum * mean
    new_var = (1 - momentum) * running_var + momentum * x.var(
        dim=0, unbiased=True
    )
    return y, new_mean, new_var


def bn_correction_lerp(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """correction=0 / correction=1, rsqrt, and torch.lerp for the
    running update (old + momentum * (new - old))."""
    mean = torch.mean(x, 0)
    y = (x - mean) * torch.rsqrt(torch.var(x, 0, correction=0) + eps)
    new_mean = torch.lerp(running_mean, mean, momentum)
    new_var = torch.lerp(running_var, torch.var(x, 0, correction=1), momentum)
    return y, new_mean, new_var


def bn_feature_loop(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """One feature at a time, sums written out, stacked at the end."""
    n = x.shape[0]
    ys, means, variances = [], [], []
    for j in range(x.shape[1]):
        column = x[:, j]
        mean = column.sum() / n
        squares = ((column - mean) ** 2).sum()
        ys.append((column - mean) / torch.sqrt(squares / n + eps))
        means.append((1 - momentum) * running_mean[j] + momentum * mean)
        variances.append(
            (1 - momentum) * running_var[j] + momentum * squares / (n - 1)
        )
    return torch.stack(ys, dim=1), torch.stack(means), torch.stack(variances)


def bn_welford(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """A loop over the rows (Welford's running mean and sum of squares)."""
    mean = torch.zeros_like(x[0])
    m2 = torch.zeros_like(x[0])
    n = 0
    for row in x:
        n += 1
        delta = row - mean
        mean = mean + delta / n
        m2 = m2 + delta * (row - mean)
    y = (x - mean) / (m2 / n + eps) ** 0.5
    keep = 1 - momentum
    return (
        y,
        keep * running_mean + momentum * mean,
        keep * running_var + momentum * (m2 / (n - 1)),
    )


def bn_var_mean(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """torch.var_mean, the unbiased variance by Bessel's factor."""
    n = x.shape[0]
    var, mean = torch.var_mean(x, dim=0, unbiased=False)
    unbiased = var * n / (n - 1)
    y = (x - mean) / (var + eps).sqrt()
    return (
        y,
        running_mean * (1 - momentum) + mean * momentum,
        running_var * (1 - momentum) + unbiased * momentum,
    )


def bn_operators(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Only operators and .mean(0): the same code runs on numpy arrays."""
    n = len(x)
    mean = x.mean(0)
    centred = x - mean
    biased = (centred**2).mean(0)
    y = centred / (biased + eps) ** 0.5
    unbiased = biased * (n / (n - 1))
    new_mean = running_mean + momentum * (mean - running_mean)
    new_var = running_var + momentum * (unbiased - running_var)
    return y, new_mean, new_var


def bn_keepdim_sums(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """keepdim=True statistics from sums, squeezed for the running ones."""
    n = x.size(0)
    mean = x.sum(dim=0, keepdim=True) / n
    ss = ((x - mean) ** 2).sum(dim=0, keepdim=True)
    y = (x - mean) / torch.sqrt(ss / n + eps)
    new_mean = (1 - momentum) * running_mean + momentum * mean.squeeze(0)
    new_var = (1 - momentum) * running_var + momentum * (
        ss.squeeze(0) / (n - 1)
    )
    return y, new_mean, new_var


def bn_copies_in_place(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Clones the running statistics, then updates the CLONES in place."""
    mean = x.mean(0)
    new_mean = running_mean.clone()
    new_mean.mul_(1 - momentum).add_(momentum * mean)
    new_var = running_var.clone()
    new_var.mul_(1 - momentum).add_(momentum * x.var(0))
    y = (x - mean) / torch.sqrt(x.var(0, unbiased=False) + eps)
    return y, new_mean, new_var


def bn_einsum(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Sum of squares per feature by einsum."""
    n = x.shape[0]
    mean = x.mean(0)
    centred = x - mean
    ss = torch.einsum("ij,ij->j", centred, centred)
    y = centred / torch.sqrt(ss / n + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * ss / (n - 1),
    )


def bn_std(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """From standard deviations, squared back into variances."""
    mean = x.mean(0)
    std_biased = x.std(0, unbiased=False)
    std_unbiased = x.std(0, unbiased=True)
    y = (x - mean) / torch.sqrt(std_biased**2 + eps)
    new_mean = (1 - momentum) * running_mean + momentum * mean
    new_var = (1 - momentum) * running_var + momentum * std_unbiased**2
    return y, new_mean, new_var


CORRECT_BATCH_NORM = [
    bn_torch_var,
    bn_correction_lerp,
    bn_feature_loop,
    bn_welford,
    bn_var_mean,
    bn_operators,
    bn_keepdim_sums,
    bn_copies_in_place,
    bn_einsum,
    bn_std,
]


@pytest.mark.parametrize(
    "answer", CORRECT_BATCH_NORM, ids=lambda f: f.__name__
)
def test_a_correct_batch_norm_step_passes(answer):
    grade_answer(
        ASSIGNMENT, "batch_norm_step_tests", "batch_norm_step", answer
    )


# -------------------------------------------------------- wrong answers


def _stats(x):
    """Batch mean, biased and unbiased variance, as the spec has them."""
    return x.mean(0), x.var(0, unbiased=False), x.var(0, unbiased=True)


def biased_running_var(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """The BIASED variance in the running update too."""
    mean, biased, _ = _stats(x)
    y = (x - mean) / torch.sqrt(biased + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * biased,
    )


def unbiased_everywhere(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """The UNBIASED variance (torch.var's default) to normalise too."""
    mean = x.mean(0)
    var = x.var(0)
    y = (x - mean) / torch.sqrt(var + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * var,
    )


def swapped_variances(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Unbiased to normalise, biased for the running variance."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / torch.sqrt(unbiased + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * biased,
    )


def eps_outside_sqrt(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Adds eps to the standard deviation, not to the variance."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / (torch.sqrt(biased) + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * unbiased,
    )


def no_eps(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Forgets eps: divides by sqrt(var)."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / torch.sqrt(biased)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * unbiased,
    )


def hard_coded_eps(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Ignores the eps argument (always 1e-5)."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / torch.sqrt(biased + 1e-5)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * unbiased,
    )


def hard_coded_momentum(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Ignores the momentum argument (always 0.1)."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / torch.sqrt(biased + eps)
    return (
        y,
        0.9 * running_mean + 0.1 * mean,
        0.9 * running_var + 0.1 * unbiased,
    )


def keras_momentum(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Momentum the Keras way round: momentum * old + (1 - momentum) *
    batch stat."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / torch.sqrt(biased + eps)
    return (
        y,
        momentum * running_mean + (1 - momentum) * mean,
        momentum * running_var + (1 - momentum) * unbiased,
    )


def running_not_updated(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Returns the old running statistics unchanged."""
    mean, biased, _ = _stats(x)
    y = (x - mean) / torch.sqrt(biased + eps)
    return y, running_mean, running_var


def running_replaced(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Replaces the running statistics by the batch's (no average)."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / torch.sqrt(biased + eps)
    return y, mean, unbiased


def per_example_axis(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Statistics over dim=1 (each example's features: layer norm)
    instead of over the batch."""
    mean = x.mean(dim=1, keepdim=True)
    biased = x.var(dim=1, unbiased=False, keepdim=True)
    unbiased = x.var(dim=1, keepdim=True)
    y = (x - mean) / torch.sqrt(biased + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean.squeeze(1),
        (1 - momentum) * running_var + momentum * unbiased.squeeze(1),
    )


def whole_tensor_stats(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """One mean and variance over the whole batch tensor, not per
    feature."""
    mean = x.mean()
    biased = x.var(unbiased=False)
    y = (x - mean) / torch.sqrt(biased + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * x.var(),
    )


def updates_inputs_in_place(
    x, running_mean, running_var, momentum=0.1, eps=1e-5
):
    """Updates the running tensors it was given in place (mul_/add_) and
    returns them."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / torch.sqrt(biased + eps)
    running_mean.mul_(1 - momentum).add_(momentum * mean)
    running_var.mul_(1 - momentum).add_(momentum * unbiased)
    return y, running_mean, running_var


def augmented_assignment(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """`*=` and `+=` on the running tensors: in place on the caller's
    tensors (a stored reference, not a copy)."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / torch.sqrt(biased + eps)
    new_mean = running_mean
    new_mean *= 1 - momentum
    new_mean += momentum * mean
    new_var = running_var
    new_var *= 1 - momentum
    new_var += momentum * unbiased
    return y, new_mean, new_var


def normalises_x_in_place(
    x, running_mean, running_var, momentum=0.1, eps=1e-5
):
    """Normalises x in place (`-=`, `/=`) and returns it as y."""
    mean, biased, unbiased = _stats(x)
    new_mean = (1 - momentum) * running_mean + momentum * mean
    new_var = (1 - momentum) * running_var + momentum * unbiased
    x -= mean
    x /= torch.sqrt(biased + eps)
    return x, new_mean, new_var


def running_from_y(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Takes the running statistics from the normalised output y."""
    mean, biased, _ = _stats(x)
    y = (x - mean) / torch.sqrt(biased + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * y.mean(0),
        (1 - momentum) * running_var + momentum * y.var(0),
    )


def running_std(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Averages the standard deviation into the running variance."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / torch.sqrt(biased + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * unbiased.sqrt(),
    )


def normalises_with_new_running(
    x, running_mean, running_var, momentum=0.1, eps=1e-5
):
    """Normalises with the updated running statistics (eval-mode
    behaviour), not the batch's."""
    mean, _, unbiased = _stats(x)
    new_mean = (1 - momentum) * running_mean + momentum * mean
    new_var = (1 - momentum) * running_var + momentum * unbiased
    y = (x - new_mean) / torch.sqrt(new_var + eps)
    return y, new_mean, new_var


def normalises_with_old_running(
    x, running_mean, running_var, momentum=0.1, eps=1e-5
):
    """Normalises with the running statistics it was given (eval mode)."""
    mean, _, unbiased = _stats(x)
    y = (x - running_mean) / torch.sqrt(running_var + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * unbiased,
    )


def forgets_sqrt(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Divides by var + eps, not by its square root."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / (biased + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * unbiased,
    )


def not_centred(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Forgets to subtract the mean from x in y."""
    mean, biased, unbiased = _stats(x)
    y = x / torch.sqrt(biased + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * unbiased,
    )


def variance_about_zero(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """The variance as mean(x**2), not centred on the mean."""
    n = x.shape[0]
    mean = x.mean(0)
    second = (x**2).mean(0)
    y = (x - mean) / torch.sqrt(second + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * second * n / (n - 1),
    )


def shape_unpacked_backwards(
    x, running_mean, running_var, momentum=0.1, eps=1e-5
):
    """`features, n = x.shape`: counts the features as the batch size."""
    features, n = x.shape
    mean = x.sum(0) / features
    ss = ((x - mean) ** 2).sum(0)
    y = (x - mean) / torch.sqrt(ss / n + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * ss / (n - 1),
    )


def momentum_only_on_old(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Forgets the momentum factor on the batch statistic."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / torch.sqrt(biased + eps)
    return (
        y,
        (1 - momentum) * running_mean + mean,
        (1 - momentum) * running_var + unbiased,
    )


def swapped_outputs(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Returns (y, new_running_var, new_running_mean): wrong order."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / torch.sqrt(biased + eps)
    new_mean = (1 - momentum) * running_mean + momentum * mean
    new_var = (1 - momentum) * running_var + momentum * unbiased
    return y, new_var, new_mean


def eps_in_running_var(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Adds eps to the batch variance that goes into the running one."""
    mean, biased, unbiased = _stats(x)
    y = (x - mean) / torch.sqrt(biased + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * (unbiased + eps),
    )


def bessel_inverted(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Bessel's factor upside down: biased * (n - 1) / n for the running
    variance."""
    n = x.shape[0]
    mean, biased, _ = _stats(x)
    y = (x - mean) / torch.sqrt(biased + eps)
    return (
        y,
        (1 - momentum) * running_mean + momentum * mean,
        (1 - momentum) * running_var + momentum * biased * (n - 1) / n,
    )


def uses_functional_batch_norm(
    x, running_mean, running_var, momentum=0.1, eps=1e-5
):
    """torch.nn.functional.batch_norm (forbidden), on copies."""
    new_mean, new_var = running_mean.clone(), running_var.clone()
    y = F.batch_norm(
        x, new_mean, new_var, training=True, momentum=momentum, eps=eps
    )
    return y, new_mean, new_var


def uses_torch_batch_norm(
    x, running_mean, running_var, momentum=0.1, eps=1e-5
):
    """torch.batch_norm (forbidden), on copies."""
    new_mean, new_var = running_mean.clone(), running_var.clone()
    y = torch.batch_norm(
        x, None, None, new_mean, new_var, True, momentum, eps, False
    )
    return y, new_mean, new_var


def uses_batch_norm_1d(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """nn.BatchNorm1d (forbidden), its buffers set from the inputs."""
    layer = nn.BatchNorm1d(
        x.shape[1], affine=False, momentum=momentum, eps=eps
    ).to(device=x.device, dtype=x.dtype)
    with torch.no_grad():
        layer.running_mean.copy_(running_mean)
        layer.running_var.copy_(running_var)
    y = layer(x)
    return y, layer.running_mean.clone(), layer.running_var.clone()


def wraps_the_library(x, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Hands the work to gaplab.remedies.batch_norm_step (forbidden)."""
    from gaplab import remedies

    return remedies.batch_norm_step(
        x, running_mean, running_var, momentum, eps
    )


WRONG_BATCH_NORM = [
    biased_running_var,
    unbiased_everywhere,
    swapped_variances,
    eps_outside_sqrt,
    no_eps,
    hard_coded_eps,
    hard_coded_momentum,
    keras_momentum,
    running_not_updated,
    running_replaced,
    per_example_axis,
    whole_tensor_stats,
    updates_inputs_in_place,
    augmented_assignment,
    normalises_x_in_place,
    running_from_y,
    running_std,
    normalises_with_new_running,
    normalises_with_old_running,
    forgets_sqrt,
    not_centred,
    variance_about_zero,
    shape_unpacked_backwards,
    momentum_only_on_old,
    swapped_outputs,
    eps_in_running_var,
    bessel_inverted,
    uses_functional_batch_norm,
    uses_torch_batch_norm,
    uses_batch_norm_1d,
    wraps_the_library,
]


@pytest.mark.parametrize("answer", WRONG_BATCH_NORM, ids=lambda f: f.__name__)
def test_a_wrong_batch_norm_step_fails(answer):
    refuse_answer(
        ASSIGNMENT, "batch_norm_step_tests", "batch_norm_step", answer
    )


# ================================================ the load lines themselves


@pytest.mark.parametrize(
    ("test_id", "name", "library_name"),
    [
        ("InvertedDropout_tests", "InvertedDropout", "Dropout"),
        ("batch_norm_step_tests", "batch_norm_step", "batch_norm_step"),
    ],
    ids=["load_line_Dropout", "load_line_batch_norm_step"],
)
def test_the_library_reference_itself_fails(test_id, name, library_name):
    """The load line (`from gaplab.remedies import ... as ...`) binds the
    library's own object: it must not earn the points."""
    from gaplab import remedies

    refuse_answer(ASSIGNMENT, test_id, name, getattr(remedies, library_name))
