"""The notebooks in ``notebooks/`` run with ``jupyter nbconvert --execute`` against the user's runs.

As the README tells a user to: a ``sim run`` in a folder (standing in for the repository root,
with the notebooks copied into its ``notebooks/``), then ``jupyter nbconvert --execute --to
notebook`` from that folder, with no ``SIM_DB``. The kernel runs in ``notebooks/``, yet the
notebooks must use the ``runs.db`` of the folder Jupyter was started from; the replay notebook,
run after the others have stored runs of their own (the README's ``notebooks/*.ipynb`` runs
``compare_policies`` first) and again after that, must replay the user's run and show the
verification.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
BIN = Path(sys.executable).parent


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


def _outputs(path: Path) -> tuple[str, int]:
    """A notebook's printed text, and how many figures it drew."""
    notebook = nbformat.read(path, as_version=4)
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    text = "".join(o.get("text", "") for o in outputs)
    return text, sum("image/png" in o.get("data", {}) for o in outputs)


def test_notebooks_execute_with_nbconvert_against_the_users_runs_db(tmp_path: Path) -> None:
    """After `sim run`, nbconvert from the root executes all three on that root's runs.db."""
    root = tmp_path / "project"
    shutil.copytree(NOTEBOOKS[0].parent, root / "notebooks")
    environment = {k: v for k, v in os.environ.items() if k != "SIM_DB"} | {"PWD": str(root)}
    subprocess.run(
        [BIN / "sim", "run", "--scenario", "baseline", "--developers", "1000", "--steps", "12"]
        + ["--seed", "1"],
        cwd=root,
        env=environment,
        check=True,
        capture_output=True,
    )
    # The README's command: notebooks/*.ipynb, so compare_policies stores its runs first.
    done = nbconvert(root, environment, tmp_path / "executed", "notebooks/*.ipynb")
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (root / "notebooks" / "runs.db").exists()
    for path in NOTEBOOKS:
        text, figures = _outputs(tmp_path / "executed" / path.name)
        assert f"Run store: {root / 'runs.db'}" in text, path.stem
        assert figures, f"{path.stem} drew no figure"
    with sqlite3.connect(root / "runs.db") as connection:
        names = [row[0] for row in connection.execute("SELECT name FROM runs ORDER BY id")]
    assert names[0] == "baseline" and names[1].startswith("compare: ")
    replay = names.index("replay of run 1") + 1
    replay_text, _ = _outputs(tmp_path / "executed" / "replay_a_run.ipynb")
    assert "run 1: baseline (seed 1)" in replay_text  # the user's run, not a notebook's
    assert f"run 1 replayed as run {replay}" in replay_text
    assert "verified: every market and provider value repeated bit for bit" in replay_text

    # Again, after the sweep notebook's runs and the first replay: still the user's run.
    again = nbconvert(root, environment, tmp_path / "again", "notebooks/replay_a_run.ipynb")
    assert again.returncode == 0, again.stderr[-3000:]
    replay_text, _ = _outputs(tmp_path / "again" / "replay_a_run.ipynb")
    assert "run 1: baseline (seed 1)" in replay_text
    assert "verified: every market and provider value repeated bit for bit" in replay_text


def nbconvert(
    root: Path, environment: dict[str, str], out: Path, pattern: str
) -> subprocess.CompletedProcess:
    """`jupyter nbconvert --execute --to notebook` of ``pattern`` from ``root``, as typed."""
    return subprocess.run(
        f"{BIN / 'jupyter'} nbconvert --execute --to notebook --output-dir {out} {pattern}",
        shell=True,  # the shell expands notebooks/*.ipynb, as it does for the README's command
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_the_replay_notebook_says_what_to_do_when_there_is_no_run(tmp_path: Path) -> None:
    """With no run stored, the replay notebook stops with the command that makes one."""
    root = tmp_path / "empty"
    shutil.copytree(NOTEBOOKS[0].parent, root / "notebooks")
    environment = {k: v for k, v in os.environ.items() if k != "SIM_DB"} | {"PWD": str(root)}
    done = subprocess.run(
        [BIN / "jupyter", "nbconvert", "--execute", "--to", "notebook", "--stdout"]
        + ["notebooks/replay_a_run.ipynb"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "No finished run in" in done.stderr and "sim run --scenario baseline" in done.stderr
