"""Every solution notebook runs top to bottom without error, and its graded
cells write nothing to stderr (nbgrader would score such a cell 0)."""

import time

import nbclient
import pytest

from tests.notebook_tools import grade_id, read_notebook, solution_notebooks


@pytest.mark.notebook
@pytest.mark.parametrize("path", solution_notebooks(), ids=lambda p: p.name)
def test_solution_notebook_runs_cleanly(path):
    notebook = read_notebook(path)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    print(f"{path.name}: {time.perf_counter() - start:.1f} s")
    for cell in notebook.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            stderr = [
                o.text
                for o in cell.outputs
                if o.output_type == "stream" and o.name == "stderr"
            ]
            assert not stderr, f"graded cell {grade_id(cell)} wrote {stderr}"
