"""Benchmark of the grader: a class of 20 solved lesson-01 notebooks,
graded sequentially and with `--jobs 2`, each in a fresh work folder;
prints both wall times, the speedup, and whether the scores agree.

Usage: python tests/bench_grading.py   (or `make bench-grading`)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.grading import run_grader  # noqa: E402
from tests.lesson01_class import exported, hand_in, solved  # noqa: E402

STUDENTS = 20


def timed_batch(folder: Path, jobs: int) -> tuple[float, dict[str, float]]:
    """Grade `folder` with `jobs` at a time in a fresh work folder; return
    the wall seconds and the exported scores."""
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / "work"
        start = time.perf_counter()
        run_grader(work, "autograde", str(folder), "--jobs", str(jobs))
        seconds = time.perf_counter() - start
        return seconds, exported(work, Path(scratch))


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "class"
        notebook = solved()
        for number in range(STUDENTS):
            hand_in(folder, f"student{number:02d}", notebook)
        sequential, first = timed_batch(folder, 1)
        parallel, second = timed_batch(folder, 2)
    print(f"{STUDENTS} submissions of lesson 01")
    print(f"  sequential      {sequential:6.1f} s")
    print(f"  --jobs 2        {parallel:6.1f} s")
    print(f"  speedup         {sequential / parallel:6.2f}x")
    print(f"  same scores     {first == second}")


if __name__ == "__main__":
    main()
