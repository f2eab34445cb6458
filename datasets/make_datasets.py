"""Regenerate the committed split files of datasets/ and their checksums.

Run from the repository root: python datasets/make_datasets.py
The output is deterministic; `git diff datasets/` after a run shows whether
anything changed.
"""

from pathlib import Path

from gaplab.data import (
    DIABETES_SPLITS_FILE,
    DIGITS_SPLITS_FILE,
    make_diabetes_splits,
    make_digits_splits,
    write_bundled_json,
    write_checksums,
)

FOLDER = Path(__file__).resolve().parent

if __name__ == "__main__":
    write_bundled_json(FOLDER, DIGITS_SPLITS_FILE, make_digits_splits())
    write_bundled_json(FOLDER, DIABETES_SPLITS_FILE, make_diabetes_splits())
    write_checksums(FOLDER)
