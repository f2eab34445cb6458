"""Visible exercise checks: each fails with a message that names the likely
mistake. Hidden tests live only in the solution notebooks."""

from typing import NoReturn


def fail(message: str) -> NoReturn:
    """Fail a check with a message that names the likely mistake."""
    raise AssertionError(message)
