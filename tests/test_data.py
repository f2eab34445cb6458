"""The dataset loaders: fixed splits, label noise, checksums, bad input."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import gaplab
from gaplab import data

ROOT = Path(__file__).resolve().parent.parent


def test_digits_splits_are_disjoint_and_cover_the_set():
    spec = data.bundled_json(data.DIGITS_SPLITS_FILE)
    parts = [set(spec[name]) for name in ("train", "val", "test")]
    assert sum(map(len, parts)) == 1797
    assert set.union(*parts) == set(range(1797))


def test_digits_shapes_dtypes_and_scaling():
    digits = gaplab.load_digits()
    assert digits.train.X.dtype == torch.float32
    assert digits.train.y.dtype == torch.long
    assert digits.n_features == 64 and digits.n_classes == 10
    assert 0.0 <= digits.train.X.min() and digits.train.X.max() <= 1.0
    assert (len(digits.train), len(digits.val), len(digits.test)) == (
        1078,
        359,
        360,
    )


def test_digits_subsets_are_nested_prefixes():
    small, large = gaplab.load_digits(n_train=100), gaplab.load_digits(300)
    assert torch.equal(small.train.X, large.train.X[:100])


@pytest.mark.parametrize("rate", data.NOISE_RATES)
def test_label_noise_flips_the_stated_fraction_of_training_labels(rate):
    clean, noisy = gaplab.load_digits(), gaplab.load_digits(label_noise=rate)
    changed = noisy.train.y != clean.train.y
    assert torch.equal(changed, noisy.flipped)
    assert changed.float().mean().item() == pytest.approx(rate, abs=1e-3)
    assert torch.equal(noisy.clean_train_y, clean.train.y)
    assert torch.equal(noisy.val.y, clean.val.y), "validation stays clean"


def test_unknown_noise_rate_and_bad_subset_size_are_explained():
    with pytest.raises(ValueError, match="committed rates"):
        gaplab.load_digits(label_noise=0.25)
    with pytest.raises(ValueError, match="n_train must be an int"):
        gaplab.load_digits(n_train=0)


def test_committed_files_match_their_regeneration():
    assert data.bundled_json(data.DIGITS_SPLITS_FILE) == (
        data.make_digits_splits()
    )
    assert data.bundled_json(data.DIABETES_SPLITS_FILE) == (
        data.make_diabetes_splits()
    )


def test_a_damaged_split_file_is_refused(tmp_path, monkeypatch):
    for path in (ROOT / "datasets").glob("*"):
        if path.is_file():
            (tmp_path / path.name).write_bytes(path.read_bytes())
    damaged = tmp_path / data.DIGITS_SPLITS_FILE
    damaged.write_text(damaged.read_text().replace('"val":[', '"val":[0,'))
    monkeypatch.setattr(data, "data_folder", lambda: tmp_path)
    with pytest.raises(ValueError, match="does not match its SHA-256"):
        gaplab.load_digits()


def test_a_changed_source_dataset_is_refused():
    spec = {"source": "x", "source_sha256": "0" * 64}
    with pytest.raises(ValueError, match="no longer matches"):
        data.check_source(spec, np.zeros(3))


def test_diabetes_target_is_standardised_with_training_statistics():
    diabetes = gaplab.load_diabetes()
    assert diabetes.train.y.dtype == torch.float32
    assert diabetes.train.y.mean().item() == pytest.approx(0, abs=1e-5)
    assert diabetes.train.y.std().item() == pytest.approx(1, abs=1e-5)
    assert diabetes.n_classes is None


def test_generated_sets_are_functions_of_their_seed():
    assert torch.equal(
        gaplab.load_moons(seed=3).train.X, gaplab.load_moons(seed=3).train.X
    )
    assert not torch.equal(
        gaplab.load_polynomial(seed=1).train.y,
        gaplab.load_polynomial(seed=2).train.y,
    )
    poly = gaplab.load_polynomial(n_train=7)
    assert poly.train.X.shape == (7, 1) and poly.train.y.shape == (7,)


def test_split_rejects_empty_mismatched_and_non_tensor_input():
    with pytest.raises(ValueError, match="empty"):
        data.Split(torch.zeros(0, 2), torch.zeros(0))
    with pytest.raises(ValueError, match="X has 3 rows but y has 2"):
        data.Split(torch.zeros(3, 2), torch.zeros(2))
    with pytest.raises(TypeError, match="torch.as_tensor"):
        data.Split(np.zeros((3, 2)), torch.zeros(3))


def test_batches_cover_the_split_once_with_a_ragged_last_batch():
    split = data.Split(torch.arange(10.0).unsqueeze(1), torch.arange(10))
    sizes = [len(y) for _, y in split.batches(4)]
    assert sizes == [4, 4, 2]
    seen = torch.cat([y for _, y in split.batches(4, shuffle=True)])
    assert sorted(seen.tolist()) == list(range(10))
    with pytest.raises(ValueError, match="positive int"):
        next(split.batches(0))


def test_an_installed_copy_reads_the_same_splits(tmp_path):
    """pip installs datasets/ inside the package; Colab reads it there."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    script = (
        "import json, gaplab.data as d; "
        "print(json.dumps([str(d.data_folder()), d.load_digits(label_noise="
        "0.2).train.y[:50].tolist()]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    folder, labels = json.loads(result.stdout)
    assert str(tmp_path) in folder
    expected = gaplab.load_digits(label_noise=0.2).train.y[:50].tolist()
    assert labels == expected
