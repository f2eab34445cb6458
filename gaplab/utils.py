"""Reproducibility and device selection, shared by every lesson."""

from __future__ import annotations

import random

import numpy as np
import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch so that a run can be repeated exactly.

    Every measured claim in the course is repeated on several seeds; this is
    the one call that makes each of those runs reproducible.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(
            f"seed must be an int, got {type(seed).__name__}: pass e.g. 0"
        )
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def get_device(device: str | torch.device = "auto") -> torch.device:
    """Return the device to train on; "auto" means CUDA when present.

    Lessons call this once, so the same notebook uses Colab's GPU and a
    laptop's CPU without edits.
    """
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str) or device not in DEVICE_CHOICES:
        raise ValueError(
            f"unknown device {device!r}: use one of {DEVICE_CHOICES}"
        )
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device 'cuda' was asked for but no CUDA GPU is visible: "
            "use device='auto' to fall back to the CPU"
        )
    if device == "mps" and not torch.backends.mps.is_available():
        raise ValueError(
            "device 'mps' was asked for but Apple's MPS backend is not "
            "available: use device='auto'"
        )
    return torch.device(device)
