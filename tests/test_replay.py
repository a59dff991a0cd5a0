"""``sim replay RUN --verify``: a stored run re-runs bit for bit, and any altered value is found.

Each test stores its own small baseline run (500 developers, 12 months) in a fresh database,
on both backends (a SQLite file, a PostgreSQL database), and alters stored rows with plain SQL,
as a corrupted or hand-edited database would.
"""

import json

import pytest
from backends import Backend
from sim_cli import sim

import simulator
from runs.store import mask_url, resolve_url


@pytest.fixture
def db(backend: Backend) -> Backend:
    """A store holding one baseline run, id 1."""
    result = sim(
        "run",
        "--scenario",
        "baseline",
        "--developers",
        "500",
        "--steps",
        "12",
        "--seed",
        "3",
        "--db",
        backend.url,
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["run_id"] == 1
    return backend


def test_replay_of_a_stored_baseline_run_verifies_identical(db: Backend) -> None:
    """A stored baseline run replays bit for bit: exit 0, and the new run has the same digest."""
    result = sim("replay", "1", "--verify", "--db", db.url)
    assert result.exit_code == 0, result.output
    assert "Identical" in result.stdout
    digests = db.query("SELECT digest FROM runs ORDER BY id")
    assert len(digests) == 2 and digests[0] == digests[1]


def test_replay_names_the_first_altered_market_value(db: Backend) -> None:
    """An altered value fails --verify at the first altered step, naming table and column."""
    db.execute(
        "UPDATE market_steps SET price_cn = price_cn * 1.000001 WHERE run_id = 1 AND step IN (7, 9)"
    )
    result = sim("replay", "1", "--verify", "--db", db.url, "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["identical"] is False
    difference = report["difference"]
    assert (difference["step"], difference["month"], difference["table"], difference["column"]) == (
        7,
        "2024-08",
        "market_steps",
        "price_cn",
    )
    assert difference["stored"] != difference["new"]


def test_replay_finds_an_altered_provider_value_before_a_later_market_one(db: Backend) -> None:
    """Differences are found in step order, provider rows included."""
    db.execute(
        "UPDATE provider_steps SET served = served + 1 "
        "WHERE run_id = 1 AND step = 4 AND provider = 'DeepSeek'"
    )
    db.execute("UPDATE market_steps SET cn_share = 0.5 WHERE run_id = 1 AND step = 5")
    result = sim("replay", "1", "--verify", "--db", db.url)
    assert result.exit_code == 1
    assert "step 4 (2024-05), provider_steps provider DeepSeek, column served" in result.stdout


def test_replay_reports_steps_missing_from_the_stored_run(db: Backend) -> None:
    """A stored run with steps missing is not reported as identical."""
    db.execute("DELETE FROM market_steps WHERE run_id = 1 AND step >= 10")
    result = sim("replay", "1", "--verify", "--db", db.url)
    assert result.exit_code == 1
    assert "step 10 (2024-11), market_steps: row missing in the stored run" in result.stdout


def test_replay_without_verify_stores_a_new_run_and_exits_zero_even_if_rows_differ(
    db: Backend,
) -> None:
    """Without --verify a replay only stores the new run, named after the old one."""
    db.execute("UPDATE market_steps SET price_us = 0 WHERE run_id = 1")
    result = sim("replay", "1", "--db", db.url)
    assert result.exit_code == 0, result.output
    names = db.query("SELECT name FROM runs ORDER BY id")
    assert names[-1] == ("replay of run 1",)


def test_replay_says_when_the_run_was_stored_by_another_package_version(db: Backend) -> None:
    """A run stored by another package version is flagged with both versions."""
    db.execute(
        "UPDATE runs SET versions = json_set(versions, '$.package', '0.0.1')"
        if db.name == "sqlite"
        else "UPDATE runs SET versions = jsonb_set(versions::jsonb, '{package}', '\"0.0.1\"')::json"
    )
    result = sim("replay", "1", "--verify", "--db", db.url)
    assert result.exit_code == 0, result.output
    assert f"(0.0.1; this is {simulator.__version__})" in result.stdout


def test_replay_of_a_missing_run_is_one_line_with_status_2(db: Backend) -> None:
    """Replaying a run that does not exist is one line of error and exit status 2."""
    result = sim("replay", "7", "--verify", "--db", db.url)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: no run 7 in {mask_url(resolve_url(db.url))} (run ids go from 1 to 1)"
    ]
