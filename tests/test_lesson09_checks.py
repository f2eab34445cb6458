"""Lesson 09's graded cells, tested as nbgrader runs them: plausible wrong
answers fail each real graded cell with a message that names the
mistake, correct answers in other styles pass, a correct answer that
warns writes nothing to stderr, and the checks' oracles agree with
scikit-learn (StandardScaler, balanced_accuracy_score). The independent
answer bank (test_lesson09_bank.py) adds many more answers."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from sklearn.metrics import balanced_accuracy_score
from sklearn.preprocessing import StandardScaler

from gaplab import load_digits
from gaplab.checks.data_problems import (
    DUPLICATE_CASES,
    SCORE_CASES,
    SHIFT_CASES,
    known_distance_case,
)
from gaplab.data_problems import (
    balanced_accuracy,
    label_shift,
    near_duplicates,
    standardise,
)
from tests.notebook_tools import grade_answer

ASSIGNMENT = "09-data-problems"


def grade(name: str, answer) -> None:
    grade_answer(ASSIGNMENT, f"{name}_tests", name, answer)


def named(name: str, answer, words: str) -> None:
    """The graded cell fails `answer` with a message holding `words`."""
    with pytest.raises(AssertionError, match=words):
        grade(name, answer)


# ---------------------------------------------- exercise 1: standardise


def statistics(rows, correction=0):
    std = rows.std(dim=0, correction=correction)
    return rows.mean(dim=0), torch.where(std > 0, std, 1.0)


def pooled_statistics(train, *others):
    mean, std = statistics(torch.cat([train, *others]))
    return tuple((split - mean) / std for split in (train, *others))


def own_statistics(train, *others):
    return tuple(
        (split - statistics(split)[0]) / statistics(split)[1]
        for split in (train, *others)
    )


def sample_std(train, *others):
    mean, std = statistics(train, correction=1)
    return tuple((split - mean) / std for split in (train, *others))


def plus_epsilon(train, *others):
    std = train.std(dim=0, correction=0) + 1e-7
    return tuple((split - train.mean(0)) / std for split in (train, *others))


def constant_set_to_zero(train, *others):
    mean, std = statistics(train)
    constant = train.std(dim=0) == 0
    return tuple(
        torch.where(constant, 0.0, (split - mean) / std)
        for split in (train, *others)
    )


def in_place(train, *others):
    mean, std = statistics(train)
    for split in (train, *others):
        split.sub_(mean).div_(std)
    return (train, *others)


def as_list(train, *others):
    mean, std = statistics(train)
    return [(split - mean) / std for split in (train, *others)]


def always_float32(train, *others):
    mean, std = statistics(train)
    return tuple(((s - mean) / std).float() for s in (train, *others))


def alone_as_tensor(train, *others):
    mean, std = statistics(train)
    scaled = tuple((split - mean) / std for split in (train, *others))
    return scaled if others else scaled[0]


def others_sorted_by_size(train, *others):
    mean, std = statistics(train)
    ordered = sorted(others, key=len)
    return tuple((split - mean) / std for split in (train, *ordered))


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (pooled_statistics, "statistics of all the splits together"),
        (own_statistics, "its own statistics"),
        (sample_std, "divides by n - 1"),
        (plus_epsilon, "divided by exactly 1"),
        (constant_set_to_zero, "is set to 0"),
        (in_place, "in place"),
        (as_list, "return a tuple"),
        (always_float32, "keep each split's shape and dtype"),
        (alone_as_tensor, "one-element tuple"),
        (others_sorted_by_size, "another order"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_a_wrong_standardise_is_named(answer, words):
    named("standardise", answer, words)


def standardise_in_numpy(train, *others):
    rows = train.numpy().astype(np.float64)
    mean, std = rows.mean(axis=0), rows.std(axis=0)
    std[rows.max(axis=0) == rows.min(axis=0)] = 1.0
    return tuple(
        torch.from_numpy((s.numpy() - mean) / std).to(s.dtype)
        for s in (train, *others)
    )


def standardise_keepdim(train, *others):
    std, mean = torch.std_mean(train, dim=0, correction=0, keepdim=True)
    std = std.masked_fill(std == 0, 1.0)
    return tuple(map(lambda split: (split - mean) / std, (train, *others)))


@pytest.mark.parametrize("answer", [standardise_in_numpy, standardise_keepdim])
def test_a_correct_standardise_passes(answer):
    grade("standardise", answer)


def test_the_oracle_is_scikit_learn_s_scaler():
    digits = load_digits()
    train, val = digits.train.X.double(), digits.val.X.double()
    scaler = StandardScaler().fit(train.numpy())
    for ours, split in zip(standardise(train, val), (train, val), strict=True):
        theirs = torch.from_numpy(scaler.transform(split.numpy()))
        assert torch.allclose(ours, theirs, atol=1e-10)


# ------------------------------------------ exercise 2: near_duplicates


def nearest(train, candidates):
    return torch.cdist(candidates, train).min(dim=1).values


def strictly_below(train, candidates, threshold):
    if threshold < 0:
        raise ValueError("negative")
    return nearest(train, candidates) < threshold


def squared(train, candidates, threshold):
    if threshold < 0:
        raise ValueError("negative")
    return nearest(train, candidates) ** 2 <= threshold


def city_block(train, candidates, threshold):
    if threshold < 0:
        raise ValueError("negative")
    distances = torch.cdist(candidates, train, p=1)
    return distances.min(dim=1).values <= threshold


def largest_difference(train, candidates, threshold):
    if threshold < 0:
        raise ValueError("negative")
    distances = torch.cdist(candidates, train, p=float("inf"))
    return distances.min(dim=1).values <= threshold


def average_distance(train, candidates, threshold):
    if threshold < 0:
        raise ValueError("negative")
    return torch.cdist(candidates, train).mean(dim=1) <= threshold


def row_by_row(train, candidates, threshold):
    if threshold < 0:
        raise ValueError("negative")
    found = [
        bool(((train - row) ** 2).sum(dim=1).min().sqrt() <= threshold)
        for row in candidates
    ]
    return torch.tensor(found)


def positions(train, candidates, threshold):
    if threshold < 0:
        raise ValueError("negative")
    return (nearest(train, candidates) <= threshold).nonzero().flatten()


def per_training_row(train, candidates, threshold):
    if threshold < 0:
        raise ValueError("negative")
    return torch.cdist(train, candidates).min(dim=1).values <= threshold


def negative_allowed(train, candidates, threshold):
    return nearest(train, candidates) <= threshold


def with_slack(train, candidates, threshold):
    if threshold < 0:
        raise ValueError("negative")
    return nearest(train, candidates) <= threshold + 1e-2


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (strictly_below, "compare with <="),
        (squared, "SQUARED distance"),
        (city_block, "Manhattan"),
        (largest_difference, "largest difference of any one feature"),
        (average_distance, "mean distance"),
        (row_by_row, "loops over rows"),
        (positions, "not the indices"),
        (per_training_row, "one per training row"),
        (negative_allowed, "raise ValueError for a negative one"),
        (with_slack, "no tolerance added"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_a_wrong_near_duplicates_is_named(answer, words):
    named("near_duplicates", answer, words)


def plain_cdist(train, candidates, threshold):
    """The spec's example as it comes: a matrix product on large inputs."""
    if threshold < 0:
        raise ValueError("negative")
    return nearest(train, candidates) <= threshold


def broadcast(train, candidates, threshold):
    if threshold < 0:
        raise ValueError("negative")
    difference = candidates[:, None, :] - train[None, :, :]
    return difference.pow(2).sum(-1).amin(dim=1) <= threshold**2


def in_blocks(train, candidates, threshold):
    """A loop over blocks of 100 candidates: not over rows."""
    if threshold < 0:
        raise ValueError("negative")
    parts = [
        nearest(train, candidates[start : start + 100]) <= threshold
        for start in range(0, len(candidates), 100)
    ]
    return torch.cat(parts)


@pytest.mark.parametrize("answer", [plain_cdist, broadcast, in_blocks])
def test_a_correct_near_duplicates_passes(answer):
    grade("near_duplicates", answer)


def test_the_cases_are_exact_for_a_matrix_product():
    """Digits-like rows in sixteenths, and the known points, come out at
    their exact distances from torch.cdist's matrix product too, so the
    spec's example finds exact copies and the point at the threshold."""
    for case in DUPLICATE_CASES:
        exact = case.distances().min(dim=1).values
        product = torch.cdist(
            case.candidates, case.train, compute_mode="use_mm_for_euclid_dist"
        )
        at_zero_or_threshold = (exact == 0) | (exact == case.threshold)
        got = product.min(dim=1).values.double()[at_zero_or_threshold]
        assert torch.equal(got, exact[at_zero_or_threshold])
    known = known_distance_case()
    assert known.distances().min(dim=1).values[:3].tolist() == [5, 2, 0.5]


def test_the_reference_finds_exact_copies_of_any_floats():
    """Where the matrix product leaves copies apart, the reference does
    not."""
    rows = 5 * torch.randn(300, 30, generator=torch.Generator().manual_seed(0))
    assert near_duplicates(rows, rows[:100], 0.0).all()


# ----------------------------------------------- exercise 3: label_shift


def counted(labels, n_classes):
    return torch.bincount(labels, minlength=n_classes).double()


def shares(labels, n_classes):
    return counted(labels, n_classes) / len(labels)


def no_half(train_labels, val_labels, n_classes):
    gap = shares(train_labels, n_classes) - shares(val_labels, n_classes)
    return float(gap.abs().sum())


def class_counts(train_labels, val_labels, n_classes):
    gap = counted(train_labels, n_classes) - counted(val_labels, n_classes)
    return float(gap.abs().sum() / 2)


def largest_gap(train_labels, val_labels, n_classes):
    gap = shares(train_labels, n_classes) - shares(val_labels, n_classes)
    return float(gap.abs().max())


def shared_classes_only(train_labels, val_labels, n_classes):
    p, q = shares(train_labels, n_classes), shares(val_labels, n_classes)
    both = (p > 0) & (q > 0)
    return float((p - q)[both].abs().sum() / 2)


def without_minlength(train_labels, val_labels, n_classes):
    p = torch.bincount(train_labels) / len(train_labels)
    q = torch.bincount(val_labels) / len(val_labels)
    return float((p - q).abs().sum() / 2)


def as_tensor(train_labels, val_labels, n_classes):
    gap = shares(train_labels, n_classes) - shares(val_labels, n_classes)
    return gap.abs().sum() / 2


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (no_half, "without the half"),
        (class_counts, "compares class counts"),
        (largest_gap, "the largest difference"),
        (shared_classes_only, "present in both splits"),
        (without_minlength, "minlength=n_classes"),
        (as_tensor, "return a Python float"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_a_wrong_label_shift_is_named(answer, words):
    named("label_shift", answer, words)


def shift_by_counter(train_labels, val_labels, n_classes):
    p = collections.Counter(train_labels.tolist())
    q = collections.Counter(val_labels.tolist())
    return 0.5 * sum(
        abs(p[k] / len(train_labels) - q[k] / len(val_labels))
        for k in range(n_classes)
    )


def shift_by_one_hot(train_labels, val_labels, n_classes):
    p = F.one_hot(train_labels, n_classes).float().mean(dim=0)
    q = F.one_hot(val_labels, n_classes).float().mean(dim=0)
    return 1.0 - torch.minimum(p, q).sum().item()


@pytest.mark.parametrize("answer", [shift_by_counter, shift_by_one_hot])
def test_a_correct_label_shift_passes(answer):
    grade("label_shift", answer)


def test_the_oracle_s_extremes_and_symmetry():
    same, disjoint = SHIFT_CASES[0], SHIFT_CASES[1]
    assert same.expected() == 0
    assert disjoint.expected() == pytest.approx(1, abs=1e-12)
    train, val = SHIFT_CASES[2].tensors()
    assert label_shift(train, val, 6) == label_shift(val, train, 6)
    assert label_shift(train, val, 6) == label_shift(train, val, 60)


# ----------------------------------------- exercise 4: balanced_accuracy


def recall_of(predictions, targets, c):
    return (predictions[targets == c] == c).double().mean().item()


def plain_accuracy(predictions, targets):
    return (predictions == targets).double().mean().item()


def precision(predictions, targets):
    scores = [
        (targets[predictions == c] == c).double().mean().item()
        if (predictions == c).any()
        else 0.0
        for c in targets.unique()
    ]
    return sum(scores) / len(scores)


def every_class_seen(predictions, targets):
    classes = torch.cat([predictions, targets]).unique()
    scores = [
        recall_of(predictions, targets, c) if (targets == c).any() else 0.0
        for c in classes
    ]
    return sum(scores) / len(scores)


def up_to_the_largest(predictions, targets):
    scores = [
        recall_of(predictions, targets, c) if (targets == c).any() else 0.0
        for c in range(int(targets.max()) + 1)
    ]
    return sum(scores) / len(scores)


def as_tensor_score(predictions, targets):
    return torch.stack(
        [
            (predictions[targets == c] == c).double().mean()
            for c in targets.unique()
        ]
    ).mean()


def swapped(predictions, targets):
    scores = [recall_of(targets, predictions, c) for c in predictions.unique()]
    return sum(scores) / len(scores)


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (plain_accuracy, "plain accuracy"),
        (precision, "it is the precision"),
        (every_class_seen, "occurs only in the predictions"),
        (up_to_the_largest, "up to the largest label"),
        (as_tensor_score, "return a Python float"),
        (swapped, "swapped"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_a_wrong_balanced_accuracy_is_named(answer, words):
    named("balanced_accuracy", answer, words)


def by_confusion_matrix(predictions, targets):
    k = int(torch.cat([predictions, targets]).max()) + 1
    matrix = torch.bincount(targets * k + predictions, minlength=k * k)
    matrix = matrix.reshape(k, k).double()
    support = matrix.sum(dim=1)
    return float((matrix.diagonal() / support)[support > 0].mean())


def in_numpy(predictions, targets):
    p, t = predictions.numpy(), targets.numpy()
    return float(np.mean([np.mean(p[t == c] == c) for c in np.unique(t)]))


@pytest.mark.parametrize("answer", [by_confusion_matrix, in_numpy])
def test_a_correct_balanced_accuracy_passes(answer):
    grade("balanced_accuracy", answer)


def test_the_oracle_is_scikit_learn_s_score():
    """Classes only predicted are left out by both (scikit-learn warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for case in SCORE_CASES:
            predictions, targets = case.tensors()
            theirs = balanced_accuracy_score(targets, predictions)
            assert case.expected() == pytest.approx(theirs, abs=1e-12)
            ours = balanced_accuracy(predictions, targets)
            assert ours == pytest.approx(theirs, abs=1e-12)


# --------------------------------------------- warnings go to stdout


def warns_then(answer):
    def warning_answer(*args):
        warnings.warn("a learner's note", UserWarning, stacklevel=1)
        return answer(*args)

    return warning_answer


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("standardise", standardise_keepdim),
        ("near_duplicates", broadcast),
        ("label_shift", shift_by_counter),
        ("balanced_accuracy", in_numpy),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_correct_answer_that_warns_writes_nothing_to_stderr(
    name, answer, capfd
):
    grade(name, warns_then(answer))
    captured = capfd.readouterr()
    assert "a learner's note" in captured.out
    assert captured.err == ""
