"""Regenerate the committed split files of datasets/ and their checksums.

Run from the repository root: python datasets/make_datasets.py
The output is deterministic; `git diff datasets/` after a run shows whether
anything changed.
"""

import json
from pathlib import Path

from gaplab.data import (
    DIABETES_SPLITS_FILE,
    DIGITS_SPLITS_FILE,
    make_diabetes_splits,
    make_digits_splits,
    sha256_of,
)

FOLDER = Path(__file__).resolve().parent


def write_json(filename: str, content: object) -> None:
    """Write `content` as compact, stable JSON under datasets/."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    (FOLDER / filename).write_text(text + "\n")


def write_checksums() -> None:
    """Record the SHA-256 of every data file, as `sha256sum` does."""
    lines = [
        f"{sha256_of(path.read_bytes())}  {path.name}"
        for path in sorted(FOLDER.glob("*.json*"))
    ]
    (FOLDER / "SHA256SUMS").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    write_json(DIGITS_SPLITS_FILE, make_digits_splits())
    write_json(DIABETES_SPLITS_FILE, make_diabetes_splits())
    write_checksums()
