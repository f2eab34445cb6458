"""An independent bank of learner answers to the two exercises of lesson
08 (`shift_images` and `smoothed_cross_entropy`), written from the
exercise spec alone, before the checks existed, by a tester who never
saw them nor the library's reference; run through the real graded cells
(visible checks and hidden tests).

Every correct answer, in whatever style, must be accepted; every wrong
one, a mistake that learners reading the text really make (one mistake
each), must fail with an AssertionError, which carries the check's
message (any other exception would also score 0 under nbgrader; the
tests name it).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from tests.notebook_tools import grade_answer, refuse_answer

ASSIGNMENT = "08-more-data"


# ======================================================== exercise 1
# ------------------------------------------------------ correct answers


def shift_by_slices(images, max_shift, generator=None):
    """Two randint draws; a loop over the (2m+1)^2 shifts, each copying
    with slices the images drawn for it into a zero canvas."""
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")
    n = images.shape[0]
    m = max_shift
    dy = torch.randint(-m, m + 1, (n,), generator=generator)
    dx = torch.randint(-m, m + 1, (n,), generator=generator)
    dy, dx = dy.to(images.device), dx.to(images.device)
    grid = images.reshape(n, 8, 8)
    out = torch.zeros_like(grid)
    for a in range(-m, m + 1):
        for b in range(-m, m + 1):
            if abs(a) >= 8 or abs(b) >= 8:
                continue  # moved right off the image: stays blank
            chosen = (dy == a) & (dx == b)
            src = grid[chosen][
                :, max(-a, 0) : 8 - max(a, 0), max(-b, 0) : 8 - max(b, 0)
            ]
            out[
                chosen, max(a, 0) : 8 + min(a, 0), max(b, 0) : 8 + min(b, 0)
            ] = src
    return out.reshape(n, 64)


def shift_by_padding(images, max_shift, generator=None):
    """F.pad with m zeros on every side, then one advanced index picks
    each image's 8x8 window; dy and dx from one (n, 2) draw."""
    if max_shift < 0:
        raise ValueError("max_shift cannot be negative")
    n, m, device = len(images), max_shift, images.device
    shifts = torch.randint(-m, m + 1, (n, 2), generator=generator)
    shifts = shifts.to(device)
    padded = F.pad(images.reshape(n, 8, 8), (m, m, m, m))
    pos = torch.arange(8, device=device)
    rows = pos[None, :] - shifts[:, :1] + m
    cols = pos[None, :] - shifts[:, 1:] + m
    batch = torch.arange(n, device=device)[:, None, None]
    out = padded[batch, rows[:, :, None], cols[:, None, :]]
    return out.reshape(n, 64)


def shift_by_gather(images, max_shift, generator=None):
    """Index arithmetic on the flat images: source index 8(r - dy) +
    (c - dx), clamped for gather, and a validity mask for the edges.
    The shifts are drawn directly on the images' device."""
    if not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"bad max_shift {max_shift!r}")
    n, device = images.shape[0], images.device
    dy = torch.randint(
        -max_shift, max_shift + 1, (n, 1), generator=generator, device=device
    )
    dx = torch.randint(
        -max_shift, max_shift + 1, (n, 1), generator=generator, device=device
    )
    k = torch.arange(64, device=images.device)[None, :]
    r, c = k // 8, k % 8
    src_r, src_c = r - dy, c - dx
    valid = (src_r >= 0) & (src_r < 8) & (src_c >= 0) & (src_c < 8)
    src = (src_r * 8 + src_c).clamp(0, 63)
    moved = images.gather(1, src)
    return torch.where(valid, moved, torch.zeros_like(moved))


def shift_by_unfold(images, max_shift, generator=None):
    """Pads, unfolds every 8x8 window of the padded image, and gathers
    the window of each image's shift: window (i, j) is shift (m-i, m-j).
    The joint shift is one draw over the (2m+1)^2 windows."""
    if max_shift < 0:
        raise ValueError("negative max_shift")
    n, m = images.shape[0], max_shift
    side = 2 * m + 1
    window = torch.randint(0, side * side, (n,), generator=generator)
    window = window.to(images.device)
    padded = F.pad(images.reshape(n, 1, 8, 8), (m, m, m, m))
    patches = F.unfold(padded, kernel_size=8)  # (n, 64, side * side)
    index = window[:, None, None].expand(n, 64, 1)
    return patches.gather(2, index).squeeze(2)


def shift_by_matrices(images, max_shift, generator=None):
    """Batched shift matrices in float64, out = S_y X S_x^T with bmm,
    cast back to the input's dtype."""
    if max_shift < 0:
        raise ValueError(max_shift)
    n = images.shape[0]
    dy, dx = torch.randint(
        -max_shift, max_shift + 1, (2, n), generator=generator
    ).to(images.device)
    i = torch.arange(8, device=images.device)
    # S[b, r, s] = 1 when output row r takes input row s = r - shift[b]
    s_y = (i[None, :, None] - i[None, None, :] == dy[:, None, None]).double()
    s_x = (i[None, :, None] - i[None, None, :] == dx[:, None, None]).double()
    x = images.double().reshape(n, 8, 8)
    out = s_y @ x @ s_x.transpose(1, 2)
    return out.reshape(n, 64).to(images.dtype)


def shift_by_convolution(images, max_shift, generator=None):
    """A grouped convolution, one channel and one one-hot kernel per
    image; the shifts drawn by flooring uniforms."""
    if max_shift < 0:
        raise ValueError("max_shift must be non-negative")
    n, m = images.shape[0], max_shift
    side = 2 * m + 1
    u = torch.rand(2, n, generator=generator)
    dy, dx = ((u * side).floor().long().clamp(max=side - 1) - m).to(
        images.device
    )
    kernels = torch.zeros(n, 1, side, side, dtype=torch.float64)
    kernels = kernels.to(images.device)
    rows = torch.arange(n, device=images.device)
    # conv2d correlates: out[r, c] = sum K[i, j] x[r + i - m, c + j - m]
    kernels[rows, 0, m - dy, m - dx] = 1.0
    x = images.double().reshape(1, n, 8, 8)
    out = F.conv2d(x, kernels, padding=m, groups=n)
    return out.reshape(n, 64).to(images.dtype)


def shift_by_rolling(images, max_shift, generator=None):
    """Two passes, rows then columns: for each possible shift, roll the
    whole batch, blank what wrapped round, and keep it (torch.where) for
    the images drawn for that shift."""
    if max_shift < 0:
        raise ValueError("max_shift must be >= 0")
    n, m = images.shape[0], max_shift
    dy = torch.randint(-m, m + 1, (n, 1, 1), generator=generator)
    dx = torch.randint(-m, m + 1, (n, 1, 1), generator=generator)
    dy, dx = dy.to(images.device), dx.to(images.device)
    idx = torch.arange(8, device=images.device)
    grid = images.reshape(n, 8, 8)
    by_rows = torch.zeros_like(grid)
    for s in range(-m, m + 1):
        rolled = torch.roll(grid, s, dims=1)
        keep = ((idx - s >= 0) & (idx - s < 8))[None, :, None]
        rolled = rolled * keep
        by_rows = torch.where(dy == s, rolled, by_rows)
    out = torch.zeros_like(grid)
    for s in range(-m, m + 1):
        rolled = torch.roll(by_rows, s, dims=2)
        keep = ((idx - s >= 0) & (idx - s < 8))[None, None, :]
        rolled = rolled * keep
        out = torch.where(dx == s, rolled, out)
    return out.reshape(images.shape)


def shift_by_grid_sample(images, max_shift, generator=None):
    """grid_sample, nearest, zero padding, align_corners=True: pixel
    (r, c) samples the input at (r - dy, c - dx)."""
    if max_shift < 0:
        raise ValueError("max_shift < 0")
    n, m = images.shape[0], max_shift
    shifts = torch.randint(-m, m + 1, (n, 2), generator=generator)
    shifts = shifts.to(device=images.device, dtype=images.dtype)
    pos = torch.arange(8, device=images.device, dtype=images.dtype)
    src_y = pos[None, :, None] - shifts[:, 0, None, None]  # (n, 8, 1)
    src_x = pos[None, None, :] - shifts[:, 1, None, None]  # (n, 1, 8)
    # normalised coordinates: -1 is pixel 0, +1 is pixel 7
    grid = torch.stack(
        torch.broadcast_tensors(src_x * 2 / 7 - 1, src_y * 2 / 7 - 1),
        dim=-1,
    )
    out = F.grid_sample(
        images.reshape(n, 1, 8, 8),
        grid,
        mode="nearest",
        padding_mode="zeros",
        align_corners=True,
    )
    return out.reshape(n, 64)


def shift_skipping_absent_shifts(images, max_shift, generator=None):
    """One multinomial draw over the (2m+1)^2 joint shifts; the loop
    over them skips (`if not chosen.any()`) the shifts no image drew,
    so a small batch runs fewer operations than a large one, never more
    than (2m+1)^2 times a few."""
    if max_shift < 0:
        raise ValueError(f"max_shift={max_shift} is negative")
    n, m = images.shape[0], max_shift
    side = 2 * m + 1
    weights = torch.ones(side * side)
    k = torch.multinomial(weights, n, replacement=True, generator=generator)
    k = k.to(images.device)
    dy, dx = k // side - m, k % side - m
    grid = images.reshape(n, 8, 8)
    out = torch.zeros_like(grid)
    for a in range(-m, m + 1):
        for b in range(-m, m + 1):
            chosen = (dy == a) & (dx == b)
            if not chosen.any() or abs(a) > 7 or abs(b) > 7:
                continue
            r_out = slice(max(a, 0), 8 + min(a, 0))
            r_in = slice(max(-a, 0), 8 + min(-a, 0))
            c_out = slice(max(b, 0), 8 + min(b, 0))
            c_in = slice(max(-b, 0), 8 + min(-b, 0))
            out[chosen, r_out, c_out] = grid[chosen, r_in, c_in]
    return out.reshape(n, 64)


def shift_by_where_masks(images, max_shift, generator=None):
    """Shift values from randint(0, 2m + 1) minus m; the 8x8 images are
    padded once, and a loop over the windows adds each window, masked by
    the images that drew it, into the result."""
    if max_shift < 0:
        raise ValueError("max_shift should be a non-negative integer")
    m = max_shift
    n = images.size(0)
    dy = torch.randint(0, 2 * m + 1, (n,), generator=generator) - m
    dx = torch.randint(0, 2 * m + 1, (n,), generator=generator) - m
    dy = dy.to(images.device).view(n, 1, 1)
    dx = dx.to(images.device).view(n, 1, 1)
    padded = F.pad(images.view(n, 8, 8), [m] * 4, value=0.0)
    result = images.new_zeros(n, 8, 8)
    for a in range(-m, m + 1):
        for b in range(-m, m + 1):
            window = padded[:, m - a : m - a + 8, m - b : m - b + 8]
            mask = ((dy == a) & (dx == b)).to(images.dtype)
            result = result + mask * window
    return result.view(n, 64)


CORRECT_SHIFTS = [
    shift_by_slices,
    shift_by_padding,
    shift_by_gather,
    shift_by_unfold,
    shift_by_matrices,
    shift_by_convolution,
    shift_by_rolling,
    shift_by_grid_sample,
    shift_skipping_absent_shifts,
    shift_by_where_masks,
]


@pytest.mark.parametrize("answer", CORRECT_SHIFTS, ids=lambda f: f.__name__)
def test_a_correct_shift_images_passes(answer):
    grade_answer(ASSIGNMENT, "shift_images_tests", "shift_images", answer)


# -------------------------------------------------------- wrong answers


def _draw(images, max_shift, generator):
    """The spec's draw: dy, dx independent, uniform on -m..m, one pair
    per image, on the images' device (the wrong answers below that do
    not differ in the draw share it)."""
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")
    n, m = images.shape[0], max_shift
    dy = torch.randint(-m, m + 1, (n,), generator=generator)
    dx = torch.randint(-m, m + 1, (n,), generator=generator)
    return dy.to(images.device), dx.to(images.device)


def _move(images, dy, dx, max_shift, fill=0.0, mode="constant"):
    """The spec's move (zero padding) of each image by its (dy, dx),
    or with another padding for the wrong answers that differ there."""
    n, m = images.shape[0], max_shift
    grid = images.reshape(n, 1, 8, 8)
    if mode == "constant":
        padded = F.pad(grid, (m, m, m, m), value=fill)
    else:
        padded = F.pad(grid, (m, m, m, m), mode=mode)
    padded = padded[:, 0]
    pos = torch.arange(8, device=images.device)
    rows = pos[None, :] - dy[:, None] + m
    cols = pos[None, :] - dx[:, None] + m
    batch = torch.arange(n, device=images.device)[:, None, None]
    out = padded[batch, rows[:, :, None], cols[:, None, :]]
    return out.reshape(n, 64)


def rolls_and_wraps(images, max_shift, generator=None):
    """torch.roll for each possible shift, kept where the image drew it:
    what leaves one edge comes back at the other."""
    dy, dx = _draw(images, max_shift, generator)
    n, m = images.shape[0], max_shift
    grid = images.reshape(n, 8, 8)
    out = torch.zeros_like(grid)
    for a in range(-m, m + 1):
        for b in range(-m, m + 1):
            chosen = ((dy == a) & (dx == b))[:, None, None]
            rolled = torch.roll(grid, shifts=(a, b), dims=(1, 2))
            out = torch.where(chosen, rolled, out)
    return out.reshape(n, 64)


def one_shift_for_the_batch(images, max_shift, generator=None):
    """One (dy, dx) drawn for the whole batch, not one per image."""
    if max_shift < 0:
        raise ValueError("max_shift must be >= 0")
    m = max_shift
    dy = torch.randint(-m, m + 1, (1,), generator=generator)
    dx = torch.randint(-m, m + 1, (1,), generator=generator)
    n = images.shape[0]
    dy, dx = dy.expand(n), dx.expand(n)
    return _move(images, dy.to(images.device), dx.to(images.device), m)


def same_draw_for_both(images, max_shift, generator=None):
    """One draw used for dy and dx: every image moves along the
    diagonal."""
    if max_shift < 0:
        raise ValueError("max_shift must be >= 0")
    n, m = images.shape[0], max_shift
    d = torch.randint(-m, m + 1, (n,), generator=generator)
    d = d.to(images.device)
    return _move(images, d, d, m)


def randint_high_inclusive(images, max_shift, generator=None):
    """randint(-m, m) read as inclusive: +m is never drawn (m = 0 is
    special-cased, since randint(0, 0) would raise)."""
    if max_shift < 0:
        raise ValueError("max_shift must be >= 0")
    if max_shift == 0:
        return images.clone()
    n, m = images.shape[0], max_shift
    dy = torch.randint(-m, m, (n,), generator=generator)
    dx = torch.randint(-m, m, (n,), generator=generator)
    return _move(images, dy.to(images.device), dx.to(images.device), m)


def only_down_and_right(images, max_shift, generator=None):
    """Draws from 0..m: images only ever move down and right."""
    if max_shift < 0:
        raise ValueError("max_shift must be >= 0")
    n, m = images.shape[0], max_shift
    dy = torch.randint(0, m + 1, (n,), generator=generator)
    dx = torch.randint(0, m + 1, (n,), generator=generator)
    return _move(images, dy.to(images.device), dx.to(images.device), m)


def ignores_the_generator(images, max_shift, generator=None):
    """Takes `generator` but always draws from the global generator."""
    dy, dx = _draw(images, max_shift, None)
    return _move(images, dy, dx, max_shift)


def generator_for_dy_only(images, max_shift, generator=None):
    """Passes the generator to the first draw, forgets it in the
    second: dx comes from the global generator."""
    if max_shift < 0:
        raise ValueError("max_shift must be >= 0")
    n, m = images.shape[0], max_shift
    dy = torch.randint(-m, m + 1, (n,), generator=generator)
    dx = torch.randint(-m, m + 1, (n,))
    return _move(images, dy.to(images.device), dx.to(images.device), m)


def numpy_random_numbers(images, max_shift, generator=None):
    """Shifts drawn with numpy's global RNG: neither the generator nor
    torch.manual_seed makes them repeat."""
    if max_shift < 0:
        raise ValueError("max_shift must be >= 0")
    n, m = images.shape[0], max_shift
    dy = torch.as_tensor(np.random.randint(-m, m + 1, size=n))
    dx = torch.as_tensor(np.random.randint(-m, m + 1, size=n))
    return _move(images, dy.to(images.device), dx.to(images.device), m)


def fixed_seed_without_generator(images, max_shift, generator=None):
    """Makes its own generator, seeded 0, when none is given: without a
    generator every call moves the batch the same way, whatever the
    global seed."""
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    dy, dx = _draw(images, max_shift, generator)
    return _move(images, dy, dx, max_shift)


def rounds_uniform_draws(images, max_shift, generator=None):
    """round(-m + 2m u): -m and +m come up half as often as the other
    shifts (not uniform)."""
    if max_shift < 0:
        raise ValueError("max_shift must be >= 0")
    n, m = images.shape[0], max_shift
    u = torch.rand(2, n, generator=generator)
    dy, dx = torch.round(-m + 2 * m * u).long().to(images.device)
    return _move(images, dy, dx, m)


def loops_over_images(images, max_shift, generator=None):
    """Right values, but a Python loop over the images."""
    dy, dx = _draw(images, max_shift, generator)
    out = torch.zeros_like(images).reshape(-1, 8, 8)
    grid = images.reshape(-1, 8, 8)
    for i in range(images.shape[0]):
        a, b = int(dy[i]), int(dx[i])
        if abs(a) > 7 or abs(b) > 7:
            continue
        out[i, max(a, 0) : 8 + min(a, 0), max(b, 0) : 8 + min(b, 0)] = grid[
            i, max(-a, 0) : 8 + min(-a, 0), max(-b, 0) : 8 + min(-b, 0)
        ]
    return out.reshape(images.shape)


def shifts_in_place(images, max_shift, generator=None):
    """Right values, but written back into `images` (a view of it)."""
    dy, dx = _draw(images, max_shift, generator)
    moved = _move(images, dy, dx, max_shift)
    images.copy_(moved)
    return images


def numpy_canvas_float64(images, max_shift, generator=None):
    """Moves the pixels on an np.zeros canvas (float64) and returns
    torch.from_numpy of it: float64 for float32 images."""
    dy, dx = _draw(images, max_shift, generator)
    n, m = images.shape[0], max_shift
    grid = images.detach().cpu().numpy().reshape(n, 8, 8)
    padded = np.zeros((n, 8 + 2 * m, 8 + 2 * m))
    padded[:, m : m + 8, m : m + 8] = grid
    pos = np.arange(8)
    rows = pos[None, :] - dy.cpu().numpy()[:, None] + m
    cols = pos[None, :] - dx.cpu().numpy()[:, None] + m
    out = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None]]
    return torch.from_numpy(out.reshape(n, 64)).to(images.device)


def replicates_the_edges(images, max_shift, generator=None):
    """F.pad(mode="replicate"): the uncovered pixels repeat the edge
    row or column instead of being background."""
    dy, dx = _draw(images, max_shift, generator)
    return _move(images, dy, dx, max_shift, mode="replicate")


def fills_with_the_mean(images, max_shift, generator=None):
    """Pads with the batch's mean pixel instead of 0."""
    dy, dx = _draw(images, max_shift, generator)
    fill = float(images.mean())
    return _move(images, dy, dx, max_shift, fill=fill)


def flat_shift(images, max_shift, generator=None):
    """Moves the flat vector by 8 dy + dx: a pixel pushed past the right
    edge lands at the start of the next row instead of being dropped."""
    dy, dx = _draw(images, max_shift, generator)
    k = torch.arange(64, device=images.device)[None, :]
    src = k - (8 * dy + dx)[:, None]
    valid = (src >= 0) & (src < 64)
    moved = images.gather(1, src.clamp(0, 63))
    return torch.where(valid, moved, torch.zeros_like(moved))


def returns_8_by_8(images, max_shift, generator=None):
    """Forgets to flatten back: returns shape (n, 8, 8)."""
    dy, dx = _draw(images, max_shift, generator)
    return _move(images, dy, dx, max_shift).reshape(-1, 8, 8)


def loop_range_stops_short(images, max_shift, generator=None):
    """The loop over shifts uses range(-m, m): images that drew +m in
    either direction are never written and come back blank."""
    dy, dx = _draw(images, max_shift, generator)
    n, m = images.shape[0], max_shift
    grid = images.reshape(n, 8, 8)
    padded = F.pad(grid, (m, m, m, m))
    out = torch.zeros_like(grid)
    for a in range(-m, m):
        for b in range(-m, m):
            window = padded[:, m - a : m - a + 8, m - b : m - b + 8]
            chosen = ((dy == a) & (dx == b))[:, None, None]
            out = torch.where(chosen, window, out)
    if m == 0:
        out = grid.clone()
    return out.reshape(n, 64)


def no_check_for_negative(images, max_shift, generator=None):
    """No check of max_shift: a negative one reaches randint, which
    raises RuntimeError, not ValueError."""
    n, m = images.shape[0], max_shift
    dy = torch.randint(-m, m + 1, (n,), generator=generator)
    dx = torch.randint(-m, m + 1, (n,), generator=generator)
    return _move(images, dy.to(images.device), dx.to(images.device), m)


def negative_taken_as_size(images, max_shift, generator=None):
    """Uses abs(max_shift): a negative one raises nothing."""
    m = abs(max_shift)
    dy, dx = _draw(images, m, generator)
    return _move(images, dy, dx, m)


def asserts_non_negative(images, max_shift, generator=None):
    """An assert instead of raising ValueError."""
    assert max_shift >= 0, "max_shift must be >= 0"
    dy, dx = _draw(images, max_shift, generator)
    return _move(images, dy, dx, max_shift)


def wraps_the_library_shifts(images, max_shift, generator=None):
    """Hands the work to gaplab.remedies.random_shifts (forbidden)."""
    from gaplab import remedies

    return remedies.random_shifts(images, max_shift, generator=generator)


WRONG_SHIFTS = [
    rolls_and_wraps,
    one_shift_for_the_batch,
    same_draw_for_both,
    randint_high_inclusive,
    only_down_and_right,
    ignores_the_generator,
    generator_for_dy_only,
    numpy_random_numbers,
    fixed_seed_without_generator,
    rounds_uniform_draws,
    loops_over_images,
    shifts_in_place,
    numpy_canvas_float64,
    replicates_the_edges,
    fills_with_the_mean,
    flat_shift,
    returns_8_by_8,
    loop_range_stops_short,
    no_check_for_negative,
    negative_taken_as_size,
    asserts_non_negative,
    wraps_the_library_shifts,
]


@pytest.mark.parametrize("answer", WRONG_SHIFTS, ids=lambda f: f.__name__)
def test_a_wrong_shift_images_fails(answer):
    refuse_answer(ASSIGNMENT, "shift_images_tests", "shift_images", answer)


# ======================================================== exercise 2
# ------------------------------------------------------ correct answers


def smoothed_by_log_softmax(logits, targets, smoothing=0.0):
    """torch.log_softmax, gather for the labelled class, mean over the
    classes for the uniform part."""
    if not 0 <= smoothing <= 1:
        raise ValueError(f"smoothing must be in [0, 1], got {smoothing}")
    log_p = torch.log_softmax(logits, dim=1)
    nll = -log_p.gather(1, targets[:, None]).squeeze(1)
    uniform = -log_p.mean(dim=1)
    return ((1 - smoothing) * nll + smoothing * uniform).mean()


def smoothed_by_logsumexp(logits, targets, smoothing=0.0):
    """logsumexp: -log p_y = lse - z_y, and the mean of -log p_k over
    the classes is lse - mean(z)."""
    if smoothing < 0 or smoothing > 1:
        raise ValueError("smoothing is outside [0, 1]")
    lse = torch.logsumexp(logits, dim=-1)
    rows = torch.arange(logits.shape[0], device=logits.device)
    nll = lse - logits[rows, targets]
    uniform = lse - logits.mean(dim=-1)
    loss = (1 - smoothing) * nll + smoothing * uniform
    return loss.mean()


def smoothed_with_lesson_01(logits, targets, smoothing=0.0):
    """Lesson 01's cross_entropy for the labelled part, log-sum-exp for
    the uniform part."""
    from gaplab import cross_entropy

    if not (0.0 <= smoothing <= 1.0):
        raise ValueError(smoothing)
    uniform = (logits.logsumexp(1) - logits.mean(1)).mean()
    return (1 - smoothing) * cross_entropy(logits, targets) + (
        smoothing * uniform
    )


def smoothed_by_one_hot_target(logits, targets, smoothing=0.0):
    """Builds the smoothed target distribution with F.one_hot and takes
    its cross-entropy with F.log_softmax."""
    if not 0.0 <= smoothing <= 1.0:
        raise ValueError("label smoothing must lie between 0 and 1")
    n_classes = logits.shape[1]
    one_hot = F.one_hot(targets, n_classes).to(logits.dtype)
    q = (1 - smoothing) * one_hot + smoothing / n_classes
    log_p = F.log_softmax(logits, dim=1)
    return -(q * log_p).sum(dim=1).mean()


def smoothed_by_scatter(logits, targets, smoothing=0.0):
    """The target filled with s/K, the labelled class overwritten with
    scatter_ to 1 - s + s/K; the batch mean as sum / n."""
    if smoothing < 0.0 or smoothing > 1.0:
        raise ValueError(f"smoothing={smoothing} not in [0, 1]")
    n, k = logits.shape
    q = torch.full_like(logits, smoothing / k)
    q.scatter_(1, targets.unsqueeze(1), 1 - smoothing + smoothing / k)
    log_p = logits.log_softmax(dim=1)
    return -(q * log_p).sum() / n


def smoothed_in_float64(logits, targets, smoothing=0.0):
    """A hand-written stable log-sum-exp (the row max subtracted) in
    float64, cast back to the logits' dtype."""
    if not 0 <= smoothing <= 1:
        raise ValueError("smoothing must be between 0 and 1")
    z = logits.double()
    top = z.max(dim=1, keepdim=True).values
    lse = top.squeeze(1) + torch.log(torch.exp(z - top).sum(dim=1))
    log_p = z - lse[:, None]
    k = z.shape[1]
    picked = log_p[torch.arange(len(targets)), targets]
    per_sample = -(1 - smoothing) * picked - smoothing / k * log_p.sum(1)
    return per_sample.mean().to(logits.dtype)


def smoothed_by_lerp(logits, targets, smoothing=0.0):
    """nn.LogSoftmax and torch.lerp between the two losses:
    lerp(a, b, s) = a + s (b - a) = (1 - s) a + s b."""
    if not 0 <= smoothing <= 1:
        raise ValueError("smoothing must be in [0, 1]")
    log_p = nn.LogSoftmax(dim=1)(logits)
    nll = -log_p[torch.arange(logits.size(0)), targets]
    uniform = -log_p.mean(1)
    return torch.lerp(nll, uniform, smoothing).mean()


def smoothed_by_class_loop(logits, targets, smoothing=0.0):
    """Lesson 01's cross_entropy once per class for the uniform part:
    (1/K) sum_k CE(logits, k), a loop over the K classes."""
    from gaplab import cross_entropy

    if smoothing > 1 or smoothing < 0:
        raise ValueError("smoothing must be in [0, 1]")
    k = logits.shape[1]
    loss = (1 - smoothing) * cross_entropy(logits, targets)
    for c in range(k):
        everyone_c = torch.full_like(targets, c)
        loss = loss + smoothing / k * cross_entropy(logits, everyone_c)
    return loss


def smoothed_by_einsum(logits, targets, smoothing=0.0):
    """Target matrix from torch.eye rows, contracted with einsum; the
    special case smoothing == 0 returns the plain cross-entropy."""
    if not 0 <= smoothing <= 1:
        raise ValueError(f"invalid smoothing {smoothing}")
    n, k = logits.shape
    log_p = logits - logits.logsumexp(dim=1, keepdim=True)
    if smoothing == 0:
        return -log_p[torch.arange(n), targets].mean()
    eye = torch.eye(k, dtype=logits.dtype, device=logits.device)
    q = eye[targets] * (1 - smoothing) + smoothing / k
    return -torch.einsum("nk,nk->", q, log_p) / n


CORRECT_SMOOTHING = [
    smoothed_by_log_softmax,
    smoothed_by_logsumexp,
    smoothed_with_lesson_01,
    smoothed_by_one_hot_target,
    smoothed_by_scatter,
    smoothed_in_float64,
    smoothed_by_lerp,
    smoothed_by_class_loop,
    smoothed_by_einsum,
]


@pytest.mark.parametrize("answer", CORRECT_SMOOTHING, ids=lambda f: f.__name__)
def test_a_correct_smoothed_cross_entropy_passes(answer):
    grade_answer(
        ASSIGNMENT,
        "smoothed_cross_entropy_tests",
        "smoothed_cross_entropy",
        answer,
    )


# -------------------------------------------------------- wrong answers


def _check_smoothing(smoothing):
    if not 0 <= smoothing <= 1:
        raise ValueError(f"smoothing must be in [0, 1], got {smoothing}")


def _parts(logits, targets):
    """Per sample: -log p_y and the mean over classes of -log p_k."""
    log_p = torch.log_softmax(logits, dim=1)
    nll = -log_p.gather(1, targets[:, None]).squeeze(1)
    return nll, -log_p.mean(dim=1)


def spreads_over_the_others(logits, targets, smoothing=0.0):
    """The K - 1 variant: s / (K - 1) on each class but the labelled
    one."""
    _check_smoothing(smoothing)
    k = logits.shape[1]
    q = torch.full_like(logits, smoothing / (k - 1))
    q.scatter_(1, targets[:, None], 1 - smoothing)
    return -(q * torch.log_softmax(logits, 1)).sum(1).mean()


def labelled_weight_one(logits, targets, smoothing=0.0):
    """Adds s / K to every class but keeps 1, not 1 - s, on the
    labelled one."""
    _check_smoothing(smoothing)
    nll, uniform = _parts(logits, targets)
    return (nll + smoothing * uniform).mean()


def skips_the_labelled_class(logits, targets, smoothing=0.0):
    """s / K on the other classes only, 1 - s on the labelled one: the
    target sums to 1 - s / K."""
    _check_smoothing(smoothing)
    k = logits.shape[1]
    one_hot = F.one_hot(targets, k).to(logits.dtype)
    q = (1 - smoothing) * one_hot + smoothing / k * (1 - one_hot)
    return -(q * torch.log_softmax(logits, 1)).sum(1).mean()


def swapped_weights(logits, targets, smoothing=0.0):
    """s on the labelled class's loss, 1 - s on the uniform part."""
    _check_smoothing(smoothing)
    nll, uniform = _parts(logits, targets)
    return (smoothing * nll + (1 - smoothing) * uniform).mean()


def sums_over_classes(logits, targets, smoothing=0.0):
    """Forgets the 1/K: s times the sum over classes of -log p_k."""
    _check_smoothing(smoothing)
    log_p = torch.log_softmax(logits, 1)
    nll = -log_p.gather(1, targets[:, None]).squeeze(1)
    return ((1 - smoothing) * nll - smoothing * log_p.sum(1)).mean()


def mean_over_all_elements(logits, targets, smoothing=0.0):
    """-(q * log p).mean(): averages over the classes too, dividing the
    loss by K."""
    _check_smoothing(smoothing)
    k = logits.shape[1]
    q = (1 - smoothing) * F.one_hot(targets, k).to(logits.dtype)
    q = q + smoothing / k
    return -(q * torch.log_softmax(logits, 1)).mean()


def sums_over_the_batch(logits, targets, smoothing=0.0):
    """Sums over the batch instead of averaging."""
    _check_smoothing(smoothing)
    nll, uniform = _parts(logits, targets)
    return ((1 - smoothing) * nll + smoothing * uniform).sum()


def per_sample_losses(logits, targets, smoothing=0.0):
    """Returns the n per-sample losses, never reduced."""
    _check_smoothing(smoothing)
    nll, uniform = _parts(logits, targets)
    return (1 - smoothing) * nll + smoothing * uniform


def returns_a_float(logits, targets, smoothing=0.0):
    """Returns .item(): a Python float, no graph."""
    _check_smoothing(smoothing)
    nll, uniform = _parts(logits, targets)
    return ((1 - smoothing) * nll + smoothing * uniform).mean().item()


def detached_result(logits, targets, smoothing=0.0):
    """Computes on logits.detach(): right value, no gradient."""
    _check_smoothing(smoothing)
    nll, uniform = _parts(logits.detach(), targets)
    return ((1 - smoothing) * nll + smoothing * uniform).mean()


def log_of_softmax(logits, targets, smoothing=0.0):
    """torch.log(torch.softmax(...)): a probability that underflows to
    0 gives -inf, so logits in the hundreds give inf or nan."""
    _check_smoothing(smoothing)
    log_p = torch.log(torch.softmax(logits, dim=1))
    nll = -log_p[torch.arange(len(targets)), targets]
    return ((1 - smoothing) * nll - smoothing * log_p.mean(1)).mean()


def naive_logsumexp(logits, targets, smoothing=0.0):
    """log(sum(exp(z))) without subtracting the max: exp overflows."""
    _check_smoothing(smoothing)
    lse = torch.log(torch.exp(logits).sum(dim=1))
    nll = lse - logits[torch.arange(len(targets)), targets]
    uniform = lse - logits.mean(dim=1)
    return ((1 - smoothing) * nll + smoothing * uniform).mean()


def forgets_the_max_back(logits, targets, smoothing=0.0):
    """Subtracts the row max inside the exp but never adds it back."""
    _check_smoothing(smoothing)
    top = logits.max(dim=1, keepdim=True).values
    lse = torch.log(torch.exp(logits - top).sum(dim=1))
    nll = lse - logits[torch.arange(len(targets)), targets]
    uniform = lse - logits.mean(dim=1)
    return ((1 - smoothing) * nll + smoothing * uniform).mean()


def softmax_over_the_batch(logits, targets, smoothing=0.0):
    """log_softmax along dim 0, over the batch, not the classes."""
    _check_smoothing(smoothing)
    log_p = torch.log_softmax(logits, dim=0)
    nll = -log_p.gather(1, targets[:, None]).squeeze(1)
    return ((1 - smoothing) * nll - smoothing * log_p.mean(1)).mean()


def uniform_part_from_logits(logits, targets, smoothing=0.0):
    """The uniform part as -mean(z), forgetting the log-sum-exp term."""
    _check_smoothing(smoothing)
    nll, _ = _parts(logits, targets)
    return ((1 - smoothing) * nll - smoothing * logits.mean(1)).mean()


def log_of_mean_probability(logits, targets, smoothing=0.0):
    """-log of the mean probability over classes (always log K) for the
    mean of -log p_k."""
    _check_smoothing(smoothing)
    nll, _ = _parts(logits, targets)
    uniform = -torch.log(torch.softmax(logits, 1).mean(1))
    return ((1 - smoothing) * nll + smoothing * uniform).mean()


def smoothing_sign_flipped(logits, targets, smoothing=0.0):
    """Subtracts the smoothing term instead of adding it."""
    _check_smoothing(smoothing)
    nll, uniform = _parts(logits, targets)
    return ((1 - smoothing) * nll - smoothing * uniform).mean()


def kl_divergence(logits, targets, smoothing=0.0):
    """F.kl_div against the smoothed target: the cross-entropy minus the
    target's entropy, a different value once smoothing > 0."""
    _check_smoothing(smoothing)
    k = logits.shape[1]
    q = (1 - smoothing) * F.one_hot(targets, k).to(logits.dtype)
    q = q + smoothing / k
    log_p = torch.log_softmax(logits, 1)
    return F.kl_div(log_p, q, reduction="batchmean")


def smooths_the_logits(logits, targets, smoothing=0.0):
    """Mixes the logits, not the target: CE of (1 - s) z + s / K."""
    _check_smoothing(smoothing)
    k = logits.shape[1]
    z = (1 - smoothing) * logits + smoothing / k
    nll, _ = _parts(z, targets)
    return nll.mean()


def default_smoothing_point_one(logits, targets, smoothing=0.1):
    """Defaults to smoothing 0.1, not 0.0."""
    _check_smoothing(smoothing)
    nll, uniform = _parts(logits, targets)
    return ((1 - smoothing) * nll + smoothing * uniform).mean()


def no_range_check(logits, targets, smoothing=0.0):
    """Never checks smoothing: 1.5 or -0.1 raise nothing."""
    nll, uniform = _parts(logits, targets)
    return ((1 - smoothing) * nll + smoothing * uniform).mean()


def clamps_the_smoothing(logits, targets, smoothing=0.0):
    """Clamps smoothing into [0, 1] instead of raising."""
    smoothing = min(max(smoothing, 0.0), 1.0)
    nll, uniform = _parts(logits, targets)
    return ((1 - smoothing) * nll + smoothing * uniform).mean()


def refuses_smoothing_one(logits, targets, smoothing=0.0):
    """Checks 0 <= s < 1: refuses s = 1, which the spec allows."""
    if not 0 <= smoothing < 1:
        raise ValueError("smoothing must be in [0, 1)")
    nll, uniform = _parts(logits, targets)
    return ((1 - smoothing) * nll + smoothing * uniform).mean()


def asserts_the_range(logits, targets, smoothing=0.0):
    """An assert instead of raising ValueError."""
    assert 0 <= smoothing <= 1, "smoothing must be in [0, 1]"
    nll, uniform = _parts(logits, targets)
    return ((1 - smoothing) * nll + smoothing * uniform).mean()


def uses_functional_cross_entropy(logits, targets, smoothing=0.0):
    """F.cross_entropy(label_smoothing=...) (forbidden)."""
    _check_smoothing(smoothing)
    return F.cross_entropy(logits, targets, label_smoothing=smoothing)


def uses_cross_entropy_module(logits, targets, smoothing=0.0):
    """nn.CrossEntropyLoss(label_smoothing=...) (forbidden)."""
    _check_smoothing(smoothing)
    return nn.CrossEntropyLoss(label_smoothing=smoothing)(logits, targets)


def uses_nll_loss(logits, targets, smoothing=0.0):
    """F.nll_loss on log_softmax for the labelled part (forbidden)."""
    _check_smoothing(smoothing)
    log_p = F.log_softmax(logits, dim=1)
    nll = F.nll_loss(log_p, targets)
    return (1 - smoothing) * nll - smoothing * log_p.mean(1).mean()


def wraps_the_library_loss(logits, targets, smoothing=0.0):
    """Hands the work to gaplab.remedies.smoothed_cross_entropy
    (forbidden)."""
    from gaplab import remedies

    return remedies.smoothed_cross_entropy(logits, targets, smoothing)


WRONG_SMOOTHING = [
    spreads_over_the_others,
    labelled_weight_one,
    skips_the_labelled_class,
    swapped_weights,
    sums_over_classes,
    mean_over_all_elements,
    sums_over_the_batch,
    per_sample_losses,
    returns_a_float,
    detached_result,
    log_of_softmax,
    naive_logsumexp,
    forgets_the_max_back,
    softmax_over_the_batch,
    uniform_part_from_logits,
    log_of_mean_probability,
    smoothing_sign_flipped,
    kl_divergence,
    smooths_the_logits,
    default_smoothing_point_one,
    no_range_check,
    clamps_the_smoothing,
    refuses_smoothing_one,
    asserts_the_range,
    uses_functional_cross_entropy,
    uses_cross_entropy_module,
    uses_nll_loss,
    wraps_the_library_loss,
]


@pytest.mark.parametrize("answer", WRONG_SMOOTHING, ids=lambda f: f.__name__)
def test_a_wrong_smoothed_cross_entropy_fails(answer):
    refuse_answer(
        ASSIGNMENT,
        "smoothed_cross_entropy_tests",
        "smoothed_cross_entropy",
        answer,
    )


# ================================================ the load lines themselves


@pytest.mark.parametrize(
    ("test_id", "name", "library_name"),
    [
        ("shift_images_tests", "shift_images", "random_shifts"),
        (
            "smoothed_cross_entropy_tests",
            "smoothed_cross_entropy",
            "smoothed_cross_entropy",
        ),
    ],
    ids=["load_line_random_shifts", "load_line_smoothed_cross_entropy"],
)
def test_the_library_reference_itself_fails(test_id, name, library_name):
    """The load line (`from gaplab.remedies import ... as ...`) binds the
    library's own object: it must not earn the points."""
    from gaplab import remedies

    refuse_answer(ASSIGNMENT, test_id, name, getattr(remedies, library_name))


def test_the_bank_sizes():
    """Enough answers of each kind, and no name twice."""
    for bank, least in [
        (CORRECT_SHIFTS, 8),
        (WRONG_SHIFTS, 15),
        (CORRECT_SMOOTHING, 8),
        (WRONG_SMOOTHING, 15),
    ]:
        names = [f.__name__ for f in bank]
        assert len(names) >= least
        assert len(set(names)) == len(names)
