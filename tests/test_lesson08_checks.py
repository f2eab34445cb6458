"""Lesson 08's graded cells, tested as nbgrader runs them: plausible wrong
answers fail each real graded cell with a message that names the
mistake, a correct answer that warns writes nothing to stderr, and the
checks leave their oracle's conventions right (PyTorch's smoothing over
all K classes; shifts that drop what leaves the image). The independent
answer bank (test_lesson08_bank.py) adds many more answers."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from gaplab.checks.more_data import moves, shifted
from gaplab.remedies import random_shifts, smoothed_cross_entropy
from tests.notebook_tools import grade_answer

ASSIGNMENT = "08-more-data"


def grade_shifts(answer) -> None:
    grade_answer(ASSIGNMENT, "shift_images_tests", "shift_images", answer)


def grade_smoothing(answer) -> None:
    grade_answer(
        ASSIGNMENT,
        "smoothed_cross_entropy_tests",
        "smoothed_cross_entropy",
        answer,
    )


# ---------------------------------------------- exercise 1: shift_images


def windows(images, max_shift, dy, dx):
    """The images read through windows moved by (dy, dx) per image."""
    n = len(images)
    padded = F.pad(images.reshape(n, 8, 8), [max_shift] * 4)
    pixels = torch.arange(8)
    rows = (max_shift - dy[:, None] + pixels)[:, :, None]
    columns = (max_shift - dx[:, None] + pixels)[:, None, :]
    batch = torch.arange(n)[:, None, None]
    return padded[batch, rows, columns].reshape(n, 64)


def draw(max_shift, n, generator=None, size=None):
    return torch.randint(
        -max_shift, max_shift + 1, size or (n,), generator=generator
    )


def rolled(images, max_shift, generator=None):
    dy, dx = draw(max_shift, 2, generator).tolist()
    grid = images.reshape(-1, 8, 8)
    return torch.roll(grid, (dy, dx), dims=(1, 2)).reshape(images.shape)


def one_move_per_batch(images, max_shift, generator=None):
    if max_shift < 0:
        raise ValueError("negative")
    dy, dx = draw(max_shift, 2, generator).tolist()
    return shifted(images, dy, dx)


def diagonal_only(images, max_shift, generator=None):
    if max_shift < 0:
        raise ValueError("negative")
    dy = draw(max_shift, len(images), generator)
    return windows(images, max_shift, dy, dy)


def per_image_loop(images, max_shift, generator=None):
    if max_shift < 0:
        raise ValueError("negative")
    out = torch.zeros_like(images)
    for index in range(len(images)):
        dy, dx = draw(max_shift, 2, generator).tolist()
        out[index] = shifted(images[index : index + 1], dy, dx)[0]
    return out


def global_generator_only(images, max_shift, generator=None):
    if max_shift < 0:
        raise ValueError("negative")
    n = len(images)
    return windows(images, max_shift, draw(max_shift, n), draw(max_shift, n))


def upper_end_missing(images, max_shift, generator=None):
    """torch.randint's upper bound is excluded: +max_shift never comes."""
    if max_shift < 0:
        raise ValueError("negative")
    if max_shift == 0:
        return images.clone()
    n = len(images)
    dy, dx = torch.randint(-max_shift, max_shift, (2, n), generator=generator)
    return windows(images, max_shift, dy, dx)


def transposed(images, max_shift, generator=None):
    """Rows and columns swapped in the advanced index."""
    if max_shift < 0:
        raise ValueError("negative")
    n = len(images)
    padded = F.pad(images.reshape(n, 8, 8), [max_shift] * 4)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, n, 1))
    pixels = torch.arange(8)
    rows = (offsets[0] + pixels)[:, :, None]
    columns = (offsets[1] + pixels)[:, None, :]
    return padded[torch.arange(n)[:, None, None], columns, rows].reshape(n, 64)


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (rolled, "wrap around"),
        (transposed, "rows and columns swapped"),
        (one_move_per_batch, "draw a move for each image"),
        (diagonal_only, "draw dy and dx separately"),
        (per_image_loop, "loops over the images"),
        (global_generator_only, "draw from the generator"),
        (upper_end_missing, "both ends included"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_a_wrong_shift_is_named(answer, named):
    with pytest.raises(AssertionError, match=named):
        grade_shifts(answer)


def test_a_loop_over_the_moves_is_batched_enough():
    """The text allows a loop over the (2m+1)^2 moves: it passes."""

    def over_moves(images, max_shift, generator=None):
        if max_shift < 0:
            raise ValueError("negative")
        n = len(images)
        dy, dx = draw(max_shift, n, generator, (2, n))
        out = torch.zeros_like(images)
        for move_y, move_x in moves(max_shift):
            chosen = (dy == move_y) & (dx == move_x)
            out[chosen] = shifted(images[chosen], move_y, move_x)
        return out

    grade_shifts(over_moves)


def test_a_correct_shift_that_warns_writes_nothing_to_stderr(capfd):
    def warns(images, max_shift, generator=None):
        warnings.warn("a learner's note", UserWarning, stacklevel=1)
        if max_shift < 0:
            raise ValueError("negative")
        n = len(images)
        dy, dx = draw(max_shift, n, generator, (2, n))
        return windows(images, max_shift, dy, dx)

    grade_shifts(warns)
    captured = capfd.readouterr()
    assert "a learner's note" in captured.out
    assert captured.err == ""


def test_the_oracle_drops_what_leaves_the_image():
    image = torch.arange(1.0, 65.0)[None]
    moved = shifted(image, 1, -2).reshape(8, 8)
    assert moved[0].eq(0).all() and moved[:, 6:].eq(0).all()
    assert moved[1, 0] == image[0, 2]
    assert torch.equal(random_shifts(image, 0), image)


# ---------------------------------- exercise 2: smoothed cross-entropy


def other_classes(logits, targets, smoothing=0.0):
    if not 0 <= smoothing <= 1:
        raise ValueError("smoothing")
    log_p = torch.log_softmax(logits, dim=1)
    labelled = -log_p.gather(1, targets[:, None]).squeeze(1)
    rest = (-log_p.sum(dim=1) - labelled) / (logits.shape[1] - 1)
    return ((1 - smoothing) * labelled + smoothing * rest).mean()


def log_of_softmax(logits, targets, smoothing=0.0):
    if not 0 <= smoothing <= 1:
        raise ValueError("smoothing")
    log_p = torch.log(torch.softmax(logits, dim=1))
    labelled = -log_p.gather(1, targets[:, None]).squeeze(1)
    return ((1 - smoothing) * labelled - smoothing * log_p.mean(1)).mean()


def sum_over_classes(logits, targets, smoothing=0.0):
    if not 0 <= smoothing <= 1:
        raise ValueError("smoothing")
    log_p = torch.log_softmax(logits, dim=1)
    labelled = -log_p.gather(1, targets[:, None]).squeeze(1)
    return ((1 - smoothing) * labelled - smoothing * log_p.sum(1)).mean()


def summed(logits, targets, smoothing=0.0):
    return smoothed_cross_entropy(logits, targets, smoothing) * len(targets)


def accepts_any_smoothing(logits, targets, smoothing=0.0):
    log_p = torch.log_softmax(logits, dim=1)
    labelled = -log_p.gather(1, targets[:, None]).squeeze(1)
    return ((1 - smoothing) * labelled - smoothing * log_p.mean(1)).mean()


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (other_classes, "K - 1 other classes"),
        (log_of_softmax, "never log\\(softmax"),
        (summed, "sum over the batch"),
        (sum_over_classes, "divide the sum by K"),
        (accepts_any_smoothing, "outside 0 to 1"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_a_wrong_smoothing_is_named(answer, named):
    with pytest.raises(AssertionError, match=named):
        grade_smoothing(answer)


def test_the_oracle_spreads_smoothing_over_all_classes():
    """PyTorch's convention, which the checks compare with, is the
    library's: the K - 1 variant at s equals it at s K / (K - 1)."""
    torch.manual_seed(0)
    logits, targets = torch.randn(5, 4), torch.randint(0, 4, (5,))
    pytorch = F.cross_entropy(logits, targets, label_smoothing=0.2)
    ours = smoothed_cross_entropy(logits, targets, 0.2)
    assert torch.allclose(ours, pytorch, atol=1e-6)
    variant = other_classes(logits, targets, 0.2)
    rescaled = smoothed_cross_entropy(logits, targets, 0.2 * 4 / 3)
    assert torch.allclose(variant, rescaled, atol=1e-6)
