"""Data augmentation for the 8x8 digits: random shifts, on the device.

A shifted digit is still the same digit, so each training batch can show
the network slightly moved copies of its images instead of the same
pixels every epoch: more data, for free, of the one kind the task does
not care about. This is the reference of lesson 08's exercise.
"""

from __future__ import annotations

import torch

DIGIT_SIDE = 8


def check_images(images: torch.Tensor, side: int = DIGIT_SIDE) -> None:
    """Raise a clear error unless `images` is a float batch of flattened
    side x side images."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(
            f"images must be a torch.Tensor, got {type(images).__name__}"
        )
    if images.ndim != 2 or images.shape[1] != side * side:
        raise ValueError(
            f"images must have shape (batch, {side * side}): {side}x{side} "
            f"images flattened row by row, as load_digits gives them; got "
            f"{tuple(images.shape)}"
        )
    if not images.is_floating_point():
        raise TypeError(f"images must be floats, got {images.dtype}")


def random_shifts(
    images: torch.Tensor,
    max_shift: int,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Move each image of the batch by its own random whole number of
    pixels, from -max_shift to max_shift down and across; pixels moved
    past an edge are dropped and the uncovered ones are 0 (background).

    All images move in one gather: pad the batch with zeros, then read
    each image's window at its own offset.
    """
    check_images(images)
    if not isinstance(max_shift, int) or not 0 <= max_shift < DIGIT_SIDE:
        raise ValueError(
            f"max_shift must be an int from 0 to {DIGIT_SIDE - 1}, got "
            f"{max_shift!r}"
        )
    n, side = len(images), DIGIT_SIDE
    grid = images.reshape(n, side, side)
    padded = torch.nn.functional.pad(grid, [max_shift] * 4)
    # Each image's window: rows and columns from its offset in the padded
    # grid (offset max_shift leaves the image where it was).
    offsets = torch.randint(
        0,
        2 * max_shift + 1,
        (2, n, 1),
        generator=generator,
        device=images.device if generator is None else generator.device,
    ).to(images.device)
    pixels = torch.arange(side, device=images.device)
    rows = (offsets[0] + pixels)[:, :, None]
    columns = (offsets[1] + pixels)[:, None, :]
    batch = torch.arange(n, device=images.device)[:, None, None]
    return padded[batch, rows, columns].reshape(n, side * side)
