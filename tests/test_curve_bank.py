"""The curve bank: the committed file is intact and in sync with the
script that made it, the reference diagnose reads it correctly, and a
sample of its runs, trained again with the script, shows the same
patterns."""

import importlib.util
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from gaplab.data import bundled_bytes, data_folder, sha256_of
from gaplab.diagnose import (
    CURVE_BANK_FILE,
    PATTERNS,
    confusion_table,
    diagnose,
    load_curve_bank,
)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "datasets" / "make_curve_bank.py"
MAX_BYTES = 2_000_000
MIN_ACCURACY = 0.95


def load_script():
    """datasets/make_curve_bank.py as a module, without running it.
    (Registered in sys.modules first: its dataclasses look it up there.)"""
    spec = importlib.util.spec_from_file_location("make_curve_bank", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bank_script = load_script()


def test_committed_bank_matches_its_checksum_and_stays_small():
    data = bundled_bytes(CURVE_BANK_FILE)  # raises on a mismatch
    sums = (data_folder() / "SHA256SUMS").read_text()
    assert f"{sha256_of(data)}  {CURVE_BANK_FILE}" in sums.splitlines()
    assert len(data) < MAX_BYTES


def test_bank_holds_what_the_script_describes():
    entries = {entry.id: entry for entry in load_curve_bank("all")}
    expected_ids = set()
    for variant in bank_script.VARIANTS:
        for seed in bank_script.SEEDS:
            entry_id = f"{variant.label}/{variant.name}/seed{seed}"
            expected_ids.add(entry_id)
            entry = entries[entry_id]
            assert entry.config == variant.config
            assert entry.description == variant.description
            assert entry.split == ("heldout" if variant.heldout else "shown")
            assert len(entry.history) == variant.config.epochs
    assert set(entries) == expected_ids


def test_every_pattern_has_variants_seeds_and_a_held_out_part():
    entries = load_curve_bank("all")
    for pattern in PATTERNS:
        runs = [entry for entry in entries if entry.label == pattern]
        shown = {e.variant for e in runs if e.split == "shown"}
        heldout = {e.variant for e in runs if e.split == "heldout"}
        assert len(shown) >= 3 and len(heldout) >= 1, pattern
        assert shown.isdisjoint(heldout), pattern
        assert len({e.seed for e in runs}) >= 3, pattern
    share = sum(e.split == "heldout" for e in entries) / len(entries)
    assert 0.2 <= share <= 0.35


def test_reference_diagnose_classifies_the_whole_bank(capsys):
    entries = load_curve_bank("all")
    labels = [entry.label for entry in entries]
    predicted = [diagnose(entry.history).pattern for entry in entries]
    with capsys.disabled():
        print("\nreference diagnose on the whole curve bank (rows: label)")
        print(confusion_table(labels, predicted))
    correct = sum(a == b for a, b in zip(labels, predicted, strict=True))
    assert correct / len(entries) >= MIN_ACCURACY


def sample_variants() -> list:
    """The first shown variant of each pattern: one regeneration each."""
    return [
        next(
            v
            for v in bank_script.VARIANTS
            if v.label == pattern and not v.heldout
        )
        for pattern in PATTERNS
    ]


@pytest.fixture
def one_thread():
    """Train on one thread, as the script does; restore afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("variant", sample_variants(), ids=lambda v: v.label)
def test_regenerated_runs_show_the_recorded_pattern(variant, one_thread):
    seed = bank_script.SEEDS[0]
    history = bank_script.record_run(variant, seed)
    assert diagnose(history).pattern == variant.label
    stored = next(
        entry
        for entry in load_curve_bank("all")
        if entry.id == f"{variant.label}/{variant.name}/seed{seed}"
    )
    assert len(stored.history) == len(history)
    assert asdict(stored.config) == asdict(variant.config)
