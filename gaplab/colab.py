"""The Colab entry point of every lesson: its badge and its setup cell.

The repository's address is defined here and nowhere else. The first two
cells of each notebook are rendered from this module by
`python -m grader colab`, and a test fails when a notebook drifts from it.
"""

from __future__ import annotations

REPOSITORY = "gaplab-course/gaplab"
BRANCH = "main"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def colab_url(lesson_path: str) -> str:
    """Colab's address for a notebook of the repository, e.g.
    'lessons/01-losses/01-losses.ipynb'."""
    return (
        f"https://colab.research.google.com/github/{REPOSITORY}/blob/"
        f"{BRANCH}/{lesson_path}"
    )


def badge_markdown(lesson_path: str) -> str:
    """The "Open in Colab" badge that heads a lesson."""
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(lesson_path)})"


def setup_cell_source() -> str:
    """A guarded cell that installs the course library, data included, in
    Colab, and does nothing anywhere else."""
    requirement = f"gaplab @ git+https://github.com/{REPOSITORY}@{BRANCH}"
    return (
        "# Colab only: install the course library and its data.\n"
        "# Locally this cell does nothing.\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    subprocess.run(\n"
        '        [sys.executable, "-m", "pip", "install", "-q",\n'
        f'         "{requirement}"],\n'
        "        check=True,\n"
        "    )"
    )
