"""Offline datasets with fixed splits, kept on the device as tensors.

Every loader gives identical splits in a clone, in an installed copy and in
Colab: the digits and diabetes splits are committed index files (checked by
SHA-256), and the generated sets are pure functions of their seed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
from sklearn import datasets as sk_datasets
from sklearn.model_selection import train_test_split

if TYPE_CHECKING:  # importlib.resources.abc is new in Python 3.11
    from importlib.resources.abc import Traversable

Task = Literal["classification", "regression"]

DIGITS_SPLITS_FILE = "digits_splits.json"
DIABETES_SPLITS_FILE = "diabetes_splits.json"
NOISE_RATES = (0.1, 0.2, 0.3, 0.4)
SPLIT_SEED = 2024


@dataclass(frozen=True)
class Split:
    """Inputs and targets of one split, as tensors of equal length."""

    X: torch.Tensor
    y: torch.Tensor

    def __post_init__(self) -> None:
        for name, value in (("X", self.X), ("y", self.y)):
            if not isinstance(value, torch.Tensor):
                raise TypeError(
                    f"Split.{name} must be a torch.Tensor, got "
                    f"{type(value).__name__}: wrap it with torch.as_tensor"
                )
        if len(self.X) == 0:
            raise ValueError(
                "the split is empty: a loss over no samples is undefined; "
                "check the indices or the size you asked for"
            )
        if len(self.X) != len(self.y):
            raise ValueError(
                f"X has {len(self.X)} rows but y has {len(self.y)}: "
                "inputs and targets must pair up one to one"
            )

    def __len__(self) -> int:
        return len(self.X)

    def to(self, device: torch.device | str) -> Split:
        """The same split on `device`."""
        return Split(self.X.to(device), self.y.to(device))

    def batches(
        self, batch_size: int, shuffle: bool = False
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield (inputs, targets) mini-batches without leaving the device.

        The last batch is ragged when the batch size does not divide the
        split; that is what makes sample weighting matter.
        """
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(
                f"batch_size must be a positive int, got {batch_size!r}"
            )
        n = len(self)
        if shuffle:
            order = torch.randperm(n, device=self.X.device)
            for start in range(0, n, batch_size):
                index = order[start : start + batch_size]
                yield self.X[index], self.y[index]
        else:
            for start in range(0, n, batch_size):
                stop = start + batch_size
                yield self.X[start:stop], self.y[start:stop]


@dataclass(frozen=True)
class Dataset:
    """A named dataset: training, validation and test splits plus facts.

    `flipped` marks the training samples whose label was replaced by label
    noise, and `clean_train_y` keeps their true labels, so a lesson can show
    what a model memorised.
    """

    name: str
    task: Task
    train: Split
    val: Split
    test: Split
    n_classes: int | None = None
    flipped: torch.Tensor | None = None
    clean_train_y: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> Dataset:
        """The same dataset with every tensor on `device`."""

        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.to(device)

        return replace(
            self,
            train=self.train.to(device),
            val=self.val.to(device),
            test=self.test.to(device),
            flipped=move(self.flipped),
            clean_train_y=move(self.clean_train_y),
        )

    @property
    def n_features(self) -> int:
        """Number of input features per sample."""
        return self.train.X.shape[1]


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 digest of `data`."""
    return hashlib.sha256(data).hexdigest()


def data_folder() -> Traversable:
    """The datasets/ folder: beside the package in a clone, inside it (as
    gaplab.bundled) in an installed copy such as Colab's."""
    clone_folder = Path(__file__).resolve().parent.parent / "datasets"
    if (clone_folder / "SHA256SUMS").is_file():
        return clone_folder
    return resources.files("gaplab.bundled")


def bundled_bytes(filename: str) -> bytes:
    """Read a committed file of datasets/ and check it against SHA256SUMS.

    A mismatch means the file was edited by hand or damaged; the splits it
    gives would then differ from everyone else's.
    """
    folder = data_folder()
    sums = dict(
        reversed(line.split(maxsplit=1))
        for line in folder.joinpath("SHA256SUMS").read_text().splitlines()
        if line.strip()
    )
    if filename not in sums:
        raise FileNotFoundError(
            f"{filename} is not listed in datasets/SHA256SUMS: regenerate "
            "it with datasets/make_datasets.py"
        )
    data = folder.joinpath(filename).read_bytes()
    if sha256_of(data) != sums[filename]:
        raise ValueError(
            f"datasets/{filename} does not match its SHA-256 in "
            "datasets/SHA256SUMS: restore it with git, or regenerate both "
            "with datasets/make_datasets.py"
        )
    return data


def bundled_json(filename: str) -> Any:
    """A checked JSON file of datasets/."""
    return json.loads(bundled_bytes(filename))


def write_bundled_json(folder: Path, filename: str, content: Any) -> None:
    """Write `content` under datasets/ as compact, stable JSON."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    (folder / filename).write_text(text + "\n")


def write_checksums(folder: Path) -> None:
    """Record the SHA-256 of every data file of datasets/, as `sha256sum`
    does; `bundled_bytes` checks files against this list."""
    lines = [
        f"{sha256_of(path.read_bytes())}  {path.name}"
        for path in sorted(folder.glob("*.json*"))
    ]
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def array_fingerprint(*arrays: np.ndarray) -> str:
    """SHA-256 of arrays' contents, to detect a changed source dataset."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def three_way_split(
    n: int, stratify: np.ndarray | None, seed: int = SPLIT_SEED
) -> dict[str, list[int]]:
    """Shuffled 60/20/20 train/val/test indices, stratified if asked."""
    indices = np.arange(n)
    train, rest = train_test_split(
        indices, train_size=0.6, random_state=seed, stratify=stratify
    )
    val, test = train_test_split(
        rest,
        train_size=0.5,
        random_state=seed,
        stratify=None if stratify is None else stratify[rest],
    )
    return {
        "train": train.tolist(),
        "val": val.tolist(),
        "test": test.tolist(),
    }


def make_label_noise(
    labels: np.ndarray, rate: float, n_classes: int, seed: int
) -> dict[str, list[int]]:
    """Flip a `rate` fraction of labels, each to a different random class."""
    rng = np.random.default_rng(seed)
    n_flip = round(rate * len(labels))
    positions = np.sort(rng.choice(len(labels), size=n_flip, replace=False))
    shift = rng.integers(1, n_classes, size=n_flip)
    noisy = (labels[positions] + shift) % n_classes
    return {"positions": positions.tolist(), "labels": noisy.tolist()}


def make_digits_splits() -> dict[str, Any]:
    """The content of datasets/digits_splits.json, built from scratch."""
    digits = sk_datasets.load_digits()
    splits = three_way_split(len(digits.target), stratify=digits.target)
    train_labels = digits.target[splits["train"]]
    noise = {
        str(rate): make_label_noise(train_labels, rate, 10, seed=i)
        for i, rate in enumerate(NOISE_RATES)
    }
    return {
        "source": "sklearn.datasets.load_digits",
        "source_sha256": array_fingerprint(digits.data, digits.target),
        "split_seed": SPLIT_SEED,
        **splits,
        "label_noise": noise,
    }


def make_diabetes_splits() -> dict[str, Any]:
    """The content of datasets/diabetes_splits.json, built from scratch."""
    diabetes = sk_datasets.load_diabetes()
    return {
        "source": "sklearn.datasets.load_diabetes",
        "source_sha256": array_fingerprint(diabetes.data, diabetes.target),
        "split_seed": SPLIT_SEED,
        **three_way_split(len(diabetes.target), stratify=None),
    }


def check_source(spec: dict[str, Any], *arrays: np.ndarray) -> None:
    """Fail loudly if scikit-learn's bundled data changed under the splits."""
    if array_fingerprint(*arrays) != spec["source_sha256"]:
        raise ValueError(
            f"{spec['source']} no longer matches the data the committed "
            "split indices were made for; regenerate datasets/ with "
            "datasets/make_datasets.py and review the change"
        )


def take_first(indices: list[int], n: int | None, name: str) -> list[int]:
    """The first `n` of a split's shuffled indices (all when n is None)."""
    if n is None:
        return indices
    if not isinstance(n, int) or not 1 <= n <= len(indices):
        raise ValueError(
            f"{name} must be an int from 1 to {len(indices)}, got {n!r}"
        )
    return indices[:n]


def load_digits(
    n_train: int | None = None, label_noise: float = 0.0
) -> Dataset:
    """scikit-learn's 8x8 handwritten digits, pixels scaled to [0, 1].

    `n_train` keeps the first n training samples (nested subsets), and
    `label_noise` flips that committed fraction of training labels; the
    validation and test labels are always clean.
    """
    spec = bundled_json(DIGITS_SPLITS_FILE)
    digits = sk_datasets.load_digits()
    check_source(spec, digits.data, digits.target)
    X = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    y = torch.tensor(digits.target, dtype=torch.long)
    train_index = take_first(spec["train"], n_train, "n_train")
    train_y = y[spec["train"]].clone()
    flipped = torch.zeros(len(spec["train"]), dtype=torch.bool)
    if label_noise:
        key = str(label_noise)
        if key not in spec["label_noise"]:
            raise ValueError(
                f"label_noise must be 0.0 or one of the committed rates "
                f"{NOISE_RATES}, got {label_noise!r}"
            )
        positions = torch.tensor(spec["label_noise"][key]["positions"])
        train_y[positions] = torch.tensor(spec["label_noise"][key]["labels"])
        flipped[positions] = True
    n = len(train_index)
    return Dataset(
        name="digits",
        task="classification",
        train=Split(X[train_index], train_y[:n]),
        val=Split(X[spec["val"]], y[spec["val"]]),
        test=Split(X[spec["test"]], y[spec["test"]]),
        n_classes=10,
        flipped=flipped[:n],
        clean_train_y=y[train_index],
    )


def load_diabetes() -> Dataset:
    """scikit-learn's diabetes regression set, target standardised.

    The target is centred and scaled with training statistics only, so that
    losses are of order one and no validation information leaks in.
    """
    spec = bundled_json(DIABETES_SPLITS_FILE)
    diabetes = sk_datasets.load_diabetes()
    check_source(spec, diabetes.data, diabetes.target)
    X = torch.tensor(diabetes.data, dtype=torch.float32)
    y = torch.tensor(diabetes.target, dtype=torch.float32)
    mean, std = y[spec["train"]].mean(), y[spec["train"]].std()
    y = (y - mean) / std
    return Dataset(
        name="diabetes",
        task="regression",
        train=Split(X[spec["train"]], y[spec["train"]]),
        val=Split(X[spec["val"]], y[spec["val"]]),
        test=Split(X[spec["test"]], y[spec["test"]]),
    )


def load_moons(
    n_train: int = 200, noise: float = 0.3, seed: int = 0
) -> Dataset:
    """Two interleaved noisy half-moons in 2-D, for decision boundaries.

    Validation and test each hold 500 points drawn from the same
    distribution, so their losses are precise estimates.
    """
    if not isinstance(n_train, int) or n_train < 1:
        raise ValueError(f"n_train must be a positive int, got {n_train!r}")
    n_eval = 500
    X, y = sk_datasets.make_moons(
        n_samples=n_train + 2 * n_eval, noise=noise, random_state=seed
    )
    X = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.long)
    val_end = n_train + n_eval
    return Dataset(
        name="moons",
        task="classification",
        train=Split(X[:n_train], y[:n_train]),
        val=Split(X[n_train:val_end], y[n_train:val_end]),
        test=Split(X[val_end:], y[val_end:]),
        n_classes=2,
    )


def polynomial_truth(x: torch.Tensor) -> torch.Tensor:
    """The noiseless curve behind `load_polynomial`: a cubic on [-1, 1]."""
    return 1.5 * x**3 - x**2 - 0.5 * x + 0.3


def load_polynomial(
    n_train: int = 20, noise: float = 0.3, seed: int = 0
) -> Dataset:
    """A 1-D regression set: a cubic plus Gaussian noise on [-1, 1].

    Inputs have shape (n, 1) and targets shape (n,). Validation and test
    hold 200 points each.
    """
    if not isinstance(n_train, int) or n_train < 1:
        raise ValueError(f"n_train must be a positive int, got {n_train!r}")
    generator = torch.Generator().manual_seed(seed)
    n_eval = 200

    def draw(n: int) -> Split:
        x = torch.rand(n, 1, generator=generator) * 2 - 1
        eps = torch.randn(n, generator=generator) * noise
        return Split(x, polynomial_truth(x[:, 0]) + eps)

    return Dataset(
        name="polynomial",
        task="regression",
        train=draw(n_train),
        val=draw(n_eval),
        test=draw(n_eval),
    )
