"""An independent bank of learner answers to the four exercises of lesson
09 (`standardise`, `near_duplicates`, `label_shift` and
`balanced_accuracy`), written from the exercise spec alone, before the
checks existed, by a tester who never saw them nor the library's
reference; run through the real graded cells (visible checks and hidden
tests).

Every correct answer, in whatever style, must be accepted; every wrong
one, a mistake that learners reading the text really make (one mistake
each), must fail with an AssertionError, which carries the check's
message (any other exception would also score 0 under nbgrader; the
tests name it).

Two judgements of the tester, where the spec leaves room:

* `near_duplicates`: the spec suggests `torch.cdist`, whose default on
  more than 25 rows expands ||a||^2 + ||b||^2 - 2ab, so float32 rounding
  can leave an exact copy at a distance of about 1e-3. The bank counts
  that answer, and the same expansion written by hand, as correct: an
  answer cannot be asked to be more exact than the spec's own example.
* `standardise`: "constant on the training rows" is tested exactly
  (std == 0 as torch computes it, or max == min); torch's std of a
  constant column is exactly 0, numpy's is not always, so the numpy
  answer tests max == min.
"""

from __future__ import annotations

import collections
import statistics

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from tests.notebook_tools import grade_answer, refuse_answer

ASSIGNMENT = "09-data-problems"


# ======================================================== exercise 1
# ------------------------------------------------------ correct answers


def standardise_with_std(train, *others):
    """mean and std(unbiased=False) over dim 0, torch.where for the
    constant features, a generator into tuple()."""
    mean = train.mean(dim=0)
    std = train.std(dim=0, unbiased=False)
    std = torch.where(std == 0, torch.ones_like(std), std)
    return tuple((split - mean) / std for split in (train, *others))


def standardise_with_std_mean(train, *others):
    """torch.std_mean with correction=0 and keepdim, masked_fill, and a
    list built in a loop over the splits."""
    std, mean = torch.std_mean(train, dim=0, correction=0, keepdim=True)
    std = std.masked_fill(std == 0, 1.0)
    out = [(train - mean) / std]
    for split in others:
        out.append((split - mean) / std)
    return tuple(out)


def standardise_in_numpy(train, *others):
    """numpy inside (np.std divides by n by default); a feature is
    constant when its max equals its min; back to torch."""
    x = train.detach().cpu().numpy()
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    constant = x.max(axis=0) == x.min(axis=0)
    std = np.where(constant, 1.0, std).astype(x.dtype)
    return tuple(
        torch.from_numpy((split.detach().cpu().numpy() - mean) / std)
        for split in (train, *others)
    )


def standardise_in_float64(train, *others):
    """Statistics and scaling in float64, each result cast back to its
    split's dtype; the two-pass variance written out."""
    x = train.double()
    mean = x.mean(0)
    std = ((x - mean) ** 2).mean(0).sqrt()
    std[x.amax(0) == x.amin(0)] = 1.0
    return tuple(
        ((split.double() - mean) / std).to(split.dtype)
        for split in (train, *others)
    )


def standardise_column_by_column(train, *others):
    """A loop over the features (the spec allows loops here), writing
    into clones of the splits; constant when its max equals its min (the
    std of a 1-D tensor of 0.1s comes out 1.5e-8 in float32, not 0)."""
    outputs = [train.clone()] + [split.clone() for split in others]
    for j in range(train.shape[1]):
        column = train[:, j]
        mean = column.mean()
        std = column.std(unbiased=False)
        if column.max() == column.min():
            std = 1.0
        for out in outputs:
            out[:, j] = (out[:, j] - mean) / std
    return tuple(outputs)


def standardise_by_hand(train, *others):
    """Sums divided by n; a feature is constant when every row equals
    the first; torch.where with a Python scalar."""
    n = train.shape[0]
    mean = train.sum(dim=0) / n
    std = ((train - mean).pow(2).sum(dim=0) / n).sqrt()
    constant = (train == train[0]).all(dim=0)
    std = torch.where(constant, 1.0, std)
    return tuple((split - mean) / std for split in (train, *others))


def standardise_as_affine(train, *others):
    """x * scale + shift, scale = rsqrt(variance) where the variance is
    positive and 1 elsewhere; map over the splits."""
    var = train.var(dim=0, correction=0)
    scale = torch.ones_like(var)
    positive = var > 0
    scale[positive] = var[positive].rsqrt()
    shift = -train.mean(dim=0) * scale
    return tuple(map(lambda split: split * scale + shift, (train, *others)))


CORRECT_STANDARDISE = [
    standardise_with_std,
    standardise_with_std_mean,
    standardise_in_numpy,
    standardise_in_float64,
    standardise_column_by_column,
    standardise_by_hand,
    standardise_as_affine,
]


@pytest.mark.parametrize(
    "answer", CORRECT_STANDARDISE, ids=lambda f: f.__name__
)
def test_a_correct_standardise_passes(answer):
    grade_answer(ASSIGNMENT, "standardise_tests", "standardise", answer)


# -------------------------------------------------------- wrong answers


def _train_statistics(train):
    """The spec's statistics: mean and population std per feature over
    the training rows, std 1 for constant features (the wrong answers
    below that do not differ here share it)."""
    mean = train.mean(dim=0)
    std = train.std(dim=0, unbiased=False)
    return mean, torch.where(std == 0, torch.ones_like(std), std)


def pools_all_splits(train, *others):
    """Mean and std over train, validation and test rows together."""
    everything = torch.cat([train, *others])
    mean, std = _train_statistics(everything)
    return tuple((split - mean) / std for split in (train, *others))


def each_split_its_own_statistics(train, *others):
    """Each split standardised with its own mean and std."""
    out = []
    for split in (train, *others):
        mean, std = _train_statistics(split)
        out.append((split - mean) / std)
    return tuple(out)


def unbiased_std(train, *others):
    """train.std(0): the sample std (divides by n - 1)."""
    mean = train.mean(dim=0)
    std = train.std(dim=0)
    std = torch.where(std == 0, torch.ones_like(std), std)
    return tuple((split - mean) / std for split in (train, *others))


def divides_by_zero(train, *others):
    """No guard: constant features come out NaN (0/0) or inf."""
    mean = train.mean(dim=0)
    std = train.std(dim=0, unbiased=False)
    return tuple((split - mean) / std for split in (train, *others))


def row_statistics(train, *others):
    """Statistics over each row (dim=1) instead of each feature: every
    sample standardised across its own pixels."""
    out = []
    for split in (train, *others):
        mean = split.mean(dim=1, keepdim=True)
        std = split.std(dim=1, unbiased=False, keepdim=True)
        std = torch.where(std == 0, torch.ones_like(std), std)
        out.append((split - mean) / std)
    return tuple(out)


def modifies_input_in_place(train, *others):
    """Right numbers, but train is standardised in place (-=, /=): the
    caller's tensor changes."""
    mean, std = _train_statistics(train)
    scaled = [(split - mean) / std for split in others]
    train -= mean
    train /= std
    return (train, *scaled)


def returns_float64(train, *others):
    """Works in float64 for accuracy and forgets to cast back."""
    x = train.double()
    mean, std = _train_statistics(x)
    return tuple((split.double() - mean) / std for split in (train, *others))


def reversed_others(train, *others):
    """The other splits come back in reverse order."""
    mean, std = _train_statistics(train)
    return tuple((split - mean) / std for split in (train, *others[::-1]))


def bare_tensor_without_others(train, *others):
    """With no others, returns the tensor itself, not a 1-tuple."""
    mean, std = _train_statistics(train)
    scaled = tuple((split - mean) / std for split in (train, *others))
    return scaled if others else scaled[0]


def clamps_std_to_epsilon(train, *others):
    """std.clamp(min=1e-8): a constant feature is divided by 1e-8, not
    1 (harmless on train, huge on the other splits)."""
    mean = train.mean(dim=0)
    std = train.std(dim=0, unbiased=False).clamp(min=1e-8)
    return tuple((split - mean) / std for split in (train, *others))


def clamps_std_at_one(train, *others):
    """std.clamp(min=1): every feature with a std below 1, not only the
    constant ones, is divided by 1."""
    mean = train.mean(dim=0)
    std = train.std(dim=0, unbiased=False).clamp(min=1.0)
    return tuple((split - mean) / std for split in (train, *others))


def zeroes_constant_features(train, *others):
    """Sets a constant feature to 0 in every split instead of centring
    it (right on train, wrong on the others)."""
    mean = train.mean(dim=0)
    std = train.std(dim=0, unbiased=False)
    return tuple(
        torch.where(std == 0, torch.zeros_like(split), (split - mean) / std)
        for split in (train, *others)
    )


def uses_standard_scaler(train, *others):
    """scikit-learn's StandardScaler (forbidden by the spec), the
    results back in torch with the input's dtype."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train.numpy())
    return tuple(
        torch.from_numpy(scaler.transform(split.numpy())).to(split.dtype)
        for split in (train, *others)
    )


def global_statistics(train, *others):
    """One mean and one std over the whole training matrix, not per
    feature."""
    mean = train.mean()
    std = train.std(unbiased=False)
    std = std if std > 0 else torch.ones_like(std)
    return tuple((split - mean) / std for split in (train, *others))


def divides_by_the_variance(train, *others):
    """Divides by the variance instead of the standard deviation."""
    mean = train.mean(dim=0)
    var = train.var(dim=0, unbiased=False)
    var = torch.where(var == 0, torch.ones_like(var), var)
    return tuple((split - mean) / var for split in (train, *others))


def returns_a_list(train, *others):
    """A list of the splits instead of a tuple."""
    mean, std = _train_statistics(train)
    return [(split - mean) / std for split in (train, *others)]


def forgets_train(train, *others):
    """Returns only the other splits, scaled; train itself is left
    out."""
    mean, std = _train_statistics(train)
    return tuple((split - mean) / std for split in others)


def returns_numpy_arrays(train, *others):
    """Works in numpy and hands back numpy arrays, not tensors."""
    x = train.numpy()
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std = np.where(x.max(axis=0) == x.min(axis=0), 1.0, std).astype(x.dtype)
    return tuple((split.numpy() - mean) / std for split in (train, *others))


def only_divides(train, *others):
    """Divides by the std but never subtracts the mean."""
    _, std = _train_statistics(train)
    return tuple(split / std for split in (train, *others))


def only_centres(train, *others):
    """Subtracts the mean but never divides by the std."""
    mean, _ = _train_statistics(train)
    return tuple(split - mean for split in (train, *others))


WRONG_STANDARDISE = [
    pools_all_splits,
    each_split_its_own_statistics,
    unbiased_std,
    divides_by_zero,
    row_statistics,
    modifies_input_in_place,
    returns_float64,
    reversed_others,
    bare_tensor_without_others,
    clamps_std_to_epsilon,
    clamps_std_at_one,
    zeroes_constant_features,
    uses_standard_scaler,
    global_statistics,
    divides_by_the_variance,
    returns_a_list,
    forgets_train,
    returns_numpy_arrays,
    only_divides,
    only_centres,
]


@pytest.mark.parametrize("answer", WRONG_STANDARDISE, ids=lambda f: f.__name__)
def test_a_wrong_standardise_fails(answer):
    refuse_answer(ASSIGNMENT, "standardise_tests", "standardise", answer)


# ======================================================== exercise 2
# ------------------------------------------------------ correct answers


def nearest_by_cdist(train, candidates, threshold):
    """The spec's example: torch.cdist as it comes, min over the train
    rows. (On more than 25 rows torch expands the squares: see the
    module's docstring.)"""
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    return torch.cdist(candidates, train).min(dim=1).values <= threshold


def nearest_by_exact_cdist(train, candidates, threshold):
    """torch.cdist told not to use the matrix-product shortcut, so an
    exact copy is at distance 0."""
    if threshold < 0:
        raise ValueError("negative threshold")
    distances = torch.cdist(
        candidates, train, compute_mode="donot_use_mm_for_euclid_dist"
    )
    return distances.amin(dim=1) <= threshold


def nearest_by_broadcasting(train, candidates, threshold):
    """(m, 1, d) - (1, n, d), squares summed, sqrt, amin."""
    if threshold < 0:
        raise ValueError("threshold cannot be negative")
    diff = candidates[:, None, :] - train[None, :, :]
    distances = diff.pow(2).sum(dim=-1).sqrt()
    return distances.amin(dim=1) <= threshold


def nearest_by_squared_distances(train, candidates, threshold):
    """Never takes a square root: the nearest squared distance against
    threshold**2 (the same test, since both sides are >= 0)."""
    if threshold < 0:
        raise ValueError("threshold must be non-negative")
    diff = candidates.unsqueeze(1) - train.unsqueeze(0)
    nearest_squared = (diff * diff).sum(dim=2).min(dim=1).values
    return nearest_squared <= threshold**2


def nearest_in_numpy(train, candidates, threshold):
    """numpy broadcasting and np.linalg.norm, back to a torch bool
    tensor."""
    if threshold < 0:
        raise ValueError(threshold)
    a = candidates.numpy()
    b = train.numpy()
    distances = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
    return torch.from_numpy(distances.min(axis=1) <= threshold)


def nearest_by_chunks(train, candidates, threshold):
    """Whole batches of 256 candidates at a time (a loop over blocks,
    not over rows), exact cdist on each."""
    if threshold < 0:
        raise ValueError("threshold must be >= 0")
    parts = []
    for start in range(0, len(candidates), 256):
        block = candidates[start : start + 256]
        distances = torch.cdist(
            block, train, compute_mode="donot_use_mm_for_euclid_dist"
        )
        parts.append(distances.min(dim=1).values <= threshold)
    if not parts:
        return torch.zeros(0, dtype=torch.bool)
    return torch.cat(parts)


def nearest_in_float64(train, candidates, threshold):
    """Differences in float64, torch.linalg.vector_norm over the
    features."""
    if threshold < 0:
        raise ValueError("threshold < 0")
    diff = candidates.double().unsqueeze(1) - train.double().unsqueeze(0)
    distances = torch.linalg.vector_norm(diff, dim=2)
    return distances.min(dim=1).values <= threshold


def nearest_by_expanding_squares(train, candidates, threshold):
    """||a||^2 + ||b||^2 - 2 a.b with one matrix product, clamped at 0
    before the sqrt: what torch.cdist itself does on large inputs."""
    if threshold < 0:
        raise ValueError("threshold must be >= 0")
    squared = (
        candidates.pow(2).sum(1)[:, None]
        + train.pow(2).sum(1)[None, :]
        - 2 * candidates @ train.T
    )
    distances = squared.clamp(min=0).sqrt()
    return distances.min(dim=1).values <= threshold


def nearest_with_train_first(train, candidates, threshold):
    """cdist(train, candidates), (n, m): the nearest train row is the
    min over dim 0."""
    if threshold < 0:
        raise ValueError("threshold must not be negative")
    return torch.cdist(train, candidates).amin(dim=0) <= threshold


def nearest_with_scipy(train, candidates, threshold):
    """scipy.spatial.distance.cdist (the spec forbids no library here),
    back to torch."""
    from scipy.spatial.distance import cdist

    if threshold < 0:
        raise ValueError("threshold must be >= 0")
    distances = cdist(candidates.numpy(), train.numpy())
    return torch.as_tensor(distances.min(axis=1) <= threshold)


CORRECT_NEAR_DUPLICATES = [
    nearest_by_cdist,
    nearest_by_exact_cdist,
    nearest_by_broadcasting,
    nearest_by_squared_distances,
    nearest_in_numpy,
    nearest_by_chunks,
    nearest_in_float64,
    nearest_by_expanding_squares,
    nearest_with_train_first,
    nearest_with_scipy,
]


@pytest.mark.parametrize(
    "answer", CORRECT_NEAR_DUPLICATES, ids=lambda f: f.__name__
)
def test_a_correct_near_duplicates_passes(answer):
    grade_answer(
        ASSIGNMENT, "near_duplicates_tests", "near_duplicates", answer
    )


# -------------------------------------------------------- wrong answers


def _exact_distances(train, candidates, threshold):
    """The spec's distances (m, n), after the spec's ValueError (the
    wrong answers below that do not differ here share it)."""
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    return torch.cdist(
        candidates, train, compute_mode="donot_use_mm_for_euclid_dist"
    )


def strictly_less(train, candidates, threshold):
    """distance < threshold: threshold=0 finds no copies."""
    distances = _exact_distances(train, candidates, threshold)
    return distances.min(dim=1).values < threshold


def squared_distance_against_threshold(train, candidates, threshold):
    """The nearest SQUARED distance against the threshold itself."""
    if threshold < 0:
        raise ValueError("threshold must be >= 0")
    diff = candidates[:, None, :] - train[None, :, :]
    return diff.pow(2).sum(-1).min(dim=1).values <= threshold


def mask_over_train(train, candidates, threshold):
    """Marks the train rows near some candidate: shape (n,), not
    (m,)."""
    distances = _exact_distances(train, candidates, threshold)
    return distances.min(dim=0).values <= threshold


def mean_distance(train, candidates, threshold):
    """The mean distance to the train rows instead of the nearest."""
    distances = _exact_distances(train, candidates, threshold)
    return distances.mean(dim=1) <= threshold


def farthest_row(train, candidates, threshold):
    """max instead of min: the farthest train row."""
    distances = _exact_distances(train, candidates, threshold)
    return distances.max(dim=1).values <= threshold


def no_value_error(train, candidates, threshold):
    """Never checks the threshold: a negative one gives all False."""
    distances = torch.cdist(
        candidates, train, compute_mode="donot_use_mm_for_euclid_dist"
    )
    return distances.min(dim=1).values <= threshold


def loop_over_rows(train, candidates, threshold):
    """A Python loop over the candidate rows (the spec forbids it)."""
    if threshold < 0:
        raise ValueError("threshold must be >= 0")
    found = []
    for row in candidates:
        nearest = (train - row).pow(2).sum(dim=1).sqrt().min()
        found.append(bool(nearest <= threshold))
    return torch.tensor(found, dtype=torch.bool)


def returns_a_float_mask(train, candidates, threshold):
    """0.0/1.0 floats instead of a boolean tensor."""
    distances = _exact_distances(train, candidates, threshold)
    return (distances.min(dim=1).values <= threshold).float()


def returns_indices(train, candidates, threshold):
    """The indices of the near duplicates (nonzero) instead of a mask."""
    distances = _exact_distances(train, candidates, threshold)
    return torch.nonzero(distances.min(dim=1).values <= threshold).flatten()


def manhattan_distance(train, candidates, threshold):
    """cdist with p=1: the L1 distance, not the Euclidean."""
    if threshold < 0:
        raise ValueError("threshold must be >= 0")
    distances = torch.cdist(candidates, train, p=1)
    return distances.min(dim=1).values <= threshold


def skips_zero_distances(train, candidates, threshold):
    """Ignores distance 0 as if it were a row matched with itself, so
    exact copies are not found."""
    distances = _exact_distances(train, candidates, threshold)
    distances = distances.masked_fill(distances == 0, float("inf"))
    return distances.min(dim=1).values <= threshold


def refuses_threshold_zero(train, candidates, threshold):
    """Raises ValueError for threshold 0 too (<= 0 instead of < 0)."""
    if threshold <= 0:
        raise ValueError("threshold must be positive")
    distances = torch.cdist(
        candidates, train, compute_mode="donot_use_mm_for_euclid_dist"
    )
    return distances.min(dim=1).values <= threshold


def asserts_the_threshold(train, candidates, threshold):
    """An assert instead of raising ValueError."""
    assert threshold >= 0, "threshold must be >= 0"
    distances = torch.cdist(
        candidates, train, compute_mode="donot_use_mm_for_euclid_dist"
    )
    return distances.min(dim=1).values <= threshold


def pairwise_distance_with_eps(train, candidates, threshold):
    """F.pairwise_distance, whose default eps=1e-6 puts an exact copy at
    about 8e-6, so threshold=0 misses it."""
    if threshold < 0:
        raise ValueError("threshold must be >= 0")
    distances = F.pairwise_distance(candidates[:, None, :], train[None])
    return distances.min(dim=1).values <= threshold


def every_feature_within_threshold(train, candidates, threshold):
    """Near when every feature differs by at most the threshold (the
    Chebyshev distance), not the Euclidean distance."""
    if threshold < 0:
        raise ValueError("threshold must be >= 0")
    diff = (candidates[:, None, :] - train[None, :, :]).abs()
    return (diff <= threshold).all(dim=2).any(dim=1)


def returns_numpy_mask(train, candidates, threshold):
    """Works in numpy and hands back a numpy array, not a tensor."""
    if threshold < 0:
        raise ValueError("threshold must be >= 0")
    a, b = candidates.numpy(), train.numpy()
    distances = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    return distances.min(axis=1) <= threshold


def nearest_to_the_centroid(train, candidates, threshold):
    """The distance to the mean of the train rows, not to the nearest
    row."""
    if threshold < 0:
        raise ValueError("threshold must be >= 0")
    centroid = train.mean(dim=0, keepdim=True)
    return (candidates - centroid).norm(dim=1) <= threshold


def adds_a_tolerance(train, candidates, threshold):
    """Adds 0.01 to the threshold to absorb cdist's rounding (exact
    copies of standardised rows come out about 0.004 apart): a
    candidate up to 0.01 beyond the threshold is marked too."""
    distances = _exact_distances(train, candidates, threshold)
    return distances.min(dim=1).values <= threshold + 0.01


WRONG_NEAR_DUPLICATES = [
    strictly_less,
    squared_distance_against_threshold,
    mask_over_train,
    mean_distance,
    farthest_row,
    no_value_error,
    loop_over_rows,
    returns_a_float_mask,
    returns_indices,
    manhattan_distance,
    skips_zero_distances,
    refuses_threshold_zero,
    asserts_the_threshold,
    pairwise_distance_with_eps,
    every_feature_within_threshold,
    returns_numpy_mask,
    nearest_to_the_centroid,
    adds_a_tolerance,
]


@pytest.mark.parametrize(
    "answer", WRONG_NEAR_DUPLICATES, ids=lambda f: f.__name__
)
def test_a_wrong_near_duplicates_fails(answer):
    refuse_answer(
        ASSIGNMENT, "near_duplicates_tests", "near_duplicates", answer
    )


# ======================================================== exercise 3
# ------------------------------------------------------ correct answers


def shift_by_bincount(train_labels, val_labels, n_classes):
    """bincount with minlength, shares in float64, .item()."""
    p = torch.bincount(train_labels, minlength=n_classes).double()
    q = torch.bincount(val_labels, minlength=n_classes).double()
    p, q = p / len(train_labels), q / len(val_labels)
    return 0.5 * (p - q).abs().sum().item()


def shift_by_one_hot(train_labels, val_labels, n_classes):
    """The mean of one-hot rows is the vector of shares; float32."""
    p = F.one_hot(train_labels, n_classes).float().mean(dim=0)
    q = F.one_hot(val_labels, n_classes).float().mean(dim=0)
    return float((p - q).abs().sum() / 2)


def shift_by_class_loop(train_labels, val_labels, n_classes):
    """A loop over the classes, (labels == k).float().mean() each."""
    total = 0.0
    for k in range(n_classes):
        p = (train_labels == k).float().mean().item()
        q = (val_labels == k).float().mean().item()
        total += abs(p - q)
    return total / 2


def shift_in_numpy(train_labels, val_labels, n_classes):
    """np.bincount on the arrays, float() of the numpy result."""
    p = np.bincount(train_labels.numpy(), minlength=n_classes)
    q = np.bincount(val_labels.numpy(), minlength=n_classes)
    p = p / p.sum()
    q = q / q.sum()
    return float(0.5 * np.abs(p - q).sum())


def shift_by_counter(train_labels, val_labels, n_classes):
    """Pure Python: collections.Counter over .tolist()."""
    train_counts = collections.Counter(train_labels.tolist())
    val_counts = collections.Counter(val_labels.tolist())
    n_train, n_val = len(train_labels), len(val_labels)
    return 0.5 * sum(
        abs(train_counts[k] / n_train - val_counts[k] / n_val)
        for k in range(n_classes)
    )


def shift_as_one_minus_overlap(train_labels, val_labels, n_classes):
    """1 - sum of min(p, q): the same distance when both sum to 1."""
    p = torch.bincount(train_labels, minlength=n_classes) / len(train_labels)
    q = torch.bincount(val_labels, minlength=n_classes) / len(val_labels)
    return 1.0 - torch.minimum(p.double(), q.double()).sum().item()


def shift_by_positive_part(train_labels, val_labels, n_classes):
    """sum of max(p - q, 0): the mass that has to move, also the total
    variation distance."""
    p = torch.bincount(train_labels, minlength=n_classes).double()
    q = torch.bincount(val_labels, minlength=n_classes).double()
    gap = p / p.sum() - q / q.sum()
    return gap.clamp(min=0).sum().item()


def shift_by_unique_counts(train_labels, val_labels, n_classes):
    """torch.unique(return_counts=True), scattered into a vector of
    n_classes shares."""

    def shares(labels):
        classes, counts = torch.unique(labels, return_counts=True)
        out = torch.zeros(n_classes, dtype=torch.float64)
        out[classes] = counts.double() / labels.numel()
        return out

    return 0.5 * float(
        torch.sum(torch.abs(shares(train_labels) - shares(val_labels)))
    )


CORRECT_LABEL_SHIFT = [
    shift_by_bincount,
    shift_by_one_hot,
    shift_by_class_loop,
    shift_in_numpy,
    shift_by_counter,
    shift_as_one_minus_overlap,
    shift_by_positive_part,
    shift_by_unique_counts,
]


@pytest.mark.parametrize(
    "answer", CORRECT_LABEL_SHIFT, ids=lambda f: f.__name__
)
def test_a_correct_label_shift_passes(answer):
    grade_answer(ASSIGNMENT, "label_shift_tests", "label_shift", answer)


# -------------------------------------------------------- wrong answers


def _shares(labels, n_classes):
    """The spec's shares, float64 (the wrong answers below that do not
    differ here share it)."""
    counts = torch.bincount(labels, minlength=n_classes).double()
    return counts / len(labels)


def counts_not_shares(train_labels, val_labels, n_classes):
    """Compares the class counts, never divided by the split sizes."""
    p = torch.bincount(train_labels, minlength=n_classes)
    q = torch.bincount(val_labels, minlength=n_classes)
    return 0.5 * (p - q).abs().sum().item()


def missing_the_half(train_labels, val_labels, n_classes):
    """The sum of |p - q| without the half (0 to 2)."""
    p = _shares(train_labels, n_classes)
    q = _shares(val_labels, n_classes)
    return (p - q).abs().sum().item()


def only_shared_classes(train_labels, val_labels, n_classes):
    """Sums only over the classes present in both splits: a class
    absent from one split is skipped instead of counting with share 0."""
    p = _shares(train_labels, n_classes)
    q = _shares(val_labels, n_classes)
    both = (p > 0) & (q > 0)
    return 0.5 * (p[both] - q[both]).abs().sum().item()


def only_training_classes(train_labels, val_labels, n_classes):
    """Loops over the classes seen in train_labels: a class only in the
    validation split is never counted."""
    p = _shares(train_labels, n_classes)
    q = _shares(val_labels, n_classes)
    total = 0.0
    for k in torch.unique(train_labels).tolist():
        total += abs(p[k] - q[k]).item()
    return total / 2


def returns_a_tensor(train_labels, val_labels, n_classes):
    """Right value, but a 0-d tensor, not a Python float."""
    p = _shares(train_labels, n_classes)
    q = _shares(val_labels, n_classes)
    return 0.5 * (p - q).abs().sum()


def returns_numpy_float32(train_labels, val_labels, n_classes):
    """numpy in float32 inside: returns an np.float32, which is not a
    Python float."""
    p = np.bincount(train_labels.numpy(), minlength=n_classes)
    q = np.bincount(val_labels.numpy(), minlength=n_classes)
    p = (p / len(train_labels)).astype(np.float32)
    q = (q / len(val_labels)).astype(np.float32)
    return np.float32(0.5) * np.abs(p - q).sum()


def shares_over_n_classes(train_labels, val_labels, n_classes):
    """Divides the counts by n_classes instead of the split size."""
    p = torch.bincount(train_labels, minlength=n_classes) / n_classes
    q = torch.bincount(val_labels, minlength=n_classes) / n_classes
    return 0.5 * (p - q).abs().sum().item()


def one_denominator_for_both(train_labels, val_labels, n_classes):
    """Divides both splits' counts by len(train_labels)."""
    n = len(train_labels)
    p = torch.bincount(train_labels, minlength=n_classes) / n
    q = torch.bincount(val_labels, minlength=n_classes) / n
    return 0.5 * (p - q).abs().sum().item()


def largest_difference(train_labels, val_labels, n_classes):
    """The largest |p - q| over the classes instead of half the sum."""
    p = _shares(train_labels, n_classes)
    q = _shares(val_labels, n_classes)
    return (p - q).abs().max().item()


def euclidean_distance(train_labels, val_labels, n_classes):
    """The Euclidean distance between the share vectors."""
    p = _shares(train_labels, n_classes)
    q = _shares(val_labels, n_classes)
    return torch.linalg.vector_norm(p - q).item()


def skips_the_last_class(train_labels, val_labels, n_classes):
    """range(n_classes - 1): off by one, the last class is left out."""
    p = _shares(train_labels, n_classes)
    q = _shares(val_labels, n_classes)
    return 0.5 * sum(abs(p[k] - q[k]).item() for k in range(n_classes - 1))


def overlap_instead(train_labels, val_labels, n_classes):
    """Returns the overlap, 1 - distance (1 for the same class mix)."""
    p = _shares(train_labels, n_classes)
    q = _shares(val_labels, n_classes)
    return 1.0 - 0.5 * (p - q).abs().sum().item()


def forgets_the_absolute_value(train_labels, val_labels, n_classes):
    """Half the sum of p - q, without abs: always about 0."""
    p = _shares(train_labels, n_classes)
    q = _shares(val_labels, n_classes)
    return 0.5 * (p - q).sum().item()


def bincount_without_minlength(train_labels, val_labels, n_classes):
    """Ignores n_classes: bincount without minlength, so the vectors
    differ in length when the splits' largest labels differ."""
    p = torch.bincount(train_labels).double() / len(train_labels)
    q = torch.bincount(val_labels).double() / len(val_labels)
    return 0.5 * (p - q).abs().sum().item()


WRONG_LABEL_SHIFT = [
    counts_not_shares,
    missing_the_half,
    only_shared_classes,
    only_training_classes,
    returns_a_tensor,
    returns_numpy_float32,
    shares_over_n_classes,
    one_denominator_for_both,
    largest_difference,
    euclidean_distance,
    skips_the_last_class,
    overlap_instead,
    forgets_the_absolute_value,
    bincount_without_minlength,
]


@pytest.mark.parametrize("answer", WRONG_LABEL_SHIFT, ids=lambda f: f.__name__)
def test_a_wrong_label_shift_fails(answer):
    refuse_answer(ASSIGNMENT, "label_shift_tests", "label_shift", answer)


# ======================================================== exercise 4
# ------------------------------------------------------ correct answers


def balanced_by_class_loop(predictions, targets):
    """A loop over torch.unique(targets), each recall a boolean mean."""
    recalls = []
    for c in torch.unique(targets):
        mine = targets == c
        recalls.append((predictions[mine] == c).float().mean())
    return torch.stack(recalls).mean().item()


def balanced_by_bincount(predictions, targets):
    """Hits and supports by bincount, recalls where the support is
    positive."""
    k = int(max(predictions.max(), targets.max())) + 1
    support = torch.bincount(targets, minlength=k)
    hits = torch.bincount(targets[predictions == targets], minlength=k)
    present = support > 0
    return (hits[present].double() / support[present]).mean().item()


def balanced_by_confusion_matrix(predictions, targets):
    """A confusion matrix from bincount(targets * k + predictions): the
    diagonal over the row sums, rows with samples only."""
    k = int(max(predictions.max(), targets.max())) + 1
    matrix = torch.bincount(targets * k + predictions, minlength=k * k)
    matrix = matrix.reshape(k, k).double()
    rows = matrix.sum(dim=1)
    present = rows > 0
    return float((matrix.diagonal()[present] / rows[present]).mean())


def balanced_by_one_hot_product(predictions, targets):
    """one_hot(targets).T @ one_hot(predictions) is the confusion
    matrix."""
    k = int(torch.cat([predictions, targets]).max()) + 1
    t = F.one_hot(targets, k).double()
    p = F.one_hot(predictions, k).double()
    matrix = t.T @ p
    support = t.sum(dim=0)
    recall = matrix.diagonal() / support
    return recall[support > 0].mean().item()


def balanced_in_numpy(predictions, targets):
    """numpy: np.unique over the targets, np.mean of each recall."""
    p, t = predictions.numpy(), targets.numpy()
    return float(np.mean([np.mean(p[t == c] == c) for c in np.unique(t)]))


def balanced_in_pure_python(predictions, targets):
    """Dicts of hits and supports over .tolist(), statistics.mean."""
    hits = collections.Counter()
    support = collections.Counter()
    for p, t in zip(predictions.tolist(), targets.tolist(), strict=True):
        support[t] += 1
        hits[t] += p == t
    return statistics.mean(hits[c] / support[c] for c in support)


def balanced_by_sample_weights(predictions, targets):
    """Each sample weighs 1 / (its class's support); the weighted hits
    over the number of classes present."""
    support = torch.bincount(targets).double()
    weights = 1.0 / support[targets]
    correct = (predictions == targets).double()
    n_present = int((support > 0).sum())
    return float((weights * correct).sum() / n_present)


def balanced_by_index_add(predictions, targets):
    """Supports and hits by index_add_ over the target classes, float32
    throughout."""
    k = int(max(predictions.max(), targets.max())) + 1
    ones = torch.ones(len(targets))
    support = torch.zeros(k).index_add_(0, targets, ones)
    hits = torch.zeros(k).index_add_(
        0, targets, (predictions == targets).float()
    )
    present = support > 0
    return (hits[present] / support[present]).mean().item()


CORRECT_BALANCED_ACCURACY = [
    balanced_by_class_loop,
    balanced_by_bincount,
    balanced_by_confusion_matrix,
    balanced_by_one_hot_product,
    balanced_in_numpy,
    balanced_in_pure_python,
    balanced_by_sample_weights,
    balanced_by_index_add,
]


@pytest.mark.parametrize(
    "answer", CORRECT_BALANCED_ACCURACY, ids=lambda f: f.__name__
)
def test_a_correct_balanced_accuracy_passes(answer):
    grade_answer(
        ASSIGNMENT, "balanced_accuracy_tests", "balanced_accuracy", answer
    )


# -------------------------------------------------------- wrong answers


def _hits_and_support(predictions, targets):
    """Per class 0..k-1 (k past the largest label in either tensor):
    correct predictions and samples, float64 (the wrong answers below
    that do not differ here share it)."""
    k = int(max(predictions.max(), targets.max())) + 1
    support = torch.bincount(targets, minlength=k).double()
    hits = torch.bincount(targets[predictions == targets], minlength=k)
    return hits.double(), support


def plain_accuracy(predictions, targets):
    """The share of all samples predicted right."""
    return (predictions == targets).double().mean().item()


def precision_not_recall(predictions, targets):
    """Per class of targets: the share of its PREDICTIONS that were
    right (precision), not the share of its samples."""
    precisions = []
    for c in torch.unique(targets):
        predicted_c = predictions == c
        if predicted_c.any():
            precisions.append((targets[predicted_c] == c).double().mean())
        else:
            precisions.append(torch.tensor(0.0, dtype=torch.float64))
    return torch.stack(precisions).mean().item()


def counts_prediction_only_classes(predictions, targets):
    """Averages over every class in predictions or targets: a class
    only predicted counts with recall 0."""
    hits, support = _hits_and_support(predictions, targets)
    seen = torch.unique(torch.cat([predictions, targets]))
    recall = hits / support.clamp(min=1)
    return recall[seen].mean().item()


def counts_absent_classes_up_to_the_largest(predictions, targets):
    """Averages over classes 0..max(targets): a class missing from the
    targets counts with recall 0 (support clamped to 1)."""
    k = int(targets.max()) + 1
    support = torch.bincount(targets, minlength=k).double()
    hits = torch.bincount(targets[predictions == targets], minlength=k)
    return (hits / support.clamp(min=1)).mean().item()


def nan_from_absent_classes(predictions, targets):
    """Recall 0/0 for every class without samples, then .mean(): NaN
    as soon as a class number is missing from the targets."""
    hits, support = _hits_and_support(predictions, targets)
    return (hits / support).mean().item()


def uses_balanced_accuracy_score(predictions, targets):
    """scikit-learn's balanced_accuracy_score (forbidden by the
    spec)."""
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(targets.numpy(), predictions.numpy()))


def uses_recall_score(predictions, targets):
    """scikit-learn's recall_score(average='macro') (forbidden, and it
    also counts the classes only predicted, with recall 0)."""
    from sklearn.metrics import recall_score

    return float(
        recall_score(
            targets.numpy(),
            predictions.numpy(),
            average="macro",
            zero_division=0,
        )
    )


def support_weighted_mean(predictions, targets):
    """Recalls weighted by their class's support (sklearn's
    average='weighted'), not a plain mean."""
    hits, support = _hits_and_support(predictions, targets)
    present = support > 0
    recall = hits[present] / support[present]
    weights = support[present] / support.sum()
    return (recall * weights).sum().item()


def returns_a_tensor_score(predictions, targets):
    """Right value, but a 0-d tensor, not a Python float."""
    hits, support = _hits_and_support(predictions, targets)
    present = support > 0
    return (hits[present] / support[present]).mean()


def swapped_arguments(predictions, targets):
    """Treats predictions as the true classes (arguments swapped)."""
    predictions, targets = targets, predictions
    hits, support = _hits_and_support(predictions, targets)
    present = support > 0
    return (hits[present] / support[present]).mean().item()


def classes_from_predictions(predictions, targets):
    """Averages the recalls of the classes that were PREDICTED (those
    with samples), so a class never predicted is left out instead of
    counting with recall 0."""
    hits, support = _hits_and_support(predictions, targets)
    classes = torch.unique(predictions)
    classes = classes[support[classes] > 0]
    return (hits[classes] / support[classes]).mean().item()


def macro_f1(predictions, targets):
    """The mean F1 over the target classes, not the mean recall."""
    scores = []
    for c in torch.unique(targets).tolist():
        tp = ((predictions == c) & (targets == c)).sum().item()
        fp = ((predictions == c) & (targets != c)).sum().item()
        fn = ((predictions != c) & (targets == c)).sum().item()
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores)


def recall_and_specificity(predictions, targets):
    """The binary (TPR + TNR) / 2, taken per class one-vs-rest and
    averaged."""
    scores = []
    for c in torch.unique(targets).tolist():
        positive = targets == c
        tpr = (predictions[positive] == c).double().mean().item()
        negative = ~positive
        if negative.any():
            tnr = (predictions[negative] != c).double().mean().item()
        else:
            tnr = 1.0
        scores.append((tpr + tnr) / 2)
    return sum(scores) / len(scores)


def chance_adjusted(predictions, targets):
    """Rescales for chance, (score - 1/C) / (1 - 1/C), as sklearn's
    adjusted=True does."""
    hits, support = _hits_and_support(predictions, targets)
    present = support > 0
    score = (hits[present] / support[present]).mean().item()
    c = int(present.sum())
    if c == 1:
        return score
    return (score - 1 / c) / (1 - 1 / c)


def integer_division(predictions, targets):
    """hits // support on integer tensors: each recall floors to 0
    unless it is 1."""
    k = int(max(predictions.max(), targets.max())) + 1
    support = torch.bincount(targets, minlength=k)
    hits = torch.bincount(targets[predictions == targets], minlength=k)
    present = support > 0
    return (hits[present] // support[present]).double().mean().item()


WRONG_BALANCED_ACCURACY = [
    plain_accuracy,
    precision_not_recall,
    counts_prediction_only_classes,
    counts_absent_classes_up_to_the_largest,
    nan_from_absent_classes,
    uses_balanced_accuracy_score,
    uses_recall_score,
    support_weighted_mean,
    returns_a_tensor_score,
    swapped_arguments,
    classes_from_predictions,
    macro_f1,
    recall_and_specificity,
    chance_adjusted,
    integer_division,
]


@pytest.mark.parametrize(
    "answer", WRONG_BALANCED_ACCURACY, ids=lambda f: f.__name__
)
def test_a_wrong_balanced_accuracy_fails(answer):
    refuse_answer(
        ASSIGNMENT, "balanced_accuracy_tests", "balanced_accuracy", answer
    )


# ================================================ the load lines themselves


@pytest.mark.parametrize(
    "name",
    ["standardise", "near_duplicates", "label_shift", "balanced_accuracy"],
    ids=lambda name: f"load_line_{name}",
)
def test_the_library_reference_itself_fails(name):
    """The load line that own_work.EXERCISES registers for the exercise
    binds the library's own object: it must not earn the points."""
    from gaplab.checks.own_work import EXERCISES

    assert name in EXERCISES, f"{name} has no entry in own_work.EXERCISES"
    entry = EXERCISES[name]
    assert entry.lesson == ASSIGNMENT
    namespace: dict = {}
    exec(entry.load_line, namespace)
    refuse_answer(ASSIGNMENT, f"{name}_tests", name, namespace[name])


def test_the_bank_sizes():
    """Enough answers of each kind, and no name twice."""
    banks = [
        (CORRECT_STANDARDISE, 6),
        (WRONG_STANDARDISE, 10),
        (CORRECT_NEAR_DUPLICATES, 6),
        (WRONG_NEAR_DUPLICATES, 10),
        (CORRECT_LABEL_SHIFT, 6),
        (WRONG_LABEL_SHIFT, 10),
        (CORRECT_BALANCED_ACCURACY, 6),
        (WRONG_BALANCED_ACCURACY, 10),
    ]
    every = []
    for bank, least in banks:
        names = [f.__name__ for f in bank]
        assert len(names) >= least
        every += names
    assert len(set(every)) == len(every)
