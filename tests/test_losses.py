"""gaplab.losses checked against torch.nn.functional, values and
gradients, and its errors for bad inputs checked for what they say."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gaplab.data import Split
from gaplab.losses import (
    cross_entropy,
    huber,
    log_softmax,
    mae,
    mse,
    reduce_losses,
)
from gaplab.training import evaluate

REGRESSION_PAIRS = [
    (mse, F.mse_loss),
    (mae, F.l1_loss),
    (huber, F.huber_loss),
]
DTYPES = [torch.float32, torch.float64]


def random_pair(
    shape: tuple[int, ...], dtype: torch.dtype, scale: float = 2.0
) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(sum(shape))
    predictions = scale * torch.randn(shape, generator=generator)
    targets = scale * torch.randn(shape, generator=generator)
    return predictions.to(dtype), targets.to(dtype)


def random_logits(
    n: int, classes: int, scale: float, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(n * classes)
    logits = scale * torch.randn(n, classes, generator=generator)
    targets = torch.randint(0, classes, (n,), generator=generator)
    return logits.to(dtype), targets


@pytest.mark.parametrize("ours, theirs", REGRESSION_PAIRS)
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 2)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_regression_losses_match_torch(ours, theirs, shape, dtype, reduction):
    predictions, targets = random_pair(shape, dtype)
    got = ours(predictions, targets, reduction=reduction)
    expected = theirs(predictions, targets, reduction=reduction)
    assert got.dtype == dtype
    assert got.shape == ()
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("ours, theirs", REGRESSION_PAIRS)
def test_default_reduction_is_the_mean(ours, theirs):
    predictions, targets = random_pair((5,), torch.float32)
    torch.testing.assert_close(
        ours(predictions, targets), theirs(predictions, targets)
    )


@pytest.mark.parametrize("delta", [0.1, 0.5, 1.0, 2.5, 100.0])
def test_huber_matches_torch_for_every_delta(delta):
    predictions, targets = random_pair((50,), torch.float64)
    for reduction in ("mean", "sum"):
        torch.testing.assert_close(
            huber(predictions, targets, delta=delta, reduction=reduction),
            F.huber_loss(
                predictions, targets, delta=delta, reduction=reduction
            ),
        )


def test_huber_branches_meet_at_delta():
    delta = 1.5
    at_delta = torch.tensor([delta, -delta], dtype=torch.float64)
    zeros = torch.zeros(2, dtype=torch.float64)
    expected = torch.tensor(delta**2 / 2, dtype=torch.float64)
    torch.testing.assert_close(huber(at_delta, zeros, delta=delta), expected)


@pytest.mark.parametrize("ours, theirs", REGRESSION_PAIRS)
def test_regression_gradients_match_torch(ours, theirs):
    predictions, targets = random_pair((4, 3), torch.float64)
    mine = predictions.clone().requires_grad_()
    reference = predictions.clone().requires_grad_()
    ours(mine, targets).backward()
    theirs(reference, targets).backward()
    torch.testing.assert_close(mine.grad, reference.grad)


@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_matches_torch(scale, dtype, reduction):
    logits, targets = random_logits(20, 7, scale, dtype)
    got = cross_entropy(logits, targets, reduction=reduction)
    expected = F.cross_entropy(logits, targets, reduction=reduction)
    assert torch.isfinite(got)
    torch.testing.assert_close(got, expected)


def test_cross_entropy_is_stable_where_the_naive_formula_is_not():
    logits = torch.tensor([[1000.0, 0.0], [0.0, -200.0]])
    targets = torch.tensor([0, 1])
    naive = -(logits.softmax(dim=1)[[0, 1], targets]).log()
    assert not torch.isfinite(naive).all()
    per_sample = [
        cross_entropy(logits[i : i + 1], targets[i : i + 1]).item()
        for i in range(2)
    ]
    assert per_sample == pytest.approx([0.0, 200.0])


def test_cross_entropy_accepts_any_integer_class_dtype():
    logits, targets = random_logits(6, 4, 1.0)
    expected = F.cross_entropy(logits, targets)
    for dtype in (torch.uint8, torch.int16, torch.int32):
        got = cross_entropy(logits, targets.to(dtype))
        torch.testing.assert_close(got, expected)


def test_cross_entropy_gradient_matches_torch():
    logits, targets = random_logits(8, 5, 3.0, torch.float64)
    mine = logits.clone().requires_grad_()
    reference = logits.clone().requires_grad_()
    cross_entropy(mine, targets).backward()
    F.cross_entropy(reference, targets).backward()
    torch.testing.assert_close(mine.grad, reference.grad)


def test_log_softmax_matches_torch_on_large_logits():
    logits, _ = random_logits(5, 6, 1e3)
    torch.testing.assert_close(log_softmax(logits), logits.log_softmax(dim=1))


def test_library_losses_work_as_evaluate_loss_functions():
    generator = torch.Generator().manual_seed(3)
    split = Split(
        torch.randn(30, 4, generator=generator),
        torch.randint(0, 3, (30,), generator=generator),
    )
    model = nn.Linear(4, 3)
    ours = evaluate(model, split, cross_entropy, batch_size=7)
    theirs = evaluate(model, split, F.cross_entropy, batch_size=7)
    assert ours.loss == pytest.approx(theirs.loss, rel=1e-6)


def test_reduce_losses():
    losses = torch.tensor([1.0, 2.0, 6.0])
    assert reduce_losses(losses, "mean").item() == pytest.approx(3.0)
    assert reduce_losses(losses, "sum").item() == pytest.approx(9.0)
    assert reduce_losses(losses).item() == pytest.approx(3.0)


# Bad inputs: each error names the problem and the fix.


@pytest.mark.parametrize("loss", [mse, mae, huber, cross_entropy])
def test_unknown_reduction_is_refused(loss):
    if loss is cross_entropy:
        inputs = random_logits(3, 2, 1.0)
    else:
        inputs = random_pair((3,), torch.float32)
    with pytest.raises(ValueError, match="unknown reduction 'avg'.*'mean'"):
        loss(*inputs, reduction="avg")


def test_empty_input_is_refused():
    with pytest.raises(ValueError, match="zero samples"):
        mse(torch.zeros(0), torch.zeros(0))


@pytest.mark.parametrize("loss", [mse, mae, huber])
def test_shape_mismatch_is_refused_instead_of_broadcast(loss):
    predictions, targets = torch.zeros(4, 1), torch.zeros(4)
    with pytest.raises(ValueError, match=r"\(4, 1\) but targets \(4,\)"):
        loss(predictions, targets)


@pytest.mark.parametrize("loss", [mse, mae, huber])
def test_integer_targets_are_refused_by_regression_losses(loss):
    with pytest.raises(TypeError, match=r"float targets.*targets\.float"):
        loss(torch.zeros(3), torch.tensor([1, 2, 3]))
    with pytest.raises(TypeError, match="float predictions"):
        loss(torch.tensor([1, 2, 3]), torch.zeros(3))


@pytest.mark.parametrize("loss", [mse, mae, huber, cross_entropy])
def test_non_tensors_are_refused(loss):
    with pytest.raises(TypeError, match="torch.Tensor.*torch.as_tensor"):
        loss([0.5, 1.0], torch.zeros(2))


@pytest.mark.parametrize("delta", [0.0, -1.0])
def test_huber_refuses_a_non_positive_delta(delta):
    with pytest.raises(ValueError, match="delta must be positive"):
        huber(torch.zeros(2), torch.zeros(2), delta=delta)


def test_cross_entropy_refuses_float_targets():
    logits, targets = random_logits(3, 4, 1.0)
    with pytest.raises(TypeError, match=r"integer class indices.*\.long\(\)"):
        cross_entropy(logits, targets.float())
    with pytest.raises(TypeError, match="integer class indices"):
        cross_entropy(logits, targets > 1)


@pytest.mark.parametrize("bad", [4, -1])
def test_cross_entropy_refuses_classes_out_of_range(bad):
    logits, _ = random_logits(3, 4, 1.0)
    targets = torch.tensor([0, bad, 2])
    message = rf"class {bad} is out of range .* 4 columns \(classes 0 to 3\)"
    with pytest.raises(ValueError, match=message):
        cross_entropy(logits, targets)


def test_cross_entropy_refuses_logits_that_are_not_a_table():
    with pytest.raises(ValueError, match=r"shape \(n, classes\)"):
        cross_entropy(torch.zeros(4), torch.tensor([0]))
    with pytest.raises(ValueError, match=r"shape \(n, classes\)"):
        cross_entropy(torch.zeros(2, 3, dtype=torch.long), torch.tensor([0]))


def test_cross_entropy_refuses_one_target_per_wrong_row_count():
    logits, _ = random_logits(3, 4, 1.0)
    with pytest.raises(ValueError, match=r"targets need shape \(3,\)"):
        cross_entropy(logits, torch.tensor([0, 1]))
