"""Running the course's grader command line in an isolated work folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.notebook_tools import ROOT


def run_grader(
    work: Path,
    *args: str,
    check: bool = True,
    environment: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """`python -m grader ARGS` with its gradebook and working folders in
    `work`, so tests never touch an instructor's grader/work/, and with
    `environment` added to its own."""
    env = dict(os.environ, GAPLAB_GRADER_WORK=str(work), **(environment or {}))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        [sys.executable, "-m", "grader", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"python -m grader {' '.join(args)} exited {result.returncode}:"
            f"\n{result.stdout}\n{result.stderr}"
        )
    return result
