"""Commands that only read refuse a store that is not there, and create nothing.

A typo in ``--db`` (``rusn.db``) used to look like an empty store: "No runs in
sqlite:///rusn.db yet", exit 0. Every command that only reads now says in one line that there
is no run store at that place, exits 2, and leaves no file behind.
"""

from pathlib import Path

import pytest
from backends import Backend
from sim_cli import sim

READ_ONLY = [
    pytest.param(["runs", "list"], id="runs-list"),
    pytest.param(["runs", "show", "1"], id="runs-show"),
    pytest.param(["runs", "export", "1", "--out", "exported"], id="runs-export"),
    pytest.param(["runs", "compare", "1", "2"], id="runs-compare"),
    pytest.param(["runs", "delete", "1", "--yes"], id="runs-delete"),
    pytest.param(["plot", "1", "--out", "plot.png"], id="plot"),
    pytest.param(["replay", "1", "--verify"], id="replay"),
    pytest.param(["sweep", "list"], id="sweep-list"),
    pytest.param(["sweep", "show", "1"], id="sweep-show"),
    pytest.param(["sweep", "sensitivity", "1"], id="sweep-sensitivity"),
]


def assert_refused(result, db: str) -> None:  # noqa: ANN001 - click's Result
    """Exit status 2 and one line naming the store, nothing on standard output."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: no run store in"), result.stderr
    assert db in lines[0]


@pytest.mark.parametrize("command", READ_ONLY)
def test_a_misspelt_db_is_refused_and_nothing_is_created(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--db rusn.db`` where there is none: one line naming it, exit 2, no file made."""
    monkeypatch.chdir(tmp_path)
    assert_refused(sim(*command, "--db", "rusn.db"), "rusn.db")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", READ_ONLY)
def test_without_db_a_missing_runs_db_is_refused_and_not_created(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ``--db`` and no ``$SIM_DB`` in a folder without runs.db: refused, runs.db not made."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SIM_DB", raising=False)
    assert_refused(sim(*command), "runs.db")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_store_without_runs_is_still_listed_as_empty(tmp_path: Path) -> None:
    """Only a store that is not there is refused: one with no runs left says so, exit 0."""
    db = tmp_path / "runs.db"
    ran = sim("run", "--developers", "200", "--steps", "1", "--db", str(db))
    assert ran.exit_code == 0, ran.output
    assert sim("runs", "delete", "1", "--yes", "--db", str(db)).exit_code == 0
    listed = sim("runs", "list", "--db", str(db))
    assert listed.exit_code == 0 and "No runs in" in listed.stdout


@pytest.mark.parametrize("command", [["runs", "list"], ["sweep", "list"], ["runs", "show", "1"]])
def test_a_postgresql_database_without_a_run_store_is_refused_and_left_empty(
    command: list[str], postgres: Backend
) -> None:
    """A server's database that holds no run store: refused, no table created, no password."""
    result = sim(*command, "--db", postgres.url)
    assert_refused(result, "postgresql")
    assert postgres.password not in result.stderr
    assert postgres.tables() == set()
