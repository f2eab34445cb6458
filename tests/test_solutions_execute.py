"""Every solution notebook runs top to bottom without error, and its graded
cells write nothing to stderr (nbgrader would score such a cell 0)."""

import time

import pytest

from tests.notebook_tools import (
    execute_notebook,
    grade_id,
    solution_notebooks,
)


@pytest.mark.notebook
@pytest.mark.parametrize("path", solution_notebooks(), ids=lambda p: p.name)
def test_solution_notebook_runs_cleanly(path):
    start = time.perf_counter()
    notebook = execute_notebook(path)
    print(f"{path.name}: {time.perf_counter() - start:.1f} s")
    for cell in notebook.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            stderr = [
                o.text
                for o in cell.outputs
                if o.output_type == "stream" and o.name == "stderr"
            ]
            assert not stderr, f"graded cell {grade_id(cell)} wrote {stderr}"
