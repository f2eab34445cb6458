"""Benchmark: run every solution notebook and print its wall time and the
peak memory of its kernel (budget: 60 s per notebook on a 2-core CPU);
then time the gap-closure harness, per remedy (budget: 2 minutes for
every remedy on 3 seeds).

Usage: python tests/bench.py   (or `make bench`)
Each notebook runs in a fresh process, so that the kernel's peak resident
memory can be read from that process's finished children.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import gaplab  # noqa: E402
from gaplab.remedies.gap_closure import (  # noqa: E402
    Comparison,
    run_harness,
)
from gaplab.training import train_one_epoch  # noqa: E402
from tests.notebook_tools import (  # noqa: E402
    ROOT,
    execute_notebook,
    solution_notebooks,
)

BUDGET_SECONDS = 60
HARNESS_BUDGET_SECONDS = 120


def measure_one(path: Path) -> dict[str, float]:
    """Execute one notebook; return wall seconds and the kernel's peak MiB."""
    start = time.perf_counter()
    execute_notebook(path)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": seconds, "peak_mib": peak_kib / 1024}


def minimal_epoch(model, data, loss_fn, optimizer, batch_size) -> None:
    """The plainest correct training epoch, as the yardstick for fit."""
    order = torch.randperm(len(data.X))
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        optimizer.zero_grad()
        loss_fn(model(data.X[index]), data.y[index]).backward()
        optimizer.step()


def epoch_overhead(epochs: int = 30) -> float:
    """Time of gaplab's training epoch over a minimal loop's, same work."""
    data = gaplab.load_digits().train
    loss_fn = torch.nn.CrossEntropyLoss()
    seconds = {}
    for name, epoch in (
        ("minimal", minimal_epoch),
        ("gaplab", train_one_epoch),
    ):
        gaplab.seed_everything(0)
        model = gaplab.mlp(64, 10, (256, 256))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        epoch(model, data, loss_fn, optimizer, 32)  # warm-up
        start = time.perf_counter()
        for _ in range(epochs):
            epoch(model, data, loss_fn, optimizer, 32)
        seconds[name] = time.perf_counter() - start
    return seconds["gaplab"] / seconds["minimal"]


def timed(task):
    """`task()` and the wall seconds it took."""
    start = time.perf_counter()
    result = task()
    return result, time.perf_counter() - start


def training_seconds(comparisons: list[Comparison]) -> float:
    """Seconds the remedy's own runs trained, summed over seeds."""
    return sum(sum(c.treated.history.epoch_time) for c in comparisons)


def harness_report() -> bool:
    """Time the harness, print per remedy; True if in budget."""
    results, seconds = timed(run_harness)
    print("\n| remedy | training s (3 seeds) |\n|---|---:|")
    baselines = [c.baseline for c in next(iter(results.values()))]
    baseline_seconds = sum(sum(b.history.epoch_time) for b in baselines)
    print(f"| baseline | {baseline_seconds:.1f} |")
    for name, comparisons in results.items():
        print(f"| {name} | {training_seconds(comparisons):.1f} |")
    ok = seconds <= HARNESS_BUDGET_SECONDS
    print(
        f"\nharness, every remedy on 3 seeds: {seconds:.1f} s (budget "
        f"{HARNESS_BUDGET_SECONDS} s: {'ok' if ok else 'OVER'})"
    )
    return ok


def main() -> int:
    """Print the tables; exit 1 if a notebook or the harness is over
    budget."""
    print(
        f"training epoch, gaplab over a minimal loop: "
        f"{epoch_overhead():.2f}x (budget 1.2x)\n"
    )
    print(f"| notebook | wall s | peak MiB | budget {BUDGET_SECONDS} s |")
    print("|---|---:|---:|---|")
    total, over = 0.0, 0
    for path in solution_notebooks():
        output = subprocess.run(
            [sys.executable, __file__, "--one", str(path)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
        result = json.loads(output.splitlines()[-1])
        ok = result["seconds"] <= BUDGET_SECONDS
        over += not ok
        total += result["seconds"]
        print(
            f"| {path.name} | {result['seconds']:.1f} | "
            f"{result['peak_mib']:.0f} | {'ok' if ok else 'OVER'} |"
        )
    print(f"| total | {total:.1f} | | |")
    harness_ok = harness_report()
    return 1 if over or not harness_ok else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure_one(Path(sys.argv[2]))))
    else:
        sys.exit(main())
