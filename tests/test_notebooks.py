"""The notebooks in ``notebooks/`` run top to bottom against a fresh database.

Each is executed with a real ``python3`` Jupyter kernel (nbclient), with ``SIM_DB`` pointing at
a database under ``tmp_path`` that does not exist yet and the working folder there too, so the
notebook must create what it needs and nothing lands in the repository.
"""

import sqlite3
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_the_three_notebooks_are_there() -> None:
    """The three notebooks the README promises are in notebooks/."""
    assert [path.name for path in NOTEBOOKS] == [
        "compare_policies.ipynb",
        "replay_a_run.ipynb",
        "sweep_analysis.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    """Notebooks are committed with outputs stripped, so diffs show code only."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_executes_against_a_fresh_database(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each notebook runs top to bottom on a database it must fill itself, and draws figures."""
    db = tmp_path / "fresh.db"
    monkeypatch.setenv("SIM_DB", str(db))
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    finished = (
        sqlite3.connect(db)
        .execute("SELECT COUNT(*) FROM runs WHERE status = 'finished'")
        .fetchone()[0]
    )
    assert finished >= 1
    images = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert images, "the notebook drew no figure"
    assert not (tmp_path / "runs.db").exists()
