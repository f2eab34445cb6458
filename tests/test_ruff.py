"""ruff check is clean on the library, the grader, the tests and the
notebooks (configuration in pyproject.toml)."""

import subprocess
import sys

from tests.notebook_tools import ROOT


def test_ruff_check_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
