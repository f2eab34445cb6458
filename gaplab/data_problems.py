"""Data problems that look like overfitting: lesson 09's references, the
flawed variants of the data it measures, and the measurements.

A validation score is only as honest as the validation split. Four data
problems move it without any change to the model:

* leakage through preprocessing: statistics (a mean, a correlation)
  computed on rows that validation will later judge;
* duplicates across splits: validation rows the model has already seen;
* a validation split that is not representative of the data;
* imbalanced classes, where accuracy hides the rare ones.

The references of the lesson's exercises are `standardise`,
`near_duplicates`, `label_shift` and `balanced_accuracy`. The builders
make each problem from the course's digits (or, for leakage that
matters, from pure noise), and `measure_problems` trains every flawed
setup beside its honest counterpart from the same seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.class_weight import compute_class_weight
from torch import nn

from gaplab.data import Dataset, Split, load_digits
from gaplab.diagnose import diagnose
from gaplab.experiments import (
    RunConfig,
    build_model,
    loss_for,
    make_optimizer,
    run_experiment,
)
from gaplab.learning_curves import epochs_for
from gaplab.training import Callback, History, evaluate, fit
from gaplab.utils import seed_everything

# The network every digits problem trains: small and quick, it reaches
# about 96% validation accuracy on the course's split.
DIGITS_RUN = RunConfig(hidden=(64,), epochs=30, batch_size=32)
# The network trained on pure noise: enough epochs to fit 100 labels.
NOISE_RUN = RunConfig(hidden=(64,), epochs=60, batch_size=16)
# Pure noise: rows per split, features, and the features kept.
NOISE_ROWS, NOISE_FEATURES, SELECTED_FEATURES = 100, 1000, 20
# A third of the validation rows become copies of training digits, half
# exact and half with Gaussian noise of this standard deviation added.
PLANTED_SHARE, PLANTED_NOISE = 1 / 3, 0.02
# Near-duplicate threshold for the digits (pixels in [0, 1]): above the
# perturbed copies' distances, below any two different digits' of the
# course's splits (the nearest pair is 0.33 apart).
DUPLICATE_THRESHOLD = 0.25
# The share of the pooled rows that a sorted split puts in validation.
SORTED_VAL_SHARE = 0.2
# The share of the validation digits a "cleaned" split keeps.
TYPICAL_SHARE = 0.5
# Imbalance: these classes keep one row in ten, in every split.
RARE_CLASSES, RARE_KEEP = (5, 6, 7, 8, 9), 0.1
# The seed of every data variant: the data is fixed, training varies.
DATA_SEED = 0
N_FOLDS = 5

LEAKY_STATISTICS = "leakage: statistics of all splits"
LEAKY_SELECTION = "leakage: features chosen on all splits"
DUPLICATES = "duplicates across splits"
SORTED_SPLIT = "split sorted by class"
TYPICAL_SPLIT = "validation of typical digits"
IMBALANCE = "imbalanced classes"
PROBLEMS = (
    LEAKY_STATISTICS,
    LEAKY_SELECTION,
    DUPLICATES,
    SORTED_SPLIT,
    TYPICAL_SPLIT,
    IMBALANCE,
)


# ------------------------------------------------ the exercises' references


def standardise(
    train: torch.Tensor, *others: torch.Tensor
) -> tuple[torch.Tensor, ...]:
    """`train`, then each of `others`, scaled with the mean and the
    population standard deviation of each feature over the TRAINING rows
    only.

    Statistics that include other splits would carry what validation
    holds into the model's inputs. A feature constant on the training
    rows is only centred (divided by 1), never divided by 0.
    """
    mean = train.mean(dim=0)
    std = train.std(dim=0, correction=0)
    std = torch.where(std > 0, std, torch.ones_like(std))
    return tuple((split - mean) / std for split in (train, *others))


def near_duplicates(
    train: torch.Tensor, candidates: torch.Tensor, threshold: float
) -> torch.Tensor:
    """True for each row of `candidates` whose nearest row of `train` is
    at most `threshold` away (Euclidean distance); 0 finds exact copies.

    The distances are computed from the differences, not through a
    matrix product (torch.cdist's default for large batches), whose
    rounding can leave identical rows a little apart.
    """
    if threshold < 0:
        raise ValueError(
            f"threshold is a distance, 0 or more; got {threshold!r}"
        )
    distances = torch.cdist(
        candidates, train, compute_mode="donot_use_mm_for_euclid_dist"
    )
    return distances.min(dim=1).values <= threshold


def class_shares(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """The share of each class 0..n_classes-1 among `labels` (float64)."""
    counts = torch.bincount(labels.long(), minlength=n_classes)
    return counts.double() / len(labels)


def label_shift(
    train_labels: torch.Tensor, val_labels: torch.Tensor, n_classes: int
) -> float:
    """The total variation distance between two splits' class mixes:
    half the summed absolute differences of the class shares; 0 for the
    same mix, 1 for splits that share no class."""
    difference = class_shares(train_labels, n_classes) - class_shares(
        val_labels, n_classes
    )
    return float(difference.abs().sum() / 2)


def per_class_recall(
    predictions: torch.Tensor, targets: torch.Tensor
) -> dict[int, float]:
    """For each class that occurs in `targets`, the share of its samples
    that were predicted as it."""
    return {
        int(label): float(
            (predictions[targets == label] == label).double().mean()
        )
        for label in targets.unique()
    }


def balanced_accuracy(
    predictions: torch.Tensor, targets: torch.Tensor
) -> float:
    """The mean of the per-class recalls over the classes that occur in
    `targets` (scikit-learn's `balanced_accuracy_score`): each class
    counts the same, however rare."""
    recalls = per_class_recall(predictions, targets)
    return sum(recalls.values()) / len(recalls)


# --------------------------------------------------- building the problems


def with_inputs(
    data: Dataset, train: torch.Tensor, val: torch.Tensor, test: torch.Tensor
) -> Dataset:
    """`data` with new inputs for its three splits, labels kept."""
    return replace(
        data,
        train=Split(train, data.train.y),
        val=Split(val, data.val.y),
        test=Split(test, data.test.y),
    )


def standardised(data: Dataset, leaky: bool = False) -> Dataset:
    """`data` standardised with its training rows' statistics, or, with
    `leaky`, with the statistics of all three splits together."""
    splits = (data.train.X, data.val.X, data.test.X)
    fitted_on = torch.cat(splits) if leaky else data.train.X
    return with_inputs(data, *standardise(fitted_on, *splits)[1:])


def load_noise(
    seed: int,
    rows: int = NOISE_ROWS,
    n_features: int = NOISE_FEATURES,
) -> Dataset:
    """Pure noise: Gaussian features and coin-toss labels (two classes),
    `rows` per split. No feature says anything about any label, so no
    model can honestly beat a coin toss here."""
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(3 * rows, n_features, generator=generator)
    y = torch.randint(0, 2, (3 * rows,), generator=generator)
    parts = [slice(i * rows, (i + 1) * rows) for i in range(3)]
    train, val, test = (Split(X[part], y[part]) for part in parts)
    return Dataset("noise", "classification", train, val, test, n_classes=2)


def label_correlations(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Pearson's correlation of each column of `X` with the labels."""
    centred = X - X.mean(dim=0)
    labels = y.to(X.dtype) - y.to(X.dtype).mean()
    return (centred * labels[:, None]).sum(dim=0) / (
        centred.norm(dim=0) * labels.norm()
    )


def select_features(
    data: Dataset, k: int = SELECTED_FEATURES, leaky: bool = False
) -> Dataset:
    """`data` with only the `k` features most correlated with the labels,
    chosen on the training rows, or, with `leaky`, on the training and
    validation rows together (the test rows stay unseen)."""
    X, y = data.train.X, data.train.y
    if leaky:
        X, y = torch.cat([X, data.val.X]), torch.cat([y, data.val.y])
    kept = label_correlations(X, y).abs().topk(k).indices
    return with_inputs(
        data, data.train.X[:, kept], data.val.X[:, kept], data.test.X[:, kept]
    )


def plant_duplicates(
    data: Dataset,
    share: float = PLANTED_SHARE,
    noise: float = PLANTED_NOISE,
    seed: int = DATA_SEED,
) -> tuple[Dataset, torch.Tensor]:
    """`data` with a `share` of its validation rows replaced by copies of
    random training rows, labels included: the first half of the copies
    exact, the rest with Gaussian `noise` added (pixels kept in [0, 1]).
    Returns the dataset and the mask of the planted validation rows."""
    generator = torch.Generator().manual_seed(seed)
    n_val = len(data.val)
    count = round(share * n_val)
    planted = torch.randperm(n_val, generator=generator)[:count]
    sources = torch.randint(0, len(data.train), (count,), generator=generator)
    copies = data.train.X[sources].clone()
    exact = count // 2
    blur = noise * torch.randn(copies[exact:].shape, generator=generator)
    copies[exact:] = (copies[exact:] + blur).clamp(0.0, 1.0)
    X, y = data.val.X.clone(), data.val.y.clone()
    X[planted], y[planted] = copies, data.train.y[sources]
    mask = torch.zeros(n_val, dtype=torch.bool)
    mask[planted] = True
    return replace(data, val=Split(X, y)), mask


def pooled(data: Dataset) -> Split:
    """The training and validation rows together: what a split divides."""
    return Split(
        torch.cat([data.train.X, data.val.X]),
        torch.cat([data.train.y, data.val.y]),
    )


def sorted_by_class(
    data: Dataset, val_share: float = SORTED_VAL_SHARE
) -> Dataset:
    """The training and validation rows pooled, sorted by class, and cut:
    the last `val_share` of them become the validation split, as when a
    file sorted by label is split without shuffling."""
    rows = pooled(data)
    order = torch.argsort(rows.y, stable=True)
    cut = len(order) - round(val_share * len(order))
    train, val = order[:cut], order[cut:]
    return replace(
        data,
        train=Split(rows.X[train], rows.y[train]),
        val=Split(rows.X[val], rows.y[val]),
    )


def typical_rows(data: Dataset, keep: float = TYPICAL_SHARE) -> Split:
    """The validation digits closest to their class's mean training image,
    the share `keep` of them: a validation split "cleaned" of everything
    unusual."""
    classes = range(data.n_classes or int(data.train.y.max()) + 1)
    means = torch.stack(
        [data.train.X[data.train.y == c].mean(dim=0) for c in classes]
    )
    distance = (data.val.X - means[data.val.y]).norm(dim=1)
    kept = torch.argsort(distance)[: round(keep * len(distance))]
    return Split(data.val.X[kept], data.val.y[kept])


def stratified_folds(
    data: Dataset, n_folds: int = N_FOLDS, seed: int = DATA_SEED
) -> list[Dataset]:
    """`data`'s training and validation rows pooled and cut into
    `n_folds` stratified folds (scikit-learn's StratifiedKFold, shuffled
    by `seed`): one dataset per fold, that fold as its validation split."""
    rows = pooled(data)
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    return [
        replace(
            data,
            train=Split(rows.X[train], rows.y[train]),
            val=Split(rows.X[val], rows.y[val]),
        )
        for train, val in folds.split(rows.X.cpu(), rows.y.cpu())
    ]


def thinned(split: Split, rare: Sequence[int], keep: float) -> Split:
    """`split` with each class of `rare` cut to its first `keep` share of
    rows (the splits are shuffled, so the first rows are a random few)."""
    kept = []
    for label in split.y.unique().tolist():
        rows = (split.y == label).nonzero().flatten()
        if label in rare:
            rows = rows[: max(1, round(keep * len(rows)))]
        kept.append(rows)
    index = torch.cat(kept).sort().values
    return Split(split.X[index], split.y[index])


def make_imbalanced(
    data: Dataset,
    rare: Sequence[int] = RARE_CLASSES,
    keep: float = RARE_KEEP,
) -> Dataset:
    """`data` with the classes `rare` cut to a `keep` share of their rows
    in every split: an imbalanced data set, validated on the same mix."""
    return replace(
        data,
        train=thinned(data.train, rare, keep),
        val=thinned(data.val, rare, keep),
        test=thinned(data.test, rare, keep),
    )


def oversampled(split: Split, seed: int = DATA_SEED) -> Split:
    """`split` with every class drawn up to the largest class's count:
    each row kept once, the extra rows drawn at random with replacement
    from their class (random oversampling)."""
    generator = torch.Generator().manual_seed(seed)
    largest = int(torch.bincount(split.y).max())
    parts = []
    for label in split.y.unique().tolist():
        rows = (split.y == label).nonzero().flatten()
        extra = torch.randint(
            0, len(rows), (largest - len(rows),), generator=generator
        )
        parts += [rows, rows[extra]]
    index = torch.cat(parts)
    return Split(split.X[index], split.y[index])


def class_weights(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """scikit-learn's "balanced" class weights, n / (n_classes * count):
    a loss weighted by them gives every class the same total weight."""
    weights = compute_class_weight(
        "balanced", classes=np.arange(n_classes), y=labels.cpu().numpy()
    )
    return torch.tensor(weights, dtype=torch.float32)


# ------------------------------------------------------------ measuring


class MoreValidation(Callback):
    """Measures more validation splits after every epoch, as `fit`
    measures its own (cross-entropy: classification runs): the same run,
    validated on other rows."""

    def __init__(self, splits: dict[str, Split]) -> None:
        self.splits = splits
        self.losses: dict[str, list[float]] = {}
        self.accuracies: dict[str, list[float | None]] = {}

    def on_train_begin(self, model: nn.Module) -> None:
        device = next(model.parameters()).device
        self.splits = {n: s.to(device) for n, s in self.splits.items()}
        self.losses = {name: [] for name in self.splits}
        self.accuracies = {name: [] for name in self.splits}

    def on_epoch_end(self, history: History, model: nn.Module) -> bool:
        for name, split in self.splits.items():
            measured = evaluate(model, split, nn.CrossEntropyLoss())
            self.losses[name].append(measured.loss)
            self.accuracies[name].append(measured.accuracy)
        return False

    def history(self, history: History, name: str) -> History:
        """`history` with split `name` in place of its validation split."""
        return replace(
            history,
            val_loss=list(self.losses[name]),
            val_acc=list(self.accuracies[name]),
        )


@dataclass(frozen=True)
class Measured:
    """One data problem on one seed: the curves of the flawed setup
    (`reported`, with the model it trained) and of the honest one, and
    the validation accuracy each reports at the last epoch. For
    imbalance the honest accuracy is the balanced accuracy of the same
    run."""

    problem: str
    seed: int
    model: nn.Module
    reported: History
    honest: History
    reported_accuracy: float
    honest_accuracy: float

    @property
    def pattern(self) -> str:
        """What `diagnose` reads from the flawed setup's curves."""
        return diagnose(self.reported).pattern


def final_accuracy(history: History) -> float:
    """The validation accuracy at the last epoch."""
    accuracy = history.val_acc[-1]
    if accuracy is None:
        raise ValueError("the run recorded no accuracy: not classification")
    return accuracy


def measured(
    problem: str,
    seed: int,
    flawed: tuple[nn.Module, History],
    honest: History,
    honest_accuracy: float | None = None,
) -> Measured:
    """A `Measured` from the flawed run and the honest curves."""
    model, reported = flawed
    return Measured(
        problem,
        seed,
        model,
        reported,
        honest,
        final_accuracy(reported),
        final_accuracy(honest) if honest_accuracy is None else honest_accuracy,
    )


def measure_leakage(seed: int) -> list[Measured]:
    """Leaky preprocessing against honest preprocessing, from `seed`:
    standardising the digits, and choosing features of pure noise."""
    digits = load_digits()
    _, honest = run_experiment(DIGITS_RUN, seed, standardised(digits))
    leaky = run_experiment(DIGITS_RUN, seed, standardised(digits, True))
    noise = load_noise(seed)
    _, chosen_honestly = run_experiment(
        NOISE_RUN, seed, select_features(noise)
    )
    chosen_leakily = run_experiment(
        NOISE_RUN, seed, select_features(noise, leaky=True)
    )
    return [
        measured(LEAKY_STATISTICS, seed, leaky, honest),
        measured(LEAKY_SELECTION, seed, chosen_leakily, chosen_honestly),
    ]


def measure_validation_splits(seed: int) -> list[Measured]:
    """One run on the course's split, validated also on a split with
    planted duplicates (and on its rows the detector does not flag) and
    on typical digits only; and a run on a split sorted by class."""
    digits = load_digits()
    duplicated, _ = plant_duplicates(digits)
    clean = ~near_duplicates(
        digits.train.X, duplicated.val.X, DUPLICATE_THRESHOLD
    )
    more = MoreValidation(
        {
            "duplicated": duplicated.val,
            "unflagged": Split(
                duplicated.val.X[clean], duplicated.val.y[clean]
            ),
            "typical": typical_rows(digits),
        }
    )
    model, course = run_experiment(DIGITS_RUN, seed, callbacks=[more])
    on_sorted = run_experiment(DIGITS_RUN, seed, sorted_by_class(digits))
    return [
        measured(
            DUPLICATES,
            seed,
            (model, more.history(course, "duplicated")),
            more.history(course, "unflagged"),
        ),
        measured(SORTED_SPLIT, seed, on_sorted, course),
        measured(
            TYPICAL_SPLIT,
            seed,
            (model, more.history(course, "typical")),
            course,
        ),
    ]


def predictions(model: nn.Module, split: Split) -> torch.Tensor:
    """The class `model` predicts for each row of `split`, in eval mode."""
    model.eval()
    with torch.no_grad():
        return model(split.X).argmax(dim=1)


def train_imbalanced(
    seed: int, data: Dataset, remedy: str = "none"
) -> tuple[nn.Module, History]:
    """`DIGITS_RUN` on imbalanced `data` from `seed`, as it is ("none"),
    with the training loss weighted by `class_weights` ("weighted"), or
    on the rare classes oversampled ("oversampled", trained for the same
    number of optimiser steps as the others). The recorded losses are
    always plain cross-entropy, on the split trained on."""
    if remedy not in ("none", "weighted", "oversampled"):
        raise ValueError(
            f"remedy must be 'none', 'weighted' or 'oversampled', got "
            f"{remedy!r}"
        )
    if data.n_classes is None:
        raise ValueError("imbalance needs classes: pass a classification set")
    epochs = DIGITS_RUN.epochs
    train_loss_fn = None
    if remedy == "weighted":
        weights = class_weights(data.train.y, data.n_classes)
        train_loss_fn = nn.CrossEntropyLoss(weight=weights.to(data.train.X))
    if remedy == "oversampled":
        batches = math.ceil(len(data.train) / DIGITS_RUN.batch_size)
        steps = epochs * batches
        data = replace(data, train=oversampled(data.train, seed))
        epochs = epochs_for(steps, len(data.train), DIGITS_RUN.batch_size)
    seed_everything(seed)
    model = build_model(DIGITS_RUN, data)
    history = fit(
        model,
        data,
        loss_for(data),
        make_optimizer(DIGITS_RUN, model),
        epochs=epochs,
        batch_size=DIGITS_RUN.batch_size,
        progress=False,
        train_loss_fn=train_loss_fn,
    )
    return model, history


def measure_imbalance(seed: int) -> Measured:
    """Accuracy against balanced accuracy on imbalanced digits."""
    data = make_imbalanced(load_digits())
    model, history = train_imbalanced(seed, data)
    balanced = balanced_accuracy(predictions(model, data.val), data.val.y)
    return measured(IMBALANCE, seed, (model, history), history, balanced)


def measure_problems(seeds: Sequence[int]) -> dict[str, list[Measured]]:
    """Every problem on every seed, by problem, in the order of
    `PROBLEMS`."""
    runs = [
        result
        for seed in seeds
        for result in (
            *measure_leakage(seed),
            *measure_validation_splits(seed),
            measure_imbalance(seed),
        )
    ]
    return {
        problem: [run for run in runs if run.problem == problem]
        for problem in PROBLEMS
    }
