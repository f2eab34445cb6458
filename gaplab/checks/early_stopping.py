"""Visible checks of lesson 05 (Early stopping).

The learner's `EarlyStopping` is driven exactly as `fit` drives it:
`on_train_begin(model)`, then `on_epoch_end(history, model)` after each
epoch with the `History` growing by one epoch, then
`on_train_end(history, model)`. The histories are built by hand, so that
each usual mistake shows: a plateau, a noisy curve, improvements smaller
than `min_delta` and ties exactly at it, accuracies to maximise, a
baseline, a warm-up, NaN and inf. The lists a case does not monitor hold
decoys (losses that fall and accuracies that rise every epoch), so a
callback that reads the wrong list goes visibly wrong.

The library's reference runs beside the answer on the same history; the
first epoch where the two disagree (whether to stop, `wait`, `best`,
`best_epoch`, `stopped_epoch`) fails with both states and the likely
mistake. The model is a tiny `nn.Linear` whose every weight is set, in
place, to the epoch's number before each epoch, as an optimiser would
change it: the weights it ends with say which epoch's were kept.

The hidden tests run `check_cases`, `check_resume` and `check_reuse` on
other histories; `run_case` drives an answer alone, for
`require_own_work`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from gaplab.checks import fail, reported_warnings
from gaplab.checks.own_work import suggests_reference
from gaplab.remedies.early_stopping import EarlyStopping as Reference
from gaplab.remedies.early_stopping import monitor_direction
from gaplab.training import History

LOSSES = ("train_loss", "running_train_loss", "val_loss")
ACCURACIES = ("train_acc", "val_acc")
STATE = ("wait", "best", "best_epoch", "stopped_epoch")
MISSING = "(missing)"
ModelFactory = Callable[[], nn.Module]


@dataclass(frozen=True)
class Case:
    """A run built by hand: the monitored values, one per epoch from
    epoch 1, and the keyword arguments the callback is built with."""

    description: str
    values: tuple[float, ...]
    options: dict[str, Any] = field(default_factory=dict)
    # Added to the epoch to give the model its weights: a second fit
    # counts its epochs from 1 again, but its weights are new.
    weights_from: int = 0

    @property
    def monitor(self) -> str:
        """The History list the callback watches."""
        return self.options.get("monitor", "val_loss")

    @property
    def direction(self) -> str:
        """Which way the monitored values improve: "min" or "max"."""
        return monitor_direction(
            self.monitor, self.options.get("mode", "auto")
        )

    @property
    def min_delta(self) -> float:
        """The smallest change that is not an improvement."""
        return abs(self.options.get("min_delta", 0.0))

    def arguments(self) -> str:
        """The options as the call that builds the callback shows them."""
        return ", ".join(f"{k}={v!r}" for k, v in self.options.items())

    def gain(self, value: float, reference: float) -> float:
        """How much `value` improves on `reference` (negative: worse)."""
        if self.direction == "min":
            return reference - value
        return value - reference


def decoy(name: str, epoch: int) -> float:
    """What a list the case does not monitor holds at `epoch`: losses
    that fall and accuracies that rise every epoch, each list its own."""
    if name in LOSSES:
        return (2 + LOSSES.index(name)) * 0.8**epoch
    return 1 - (0.4 + 0.1 * ACCURACIES.index(name)) * 0.8**epoch


def append_epoch(history: History, case: Case, epoch: int) -> None:
    """Add epoch `epoch` of `case` to `history`, as `fit` does."""
    history.epoch.append(epoch)
    for name in LOSSES + ACCURACIES:
        value = (
            case.values[epoch - 1]
            if name == case.monitor
            else decoy(name, epoch)
        )
        getattr(history, name).append(value)
    history.lr.append(1e-3)
    history.epoch_time.append(0.01)


def tiny_model() -> nn.Module:
    """The model whose weights say which epoch they are from."""
    return nn.Linear(2, 1)


def set_epoch_weights(model: nn.Module, epoch: int) -> None:
    """Set every entry of the model's state (weights and buffers) to
    `epoch`, in place, as an optimiser step changes the weights."""
    with torch.no_grad():
        for tensor in model.state_dict().values():
            tensor.fill_(epoch)


def weights_epoch(model: nn.Module) -> int | None:
    """The epoch whose weights the model holds; None for a mix."""
    values = {
        float(v) for t in model.state_dict().values() for v in t.flatten()
    }
    return int(values.pop()) if len(values) == 1 else None


@dataclass(frozen=True)
class Seen:
    """What a callback returned and held after one epoch."""

    epoch: int
    stop: bool
    state: dict[str, Any]


@dataclass(frozen=True)
class Run:
    """A callback driven over a case: its state after `on_train_begin`,
    what it showed after each epoch, its state after `on_train_end`, and
    the epoch of the final weights."""

    begun: dict[str, Any]
    steps: list[Seen]
    final: dict[str, Any]
    weights: int | None
    callback: Any
    model: nn.Module


def state_of(callback: Any) -> dict[str, Any]:
    """The callback's wait, best, best_epoch and stopped_epoch."""
    return {name: getattr(callback, name, MISSING) for name in STATE}


def call(case: Case, what: str, method: Callable[..., Any], *args: Any) -> Any:
    """Call one of the answer's methods; an error fails the check with
    the case and the call that raised."""
    try:
        return method(*args)
    except NotImplementedError:
        raise
    except Exception as error:
        fail(
            f"{what} raised {type(error).__name__}: {error}\n(on "
            f"{case.description}: EarlyStopping({case.arguments()}), "
            f"monitored values {list(case.values)})"
        )


def build(early_stopping: Callable[..., Any], case: Case) -> Any:
    """The answer's callback for `case`, or a failure that says why
    there is none."""
    callback = call(
        case,
        f"EarlyStopping({case.arguments()})",
        lambda: early_stopping(**case.options),
    )
    if callback is None:
        fail(
            f"EarlyStopping({case.arguments()}) returned None: define a "
            "class EarlyStopping(Callback) whose __init__ takes the "
            "arguments of the exercise"
        )
    for method in ("on_train_begin", "on_epoch_end", "on_train_end"):
        if not callable(getattr(callback, method, None)):
            fail(
                f"the callback has no method {method}: fit calls "
                "on_train_begin(model), on_epoch_end(history, model) and "
                "on_train_end(history, model)"
            )
    return callback


def drive(
    callback: Any,
    case: Case,
    model: nn.Module,
    first: int = 1,
    last: int | None = None,
    end: bool = True,
    after: Callable[[int], None] | None = None,
) -> Run:
    """Drive `callback` as `fit` would over epochs `first` to `last` of
    `case` (all of them by default), the history holding every earlier
    epoch too, and the model's weights set to each epoch's number (plus
    `case.weights_from`); `after(epoch)` runs after each epoch."""
    last = len(case.values) if last is None else last
    history = History()
    for epoch in range(1, first):
        append_epoch(history, case, epoch)
    call(case, "on_train_begin(model)", callback.on_train_begin, model)
    begun = state_of(callback)
    steps = []
    for epoch in range(first, last + 1):
        append_epoch(history, case, epoch)
        set_epoch_weights(model, case.weights_from + epoch)
        stop = call(
            case,
            f"on_epoch_end(history, model) at epoch {epoch}",
            callback.on_epoch_end,
            history,
            model,
        )
        steps.append(Seen(epoch, bool(stop), state_of(callback)))
        if after is not None:
            after(epoch)
        if stop:
            break
    if end:
        call(
            case,
            "on_train_end(history, model)",
            callback.on_train_end,
            history,
            model,
        )
    return Run(
        begun,
        steps,
        state_of(callback),
        weights_epoch(model),
        callback,
        model,
    )


def run_case(
    early_stopping: Callable[..., Any],
    case: Case,
    model: ModelFactory = tiny_model,
) -> Run:
    """Build the answer's callback for `case` and drive it over the
    whole case: what the hidden tests pass to require_own_work."""
    return drive(build(early_stopping, case), case, model())


def expected_run(case: Case, model: ModelFactory = tiny_model) -> Run:
    """What the library's reference does on `case`."""
    return drive(Reference(**case.options), case, model())


# ------------------------------------------------------------ the hints

PATIENCE = (
    "wait has reached patience={patience}, so training must stop here: "
    "stop as soon as wait >= patience (not wait > patience), counting "
    "this epoch"
)
EARLY = (
    "training stopped with wait={wait} < patience={patience}: stop only "
    "once wait >= patience"
)
EPOCH_ONE = (
    "never stop at epoch 1 because of wait, not even in a resumed fit "
    "(fit counts the epochs of every call from 1) or with patience=0"
)
IMPROVING = "an epoch that improves on the best never stops training"
RESET = "an improvement resets wait to 0"
COUNT = "each monitored epoch that does not improve adds 1 to wait"
FIRST = (
    "the first monitored epoch always improves (there is no best yet): "
    "it sets best and best_epoch"
)
EQUAL = (
    "a value equal to the best is no improvement: compare strictly "
    "(< rather than <=)"
)
TIE = (
    "this value beats the best by exactly min_delta={min_delta}, and a tie "
    "is no improvement: it must beat the best by MORE than min_delta "
    "(> rather than >=)"
)
SMALL = (
    "this value beats the best by only {gain:g}, not by more than "
    "min_delta={min_delta}: an improvement must exceed min_delta"
)
DIRECTION = (
    "with monitor={monitor!r} and mode={mode!r}, {better} values are "
    "better ('auto' minimises a name ending in 'loss' and maximises one "
    "ending in 'acc'; 'min' and 'max' override the name)"
)
BASELINE_WAIT = (
    "this value improves on the best but not on baseline={baseline}: it "
    "becomes the best, but wait is reset only by an improvement that "
    "also beats the baseline (by more than min_delta)"
)
BASELINE_BEST = (
    "best and best_epoch follow every improvement, even one that does "
    "not beat baseline={baseline}: the baseline only decides whether "
    "wait is reset"
)
WARM_UP = (
    "the first start_from_epoch={start} epochs are not monitored at all: "
    "ignore every epoch <= start_from_epoch (History counts from 1): "
    "its value, even a NaN, touches neither best nor wait and cannot "
    "stop training"
)
NOT_FINITE_STOP = (
    "a NaN or infinite value must stop training at once: NaN compares "
    "False with everything, so no comparison catches it; test "
    "math.isfinite(value) first"
)
NOT_FINITE_BEST = (
    "test math.isfinite(value) before comparing the value with the "
    "best: a value that is not finite stops training and never becomes "
    "the best"
)
WRONG_LIST = (
    "best holds a value from another list of the history: read the list "
    "that monitor names, getattr(history, monitor)[-1]"
)
FROM_ONE = "epochs count as History counts them, from 1: use history.epoch[-1]"
STOPPED = (
    "stopped_epoch is the epoch at which on_epoch_end returned True, and "
    "0 until then"
)
GENERIC = "go through the rules of the exercise one by one for this epoch"
MISSING_HINT = (
    "the callback has no attribute {name}: keep wait, best, best_epoch "
    "and stopped_epoch as attributes"
)


def epoch_kind(case: Case, epoch: int, best: float | None) -> str:
    """What epoch `epoch` of `case` is to a correct callback whose best
    so far is `best`."""
    value = case.values[epoch - 1]
    if epoch <= case.options.get("start_from_epoch", 0):
        return "warm-up"
    if not math.isfinite(value):
        return "not finite"
    baseline = case.options.get("baseline")
    short = baseline is not None and not (
        case.gain(value, baseline) > case.min_delta
    )
    if best is None:
        return "first, short of the baseline" if short else "first"
    gain = case.gain(value, best)
    if gain > case.min_delta:
        return "improvement, short of the baseline" if short else "improvement"
    if gain == 0:
        return "equal"
    if gain == case.min_delta:
        return "tie"
    return "small gain" if gain > 0 else "worse"


def is_number(value: Any) -> bool:
    """Whether `value` can be read as a float."""
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def same(name: str, expected: Any, got: Any) -> bool:
    """Whether the answer's `name` matches the reference's. Before the
    first monitored epoch any `best` will do (None, inf, ...)."""
    if name == "best":
        if expected is None:
            return True
        return is_number(got) and math.isclose(
            float(got), expected, rel_tol=1e-6, abs_tol=1e-12
        )
    return is_number(got) and float(got) == expected


def differences(want: Seen, seen: Seen, kind: str) -> list[str]:
    """The fields where the answer's epoch differs from the reference's;
    `wait` is not compared at an epoch that is not finite (the rules do
    not say what it becomes)."""
    names = [n for n in STATE if not (n == "wait" and kind == "not finite")]
    wrong = [n for n in names if not same(n, want.state[n], seen.state[n])]
    return (["stop"] if want.stop != seen.stop else []) + wrong


def decoy_values(case: Case, epoch: int) -> list[float]:
    """Every value the unmonitored lists held up to `epoch`."""
    return [
        decoy(name, e)
        for name in LOSSES + ACCURACIES
        if name != case.monitor
        for e in range(1, epoch + 1)
    ]


def likely_mistake(
    case: Case, kind: str, name: str, want: Seen, seen: Seen
) -> str:
    """The likely mistake behind the answer's `name` (or its decision to
    stop) differing from the reference's at an epoch of kind `kind`."""
    got = seen.stop if name == "stop" else seen.state[name]
    facts = {
        "patience": case.options.get("patience", 0),
        "min_delta": case.min_delta,
        "baseline": case.options.get("baseline"),
        "start": case.options.get("start_from_epoch", 0),
        "monitor": case.monitor,
        "mode": case.options.get("mode", "auto"),
        "better": "LOWER" if case.direction == "min" else "HIGHER",
        "wait": seen.state["wait"],
        "name": name,
    }
    if got is MISSING:
        return MISSING_HINT.format(**facts)
    if kind == "warm-up":
        return WARM_UP.format(**facts)
    if kind == "not finite":
        if name == "stop":
            return NOT_FINITE_STOP
        return STOPPED if name == "stopped_epoch" else NOT_FINITE_BEST
    if name == "best" and is_number(got):
        decoys = decoy_values(case, want.epoch)
        if any(math.isclose(float(got), d, rel_tol=1e-9) for d in decoys):
            return WRONG_LIST
    if name == "stop":
        if seen.stop and want.epoch == 1:
            return EPOCH_ONE
        if seen.stop and kind.startswith(("improvement", "first")):
            return IMPROVING
        if same("wait", want.state["wait"], seen.state["wait"]):
            return (PATIENCE if want.stop else EARLY).format(**facts)
        name = "wait"
    if name == "stopped_epoch":
        off_by_one = is_number(got) and float(got) == want.epoch - 1
        return FROM_ONE if want.stop and off_by_one else STOPPED
    value = case.values[want.epoch - 1]
    took = same("best", value, seen.state["best"]) or same(
        "best_epoch", want.epoch, seen.state["best_epoch"]
    )
    reset = same("wait", 0, seen.state["wait"])
    if kind.endswith("short of the baseline"):
        if not took:
            return BASELINE_BEST.format(**facts)
        return (BASELINE_WAIT if reset else COUNT).format(**facts)
    if kind.startswith(("improvement", "first")):
        if not took:
            return FIRST if kind == "first" else DIRECTION.format(**facts)
        if name == "wait":
            return RESET
    elif took:
        gain = case.gain(value, want.state["best"])
        hints = {"equal": EQUAL, "tie": TIE, "small gain": SMALL}
        return hints.get(kind, DIRECTION).format(gain=gain, **facts)
    elif name == "wait":
        return COUNT
    if name == "best_epoch" and is_number(got):
        if float(got) == want.state["best_epoch"] - 1:
            return FROM_ONE
    return GENERIC


def show(value: Any) -> str:
    """A state value as a message shows it."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return f"{value.item():.6g} (a tensor)"
    return str(value)


def describe(seen: Seen) -> str:
    """One epoch's stop decision and state, for a message."""
    state = ", ".join(f"{n}={show(seen.state[n])}" for n in STATE)
    return f"stop={seen.stop}, {state}"


def case_header(case: Case) -> str:
    """How a message names the case."""
    values = ", ".join(
        f"{epoch}: {value:g}" for epoch, value in enumerate(case.values, 1)
    )
    return (
        f"EarlyStopping({case.arguments()}) on {case.description}\n"
        f"{case.monitor} by epoch: {values}"
    )


def compare_steps(
    case: Case, want: Run, got: Run, mistake: str | None = None
) -> None:
    """Fail at the first epoch where the answer differs from the
    reference, with both states and the likely mistake (`mistake`, when
    the caller knows it better)."""
    best = want.begun["best"]
    for expected, seen in zip(want.steps, got.steps, strict=False):
        kind = epoch_kind(case, expected.epoch, best)
        wrong = differences(expected, seen, kind)
        if wrong:
            hint = likely_mistake(case, kind, wrong[0], expected, seen)
            if mistake and hint != EPOCH_ONE:
                hint = mistake
            value = case.values[expected.epoch - 1]
            fail(
                f"{case_header(case)}\nafter epoch {expected.epoch} "
                f"({case.monitor} = {value:g}):\n  expected "
                f"{describe(expected)}\n  got      {describe(seen)}\n"
                f"Likely mistake: {hint}."
            )
        best = expected.state["best"]


def compare_end(
    case: Case, want: Run, got: Run, mistake: str | None = None
) -> None:
    """Fail if the answer's state after on_train_end, or the weights
    the model ends with, differ from the reference's."""
    for name in ("best_epoch", "stopped_epoch"):
        if not same(name, want.final[name], got.final[name]):
            fail(
                f"{case_header(case)}\nafter on_train_end, {name} is "
                f"{show(got.final[name])}, expected {want.final[name]}: "
                "on_train_end must leave best_epoch and stopped_epoch "
                "as training left them"
            )
    if got.weights != want.weights:
        fail(
            f"{case_header(case)}\nthe model ends with "
            f"{weights_text(got.weights, case)}, expected "
            f"{weights_text(want.weights, case)}.\nLikely mistake: "
            f"{mistake or restore_mistake(case, want, got)}."
        )


def weights_text(epoch: int | None, case: Case) -> str:
    """Which weights a model holds, for a message."""
    if epoch is None:
        return "a mix of the weights of several epochs"
    if epoch <= case.weights_from:
        return f"the weights of epoch {epoch} of the first fit"
    return f"the weights of epoch {epoch - case.weights_from}"


def restore_mistake(case: Case, want: Run, got: Run) -> str:
    """Why the model ends with other weights than the reference's."""
    last = case.weights_from + got.steps[-1].epoch
    if not case.options.get("restore_best_weights", False):
        return (
            "with restore_best_weights=False the model must keep the "
            "weights of its last epoch: leave it alone"
        )
    if got.weights is None:
        return (
            "keep and load the whole state_dict (weights and buffers "
            "such as batch norm's running statistics), not some of it"
        )
    if got.weights == last and holds_views(got.callback, got.model):
        return (
            "the weights were kept by reference: model.state_dict() "
            "returns the model's own tensors, which every optimiser step "
            "changes in place; keep a copy, "
            "copy.deepcopy(model.state_dict())"
        )
    if got.weights == last and not want.final["stopped_epoch"]:
        return (
            "the callback did not stop training here, the epochs ran "
            "out; restore the best weights in on_train_end whenever "
            "restore_best_weights is True, whether or not the callback "
            "stopped training (tf.keras 2 restored only when it had)"
        )
    if got.weights == last:
        return (
            "restore in on_train_end: load the weights kept at the best "
            "epoch with model.load_state_dict(...)"
        )
    return (
        f"the best were {weights_text(want.weights, case)}: keep a copy "
        "of the weights each time the best improves, and only then"
    )


def tensors_in(value: Any, depth: int = 3) -> Iterator[torch.Tensor]:
    """The tensors in `value` and in the containers it holds."""
    if isinstance(value, torch.Tensor):
        yield value
    elif depth and isinstance(value, dict):
        for item in value.values():
            yield from tensors_in(item, depth - 1)
    elif depth and isinstance(value, list | tuple):
        for item in value:
            yield from tensors_in(item, depth - 1)


def holds_views(callback: Any, model: nn.Module) -> bool:
    """Whether the callback holds tensors that share memory with the
    model's own: weights kept by reference, not copied."""
    live = {
        t.untyped_storage().data_ptr() for t in model.state_dict().values()
    }
    kept = (t for v in vars(callback).values() for t in tensors_in(v))
    return any(t.untyped_storage().data_ptr() in live for t in kept)


def check_cases(
    early_stopping: Callable[..., Any],
    cases: Sequence[Case],
    model: ModelFactory = tiny_model,
) -> None:
    """Drive the answer and the reference over each case; fail at the
    first difference, in what they decide after each epoch or in the
    weights the model ends with."""
    for case in cases:
        want = expected_run(case, model)
        callback = build(early_stopping, case)
        got = drive(callback, case, model())
        compare_steps(case, want, got)
        compare_end(case, want, got)


RESUME = (
    "a callback saved with state_dict() and loaded into a new one with "
    "load_state_dict() must go on exactly as if training had never "
    "stopped: save and restore wait, best, best_epoch and stopped_epoch, "
    "and make the next on_train_begin keep them instead of starting "
    "afresh"
)
RESUME_WEIGHTS = (
    "the state must carry the kept weights: state_dict() saves them and "
    "load_state_dict() puts them back, so that the resumed run restores "
    "an epoch from before the save"
)
REUSE = (
    "a callback that has already trained must start afresh in the next "
    "fit: on_train_begin resets wait, best, best_epoch, stopped_epoch "
    "and the kept weights (only a load_state_dict just before makes "
    "that fit resume instead)"
)


def run_resumed(
    early_stopping: Callable[..., Any],
    case: Case,
    saved_after: int,
    model: ModelFactory = tiny_model,
    new_fit: bool = False,
) -> tuple[Run, dict[str, Any]]:
    """Train a callback over `case`, taking its state_dict after epoch
    `saved_after`; after one more epoch, copy that state as a checkpoint
    would, load it into a new callback and train on. With `new_fit`
    the new callback trains in a new fit over the epochs left, whose
    History counts from 1 again, as `fit` does. Returns the new
    callback's run and the first callback's attributes when saved."""
    net = model()
    first = build(early_stopping, case)
    saved: dict[str, Any] = {}

    def save(epoch: int) -> None:
        if epoch == saved_after:
            saved["state"] = call(case, "state_dict()", first.state_dict)
            saved["attributes"] = state_of(first)

    last = min(saved_after + 1, len(case.values))
    drive(first, case, net, last=last, end=False, after=save)
    state = saved["state"]
    if not isinstance(state, dict):
        fail(f"state_dict() returned a {type(state).__name__}, not a dict")
    try:
        state = copy.deepcopy(state)
    except Exception as error:
        fail(
            f"the dict state_dict() returned cannot be copied "
            f"({type(error).__name__}: {error}): keep plain values in "
            "it, numbers, None and a dict of tensors, so that a "
            "checkpoint can save it"
        )
    second = build(early_stopping, case)
    call(case, "load_state_dict(state)", second.load_state_dict, state)
    if new_fit:
        rest = replace(
            case, values=case.values[saved_after:], weights_from=100
        )
        return drive(second, rest, net), saved["attributes"]
    return drive(second, case, net, first=saved_after + 1), saved["attributes"]


def check_resume(
    early_stopping: Callable[..., Any],
    case: Case,
    saved_after: int,
    model: ModelFactory = tiny_model,
    new_fit: bool = False,
) -> None:
    """A callback saved after `saved_after` epochs of `case` and resumed
    in a new one (see `run_resumed`) must begin the resumed fit with the
    state it saved and go on as the reference does; a further fit with
    it must then start afresh."""
    want, _ = run_resumed(Reference, case, saved_after, model, new_fit)
    got, saved = run_resumed(early_stopping, case, saved_after, model, new_fit)
    how = "in a new fit, counting from 1" if new_fit else "in the same fit"
    described = replace(
        case,
        description=f"{case.description} (saved after epoch "
        f"{saved_after}, resumed {how})",
    )
    for name in STATE:
        if not same(name, saved[name], got.begun[name]):
            fail(
                f"{case_header(described)}\nwhen the resumed fit began, "
                f"{name} was {show(got.begun[name])}, but the callback "
                f"held {show(saved[name])} when its state was saved.\n"
                f"Likely mistake: {RESUME}."
            )
    if new_fit:
        described = replace(
            described, values=case.values[saved_after:], weights_from=100
        )
    compare_steps(described, want, got, RESUME)
    compare_end(described, want, got, RESUME_WEIGHTS)
    check_reuse(got.callback, case, model)


def check_reuse(
    callback: Any, case: Case, model: ModelFactory = tiny_model
) -> None:
    """Train `callback`, which has trained before, over `case` again: it
    must do what a fresh callback does."""
    want = expected_run(case, model)
    got = drive(callback, case, model())
    case = replace(case, description=f"{case.description}, trained again")
    compare_steps(case, want, got, REUSE)
    compare_end(case, want, got, REUSE)


# ------------------------------------------------------ the visible check

NOISY = (1.0, 0.75, 0.8, 0.5, 0.625, 0.5625, 0.55, 0.6)
VISIBLE_CASES = (
    Case(
        "a plateau: the value stops changing",
        (1.0, 0.8, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6),
        {"patience": 3},
    ),
    Case("a noisy curve", NOISY, {"patience": 2}),
    Case(
        "a curve that improves until the epochs run out",
        (1.0, 0.9, 0.8, 0.7),
        {"patience": 1},
    ),
    Case("patience 0", (1.0, 1.25, 1.5), {"patience": 0}),
    Case(
        "patience 0 on a falling curve (an improving epoch never stops "
        "training)",
        (1.0, 0.9, 0.8, 0.85),
        {"patience": 0},
    ),
    Case(
        "improvements smaller than min_delta",
        (2.0, 1.875, 1.8125, 1.5, 1.625, 1.5625, 1.75),
        {"patience": 3, "min_delta": 0.25},
    ),
    Case(
        "steps of exactly min_delta (0.125 is exact in binary)",
        (1.0, 0.875, 0.75, 0.625, 0.5, 0.4375, 0.375, 0.25),
        {"patience": 2, "min_delta": 0.125},
    ),
    Case(
        "validation accuracies ('auto' maximises a name ending in 'acc')",
        (0.5, 0.75, 0.75, 0.8125, 0.875, 0.8125, 0.84375, 0.875),
        {"monitor": "val_acc", "patience": 3, "min_delta": 0.0625},
    ),
    Case(
        "the running training loss",
        (1.0, 0.5, 0.25, 0.5, 0.375),
        {"monitor": "running_train_loss", "patience": 1},
    ),
    Case(
        "mode='max' on a loss (an odd choice, but mode, not the name, "
        "decides)",
        (0.5, 1.0, 0.75, 0.625),
        {"monitor": "train_loss", "mode": "max", "patience": 2},
    ),
    Case(
        "a baseline that is never beaten",
        (0.9, 0.8, 0.85, 0.9, 0.95),
        {"patience": 3, "baseline": 0.5},
    ),
    Case(
        "a baseline beaten at epoch 3",
        (0.9, 0.6, 0.45, 0.5, 0.48, 0.47, 0.46),
        {"patience": 3, "baseline": 0.5},
    ),
    Case(
        "a warm-up of 3 epochs, a NaN among them",
        (0.5, math.nan, 0.7, 1.0, 0.9, 0.95, 0.97, 0.99),
        {"patience": 2, "start_from_epoch": 3},
    ),
    Case("a NaN at epoch 3", (1.0, 0.8, math.nan, 0.5), {"patience": 5}),
    Case("an inf at epoch 2", (1.0, math.inf, 0.5), {"patience": 5}),
    Case(
        "a noisy curve, restoring the best weights when it stops",
        NOISY,
        {"patience": 2, "restore_best_weights": True},
    ),
    Case(
        "a run whose epochs run out before patience does, restoring the "
        "best weights",
        (1.0, 0.5, 0.75, 0.875),
        {"patience": 10, "restore_best_weights": True},
    ),
    Case(
        "a noisy curve with restore_best_weights=False",
        NOISY,
        {"patience": 3},
    ),
)
# (case, saved after epoch, resumed in a new fit). The first is saved
# with wait at 1: a callback that starts afresh on resuming does not stop
# at epoch 5, and one whose state lacks the kept weights cannot restore
# epoch 2's. The second stopped at epoch 5 before it was saved; its new
# fit counts from 1 again, and at that epoch 1 wait is past patience.
RESUMED = (
    (
        Case(
            "a run saved and resumed",
            (1.0, 0.75, 0.875, 0.9375, 0.96875, 0.5),
            {"patience": 3, "restore_best_weights": True},
        ),
        3,
        False,
    ),
    (
        Case(
            "a run that stopped, then was saved and resumed",
            (1.0, 0.75, 0.7, 0.875, 0.9375, 1.0, 0.5, 0.625, 0.5625, 0.75),
            {"patience": 2, "restore_best_weights": True},
        ),
        5,
        True,
    ),
)


@suggests_reference("EarlyStopping")
def check_early_stopping(early_stopping: Callable[..., Any]) -> None:
    """Check the learner's EarlyStopping class on hand-built runs."""
    with reported_warnings():
        check_cases(early_stopping, VISIBLE_CASES)
        for case, saved_after, new_fit in RESUMED:
            check_resume(early_stopping, case, saved_after, new_fit=new_fit)
    print(
        f"EarlyStopping: correct on {len(VISIBLE_CASES)} hand-built runs "
        f"and {len(RESUMED)} runs saved and resumed, each callback then "
        "used again."
    )
