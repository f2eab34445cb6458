"""Visible checks of lesson 09 (Data problems that look like overfitting).

`standardise` gets a training split and up to three others whose
features have their own means and scales, some below 1, and two features
constant on the training rows (0 and 3) that vary in the other splits;
in float32 and float64, and with no other split at all. Every output is
compared with the training statistics' standardisation (population
standard deviation; a constant feature divided by 1). The answer must
return a tuple of tensors, train first and the others in their order,
keep each dtype and leave its inputs alone. A wrong value is compared
with the usual mistakes (all splits' statistics, each split its own,
n - 1, an epsilon or a clamp instead of 1, ...) so that the message can
name one.

`near_duplicates` gets digits-like rows (pixels in sixteenths, as the
digits have them, so that every way of computing a distance, torch.cdist's
matrix product included, puts an exact copy at 0 exactly) with exact,
near and far copies at thresholds from 0 up, one just below the nearest
copies; points at distances known exactly (5, 2, 0.5) at thresholds
that tell the Euclidean distance from its square, the L1 and the
largest difference, one of them exactly at the threshold and one just
beyond it; a cluster with an outlier, where the nearest, the mean and
the farthest distance disagree; and float64 rows in eight dimensions.
The mask must be a boolean tensor with one entry per candidate; a
negative threshold must raise ValueError; and the answer may run no
more tensor operations on ten times the rows (no Python loop over
rows; a loop over blocks of up to 256 rows is fine).

A wrong value is named by the usual mistake that gives the answer's
own result on every case, not just on the failing one.

`label_shift` and `balanced_accuracy` are tried on small cases whose
answer is known, built so that each usual mistake gives another number
(splits of other sizes, classes missing from one split or from the
targets, classes only predicted, class numbers with gaps), and on large
random ones; both must return a Python float.

The hidden tests run the same functions with other cases.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from gaplab.checks import (
    EXTRA_OPERATIONS,
    OperationCount,
    fail,
    mistake_on_every_case,
    reported_warnings,
    require_callable,
)
from gaplab.checks.own_work import suggests_reference

Standardise = Callable[..., Any]
NearDuplicates = Callable[[torch.Tensor, torch.Tensor, float], Any]
LabelShift = Callable[[torch.Tensor, torch.Tensor, int], Any]
BalancedAccuracy = Callable[[torch.Tensor, torch.Tensor], Any]

# A float32 answer computes its statistics in another order than the
# check (float64): standardised values of order 1 to 100 agree to this.
RTOL, ATOL = 1e-4, 1e-4
# label_shift and balanced_accuracy are shares: float32 reaches 1e-6.
SCORE_TOLERANCE = 1e-6
# Rows of the small and the large call of the batching check: ten times
# as many. A vectorised answer, or one over blocks of up to 256 rows,
# runs as many tensor operations on both; a loop over rows, hundreds
# more.
SMALL_ROWS, LARGE_ROWS = (12, 16), (120, 160)
# A candidate marked though it lies at most this far beyond the
# threshold: a tolerance added to it.
SLIGHTLY_BEYOND = 0.05


def call(answer: Callable[..., Any], where: str, *args: Any) -> Any:
    """The answer's result, or a failure that names what it raised."""
    try:
        return answer(*args)
    except NotImplementedError:
        raise
    except Exception as error:
        hint = ""
        if "must match the size" in str(error) or "size of tensor" in str(
            error
        ):
            hint = (
                ". Tensors of different lengths met: a class absent from "
                "a split still needs its place, e.g. torch.bincount("
                "labels, minlength=n_classes)"
            )
        fail(f"{where} it raised {type(error).__name__}: {error}{hint}")


def python_float(result: Any, name: str, where: str) -> float:
    """`result` if it is a Python float, or a failure that says what it
    is instead."""
    if isinstance(result, bool) or not isinstance(result, float):
        kind = type(result).__name__
        if isinstance(result, torch.Tensor):
            kind = f"a tensor of shape {tuple(result.shape)}"
        fail(
            f"{where} {name} returned {kind}: return a Python float "
            "(float(x) or x.item())"
        )
    return result


# ----------------------------------------------- exercise 1: standardise


@dataclass(frozen=True)
class StandardiseCase:
    """A training split and `others` other splits (their row counts),
    with `features` features, two of them constant on the training rows
    (0 and 3) but not on the others."""

    name: str
    train_rows: int
    other_rows: tuple[int, ...]
    features: int = 6
    dtype: torch.dtype = torch.float32
    seed: int = 0

    def tensors(self) -> list[torch.Tensor]:
        """The splits: train first. Each feature has its own mean (-3 to
        3) and scale (0.2 to 5); the other splits are shifted and wider,
        so that their statistics differ from the training rows'."""
        generator = torch.Generator().manual_seed(self.seed)
        shape = (1, self.features)
        mean = torch.rand(shape, generator=generator, dtype=torch.float64)
        scale = torch.rand(shape, generator=generator, dtype=torch.float64)
        mean, scale = 6 * mean - 3, 0.2 + 4.8 * scale
        splits = []
        for index, rows in enumerate((self.train_rows, *self.other_rows)):
            noise = torch.randn(
                rows, self.features, generator=generator, dtype=torch.float64
            )
            widen = 1.0 if index == 0 else 1.5
            split = mean + index * scale + widen * scale * noise
            if index == 0:
                split[:, 0], split[:, -1] = 0.0, 3.0
            splits.append(split.to(self.dtype))
        return splits

    def where(self) -> str:
        others = len(self.other_rows)
        kind = "no other split" if not others else f"{others} other split"
        kind += "s" if others > 1 else ""
        return (
            f"on {self.name} ({self.train_rows} training rows, {kind}, "
            f"{self.features} features, {self.dtype})"
        )


STANDARDISE_CASES = (
    StandardiseCase("a validation split", 40, (25,)),
    StandardiseCase("validation and test splits", 30, (20, 15), seed=1),
    StandardiseCase("three other splits", 50, (10, 60, 5), 9, seed=2),
    StandardiseCase("the training split alone", 20, (), 4, seed=3),
    StandardiseCase(
        "float64 splits", 35, (30, 12), dtype=torch.float64, seed=4
    ),
)

Statistics = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def feature_statistics(
    rows: torch.Tensor, correction: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-feature mean and standard deviation, 1 where it is 0."""
    std = rows.std(dim=0, correction=correction)
    return rows.mean(dim=0), torch.where(std > 0, std, 1.0)


def scaled(
    splits: Sequence[torch.Tensor], mean: torch.Tensor, std: torch.Tensor
) -> list[torch.Tensor]:
    return [(split - mean) / std for split in splits]


def expected_standardised(
    splits: Sequence[torch.Tensor],
) -> list[torch.Tensor]:
    """The exercise's answer, in float64."""
    exact = [split.double() for split in splits]
    return scaled(exact, *feature_statistics(exact[0]))


def usual_standardise_mistakes(
    splits: Sequence[torch.Tensor],
) -> list[tuple[str, list[torch.Tensor]]]:
    """What the usual mistakes give (float64), with the word for each."""
    exact = [split.double() for split in splits]
    train = exact[0]
    mean, std = feature_statistics(train)
    raw_std = train.std(dim=0, correction=0)
    constant = raw_std == 0
    rows_mean = [s.mean(dim=1, keepdim=True) for s in exact]
    rows_std = [s.std(dim=1, correction=0, keepdim=True) for s in exact]
    return [
        (
            "it uses the statistics of all the splits together: that is "
            "the leak. Compute the mean and std over the training rows "
            "only, and scale every split with them",
            scaled(exact, *feature_statistics(torch.cat(exact))),
        ),
        (
            "each split is scaled with its own statistics: scale every "
            "split with the TRAINING rows' mean and std",
            [scaled([s], *feature_statistics(s))[0] for s in exact],
        ),
        (
            "the standard deviation divides by n - 1 (torch.std's default): "
            "use the population std, correction=0 (unbiased=False)",
            scaled(exact, *feature_statistics(train, correction=1)),
        ),
        (
            "a feature constant on the training rows is set to 0: it must "
            "only be centred (divided by 1), so that the other splits keep "
            "their differences from the training mean",
            [
                torch.where(constant, 0.0, part)
                for part in scaled(exact, mean, std)
            ],
        ),
        (
            "only a feature that is constant on the training rows (std 0) "
            "is divided by 1; a feature whose std is below 1 is still "
            "divided by its std (no clamp at 1)",
            scaled(exact, mean, raw_std.clamp(min=1.0)),
        ),
        (
            "the statistics are taken over each row (dim=1): compute each "
            "feature's mean and std over the rows (dim=0)",
            [
                (s - m) / torch.where(d > 0, d, 1.0)
                for s, m, d in zip(exact, rows_mean, rows_std, strict=True)
            ],
        ),
        (
            "one mean and one std for the whole matrix: compute them per "
            "feature (column)",
            scaled(exact, train.mean(), train.std(correction=0)),
        ),
        (
            "it divides by the variance: divide by the standard deviation",
            scaled(exact, mean, torch.where(constant, 1.0, raw_std**2)),
        ),
        (
            "the mean is never subtracted: standardising centres too",
            [s / std for s in exact],
        ),
        ("it only centres: divide by the std too", [s - mean for s in exact]),
    ]


def close(got: torch.Tensor, want: torch.Tensor) -> bool:
    """Equal within what a float32 computation in another order reaches;
    a nan or an inf, or another shape, is never close."""
    return bool(
        got.shape == want.shape
        and torch.isfinite(got).all()
        and torch.allclose(got.double(), want, rtol=RTOL, atol=ATOL)
    )


def standardise_outputs(
    standardise: Standardise, case: StandardiseCase
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """The splits and the answer's outputs, checked for type, count,
    shapes and dtypes, the inputs left as they were."""
    splits = case.tensors()
    originals = [split.clone() for split in splits]
    where = f"{case.where()}"
    result = call(standardise, where, *splits)
    if isinstance(result, torch.Tensor) and not case.other_rows:
        fail(
            f"{where} standardise returned a tensor: with no other split, "
            "return a one-element tuple, (train_scaled,)"
        )
    if not isinstance(result, tuple):
        fail(
            f"{where} standardise returned a {type(result).__name__}: "
            "return a tuple, train's result first (tuple(...) of a list "
            "or a generator)"
        )
    if len(result) != len(splits):
        fail(
            f"{where} standardise returned {len(result)} tensors for "
            f"{len(splits)} splits: return train standardised first, then "
            "each of the others, in the order given"
        )
    for index, output in enumerate(result):
        if not isinstance(output, torch.Tensor):
            name = "train" if index == 0 else f"others[{index - 1}]"
            fail(
                f"{where} the result for {name} is a "
                f"{type(output).__name__}: return torch tensors"
            )
    shapes = [tuple(output.shape) for output in result]
    expected = [tuple(split.shape) for split in splits]
    if shapes != expected and sorted(shapes[1:]) == sorted(expected[1:]):
        fail(
            f"{where} the other splits come back in another order (shapes "
            f"{shapes[1:]}, expected {expected[1:]}): return them in the "
            "order given"
        )
    for index, (output, split) in enumerate(zip(result, splits, strict=True)):
        name = "train" if index == 0 else f"others[{index - 1}]"
        if output.shape != split.shape or output.dtype != split.dtype:
            fail(
                f"{where} the result for {name} has shape "
                f"{tuple(output.shape)} and dtype {output.dtype}, expected "
                f"{tuple(split.shape)} and {split.dtype}: keep each split's "
                "shape and dtype"
            )
    for split, original in zip(splits, originals, strict=True):
        if not torch.equal(split, original):
            fail(
                f"{where} standardise changed its input in place (-=, /= "
                "or out=): build the results as new tensors"
            )
    return splits, list(result)


def same_outputs(
    outputs: Sequence[torch.Tensor], values: Sequence[torch.Tensor]
) -> bool:
    return all(close(o, v) for o, v in zip(outputs, values, strict=True))


def check_standardise_values(
    standardise: Standardise,
    cases: Sequence[StandardiseCase] = STANDARDISE_CASES,
) -> None:
    """Every output of every case, against the training statistics'."""
    seen = [standardise_outputs(standardise, case) for case in cases]
    for case, (splits, outputs) in zip(cases, seen, strict=True):
        want = expected_standardised(splits)
        if same_outputs(outputs, want):
            continue
        wrong = next(
            i
            for i, (o, w) in enumerate(zip(outputs, want, strict=True))
            if not close(o, w)
        )
        name = "train" if wrong == 0 else f"others[{wrong - 1}]"
        got, expected = outputs[wrong].double(), want[wrong]
        constant = splits[0].double().std(dim=0, correction=0) == 0
        named = mistake_on_every_case(
            [usual_standardise_mistakes(splits) for splits, _ in seen],
            [outputs for _, outputs in seen],
            same_outputs,
        )
        if not torch.isfinite(got).all():
            hint = (
                "it holds nan or inf: a feature constant on the training "
                "rows has std 0; divide it by 1 instead"
            )
        elif named is not None:
            hint = named
        elif close(got[:, ~constant], expected[:, ~constant]):
            hint = (
                "only the features constant on the training rows are "
                "wrong: they must be divided by exactly 1 (an epsilon "
                "added to, or a floor under, the std blows up the other "
                "splits' values)"
            )
        else:
            hint = (
                "compare it with (x - mean) / std, the mean and the "
                "population std of each feature over the training rows"
            )
        row, column = divmod(
            int((got - expected).abs().argmax()), got.shape[1]
        )
        fail(
            f"{case.where()} the result for {name} is {got[row, column]:.6g} "
            f"at row {row}, feature {column}, expected "
            f"{expected[row, column]:.6g}: {hint}"
        )


def run_standardise(standardise: Standardise) -> Any:
    """One call of the answer, for the hidden tests' own-work rule."""
    return standardise(*STANDARDISE_CASES[1].tensors())


@suggests_reference("standardise")
def check_standardise(standardise: Standardise) -> None:
    """Check exercise 1: see the module's docstring."""
    require_callable(standardise, "check_standardise(standardise)")
    with reported_warnings():
        check_standardise_values(standardise)
    print(
        f"check_standardise passed: on {len(STANDARDISE_CASES)} cases (0 "
        "to 3 other splits, float32 and float64) every split is scaled "
        "with the training rows' mean and population std, constant "
        "features only centred, a tuple in the order given, dtypes kept "
        "and inputs left alone."
    )


# ------------------------------------------- exercise 2: near_duplicates


@dataclass(frozen=True)
class DuplicateCase:
    """Training rows, candidate rows and a threshold, with the answer."""

    name: str
    train: torch.Tensor
    candidates: torch.Tensor
    threshold: float

    def where(self) -> str:
        m, n = len(self.candidates), len(self.train)
        return (
            f"on {self.name} ({m} candidates against {n} training rows, "
            f"{self.train.dtype}, threshold={self.threshold})"
        )

    def distances(self, p: float = 2.0) -> torch.Tensor:
        """Every candidate's distance to every training row (float64,
        from the differences): Euclidean, or another p-norm."""
        return torch.cdist(
            self.candidates.double(),
            self.train.double(),
            p=p,
            compute_mode="donot_use_mm_for_euclid_dist",
        )

    def expected(self) -> torch.Tensor:
        return self.distances().min(dim=1).values <= self.threshold


def pixel_rows(
    count: int, generator: torch.Generator, dtype: torch.dtype
) -> torch.Tensor:
    """Rows of 64 pixels in sixteenths, from 0 to 1, as the digits'."""
    levels = torch.randint(0, 17, (count, 64), generator=generator)
    return (levels / 16).to(dtype)


def digit_like_case(
    name: str, threshold: float, seed: int, dtype: torch.dtype
) -> DuplicateCase:
    """60 training rows; 30 candidates: 8 exact copies, 8 copies with 1
    to 4 pixels moved by a sixteenth (0.0625 to 0.125 away), 6 with 20
    pixels moved (about 0.28 away) and 8 new rows (far away)."""
    generator = torch.Generator().manual_seed(seed)
    train = pixel_rows(60, generator, dtype)
    source = torch.randperm(60, generator=generator)[:22]
    copies = train[source].clone()
    for index in range(8, 22):
        moved = 1 + (index - 8) % 4 if index < 16 else 20
        pixels = torch.randperm(64, generator=generator)[:moved]
        up = copies[index, pixels] < 0.5
        step = torch.where(up, 1 / 16, -1 / 16).to(dtype)
        copies[index, pixels] += step
    candidates = torch.cat([copies, pixel_rows(8, generator, dtype)])
    order = torch.randperm(len(candidates), generator=generator)
    return DuplicateCase(name, train, candidates[order], threshold)


def known_distance_case() -> DuplicateCase:
    """Points at distances known exactly from their nearest training
    point: 5 (L1 7, largest difference 4), 2, 0.5 and 0.3 x 2 in four
    features (largest difference 0.3, Euclidean 0.6)."""
    train = torch.tensor(
        [[0.0, 0.0, 0.0, 0.0], [40.0, 0.0, 0.0, 0.0], [0.0, 40.0, 0.0, 0.0]]
    )
    candidates = torch.tensor(
        [
            [3.0, 4.0, 0.0, 0.0],
            [42.0, 0.0, 0.0, 0.0],
            [0.0, 40.5, 0.0, 0.0],
            [0.3, 0.3, 0.3, 0.3],
            [20.0, 20.0, 0.0, 0.0],
        ]
    )
    return DuplicateCase("points at known distances", train, candidates, 5.0)


def outlier_case() -> DuplicateCase:
    """Three training points around the origin and one far away: a
    candidate among the three is near them, on average far from all
    four, and farther still from the farthest."""
    train = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [100.0, 100.0]])
    candidates = torch.tensor([[0.5, 0.5], [50.0, 50.0], [0.0, 2.0]])
    return DuplicateCase("a cluster and an outlier", train, candidates, 40.0)


def spread_case(
    name: str, threshold: float, seed: int, rows: tuple[int, int]
) -> DuplicateCase:
    """Float64 rows in eight features, far apart (scale 10); each
    candidate a training row moved by a known 0.1 to 0.9 in a random
    direction, or a new row."""
    generator = torch.Generator().manual_seed(seed)
    n, m = rows
    train = 10 * torch.randn(n, 8, generator=generator, dtype=torch.float64)
    direction = torch.randn(m, 8, generator=generator, dtype=torch.float64)
    direction /= direction.norm(dim=1, keepdim=True)
    radius = 0.1 + 0.2 * (torch.arange(m, dtype=torch.float64) % 5)
    source = torch.randint(0, n, (m,), generator=generator)
    candidates = train[source] + radius[:, None] * direction
    fresh = torch.arange(m) % 3 == 2
    candidates[fresh] = 10 * torch.randn(
        int(fresh.sum()), 8, generator=generator, dtype=torch.float64
    )
    return DuplicateCase(name, train, candidates, threshold)


DUPLICATE_CASES = (
    digit_like_case("exact copies of digits", 0.0, 0, torch.float32),
    digit_like_case("near copies of digits", 0.13, 1, torch.float32),
    digit_like_case("float64 digits", 0.3, 2, torch.float64),
    known_distance_case(),
    DuplicateCase(
        "points at known distances",
        known_distance_case().train,
        known_distance_case().candidates,
        4.5,
    ),
    DuplicateCase(
        "points at known distances",
        known_distance_case().train,
        known_distance_case().candidates,
        0.4,
    ),
    DuplicateCase(
        "points at known distances",
        known_distance_case().train,
        known_distance_case().candidates,
        4.995,
    ),
    digit_like_case(
        "digits just beyond the threshold", 0.06, 5, torch.float32
    ),
    outlier_case(),
    spread_case("spread-out float64 rows", 0.6, 3, (50, 21)),
)


def duplicate_alternatives(
    case: DuplicateCase,
) -> list[tuple[str, torch.Tensor]]:
    """What the usual mistakes give, with the word for each."""
    distances = case.distances()
    nearest = distances.min(dim=1).values
    centroid = case.train.double().mean(dim=0)
    threshold = case.threshold
    return [
        (
            "a row exactly `threshold` away is not marked: compare with <= "
            "(not <), and compute the distance without an epsilon "
            "(F.pairwise_distance adds 1e-6 to the differences)",
            nearest < threshold,
        ),
        (
            "the SQUARED distance is compared with the threshold: take its "
            "square root, or compare it with threshold ** 2",
            nearest**2 <= threshold,
        ),
        (
            "this is the Manhattan (L1) distance: use the Euclidean one",
            case.distances(p=1.0).min(dim=1).values <= threshold,
        ),
        (
            "this compares the largest difference of any one feature "
            "(every feature within the threshold): use the Euclidean "
            "distance over all features",
            case.distances(p=float("inf")).min(dim=1).values <= threshold,
        ),
        (
            "this is the mean distance to the training rows: use the "
            "NEAREST training row's distance (the min over train)",
            distances.mean(dim=1) <= threshold,
        ),
        (
            "this is the farthest training row: use the NEAREST (min, not "
            "max)",
            distances.max(dim=1).values <= threshold,
        ),
        (
            "this is the distance to the mean training row: use the "
            "nearest training row",
            (case.candidates.double() - centroid).norm(dim=1) <= threshold,
        ),
    ]


def duplicate_mask(
    answer: NearDuplicates, case: DuplicateCase
) -> torch.Tensor:
    """The answer's mask, checked for type, dtype and shape."""
    where = case.where()
    result = call(answer, where, case.train, case.candidates, case.threshold)
    m, n = len(case.candidates), len(case.train)
    if not isinstance(result, torch.Tensor):
        fail(
            f"{where} near_duplicates returned a {type(result).__name__}: "
            "return a torch tensor"
        )
    if result.shape == (n,):
        fail(
            f"{where} the mask has {n} entries, one per training row: it "
            f"needs {m}, one per candidate (the nearest training row of "
            "each candidate)"
        )
    if result.shape != (m,):
        fail(
            f"{where} the mask has shape {tuple(result.shape)}, expected "
            f"({m},): one True or False per candidate (a mask, not the "
            "indices that nonzero() gives)"
        )
    if result.dtype != torch.bool:
        fail(
            f"{where} the mask has dtype {result.dtype}: return the "
            "comparison itself, a torch.bool tensor"
        )
    return result


def check_duplicate_values(
    answer: NearDuplicates, cases: Sequence[DuplicateCase] = DUPLICATE_CASES
) -> None:
    """The mask of every case, against the nearest distances."""
    masks = [duplicate_mask(answer, case) for case in cases]
    for case, got in zip(cases, masks, strict=True):
        want = case.expected()
        if torch.equal(got, want):
            continue
        nearest = case.distances().min(dim=1).values
        row = int((got != want).nonzero()[0])
        named = mistake_on_every_case(
            [duplicate_alternatives(case) for case in cases],
            masks,
            torch.equal,
        )
        beyond = got & ~want
        overshoot = (
            float((nearest[beyond] - case.threshold).max())
            if beyond.any()
            else None
        )
        if named is not None:
            hint = named
        elif (want & ~got & (nearest == 0)).any():
            hint = (
                "an exact copy (distance 0) was not found: with threshold=0 "
                "it must be (<=, and no epsilon added to the distances, as "
                "F.pairwise_distance adds 1e-6)"
            )
        elif overshoot is not None and overshoot <= SLIGHTLY_BEYOND:
            hint = (
                "a candidate just beyond the threshold is marked: compare "
                "the distance with the threshold itself, with no tolerance "
                "added"
            )
        else:
            hint = (
                "True exactly where the nearest training row is at most "
                "`threshold` away"
            )
        fail(
            f"{case.where()} candidate {row} is {bool(got[row])} but its "
            f"nearest training row is {float(nearest[row]):.6g} away, so it "
            f"should be {bool(want[row])}: {hint}"
        )


def check_duplicate_threshold(answer: NearDuplicates) -> None:
    """A negative threshold raises ValueError; 0 is allowed."""
    case = DUPLICATE_CASES[0]
    try:
        answer(case.train, case.candidates, -0.5)
    except ValueError:
        return
    except Exception as error:
        fail(
            f"threshold=-0.5 raised {type(error).__name__}: raise "
            "ValueError for a negative threshold (not an assert)"
        )
    fail("threshold=-0.5 was accepted: raise ValueError for a negative one")


def duplicate_operations(answer: NearDuplicates, rows: tuple[int, int]) -> int:
    """Tensor operations the answer runs on `rows` (candidates, train)."""
    case = spread_case("counted rows", 0.5, 4, (rows[1], rows[0]))
    with OperationCount() as counter:
        answer(case.train, case.candidates, case.threshold)
    return counter.count


def check_duplicate_batching(answer: NearDuplicates) -> None:
    """No more tensor operations on ten times the rows."""
    small = duplicate_operations(answer, SMALL_ROWS)
    large = duplicate_operations(answer, LARGE_ROWS)
    if large > small + EXTRA_OPERATIONS:
        fail(
            f"near_duplicates ran {small} tensor operations on "
            f"{SMALL_ROWS[0]} candidates and {SMALL_ROWS[1]} training rows, "
            f"but {large} on {LARGE_ROWS[0]} and {LARGE_ROWS[1]}: it loops "
            "over rows. Compare whole batches at once, e.g. "
            "torch.cdist(candidates, train)"
        )


def check_duplicate_behaviour(
    answer: NearDuplicates, cases: Sequence[DuplicateCase] = DUPLICATE_CASES
) -> None:
    """Everything exercise 2 asks, on these cases."""
    check_duplicate_values(answer, cases)
    check_duplicate_threshold(answer)
    check_duplicate_batching(answer)


def run_near_duplicates(answer: NearDuplicates) -> Any:
    """One call of the answer, for the hidden tests' own-work rule."""
    case = DUPLICATE_CASES[1]
    return answer(case.train, case.candidates, case.threshold)


@suggests_reference("near_duplicates")
def check_near_duplicates(near_duplicates: NearDuplicates) -> None:
    """Check exercise 2: see the module's docstring."""
    require_callable(near_duplicates, "check_near_duplicates(near_duplicates)")
    with reported_warnings():
        check_duplicate_behaviour(near_duplicates)
    print(
        f"check_near_duplicates passed: on {len(DUPLICATE_CASES)} cases "
        "(exact and near copies, thresholds from 0, a point exactly at the "
        "threshold, float32 and float64) the mask marks the candidates "
        "whose nearest training row is close enough; a negative threshold "
        "raises ValueError; no loop over rows."
    )


# ----------------------------------------------- exercise 3: label_shift


@dataclass(frozen=True)
class ShiftCase:
    """Two splits' labels, their number of classes, and the answer."""

    name: str
    train_labels: tuple[int, ...]
    val_labels: tuple[int, ...]
    n_classes: int

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.tensor(self.train_labels), torch.tensor(self.val_labels)

    def shares(self) -> tuple[torch.Tensor, torch.Tensor]:
        return tuple(
            torch.bincount(labels, minlength=self.n_classes).double()
            / len(labels)
            for labels in self.tensors()
        )

    def expected(self) -> float:
        train, val = self.shares()
        return float((train - val).abs().sum() / 2)

    def where(self) -> str:
        return (
            f"on {self.name} ({len(self.train_labels)} training and "
            f"{len(self.val_labels)} validation labels, n_classes="
            f"{self.n_classes})"
        )


def random_labels(
    count: int, weights: Sequence[float], seed: int
) -> tuple[int, ...]:
    """`count` labels drawn with these class weights."""
    generator = torch.Generator().manual_seed(seed)
    draws = torch.multinomial(
        torch.tensor(weights), count, replacement=True, generator=generator
    )
    return tuple(draws.tolist())


SHIFT_CASES = (
    ShiftCase("the same mix, other sizes", (0, 0, 1, 1, 2, 2), (2, 1, 0), 3),
    ShiftCase("no class in common", (0, 1, 0, 1), (2, 3, 2), 4),
    ShiftCase(
        "a class in one split only, and a spare class",
        (0,) * 5 + (1,) * 3 + (2,) * 2,
        (1, 1, 3, 3, 3, 0),
        6,
    ),
    ShiftCase(
        "the last class differs",
        (0, 1, 2, 3, 4, 4),
        (0, 1, 2, 3, 0, 1, 2, 3),
        5,
    ),
    ShiftCase("two classes", (0, 0, 0, 1), (0, 1, 1, 1, 1), 2),
    ShiftCase(
        "ten classes, drawn at random",
        random_labels(500, [1.0] * 10, seed=0),
        random_labels(120, [1.0] * 5 + [3.0] * 5, seed=1),
        10,
    ),
)


def usual_shift_mistakes(case: ShiftCase) -> list[tuple[str, float]]:
    """What the usual mistakes give, with the word for each."""
    train_labels, val_labels = case.tensors()
    train, val = case.shares()
    difference = (train - val).abs()
    counts = [
        torch.bincount(labels, minlength=case.n_classes).double()
        for labels in (train_labels, val_labels)
    ]
    both = (train > 0) & (val > 0)
    seen = train > 0
    return [
        ("it is the sum without the half", float(difference.sum())),
        (
            "it compares class counts: compare shares (each count over its "
            "split's size)",
            float((counts[0] - counts[1]).abs().sum() / 2),
        ),
        (
            "both splits' counts are divided by the same size: divide each "
            "by its own split's size",
            float((counts[0] - counts[1]).abs().sum() / 2 / len(train_labels)),
        ),
        (
            "the counts are divided by n_classes: divide by the split's size",
            float((counts[0] - counts[1]).abs().sum() / 2 / case.n_classes),
        ),
        (
            "it is the largest difference: take half the SUM over classes",
            float(difference.max()),
        ),
        (
            "it is the Euclidean distance: take half the sum of the "
            "absolute differences",
            float((train - val).norm()),
        ),
        (
            "it is one minus the distance (the overlap): return the "
            "distance itself",
            1 - case.expected(),
        ),
        (
            "the absolute value is missing: half the sum of |p - q|",
            float((train - val).sum() / 2),
        ),
        (
            "only classes present in both splits are counted: a class "
            "absent from one split counts with share 0 there",
            float(difference[both].sum() / 2),
        ),
        (
            "only classes seen in train_labels are counted: every one of "
            "the n_classes classes counts",
            float(difference[seen].sum() / 2),
        ),
        (
            "the last class is left out: count all n_classes classes "
            "(range(n_classes))",
            float(difference[:-1].sum() / 2),
        ),
    ]


def same_score(got: float, value: float) -> bool:
    return abs(got - value) <= SCORE_TOLERANCE


def check_shift_values(
    answer: LabelShift, cases: Sequence[ShiftCase] = SHIFT_CASES
) -> None:
    """The distance of every case, as a Python float."""
    scores = [
        python_float(
            call(answer, case.where(), *case.tensors(), case.n_classes),
            "label_shift",
            case.where(),
        )
        for case in cases
    ]
    for case, got in zip(cases, scores, strict=True):
        want = case.expected()
        if same_score(got, want):
            continue
        hint = mistake_on_every_case(
            [usual_shift_mistakes(case) for case in cases], scores, same_score
        ) or (
            "half the sum over all n_classes classes of |share in "
            "train_labels - share in val_labels|"
        )
        fail(
            f"{case.where()} label_shift is {got:.6f}, expected {want:.6f}: "
            f"{hint}"
        )


def run_label_shift(answer: LabelShift) -> Any:
    """One call of the answer, for the hidden tests' own-work rule."""
    case = SHIFT_CASES[2]
    return answer(*case.tensors(), case.n_classes)


@suggests_reference("label_shift")
def check_label_shift(label_shift: LabelShift) -> None:
    """Check exercise 3: see the module's docstring."""
    require_callable(label_shift, "check_label_shift(label_shift)")
    with reported_warnings():
        check_shift_values(label_shift)
    print(
        f"check_label_shift passed: on {len(SHIFT_CASES)} cases (splits of "
        "other sizes, classes missing from one split, 2 to 10 classes) the "
        "total variation distance is right, as a Python float."
    )


# ----------------------------------------- exercise 4: balanced_accuracy


@dataclass(frozen=True)
class ScoreCase:
    """Predicted and true classes, and the answer."""

    name: str
    predictions: tuple[int, ...]
    targets: tuple[int, ...]

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.tensor(self.predictions), torch.tensor(self.targets)

    def recalls(self) -> dict[int, float]:
        predictions, targets = self.tensors()
        return {
            int(c): float((predictions[targets == c] == c).double().mean())
            for c in targets.unique()
        }

    def expected(self) -> float:
        recalls = list(self.recalls().values())
        return sum(recalls) / len(recalls)

    def where(self) -> str:
        classes = sorted(set(self.targets))
        return (
            f"on {self.name} ({len(self.targets)} samples, target classes "
            f"{classes if len(classes) <= 6 else f'0 to {classes[-1]}'})"
        )


def imbalanced_predictions(seed: int) -> tuple[tuple[int, ...], ...]:
    """400 targets over ten classes, the last five rare, and predictions
    that are right 90% of the time on common classes, 50% on rare ones,
    and otherwise any class."""
    generator = torch.Generator().manual_seed(seed)
    weights = torch.tensor([10.0] * 5 + [1.0] * 5)
    targets = torch.multinomial(weights, 400, True, generator=generator)
    right = torch.rand(400, generator=generator) < torch.where(
        targets < 5, 0.9, 0.5
    )
    other = torch.randint(0, 10, (400,), generator=generator)
    predictions = torch.where(right, targets, other)
    return tuple(predictions.tolist()), tuple(targets.tolist())


SCORE_CASES = (
    ScoreCase("two balanced classes", (0, 1, 1, 1), (0, 0, 1, 1)),
    ScoreCase("a rare class never found", (0,) * 10, (0,) * 8 + (1,) * 2),
    ScoreCase(
        "a class only predicted", (0, 2, 1, 1, 0, 1), (0, 0, 1, 1, 0, 1)
    ),
    ScoreCase(
        "class numbers with gaps", (0, 0, 2, 1, 5, 5, 2), (0, 0, 2, 2, 5, 5, 5)
    ),
    ScoreCase(
        "a class never predicted", (0, 0, 2, 2, 1, 0), (0, 1, 2, 2, 1, 1)
    ),
    ScoreCase("one class only", (3, 3, 1, 3), (3, 3, 3, 3)),
    ScoreCase("ten imbalanced classes", *imbalanced_predictions(0)),
)


def usual_score_mistakes(case: ScoreCase) -> list[tuple[str, float]]:
    """What the usual mistakes give, with the word for each."""
    predictions, targets = case.tensors()
    recalls = case.recalls()
    classes = targets.unique().tolist()
    support = {c: int((targets == c).sum()) for c in classes}
    union = torch.cat([predictions, targets]).unique().tolist()
    up_to_largest = range(int(targets.max()) + 1)

    def precision(c: int) -> float:
        chosen = predictions == c
        return (
            float((targets[chosen] == c).double().mean())
            if chosen.any()
            else 0.0
        )

    def f1(c: int) -> float:
        hits = int(((predictions == c) & (targets == c)).sum())
        false_pos = int(((predictions == c) & (targets != c)).sum())
        false_neg = int(((predictions != c) & (targets == c)).sum())
        return 2 * hits / (2 * hits + false_pos + false_neg)

    predicted = [c for c in predictions.unique().tolist() if c in recalls]
    as_targets = predictions.unique().tolist()
    mean_recall = case.expected()
    chance = 1 / len(classes)
    adjusted = (
        mean_recall
        if len(classes) == 1
        else (mean_recall - chance) / (1 - chance)
    )

    def specificity(c: int) -> float:
        negative = targets != c
        if not negative.any():
            return 1.0
        return float((predictions[negative] != c).double().mean())

    return [
        (
            "it is the plain accuracy: average the recall of each class, "
            "so that each class counts the same",
            float((predictions == targets).double().mean()),
        ),
        (
            "each recall is weighted by its class's size, which gives the "
            "plain accuracy back: take the plain mean of the recalls",
            sum(recalls[c] * support[c] for c in classes) / len(targets),
        ),
        (
            "it is the precision (the share of each class's PREDICTIONS "
            "that were right): recall is the share of each class's "
            "SAMPLES predicted as it",
            sum(precision(c) for c in classes) / len(classes),
        ),
        (
            "a class that occurs only in the predictions is counted: "
            "average over the classes in targets only",
            sum(recalls.get(c, 0.0) for c in union) / len(union),
        ),
        (
            "classes up to the largest label are counted even when absent "
            "from targets: average over the classes that occur in targets",
            sum(recalls.get(c, 0.0) for c in up_to_largest)
            / len(up_to_largest),
        ),
        (
            "only the classes that were predicted are averaged: a class "
            "of targets never predicted counts, with recall 0",
            sum(recalls[c] for c in predicted) / max(len(predicted), 1),
        ),
        (
            "predictions and targets are swapped: a class's recall is over "
            "the samples whose TARGET is that class",
            sum(
                float((targets[predictions == c] == c).double().mean())
                for c in as_targets
            )
            / len(as_targets),
        ),
        (
            "it is the mean F1 score: balanced accuracy is the mean recall",
            sum(f1(c) for c in classes) / len(classes),
        ),
        (
            "it is adjusted for chance (scikit-learn's adjusted=True): "
            "return the plain mean of the recalls",
            adjusted,
        ),
        (
            "it averages recall and specificity per class (the two-class "
            "formula): take the recall alone",
            sum((recalls[c] + specificity(c)) / 2 for c in classes)
            / len(classes),
        ),
        (
            "the recalls are floored by integer division: divide as floats",
            sum(float(recalls[c] == 1.0) for c in classes) / len(classes),
        ),
    ]


def check_score_values(
    answer: BalancedAccuracy, cases: Sequence[ScoreCase] = SCORE_CASES
) -> None:
    """The score of every case, as a Python float."""
    scores = [
        python_float(
            call(answer, case.where(), *case.tensors()),
            "balanced_accuracy",
            case.where(),
        )
        for case in cases
    ]
    for case, got in zip(cases, scores, strict=True):
        want = case.expected()
        if same_score(got, want):
            continue
        if got != got:
            hint = (
                "it is nan: a class without samples gives recall 0/0; "
                "average over the classes that occur in targets"
            )
        else:
            hint = mistake_on_every_case(
                [usual_score_mistakes(case) for case in cases],
                scores,
                same_score,
            ) or (
                "the mean, over the classes in targets, of the share of "
                "each class's samples predicted as it"
            )
        recalls = ", ".join(
            f"{c}: {r:.3f}" for c, r in list(case.recalls().items())[:6]
        )
        fail(
            f"{case.where()} balanced_accuracy is {got:.6f}, expected "
            f"{want:.6f} (recalls {recalls}): {hint}"
        )


def run_balanced_accuracy(answer: BalancedAccuracy) -> Any:
    """One call of the answer, for the hidden tests' own-work rule."""
    return answer(*SCORE_CASES[3].tensors())


@suggests_reference("balanced_accuracy")
def check_balanced_accuracy(balanced_accuracy: BalancedAccuracy) -> None:
    """Check exercise 4: see the module's docstring."""
    require_callable(
        balanced_accuracy, "check_balanced_accuracy(balanced_accuracy)"
    )
    with reported_warnings():
        check_score_values(balanced_accuracy)
    print(
        f"check_balanced_accuracy passed: on {len(SCORE_CASES)} cases "
        "(rare classes, classes only predicted or never predicted, class "
        "numbers with gaps) the score is the mean recall over the classes "
        "in targets, as a Python float."
    )
