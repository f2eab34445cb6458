"""Visible checks of lesson 08 (More data, augmentation, label smoothing).

`shift_images` gets batches of random images (every shift of one is
told apart from the others) at several `max_shift`. Each output image
must be its input moved by a whole number of pixels within the limit,
pixels past an edge dropped and the uncovered ones 0; the shifts must
cover every move from -max_shift to max_shift in both directions, each
about equally often, drawn per image and per direction; the answer must
keep shape, dtype and device, leave its input alone, be the identity at
0, reject a negative limit, draw from the generator it is given (from
torch's global one otherwise), and move the batch without a Python loop
over the images: it may make no more tensor operations on a large batch
than on a small one.

`smoothed_cross_entropy` is compared with
`torch.nn.CrossEntropyLoss(label_smoothing=...)` at several batch sizes,
class counts and smoothings (0 and 1 included, the default left out
once), on large logits, in float32 and float64, with its gradient. A
wrong value is compared with the usual mistakes, so that the message
can name one.

The hidden tests run the same functions with other sizes and cases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from gaplab.checks import (
    EXTRA_OPERATIONS,
    OperationCount,
    fail,
    reported_warnings,
)
from gaplab.checks.own_work import suggests_reference

ShiftImages = Callable[..., torch.Tensor]
SmoothedLoss = Callable[..., torch.Tensor]

SIDE = 8
MAX_SHIFTS = (1, 2)
# Images per batch for the shares of each move: 20,000 images put the
# share of each of 9 moves within 0.0022 of 1/9 (1 sd), and of 25 moves
# within 0.0014 of 1/25; a share off by SHARE_TOLERANCE is a wrong
# distribution, not bad luck.
SHARE_BATCH = 20_000
SHARE_TOLERANCE = 0.015
# Tensor operations a vectorised answer makes on LARGE_BATCH images
# beyond those it makes on SMALL_BATCH: none, even one that loops over
# the moves some image drew (both batches draw all 25 moves of
# max_shift=2); a loop over the images makes hundreds more.
SMALL_BATCH, LARGE_BATCH = 256, 1024
CHECK_SEED = 0


# ------------------------------------------- exercise 1: shift_images


def random_images(
    count: int, seed: int, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """`count` flattened images of random pixels in (0, 1]: no two of
    an image's shifts look alike, and no pixel is 0 by chance."""
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.rand(count, SIDE * SIDE, generator=generator, dtype=dtype)
    return pixels.clamp_min(1e-3)


def shifted(images: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Every image moved dy rows down and dx columns right, with zeros
    where nothing moved in."""
    grid = images.reshape(-1, SIDE, SIDE)
    moved = torch.zeros_like(grid)
    rows_to = slice(max(dy, 0), SIDE + min(dy, 0))
    rows_from = slice(max(-dy, 0), SIDE + min(-dy, 0))
    columns_to = slice(max(dx, 0), SIDE + min(dx, 0))
    columns_from = slice(max(-dx, 0), SIDE + min(-dx, 0))
    moved[:, rows_to, columns_to] = grid[:, rows_from, columns_from]
    return moved.reshape(images.shape)


def moves(max_shift: int) -> list[tuple[int, int]]:
    """Every (dy, dx) within the limit."""
    span = range(-max_shift, max_shift + 1)
    return [(dy, dx) for dy in span for dx in span]


def call_shift(
    shift_images: ShiftImages,
    images: torch.Tensor,
    max_shift: int,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The answer's output with the right type, shape and dtype, its
    input left as it was; or a failure that says why."""
    original = images.clone()
    where = f"with max_shift={max_shift} on {len(images)} images"
    try:
        if generator is None:
            result = shift_images(images, max_shift)
        else:
            result = shift_images(images, max_shift, generator)
    except NotImplementedError:
        raise
    except Exception as error:
        fail(f"{where} shift_images raised {type(error).__name__}: {error}")
    if not isinstance(result, torch.Tensor):
        fail(f"{where} shift_images returned {type(result).__name__}")
    if result.shape != images.shape or result.dtype != images.dtype:
        fail(
            f"{where} shift_images returned shape {tuple(result.shape)} "
            f"and dtype {result.dtype}, expected {tuple(images.shape)} and "
            f"{images.dtype}: give the batch back flattened, as it came"
        )
    if not torch.equal(images, original):
        fail(
            f"{where} shift_images changed its input in place: build the "
            "shifted batch as a new tensor"
        )
    return result


def which_moves(
    images: torch.Tensor, result: torch.Tensor, max_shift: int
) -> list[tuple[int, int]]:
    """The move each output image is, or a failure that names what the
    answer did instead."""
    found: list[tuple[int, int] | None] = [None] * len(images)
    for move in moves(max_shift):
        same = (shifted(images, *move) == result).all(dim=1)
        for index in same.nonzero().flatten().tolist():
            found[index] = move
    lost = [index for index, move in enumerate(found) if move is None]
    if lost:
        index = lost[0]
        grid = images[index].reshape(SIDE, SIDE)
        wrapped = any(
            torch.equal(
                torch.roll(grid, move, dims=(0, 1)).flatten(), result[index]
            )
            for move in moves(max_shift)
        )
        transposed = any(
            torch.equal(
                shifted(grid.T.reshape(1, -1), *move)[0], result[index]
            )
            for move in moves(max_shift)
        )
        if wrapped:
            why = (
                "its pixels wrap around to the other side (torch.roll does "
                "that): drop the pixels moved past an edge and fill the "
                "uncovered ones with 0"
            )
        elif transposed:
            why = (
                "it is the image transposed, rows and columns swapped: "
                "index the padded images as [image, row, column]"
            )
        elif max_shift == 0:
            why = "with no room to move, it must come back as it was"
        else:
            why = (
                "it is not its input moved by whole pixels within "
                f"-{max_shift}..{max_shift}, with 0 where nothing moved in"
            )
        fail(f"with max_shift={max_shift}, output image {index}: {why}")
    return [move for move in found if move is not None]


def check_distribution(shift_images: ShiftImages, max_shift: int) -> None:
    """Every move, about equally often, per image and per direction."""
    images = random_images(SHARE_BATCH, seed=max_shift)
    torch.manual_seed(CHECK_SEED)
    found = which_moves(
        images, call_shift(shift_images, images, max_shift), max_shift
    )
    counts, n = Counter(found), len(found)
    where = f"with max_shift={max_shift} on {SHARE_BATCH} images"
    if len(counts) == 1:
        fail(
            f"{where} every image moved by the same {found[0]}: draw a "
            "move for each image, not one for the batch"
        )
    if all(dy == dx for dy, dx in counts):
        fail(
            f"{where} every image moved as far down as right: draw dy and "
            "dx separately"
        )
    missing = sorted(set(moves(max_shift)) - set(counts))
    if missing:
        fail(
            f"{where} these moves (dy, dx) never happened: {missing}. Each "
            f"of dy and dx is an integer from -{max_shift} to {max_shift}, "
            "both ends included (torch.randint's upper bound is excluded)"
        )
    share = 1 / len(moves(max_shift))
    worst = max(moves(max_shift), key=lambda m: abs(counts[m] - share * n))
    seen = counts[worst] / len(found)
    if abs(seen - share) > SHARE_TOLERANCE:
        fail(
            f"{where} the move {worst} happened for {seen:.3f} of the "
            f"images; each of the {len(moves(max_shift))} moves should "
            f"happen for about {share:.3f}: draw dy and dx uniformly"
        )


def check_randomness_source(shift_images: ShiftImages) -> None:
    """A given generator is used (and repeats its shifts whatever the
    global state); without one, torch.manual_seed repeats them."""
    images = random_images(64, seed=1)
    outputs = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        generator = torch.Generator().manual_seed(7)
        outputs.append(call_shift(shift_images, images, 2, generator))
    if not torch.equal(outputs[0], outputs[1]):
        fail(
            "with the same generator, seeded alike, the shifts changed "
            "with torch's global seed: draw from the generator you are "
            "given (generator=generator)"
        )
    other = call_shift(
        shift_images, images, 2, torch.Generator().manual_seed(8)
    )
    if torch.equal(other, outputs[0]):
        fail(
            "two generators seeded differently gave the same shifts: draw "
            "the random moves from the generator"
        )
    draws = []
    for global_seed in (3, 3, 4):
        torch.manual_seed(global_seed)
        draws.append(call_shift(shift_images, images, 2))
    if not torch.equal(draws[0], draws[1]):
        fail(
            "without a generator, torch.manual_seed(3) did not repeat the "
            "shifts: draw from torch's global generator (torch.randint "
            "without a generator), not from numpy or random"
        )
    if torch.equal(draws[0], draws[2]):
        fail(
            "without a generator, torch.manual_seed(3) and (4) gave the "
            "same shifts: draw from torch's global generator, not from a "
            "generator of your own with a fixed seed"
        )


def operations(shift_images: ShiftImages, count: int) -> int:
    """Tensor operations the answer runs on `count` images."""
    images = random_images(count, seed=count)
    torch.manual_seed(CHECK_SEED)
    with OperationCount() as counter:
        shift_images(images, 2)
    return counter.count


def check_batched(shift_images: ShiftImages) -> None:
    """No more tensor operations on a large batch than on a small one."""
    small = operations(shift_images, SMALL_BATCH)
    large = operations(shift_images, LARGE_BATCH)
    if large > small + EXTRA_OPERATIONS:
        fail(
            f"shift_images ran {small} tensor operations on {SMALL_BATCH} "
            f"images but {large} on {LARGE_BATCH}: it loops over the "
            "images. Move the whole batch at once (pad, then index with "
            "per-image offsets; or loop over the possible moves, not the "
            "images)"
        )


def check_shift_basics(shift_images: ShiftImages) -> None:
    """Identity at 0, dtypes, a refused negative limit."""
    for dtype in (torch.float32, torch.float64):
        images = random_images(10, seed=2, dtype=dtype)
        for max_shift in (0, 3):
            result = call_shift(shift_images, images, max_shift)
            which_moves(images, result, max_shift)
    try:
        shift_images(random_images(2, seed=3), -1)
    except ValueError:
        return
    except Exception as error:
        fail(
            f"max_shift=-1 raised {type(error).__name__}: raise ValueError "
            "for a negative max_shift"
        )
    fail("max_shift=-1 was accepted: raise ValueError for a negative limit")


def check_shift_behaviour(
    shift_images: ShiftImages, max_shifts: Sequence[int] = MAX_SHIFTS
) -> None:
    """Everything exercise 1 asks, at these limits."""
    check_shift_basics(shift_images)
    check_batched(shift_images)
    for max_shift in max_shifts:
        check_distribution(shift_images, max_shift)
    check_randomness_source(shift_images)


def run_shift(shift_images: ShiftImages) -> torch.Tensor:
    """One call of the answer, for the hidden tests' own-work rule."""
    return shift_images(random_images(16, seed=4), 2)


@suggests_reference("shift_images")
def check_shift_images(shift_images: ShiftImages) -> None:
    """Check exercise 1: see the module's docstring."""
    if not callable(shift_images):
        raise TypeError(
            "pass your function itself, e.g. check_shift_images("
            f"shift_images), got a {type(shift_images).__name__}"
        )
    with reported_warnings():
        check_shift_behaviour(shift_images)
    print(
        "check_shift_images passed: every image moved by its own whole "
        f"number of pixels, every move up to max_shift {MAX_SHIFTS} about "
        "equally often, nothing wrapped around, identity at 0, the "
        "generator used, and no loop over the images."
    )


# ----------------------------------- exercise 2: smoothed cross-entropy


@dataclass(frozen=True)
class SmoothingCase:
    """A batch of logits and labels, and a smoothing (None: the
    default, left out of the call)."""

    name: str
    samples: int
    classes: int
    smoothing: float | None
    scale: float = 3.0
    dtype: torch.dtype = torch.float32
    seed: int = 0

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        generator = torch.Generator().manual_seed(self.seed)
        logits = self.scale * torch.randn(
            self.samples, self.classes, generator=generator, dtype=self.dtype
        )
        targets = torch.randint(
            0, self.classes, (self.samples,), generator=generator
        )
        return logits, targets

    def where(self) -> str:
        smoothing = (
            "the default smoothing"
            if self.smoothing is None
            else f"smoothing={self.smoothing}"
        )
        size = f"{self.samples} samples, {self.classes} classes"
        return f"{self.name} ({size}, {smoothing})"


SMOOTHING_CASES = (
    SmoothingCase("a small batch", 6, 4, 0.1),
    SmoothingCase("the digits' ten classes", 32, 10, 0.2, seed=1),
    SmoothingCase("no smoothing", 8, 5, 0.0, seed=2),
    SmoothingCase("the default", 8, 5, None, seed=3),
    SmoothingCase("full smoothing", 7, 3, 1.0, seed=4),
    SmoothingCase("logits in the hundreds", 9, 6, 0.3, scale=300.0, seed=5),
    SmoothingCase("float64 logits", 5, 8, 0.05, dtype=torch.float64, seed=6),
)
BAD_SMOOTHINGS = (-0.1, 1.5)


def expected_loss(
    logits: torch.Tensor, targets: torch.Tensor, smoothing: float
) -> torch.Tensor:
    return nn.CrossEntropyLoss(label_smoothing=smoothing)(logits, targets)


def usual_loss_mistakes(
    logits: torch.Tensor, targets: torch.Tensor, smoothing: float
) -> list[tuple[str, torch.Tensor]]:
    """What the usual mistakes give, with the word for each."""
    log_p = torch.log_softmax(logits.double(), dim=1)
    classes = logits.shape[1]
    labelled = -log_p.gather(1, targets[:, None]).squeeze(1)
    others = (-log_p.sum(dim=1) - labelled) / max(classes - 1, 1)
    uniform = -log_p.mean(dim=1)
    per_sample = (1 - smoothing) * labelled + smoothing * uniform
    return [
        (
            "the smoothing is spread over the K - 1 other classes; this "
            "exercise spreads it over all K, the labelled one included",
            ((1 - smoothing) * labelled + smoothing * others).mean(),
        ),
        (
            "the uniform part sums the K log-probabilities: average them "
            "(divide the sum by K)",
            ((1 - smoothing) * labelled - smoothing * log_p.sum(dim=1)).mean(),
        ),
        (
            "the labelled class keeps weight 1: it gets 1 - smoothing, plus "
            "its share smoothing / K",
            (labelled + smoothing * uniform).mean(),
        ),
        ("this is the sum over the batch: return the mean", per_sample.sum()),
        (
            "the uniform part averages probabilities, not log-probabilities",
            (
                (1 - smoothing) * labelled
                - smoothing * log_p.exp().mean(dim=1)
            ).mean(),
        ),
        ("the smoothing is ignored", labelled.mean()),
    ]


def close(got: torch.Tensor, want: torch.Tensor) -> bool:
    """Equal within what a float32 computation in another order reaches."""
    return torch.allclose(
        got.detach().double(), want.detach().double(), rtol=1e-4, atol=1e-5
    )


def call_loss(
    loss: SmoothedLoss, case: SmoothingCase, logits: torch.Tensor
) -> torch.Tensor:
    """The answer's loss for the case: a 0-dim tensor; or a failure."""
    _, targets = case.tensors()
    try:
        if case.smoothing is None:
            result = loss(logits, targets)
        else:
            result = loss(logits, targets, case.smoothing)
    except NotImplementedError:
        raise
    except Exception as error:
        fail(
            f"on {case.where()} smoothed_cross_entropy raised "
            f"{type(error).__name__}: {error}"
        )
    if not isinstance(result, torch.Tensor) or result.ndim != 0:
        shape = (
            tuple(result.shape)
            if isinstance(result, torch.Tensor)
            else type(result).__name__
        )
        fail(
            f"on {case.where()} smoothed_cross_entropy returned {shape}: "
            "return the mean over the batch as a 0-dim tensor"
        )
    return result


def check_loss_values(
    loss: SmoothedLoss, cases: Sequence[SmoothingCase] = SMOOTHING_CASES
) -> None:
    """The value on every case, against PyTorch's smoothed loss."""
    for case in cases:
        logits, targets = case.tensors()
        smoothing = case.smoothing or 0.0
        got = call_loss(loss, case, logits)
        if not torch.isfinite(got):
            fail(
                f"on {case.where()} the loss is {got.item()}: compute "
                "log-probabilities with log_softmax (or log-sum-exp), "
                "never log(softmax(...))"
            )
        want = expected_loss(logits, targets, smoothing)
        if close(got, want):
            continue
        hint = next(
            (
                word
                for word, value in usual_loss_mistakes(
                    logits, targets, smoothing
                )
                if close(got, value)
            ),
            "compare it term by term with the formula of the exercise",
        )
        fail(
            f"on {case.where()} the loss is {got.item():.6f}, PyTorch's "
            f"label_smoothing gives {want.item():.6f}: {hint}"
        )


def check_loss_gradient(loss: SmoothedLoss) -> None:
    """The gradient with respect to the logits, as through PyTorch's."""
    case = SMOOTHING_CASES[1]
    logits, targets = case.tensors()
    answer_logits = logits.clone().requires_grad_()
    got = call_loss(loss, case, answer_logits)
    if not got.requires_grad:
        fail(
            f"on {case.where()} no gradient flows back to the logits: "
            "compute the loss with torch operations (no .item(), "
            ".detach() or numpy)"
        )
    got.backward()
    reference_logits = logits.clone().requires_grad_()
    expected_loss(reference_logits, targets, case.smoothing or 0.0).backward()
    if answer_logits.grad is None or not close(
        answer_logits.grad, reference_logits.grad
    ):
        fail(
            f"on {case.where()} the gradient with respect to the logits "
            "differs from PyTorch's smoothed cross-entropy"
        )


def check_loss_rejects(loss: SmoothedLoss) -> None:
    """A smoothing outside [0, 1] raises ValueError."""
    logits, targets = SMOOTHING_CASES[0].tensors()
    for smoothing in BAD_SMOOTHINGS:
        try:
            loss(logits, targets, smoothing)
        except ValueError:
            continue
        except Exception as error:
            fail(
                f"smoothing={smoothing} raised {type(error).__name__}: "
                "raise ValueError for a smoothing outside 0 to 1"
            )
        fail(
            f"smoothing={smoothing} was accepted: raise ValueError for a "
            "smoothing outside 0 to 1"
        )


def run_smoothed_loss(loss: SmoothedLoss) -> torch.Tensor:
    """One call of the answer, for the hidden tests' own-work rule."""
    case = SMOOTHING_CASES[1]
    return loss(*case.tensors(), case.smoothing)


@suggests_reference("smoothed_cross_entropy")
def check_smoothed_cross_entropy(loss: SmoothedLoss) -> None:
    """Check exercise 2: see the module's docstring."""
    if not callable(loss):
        raise TypeError(
            "pass your function itself, e.g. check_smoothed_cross_entropy("
            f"smoothed_cross_entropy), got a {type(loss).__name__}"
        )
    with reported_warnings():
        check_loss_values(loss)
        check_loss_gradient(loss)
        check_loss_rejects(loss)
    print(
        f"check_smoothed_cross_entropy passed: on {len(SMOOTHING_CASES)} "
        "batches (3 to 10 classes, smoothing 0 to 1 and the default, "
        "logits in the hundreds, float32 and float64) the loss and its "
        "gradient match nn.CrossEntropyLoss(label_smoothing=...)."
    )
