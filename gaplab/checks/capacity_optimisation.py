"""Visible checks of lesson 10 (Capacity and optimisation).

`pick_capacity` gets sweeps of 3 to 7 models with 2 to 5 seeds, their
sizes in random order, as lists, numpy arrays and torch tensors in
float32 and float64, among them a best model whose seeds agree exactly
(a standard error of 0). Each answer must be the size the
one-standard-error rule picks; a wrong one is compared with the usual
mistakes (the lowest mean alone, the population standard deviation, a
standard deviation instead of a standard error, the largest model
within reach, a position instead of a size, ...) so that the message
names one. The inputs must come back unchanged.

`ScheduleCallback` runs inside `fit` on a tiny network with several of
PyTorch's schedulers; the learning rate of every epoch (`History.lr`)
and the optimiser's rate at the end must be what the scheduler gives
when stepped once after every epoch. A `ReduceLROnPlateau` is then fed
a made-up history, epoch by epoch, whose validation loss stalls while
the training losses keep falling: the rate must be cut exactly when
PyTorch's plateau rule, fed the validation loss, cuts it. Training must
never stop early.

The hidden tests run the same functions with other cases.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    ReduceLROnPlateau,
    StepLR,
)

from gaplab.checks import (
    fail,
    mistake_on_every_case,
    reported_warnings,
    require_callable,
)
from gaplab.checks.own_work import suggests_reference
from gaplab.data import Dataset, Split
from gaplab.training import Callback, History, fit

PickCapacity = Callable[..., Any]

# ------------------------------------------------------- pick_capacity


@dataclass(frozen=True)
class Sweep:
    """One case of `pick_capacity`: sizes and a loss per model and seed,
    and the container the answer gets them in."""

    sizes: tuple[int, ...]
    losses: tuple[tuple[float, ...], ...]
    container: str = "list"

    def arguments(self) -> tuple[Any, Any]:
        """The case as the answer receives it."""
        if self.container == "numpy":
            return np.array(self.sizes), np.array(self.losses)
        if self.container.startswith("torch"):
            dtype = getattr(torch, self.container.split("-")[1])
            return torch.tensor(self.sizes), torch.tensor(
                self.losses, dtype=dtype
            )
        return list(self.sizes), [list(row) for row in self.losses]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Sizes and losses as numpy arrays, for the rule itself."""
        return np.array(self.sizes), np.array(self.losses)

    def where(self) -> str:
        """The case, as a message shows it."""
        rows = "\n".join(
            f"    size {size:>6}: " + ", ".join(f"{loss:.4f}" for loss in row)
            for size, row in zip(self.sizes, self.losses, strict=True)
        )
        return (
            f"sizes and validation losses (one column per seed, given as "
            f"{self.container}):\n{rows}\n"
        )


def one_standard_error(
    sizes: np.ndarray,
    losses: np.ndarray,
    centre: Callable[[np.ndarray], np.ndarray] = lambda rows: rows.mean(1),
    spread: Callable[[np.ndarray], float] | None = None,
) -> int:
    """The rule's pick, with a given centre of each model's row of
    losses (the mean) and spread of the best row (its standard error):
    the rule itself by default, a usual mistake otherwise."""
    centres = centre(losses)
    best = int(centres.argmin())
    spread = spread or standard_error
    within = centres <= centres[best] + spread(losses[best])
    return int(sizes[within].min())


def standard_error(row: np.ndarray) -> float:
    """Sample standard deviation over the square root of the count."""
    return float(row.std(ddof=1) / math.sqrt(len(row)))


def usual_pick_mistakes(sweep: Sweep) -> list[tuple[str, int]]:
    """What the usual mistakes pick on `sweep`, with their names."""
    sizes, losses = sweep.arrays()
    means = losses.mean(axis=1)
    best = int(means.argmin())
    within = np.flatnonzero(
        means <= means[best] + standard_error(losses[best])
    )
    n_seeds = losses.shape[1]
    return [
        (
            "that is the model with the lowest mean: the rule takes the "
            "SMALLEST model within one standard error of it",
            int(sizes[best]),
        ),
        (
            "the standard error uses the sample standard deviation "
            "(ddof=1, dividing by n - 1), not the population one",
            one_standard_error(
                sizes,
                losses,
                spread=lambda row: row.std() / math.sqrt(len(row)),
            ),
        ),
        (
            "that is one standard DEVIATION: the standard error divides "
            "it by the square root of the number of seeds",
            one_standard_error(
                sizes, losses, spread=lambda row: row.std(ddof=1)
            ),
        ),
        (
            "divide the standard deviation by the SQUARE ROOT of the "
            "number of seeds",
            one_standard_error(
                sizes, losses, spread=lambda row: row.std(ddof=1) / len(row)
            ),
        ),
        (
            "divide by the square root of the number of seeds, n, not of "
            "n - 1",
            one_standard_error(
                sizes,
                losses,
                spread=lambda row: row.std(ddof=1) / math.sqrt(len(row) - 1),
            ),
        ),
        (
            "take the standard error of the best model's losses only, not "
            "of every loss together",
            one_standard_error(
                sizes,
                losses,
                spread=lambda _: losses.std(ddof=1) / math.sqrt(n_seeds),
            ),
        ),
        (
            "average each model's losses over its seeds (along a row), "
            "not take their minimum",
            one_standard_error(sizes, losses, lambda rows: rows.min(1)),
        ),
        (
            "of the models within one standard error, take the SMALLEST "
            "size, not the largest",
            int(sizes[within].max()),
        ),
        (
            "the sizes are not sorted: take the smallest size among the "
            "models within reach, not the first one in the list",
            int(sizes[within[0]]),
        ),
        (
            "return the size itself, not its position in `sizes`",
            int(within[sizes[within].argmin()]),
        ),
    ]


def random_sweep(rng: np.random.Generator, container: str) -> Sweep:
    """A sweep whose validation loss falls with size and levels off,
    noisy across seeds, its models in random order."""
    n_models = int(rng.integers(3, 8))
    n_seeds = int(rng.integers(2, 6))
    sizes = np.sort(rng.choice(np.arange(50, 5000, 50), n_models, False))
    means = 0.5 + 0.4 * np.exp(-np.arange(n_models) / 1.5)
    losses = means[:, None] + rng.normal(0, 0.04, (n_models, n_seeds))
    order = rng.permutation(n_models)
    return Sweep(
        tuple(int(size) for size in sizes[order]),
        tuple(tuple(float(x) for x in row) for row in losses[order].round(4)),
        container,
    )


def is_telling(sweep: Sweep) -> bool:
    """Whether the rule's pick differs from the lowest mean's model and
    no mean sits within float32 rounding of the rule's threshold."""
    sizes, losses = sweep.arrays()
    means = losses.mean(axis=1)
    best = int(means.argmin())
    threshold = means[best] + standard_error(losses[best])
    margins = np.abs(np.delete(means, best) - threshold)
    return one_standard_error(sizes, losses) != sizes[best] and bool(
        margins.min() > 1e-4
    )


def pick_cases(rng: np.random.Generator, count: int) -> list[Sweep]:
    """`count` telling random sweeps, in every container in turn."""
    containers = ("list", "numpy", "torch-float32", "torch-float64")
    cases: list[Sweep] = []
    while len(cases) < count:
        sweep = random_sweep(rng, containers[len(cases) % len(containers)])
        if is_telling(sweep):
            cases.append(sweep)
    return cases


# A best model whose seeds agree exactly: its standard error is 0, so
# only models with the very same mean qualify (here the smaller one).
TIED_SWEEP = Sweep(
    sizes=(800, 200, 400),
    losses=((0.5, 0.5, 0.5), (0.7, 0.6, 0.8), (0.45, 0.55, 0.5)),
)
FIXED_SWEEPS = (
    Sweep(
        sizes=(100, 200, 400, 800, 1600),
        losses=(
            (0.91, 0.89, 0.90),
            (0.615, 0.6, 0.63),
            (0.58, 0.6, 0.62),
            (0.54, 0.58, 0.62),
            (0.64, 0.65, 0.66),
        ),
    ),
    TIED_SWEEP,
    # Unsorted: a smaller and a larger model than the best are within
    # one standard error of it; the rule takes the smaller.
    Sweep(
        sizes=(1600, 200, 800, 100, 400),
        losses=(
            (0.69, 0.7, 0.71),
            (0.56, 0.57, 0.58),
            (0.57, 0.56, 0.58),
            (0.79, 0.8, 0.81),
            (0.5, 0.55, 0.6),
        ),
    ),
    # Two seeds: the best model's standard error is 0.05, and the next
    # size sits 0.06 above it, inside a margin divided by sqrt(n - 1).
    Sweep(
        sizes=(300, 600, 1200),
        losses=((0.66, 0.58), (0.6, 0.5), (0.75, 0.71)),
    ),
)


def call_pick(pick: PickCapacity, sweep: Sweep) -> int:
    """The answer's pick on `sweep`, as an int; or a failure."""
    sizes, losses = sweep.arguments()
    kept = sweep.arrays()
    try:
        result = pick(sizes, losses)
    except NotImplementedError:
        raise
    except Exception as error:
        fail(
            f"on these {sweep.where()}pick_capacity raised "
            f"{type(error).__name__}: {error}"
        )
    now = (np.asarray(sizes), np.asarray(losses, dtype=float))
    if not (
        np.array_equal(now[0], kept[0])
        and np.allclose(now[1], kept[1], atol=1e-6)
    ):
        fail(
            f"pick_capacity changed its inputs on these {sweep.where()}"
            "sort or change a copy, never the caller's arrays"
        )
    if isinstance(result, bool) or not _is_whole_number(result):
        fail(
            f"pick_capacity returned {result!r} ({type(result).__name__}): "
            "return one of the sizes, a whole number"
        )
    return int(result)


def _is_whole_number(value: Any) -> bool:
    """Whether `value` is an int, a numpy integer or a one-element
    integer tensor."""
    if isinstance(value, torch.Tensor):
        return value.numel() == 1 and not value.is_floating_point()
    return isinstance(value, int | np.integer)


def check_picks(pick: PickCapacity, sweeps: Sequence[Sweep]) -> None:
    """The answer's pick on every sweep, against the rule's. A wrong
    answer is named by the mistake that explains all of its picks, or
    else its first wrong one."""
    got = [call_pick(pick, sweep) for sweep in sweeps]
    want = [one_standard_error(*sweep.arrays()) for sweep in sweeps]
    wrong = [
        i for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w
    ]
    if not wrong:
        return
    first = wrong[0]
    hint = (
        mistake_on_every_case(
            [usual_pick_mistakes(sweep) for sweep in sweeps], got, int.__eq__
        )
        or next(
            (
                name
                for name, value in usual_pick_mistakes(sweeps[first])
                if value == got[first]
            ),
            None,
        )
        or "go through the three steps of the rule on this sweep"
    )
    fail(
        f"on these {sweeps[first].where()}pick_capacity returned "
        f"{got[first]}; the one-standard-error rule picks {want[first]}: "
        f"{hint}"
    )


def run_pick(pick: PickCapacity) -> Any:
    """One call of the answer, for the hidden tests' own-work rule."""
    return pick(*FIXED_SWEEPS[0].arguments())


@suggests_reference("pick_capacity")
def check_pick_capacity(pick: PickCapacity, seed: int = 0) -> None:
    """Check exercise 1: see the module's docstring."""
    require_callable(pick, "check_pick_capacity(pick_capacity)")
    sweeps = (*FIXED_SWEEPS, *pick_cases(np.random.default_rng(seed), 12))
    with reported_warnings():
        check_picks(pick, sweeps)
    print(
        f"check_pick_capacity passed: on {len(sweeps)} sweeps (3 to 7 "
        "models in any order, 2 to 5 seeds, lists, numpy arrays and "
        "tensors, a best model with a standard error of 0) your picks "
        "are the one-standard-error rule's."
    )


# --------------------------------------------------- ScheduleCallback

N_EPOCHS = 6
INITIAL_LR = 0.1
PLATEAU_PATIENCE = 2
PLATEAU_FACTOR = 0.5
# Validation loss of the made-up plateau run: it improves, stalls for
# longer than the patience, improves again, then stalls once more. The
# training losses keep falling all along.
PLATEAU_VAL_LOSS = (1.0, 0.8, 0.81, 0.8, 0.82, 0.79, 0.7, 0.71, 0.72, 0.7)
SCHEDULERS: dict[str, Callable[[torch.optim.Optimizer], Any]] = {
    "StepLR(step_size=2, gamma=0.5)": lambda optimizer: StepLR(
        optimizer, step_size=2, gamma=0.5
    ),
    "ExponentialLR(gamma=0.7)": lambda optimizer: ExponentialLR(
        optimizer, gamma=0.7
    ),
    "CosineAnnealingLR(T_max=4)": lambda optimizer: CosineAnnealingLR(
        optimizer, T_max=4
    ),
}


def tiny_data() -> Dataset:
    """Twelve random samples of 3 features in 2 classes."""
    generator = torch.Generator().manual_seed(0)
    split = Split(
        torch.randn(12, 3, generator=generator),
        torch.randint(0, 2, (12,), generator=generator),
    )
    return Dataset("tiny", "classification", split, split, split, 2)


def expected_rates(
    build: Callable[[torch.optim.Optimizer], Any], epochs: int
) -> list[float]:
    """The rate of each epoch, and the rate after the last, when the
    scheduler is stepped once after every epoch."""
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], INITIAL_LR)
    scheduler = build(optimizer)
    rates = [optimizer.param_groups[0]["lr"]]
    with warnings.catch_warnings():
        # PyTorch warns that no optimiser step came first: none is needed
        warnings.simplefilter("ignore")
        for _ in range(epochs):
            scheduler.step()
            rates.append(optimizer.param_groups[0]["lr"])
    return rates


def build_callback(schedule_callback: type, scheduler: Any) -> Callback:
    """The answer's callback around `scheduler`; or a failure."""
    try:
        return schedule_callback(scheduler)
    except NotImplementedError:
        raise
    except Exception as error:
        fail(
            f"ScheduleCallback(scheduler) raised {type(error).__name__}: "
            f"{error}. It is built with the scheduler alone"
        )


def run_schedule(schedule_callback: type, name: str) -> tuple[History, float]:
    """`fit` a tiny network for `N_EPOCHS` with the answer's callback
    around the scheduler `name`; the history and the final rate."""
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=INITIAL_LR)
    callback = build_callback(schedule_callback, SCHEDULERS[name](optimizer))
    try:
        history = fit(
            model,
            tiny_data(),
            nn.CrossEntropyLoss(),
            optimizer,
            epochs=N_EPOCHS,
            batch_size=4,
            callbacks=[callback],
            device="cpu",
            progress=False,
        )
    except NotImplementedError:
        raise
    except Exception as error:
        fail(
            f"fit with your callback around {name} raised "
            f"{type(error).__name__}: {error}"
        )
    return history, optimizer.param_groups[0]["lr"]


def rates_text(rates: Sequence[float]) -> str:
    """Learning rates as a message shows them."""
    return "[" + ", ".join(f"{rate:.4g}" for rate in rates) + "]"


def schedule_mistake(got: Sequence[float], want: Sequence[float]) -> str:
    """Name the likely mistake behind the rates `got` (each epoch's,
    then the final one) from what one step too many or too few gives."""
    if close_rates(got[:-1], want[1:]):
        return (
            "the rates run one step ahead: the scheduler was stepped "
            "before the first epoch (in __init__ or on_train_begin); step "
            "it only in on_epoch_end, after each epoch"
        )
    if got[0] != want[0]:
        return (
            "the first epoch did not train at the optimiser's initial "
            "rate: step the scheduler only in on_epoch_end, after the epoch"
        )
    if got[:-1] == want[:-1]:
        return (
            "every epoch's rate is right but the rate after training is "
            "not: do nothing in on_train_end"
        )
    if all(a == b for a, b in zip(got, want[::2], strict=False)):
        return "step the scheduler once per epoch, not twice"
    return (
        "step the scheduler once at the end of every epoch, with no "
        "argument (only ReduceLROnPlateau is given the validation loss)"
    )


def close_rates(got: Sequence[float], want: Sequence[float]) -> bool:
    """Whether two lists of rates agree to float rounding."""
    return len(got) == len(want) and all(
        math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)
        for a, b in zip(got, want, strict=True)
    )


def check_schedules(schedule_callback: type) -> None:
    """Inside `fit`: each epoch's rate and the final one, per scheduler;
    and training runs every epoch."""
    for name, build in SCHEDULERS.items():
        history, final = run_schedule(schedule_callback, name)
        if len(history) != N_EPOCHS:
            fail(
                f"with {name}, fit stopped after {len(history)} of "
                f"{N_EPOCHS} epochs: on_epoch_end must return False"
            )
        got = [*history.lr, final]
        want = expected_rates(build, N_EPOCHS)
        if not close_rates(got, want):
            fail(
                f"with {name} from lr={INITIAL_LR}, the rates of the "
                f"{N_EPOCHS} epochs and after training were "
                f"{rates_text(got)}; stepped once after each epoch they "
                f"are {rates_text(want)}: {schedule_mistake(got, want)}"
            )


class RecordingPlateau(ReduceLROnPlateau):
    """PyTorch's plateau scheduler that keeps every value it is given."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        super().__init__(
            optimizer, factor=PLATEAU_FACTOR, patience=PLATEAU_PATIENCE
        )
        self.given: list[float] = []

    def step(self, metrics: Any, epoch: int | None = None) -> None:
        """Record `metrics`, then step as PyTorch does."""
        self.given.append(float(metrics))
        super().step(metrics, epoch)


def plateau_history(epochs: int) -> History:
    """The made-up run's first `epochs` epochs: validation loss from
    `PLATEAU_VAL_LOSS`, training losses falling every epoch."""
    history = History()
    for epoch in range(1, epochs + 1):
        history.epoch.append(epoch)
        history.train_loss.append(1.0 / (epoch + 1))
        history.running_train_loss.append(1.2 / (epoch + 1))
        history.val_loss.append(PLATEAU_VAL_LOSS[epoch - 1])
        history.train_acc.append(0.5 + epoch / 40)
        history.val_acc.append(0.5 + epoch / 50)
        history.lr.append(INITIAL_LR)
        history.epoch_time.append(0.0)
    return history


def plateau_rates(step: Callable[[ReduceLROnPlateau, History], Any]) -> list:
    """The rate after each epoch of the made-up run when `step` steps a
    fresh plateau scheduler."""
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], INITIAL_LR)
    scheduler = ReduceLROnPlateau(
        optimizer, factor=PLATEAU_FACTOR, patience=PLATEAU_PATIENCE
    )
    rates = []
    for epoch in range(1, len(PLATEAU_VAL_LOSS) + 1):
        step(scheduler, plateau_history(epoch))
        rates.append(optimizer.param_groups[0]["lr"])
    return rates


def plateau_mistake(got: Sequence[float]) -> str:
    """Name what the answer fed the plateau scheduler, or how it
    counted, from the rates it gave."""
    fed = {
        "the training loss": "train_loss",
        "the running training loss": "running_train_loss",
        "the validation accuracy": "val_acc",
    }
    for words, name in fed.items():
        rates = plateau_rates(
            lambda scheduler, h, name=name: scheduler.step(
                getattr(h, name)[-1]
            )
        )
        if close_rates(got, rates):
            return (
                f"it was given {words}: step it with the validation loss, "
                "history.val_loss[-1]"
            )
    if close_rates(got, [INITIAL_LR] * len(got)):
        return (
            "the rate never changed: call scheduler.step(history."
            "val_loss[-1]) in on_epoch_end"
        )
    return (
        "ReduceLROnPlateau cuts the rate when MORE than `patience` epochs "
        "in a row failed to improve: step PyTorch's scheduler with the "
        "validation loss rather than counting yourself"
    )


def check_plateau(schedule_callback: type) -> None:
    """A plateau scheduler fed the made-up run, epoch by epoch."""
    model = nn.Linear(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=INITIAL_LR)
    scheduler = RecordingPlateau(optimizer)
    callback = build_callback(schedule_callback, scheduler)
    got = []
    for epoch in range(1, len(PLATEAU_VAL_LOSS) + 1):
        try:
            stop = callback.on_epoch_end(plateau_history(epoch), model)
        except NotImplementedError:
            raise
        except Exception as error:
            fail(
                f"on_epoch_end with a ReduceLROnPlateau raised "
                f"{type(error).__name__}: {error}. Step it with the "
                "validation loss: scheduler.step(history.val_loss[-1])"
            )
        if stop:
            fail(
                f"on_epoch_end returned {stop!r} at epoch {epoch}: it must "
                "never stop training; return False"
            )
        got.append(optimizer.param_groups[0]["lr"])
    want = plateau_rates(lambda scheduler, h: scheduler.step(h.val_loss[-1]))
    if not close_rates(got, want):
        losses = ", ".join(f"{loss:g}" for loss in PLATEAU_VAL_LOSS)
        fail(
            "a ReduceLROnPlateau(factor=0.5, patience=2) fed epoch by "
            f"epoch with the validation losses [{losses}] (training "
            f"losses falling) left the rates {rates_text(got)} after each "
            f"epoch; PyTorch's rule gives {rates_text(want)}: "
            f"{plateau_mistake(got)}"
        )
    if not close_rates(scheduler.given, PLATEAU_VAL_LOSS):
        given = ", ".join(f"{value:g}" for value in scheduler.given)
        fail(
            f"the plateau scheduler was given [{given}] over the epochs "
            "whose validation losses were "
            f"[{', '.join(f'{loss:g}' for loss in PLATEAU_VAL_LOSS)}]: "
            "give it each epoch's own validation loss, "
            "history.val_loss[-1], once per epoch"
        )


def run_schedule_callback(schedule_callback: type) -> History:
    """One training run with the answer, for the hidden tests' own-work
    rule."""
    return run_schedule(schedule_callback, next(iter(SCHEDULERS)))[0]


@suggests_reference("ScheduleCallback")
def check_schedule_callback(schedule_callback: type) -> None:
    """Check exercise 2: see the module's docstring."""
    require_callable(
        schedule_callback, "check_schedule_callback(ScheduleCallback)", "class"
    )
    with reported_warnings():
        check_schedules(schedule_callback)
        check_plateau(schedule_callback)
    print(
        "check_schedule_callback passed: inside fit, "
        f"{', '.join(SCHEDULERS)} set every epoch's rate as when stepped "
        "once after each epoch, training ran every epoch, and a "
        "ReduceLROnPlateau fed epoch by epoch cut the rate when PyTorch's "
        "rule on the validation loss does."
    )
