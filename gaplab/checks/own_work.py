"""Is the answer the learner's own code? One judge for every lesson.

The library carries the reference version of each finished exercise, so
that a learner who is stuck can load it and go on with the lesson. It
must not also be an answer that scores: an exercise asks for the
learner's own code. This module holds

* `EXERCISES`, the one registry: for each exercise (by the grade_id of
  its answer cell), the one line that loads the library's reference, and
  the functions an answer must not call: that reference, the functions
  that do the same work, and the built-ins the lesson's text forbids;
* `require_own_work`, which the hidden tests call: it runs the answer
  once and fails if any forbidden function ran;
* `suggests_reference`, the decorator of every visible check: a failing
  check ends its message with the load line, and a passing check warns
  when the answer leans on a forbidden function.

Why trace calls instead of comparing the answer with the reference? An
answer can hide the reference in many ways: `mse = reference`, a `def`
or `lambda` that calls it, `functools.partial`, a class with `__call__`,
`import gaplab.losses as L` and `L.mse(...)`. All of them end up running
the reference's code. `sys.setprofile` reports every Python function
that starts (by its code object, whatever name it was reached under) and
every built-in function that is called, so none of these disguises
matters. Only what runs during the answer's own call is traced; the
checks' own uses of the references are not.

Earlier exercises' references stay allowed: a learner who missed
exercise 1 must still be able to write exercise 3 with the library's
version, and a lesson may tell its learners to call a library helper.
"""

from __future__ import annotations

import functools
import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Exercise:
    """One exercise whose library reference must not be handed in.

    `load_line` binds exactly the names that later cells of the lesson
    use; `forbidden` lists, by dotted name, the functions an answer must
    not call.
    """

    lesson: str
    load_line: str
    forbidden: tuple[str, ...]


# Lesson 01 says "Do not call PyTorch's loss functions": not the
# functions, not their nn.Module wrappers, not the kernels behind them,
# nor scikit-learn's equivalents.
TORCH_LOSSES = (
    "torch.nn.functional.mse_loss",
    "torch.nn.functional.l1_loss",
    "torch.nn.functional.huber_loss",
    "torch.nn.functional.smooth_l1_loss",
    "torch.nn.functional.cross_entropy",
    "torch.nn.functional.nll_loss",
    "torch.nn.MSELoss.forward",
    "torch.nn.L1Loss.forward",
    "torch.nn.HuberLoss.forward",
    "torch.nn.SmoothL1Loss.forward",
    "torch.nn.CrossEntropyLoss.forward",
    "torch.nn.NLLLoss.forward",
    "torch._C._nn.mse_loss",
    "torch._C._nn.l1_loss",
    "torch._C._nn.huber_loss",
    "torch._C._nn.smooth_l1_loss",
    "torch._C._nn.cross_entropy_loss",
    "torch._C._nn.nll_loss",
    "torch._C._nn.nll_loss_nd",
    "sklearn.metrics.mean_squared_error",
    "sklearn.metrics.root_mean_squared_error",
    "sklearn.metrics.mean_absolute_error",
    "sklearn.metrics.log_loss",
)
# Exercise 4 of lesson 01: "Write the log-sum-exp yourself rather than
# calling torch.logsumexp"; the library's log_softmax is that trick too.
LOG_SUM_EXP = (
    "torch.logsumexp",
    "torch.Tensor.logsumexp",
    "torch.special.logsumexp",
    "gaplab.losses.log_softmax",
)
# Switching the tracing off from inside an answer would hide everything.
TRACING = (
    "sys.setprofile",
    "sys.settrace",
    "threading.setprofile",
    "threading.settrace",
)
# Lesson 07 asks for dropout and a batch norm step written by hand.
TORCH_DROPOUT = (
    "torch.nn.modules.dropout._DropoutNd.__init__",
    "torch.nn.Dropout.forward",
    "torch.nn.functional.dropout",
    "torch.nn.functional.dropout1d",
    "torch.nn.functional.dropout2d",
    "torch.nn.functional.dropout3d",
    "torch.nn.functional.alpha_dropout",
    "torch.nn.functional.feature_alpha_dropout",
    "torch.dropout",
    "torch.native_dropout",
    "torch.alpha_dropout",
    "torch.feature_dropout",
    "torch.feature_alpha_dropout",
)
TORCH_BATCH_NORM = (
    "torch.nn.modules.batchnorm._BatchNorm.forward",
    "torch.nn.functional.batch_norm",
    "torch.nn.functional.instance_norm",
    "torch.batch_norm",
    "torch.native_batch_norm",
    "torch._native_batch_norm_legit",
    "torch.instance_norm",
)

EXERCISES: dict[str, Exercise] = {
    "mse": Exercise(
        "01-losses",
        "from gaplab.losses import mse",
        ("gaplab.losses.mse", *TORCH_LOSSES),
    ),
    "mae": Exercise(
        "01-losses",
        "from gaplab.losses import mae",
        ("gaplab.losses.mae", *TORCH_LOSSES),
    ),
    "huber": Exercise(
        "01-losses",
        "from gaplab.losses import huber",
        ("gaplab.losses.huber", *TORCH_LOSSES),
    ),
    "cross_entropy": Exercise(
        "01-losses",
        "from gaplab.losses import cross_entropy",
        ("gaplab.losses.cross_entropy", *TORCH_LOSSES, *LOG_SUM_EXP),
    ),
    "evaluate": Exercise(
        "02-measuring",
        "from gaplab.training import evaluate",
        ("gaplab.training.evaluate",),
    ),
    "train_one_epoch": Exercise(
        "02-measuring",
        "from gaplab.training import train_one_epoch",
        ("gaplab.training.train_one_epoch", "gaplab.training.fit"),
    ),
    # `fit` is `train` plus conveniences, and takes the same arguments.
    "train": Exercise(
        "02-measuring",
        "from gaplab.training import fit as train",
        ("gaplab.training.fit",),
    ),
    "plot_curves": Exercise(
        "02-measuring",
        "from gaplab.plotting import plot_curves",
        ("gaplab.plotting.plot_curves",),
    ),
    "can_overfit_one_batch": Exercise(
        "03-overfitting",
        "from gaplab.overfitting import can_overfit_one_batch",
        ("gaplab.overfitting.can_overfit_one_batch",),
    ),
    # The answer cell defines `slope` and `gap_growth`; later cells use
    # both, so the line binds both.
    "gap_growth": Exercise(
        "04-diagnosing",
        "from gaplab.diagnose import least_squares_slope as slope, gap_growth",
        ("gaplab.diagnose.gap_growth", "gaplab.diagnose.least_squares_slope"),
    ),
    "loss_acc_disagree": Exercise(
        "04-diagnosing",
        "from gaplab.diagnose import loss_acc_disagree",
        ("gaplab.diagnose.loss_acc_disagree",),
    ),
    "diagnose": Exercise(
        "04-diagnosing",
        "from gaplab.diagnose import diagnose",
        ("gaplab.diagnose.diagnose", "gaplab.diagnose.pattern_of"),
    ),
    "acceptable_run": Exercise(
        "04-diagnosing",
        "from gaplab.diagnose import acceptable_run",
        ("gaplab.diagnose.acceptable_run",),
    ),
    # The answer is a class: its methods, and the module's helpers that
    # decide an improvement and its direction, are the reference.
    "EarlyStopping": Exercise(
        "05-early-stopping",
        "from gaplab.remedies import EarlyStopping",
        (
            "gaplab.remedies.early_stopping.EarlyStopping",
            *(
                f"gaplab.remedies.early_stopping.EarlyStopping.{method}"
                for method in (
                    "__init__",
                    "reset",
                    "on_train_begin",
                    "on_epoch_end",
                    "keep_weights",
                    "on_train_end",
                    "state_dict",
                    "load_state_dict",
                )
            ),
            "gaplab.remedies.early_stopping.is_improvement",
            "gaplab.remedies.early_stopping.monitor_direction",
        ),
    ),
    # weight_penalty builds a penalty that calls l2_penalty.
    "l2_penalty": Exercise(
        "06-weight-decay",
        "from gaplab.remedies import l2_penalty",
        (
            "gaplab.remedies.penalties.l2_penalty",
            "gaplab.remedies.penalties.weight_penalty",
        ),
    ),
    # The answer is a class: the reference's methods, PyTorch's dropout
    # layers and functions, and the kernels behind them.
    "InvertedDropout": Exercise(
        "07-dropout-batchnorm",
        "from gaplab.remedies import Dropout as InvertedDropout",
        (
            "gaplab.remedies.dropout.Dropout",
            "gaplab.remedies.dropout.Dropout.__init__",
            "gaplab.remedies.dropout.Dropout.forward",
            *TORCH_DROPOUT,
        ),
    ),
    "batch_norm_step": Exercise(
        "07-dropout-batchnorm",
        "from gaplab.remedies import batch_norm_step",
        ("gaplab.remedies.batch_norm.batch_norm_step", *TORCH_BATCH_NORM),
    ),
    "shift_images": Exercise(
        "08-more-data",
        "from gaplab.remedies import random_shifts as shift_images",
        (
            "gaplab.remedies.augmentation.random_shifts",
            "gaplab.remedies.augmentation.check_images",
        ),
    ),
    # Lesson 01's cross_entropy stays allowed; PyTorch's losses do not.
    "smoothed_cross_entropy": Exercise(
        "08-more-data",
        "from gaplab.remedies import smoothed_cross_entropy",
        (
            "gaplab.remedies.label_smoothing.smoothed_cross_entropy",
            *TORCH_LOSSES,
        ),
    ),
    # Lesson 09 asks for its scaling and its metric by hand: not
    # scikit-learn's scaler, nor its metrics. The references' helpers
    # (class shares, per-class recalls) are the reference too.
    "standardise": Exercise(
        "09-data-problems",
        "from gaplab.data_problems import standardise",
        (
            "gaplab.data_problems.standardise",
            "sklearn.preprocessing.StandardScaler.fit",
            "sklearn.preprocessing.StandardScaler.partial_fit",
            "sklearn.preprocessing.StandardScaler.transform",
            "sklearn.preprocessing.StandardScaler.fit_transform",
            "sklearn.preprocessing.scale",
        ),
    ),
    "near_duplicates": Exercise(
        "09-data-problems",
        "from gaplab.data_problems import near_duplicates",
        ("gaplab.data_problems.near_duplicates",),
    ),
    "label_shift": Exercise(
        "09-data-problems",
        "from gaplab.data_problems import label_shift",
        (
            "gaplab.data_problems.label_shift",
            "gaplab.data_problems.class_shares",
        ),
    ),
    "balanced_accuracy": Exercise(
        "09-data-problems",
        "from gaplab.data_problems import balanced_accuracy",
        (
            "gaplab.data_problems.balanced_accuracy",
            "gaplab.data_problems.per_class_recall",
            "sklearn.metrics.balanced_accuracy_score",
            "sklearn.metrics.recall_score",
            "sklearn.metrics.precision_recall_fscore_support",
            "sklearn.metrics.confusion_matrix",
            "sklearn.metrics.multilabel_confusion_matrix",
            "sklearn.metrics.accuracy_score",
            "sklearn.metrics.classification_report",
        ),
    ),
    "pick_capacity": Exercise(
        "10-capacity-optimisation",
        "from gaplab.remedies.capacity import pick_capacity",
        ("gaplab.remedies.capacity.pick_capacity",),
    ),
    "ScheduleCallback": Exercise(
        "10-capacity-optimisation",
        "from gaplab.remedies import ScheduleCallback",
        (
            "gaplab.remedies.schedules.ScheduleCallback",
            "gaplab.remedies.schedules.ScheduleCallback.__init__",
            "gaplab.remedies.schedules.ScheduleCallback.on_epoch_end",
        ),
    ),
}


def exercise(name: str) -> Exercise:
    """The registry's entry for `name`, or a clear error."""
    try:
        return EXERCISES[name]
    except KeyError:
        raise KeyError(
            f"no exercise {name!r} in gaplab.checks.own_work.EXERCISES"
        ) from None


def reference_hint(name: str) -> str:
    """What a failing check adds: how to go on without the answer, and
    what it costs. The load line comes last, alone, ready to copy."""
    return (
        "Stuck? The rest of the lesson can run on the library's version: "
        "replace your answer with the line below. This exercise then "
        "scores 0, because it asks for your own code.\n"
        f"{exercise(name).load_line}"
    )


# ---------------------------------------------------------------- tracing


@dataclass
class Trace:
    """What ran while an answer was traced.

    `python` holds (file, first line) of every Python function that
    started: where its code was written, which no alias or wrapper
    changes. `builtins` holds the built-in functions called whose name
    is in `names` (only those: a call such as `x.size` holds on to `x`).
    """

    names: frozenset[str]
    python: set[tuple[str, int]] = field(default_factory=set)
    builtins: list[Any] = field(default_factory=list)
    active: bool = True

    def record(self, frame: types.FrameType, event: str, arg: Any) -> None:
        """The profiler callback: see the module's docstring."""
        if not self.active:
            return
        if event == "call":
            code = frame.f_code
            self.python.add((code.co_filename, code.co_firstlineno))
        elif event == "c_call" and getattr(arg, "__name__", "") in self.names:
            self.builtins.append(arg)


def resolve(dotted: str) -> Any | None:
    """The object a dotted name refers to, or None when its module was
    never imported (then nothing in it can have run)."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        target: Any = module
        for part in parts[cut:]:
            target = getattr(target, part, None)
        return target
    return None


def watched_names(forbidden: tuple[str, ...]) -> frozenset[str]:
    """The names under which the built-ins among `forbidden` are called
    (torch.special.logsumexp is called as special_logsumexp)."""
    names = {dotted.rsplit(".", 1)[-1] for dotted in (*forbidden, *TRACING)}
    for dotted in (*forbidden, *TRACING):
        names.add(getattr(resolve(dotted), "__name__", ""))
    return frozenset(names)


def ran(target: Any, trace: Trace) -> bool:
    """Whether `target` (a Python function or a built-in) ran during
    `trace`."""
    function = getattr(target, "__func__", target)
    code = getattr(function, "__code__", None)
    if code is not None:
        return (code.co_filename, code.co_firstlineno) in trace.python
    owner = getattr(target, "__objclass__", None)
    for called in trace.builtins:
        if called is target:
            return True
        # A method of a class (torch.Tensor.logsumexp) is reported bound
        # to the instance it was called on (x.logsumexp).
        bound_to = getattr(called, "__self__", None)
        if (
            owner is not None
            and isinstance(bound_to, owner)
            and called.__name__ == target.__name__
        ):
            return True
    return False


def forbidden_in(trace: Trace, forbidden: tuple[str, ...]) -> list[str]:
    """The names in `forbidden`, or of the tracing switches, that ran."""
    return [
        dotted
        for dotted in (*forbidden, *TRACING)
        if (target := resolve(dotted)) is not None and ran(target, trace)
    ]


@contextmanager
def tracing(forbidden: tuple[str, ...]) -> Iterator[Trace]:
    """Trace the calls made in this block (threads it starts included),
    then put back whatever profiler was installed before."""
    trace = Trace(watched_names(forbidden))
    callback = trace.record
    previous, previous_threads = sys.getprofile(), threading.getprofile()
    threading.setprofile(callback)
    sys.setprofile(callback)
    try:
        yield trace
    finally:
        if sys.getprofile() is not callback:  # the answer replaced it
            trace.builtins.append(sys.setprofile)
        trace.active = False
        sys.setprofile(previous)
        threading.setprofile(previous_threads)


def run_traced(
    forbidden: tuple[str, ...],
    function: Callable[..., T],
    *args: Any,
    **kwargs: Any,
) -> tuple[T | None, Exception | None, list[str]]:
    """Call `function(*args, **kwargs)` while tracing; return its result
    or the exception it raised, and the `forbidden` functions that ran."""
    result, error = None, None
    with tracing(forbidden) as trace:
        try:
            result = function(*args, **kwargs)
        except Exception as raised:  # the caller decides what it means
            error = raised
    return result, error, forbidden_in(trace, forbidden)


def own_work_message(name: str, called: list[str]) -> str:
    """Why an answer that called forbidden functions scores 0."""
    return (
        f"{name}: this exercise asks for your own code, but your answer "
        f"calls {', '.join(called)}. An answer that is, wraps or calls the "
        "library's reference (or a built-in that the exercise asks you to "
        "write yourself) scores 0, and so does loading the reference with "
        f"`{exercise(name).load_line}`."
    )


def require_own_work(
    name: str, answer: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
    """Call `answer(*args, **kwargs)` and return its result; fail with
    AssertionError if the call ran a function that exercise `name`
    forbids. Hidden tests call this once per answer."""
    result, error, called = run_traced(
        exercise(name).forbidden, answer, *args, **kwargs
    )
    if called:
        raise AssertionError(own_work_message(name, called)) from error
    if error is not None:
        raise error
    return result  # type: ignore[return-value]


# ---------------------------------------------------- the visible checks


def with_hint(error: Exception, name: str) -> Exception:
    """`error` with the reference hint at the end of its message."""
    hint = reference_hint(name)
    if isinstance(error, AssertionError):
        return AssertionError(f"{error}\n\n{hint}")
    if hasattr(error, "add_note"):  # Python 3.11 and later
        error.add_note(hint)
    return error


def watched(answer: Any, seen: list[str], name: str) -> Any:
    """`answer`, tracing each call and adding the forbidden functions it
    ran to `seen`. Anything that is not callable is returned as it is."""
    if not callable(answer):
        return answer
    forbidden = exercise(name).forbidden

    @functools.wraps(answer)
    def call(*args: Any, **kwargs: Any) -> Any:
        result, error, called = run_traced(forbidden, answer, *args, **kwargs)
        seen.extend(n for n in called if n not in seen)
        if error is not None:
            raise error
        return result

    return call


CheckFn = TypeVar("CheckFn", bound=Callable[..., None])


def suggests_reference(name: str) -> Callable[[CheckFn], CheckFn]:
    """Decorate the visible check of exercise `name` (its first argument
    is the learner's answer).

    When the check fails, its message ends with the line that loads the
    library's reference and says that the exercise then scores 0. When it
    passes on an answer that called a forbidden function, it says so on
    stdout: the hidden tests will give that answer 0.
    """

    def decorate(check: CheckFn) -> CheckFn:
        @functools.wraps(check)
        def run(answer: Any, *args: Any, **kwargs: Any) -> None:
            seen: list[str] = []
            try:
                check(watched(answer, seen, name), *args, **kwargs)
            except Exception as error:
                raise with_hint(error, name) from None
            if seen:
                print(f"Note: {own_work_message(name, seen)}")

        return run  # type: ignore[return-value]

    return decorate


def load_reference(name: str) -> dict[str, Any]:
    """The names that exercise `name`'s load line binds, with the values
    it binds them to (for tests and tools; learners run the line)."""
    namespace: dict[str, Any] = {}
    exec(exercise(name).load_line, namespace)
    namespace.pop("__builtins__", None)
    return namespace
