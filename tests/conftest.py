"""Shared pytest setup: headless plotting and repository paths."""

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.sandbox import SandboxUnavailable, check_sandbox  # noqa: E402


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a test that grades where bubblewrap cannot run, saying how to
    enable it; under CI (CI=true) fail instead, so a grader that cannot
    sandbox is never taken for a tested one."""
    if item.get_closest_marker("sandbox") is None:
        return
    try:
        check_sandbox()
    except SandboxUnavailable as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true, and grading cannot be tested: {error}")
        pytest.skip(f"grading needs its sandbox: {error}")
