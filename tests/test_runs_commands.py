"""``sim runs compare|export|delete``: side-by-side outcomes, files other tools read, deletion.

Three small runs (500 developers, 12 months, same seed, different policies) are stored once per
module and backend (a SQLite file, a PostgreSQL database); tests that change the database store
them afresh in their own. Expected values are read with plain SQL through the driver, not with
the package's own store.
"""

import json
import math
import os
import re
import socket
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from backends import Backend
from click.testing import CliRunner
from sim_cli import sim
from test_bad_input import assert_one_line_error

from experiments.runner import execute
from interfaces.cli import cli
from runs.store import RunStore
from scenario.overrides import resolve_scenario

TABLES = ("market_steps", "provider_steps", "segment_steps", "policy_events")
STEPS = 12


def plain(value):
    """NULL and NaN both mean "nothing to measure": compare them as None."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def store_three_runs(backend: Backend) -> Backend:
    """Runs 1 (no policy), 2 (export_ban) and 3 (export_ban + remote_access) in ``backend``."""
    store = RunStore(backend.url)
    for policies in ((), ("export_ban",), ("export_ban", "remote_access")):
        scenario = resolve_scenario(policies=policies, developers=500, steps=STEPS)
        execute(scenario, seed=5, store=store, name="+".join(policies) or "no_policy")
    store.engine.dispose()
    return backend


@pytest.fixture(scope="module")
def stored(module_backend: Backend) -> Backend:
    """The three runs, stored once per module and backend, for tests that only read them."""
    return store_three_runs(module_backend)


@pytest.fixture
def db(backend: Backend) -> Backend:
    """The three runs in a database of the test's own, for tests that change them."""
    return store_three_runs(backend)


def counts(db: Backend, run_id: int) -> dict[str, int]:
    """Rows of run ``run_id`` in each table, ``runs`` included."""
    return {
        table: db.query(f"SELECT COUNT(*) FROM {table} WHERE run_id = ?", run_id)[0][0]
        for table in TABLES
    } | {"runs": db.query("SELECT COUNT(*) FROM runs WHERE id = ?", run_id)[0][0]}


# ---- list -------------------------------------------------------------------------------------


def copy_run(db: Backend, run_id: int, times: int) -> None:
    """Store ``times`` more rows like run ``run_id``'s own (no history): a store after a sweep."""
    columns = "name, status, created_at, finished_at, seed, steps_planned, steps_done, " + (
        "scenario, policies, versions, digest, error, host, pid, tags"
    )
    db.execute(
        *[f"INSERT INTO runs ({columns}) SELECT {columns} FROM runs WHERE id = {run_id}"] * times
    )


def listed_ids(db: Backend, *args: str) -> list[int]:
    """The run ids ``sim runs list --json ARGS`` prints."""
    result = sim("runs", "list", "--json", "--db", db.url, *args)
    assert result.exit_code == 0, result.output
    return [row["id"] for row in json.loads(result.stdout)]


def test_list_shows_the_newest_50_and_says_how_to_see_the_rest(db: Backend) -> None:
    """After a sweep's worth of runs, the listing is one screenful, with a line for the rest."""
    copy_run(db, 1, 52)  # 55 runs
    result = sim("runs", "list", "--db", db.url)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if re.match(r"\d+ ", line)]
    assert [int(line.split()[0]) for line in rows] == list(range(55, 5, -1))
    assert "5 older runs not shown" in result.stderr and "--all" in result.stderr
    assert listed_ids(db, "--all") == list(range(55, 0, -1))
    assert listed_ids(db, "--limit", "54") == list(range(55, 1, -1))
    assert "1 older run not shown" in sim("runs", "list", "--limit", "54", "--db", db.url).stderr
    assert "not shown" not in sim("runs", "list", "--limit", "55", "--db", db.url).stderr


def test_list_filters_by_name_tag_and_sweep(db: Backend) -> None:
    """--name, --tag and --sweep keep the runs the API's filters keep."""
    db.execute(
        """UPDATE runs SET tags = '["mine"]' WHERE id IN (1, 3)""",
        "INSERT INTO sweeps (name, spec, points, status, created_at) "
        "VALUES ('leak', '{}', '[]', 'finished', '2025-01-01 00:00:00')",
        "INSERT INTO sweep_runs (run_id, sweep_id, point, replicate, arm) "
        "VALUES (2, 1, 0, 0, 'main')",
    )
    assert listed_ids(db, "--name", "export_ban") == [2]
    assert listed_ids(db, "--tag", "mine") == [3, 1]
    assert listed_ids(db, "--tag", "mine", "--limit", "1") == [3]
    assert listed_ids(db, "--sweep", "leak") == listed_ids(db, "--sweep", "1") == [2]
    assert "match the filters" in sim("runs", "list", "--tag", "none", "--db", db.url).stdout


def test_show_piped_keeps_each_key_with_its_value_on_one_line(stored: Backend) -> None:
    """Piped into grep, `sim runs show` gives the digest's line with the whole digest on it."""
    result = sim("runs", "show", "2", "--db", stored.url)
    assert result.exit_code == 0, result.output
    (digest,) = stored.query("SELECT digest FROM runs WHERE id = 2")[0]
    assert any(f"digest {digest}" in line for line in result.stdout.splitlines())
    rows = next(line for line in result.stdout.splitlines() if line.startswith("rows: "))
    assert f"{STEPS} market" in rows and "0 developer" in rows


# ---- compare ----------------------------------------------------------------------------------


def test_compare_gives_each_runs_values_and_the_difference_to_the_first(stored: Backend) -> None:
    """Compare shows each run's stored value at each date and its difference to the first run."""
    result = sim("runs", "compare", "1", "3", "--at", "2024-06", "--db", stored.url, "--json")
    assert result.exit_code == 0, result.output
    rows = {(r["when"], r["metric"]): r for r in json.loads(result.stdout)["rows"]}
    for when, step in (("2024-06", 5), ("end", STEPS - 1)):
        first, third = (
            stored.query(
                "SELECT cn_share_global FROM market_steps WHERE run_id = ? AND step = ?",
                run_id,
                step,
            )[0][0]
            for run_id in (1, 3)
        )
        row = rows[(when, "cn_share_global")]
        assert row["values"] == {"1": first, "3": third}
        assert row["difference"]["3"] == pytest.approx(third - first)


def test_compare_prints_a_table_per_date_with_a_difference_column(stored: Backend) -> None:
    """The human output has one table per date, difference columns and shares in points."""
    result = CliRunner().invoke(
        cli,
        ["runs", "compare", "1", "2", "--at", "2024-06", "--db", stored.url],
        prog_name="sim",
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "2024-06" in result.stdout and "End (2024-12)" in result.stdout
    assert "minus 1" in result.stdout
    assert re.search(r"\d pp\b", result.stdout)  # share differences in percentage points


@pytest.mark.parametrize(
    "args, problem",
    [
        (("1",), "give at least two runs"),
        (("1", "2", "--at", "2024-13"), "expected a month as YYYY-MM"),
        (("1", "2", "--at", "2031-01"), "no run simulated that month"),
        (("1", "9"), "no run 9"),
    ],
)
def test_compare_refuses_bad_input_with_one_line_and_status_2(
    stored: Backend, args, problem
) -> None:
    """Too few runs, a malformed or uncovered month, or a missing run: exit 2 with the reason."""
    result = sim("runs", "compare", *args, "--db", stored.url)
    assert result.exit_code == 2
    assert problem in result.stderr


def test_compare_takes_any_month_a_stored_run_has(tmp_path: Path) -> None:
    """A run may start as late as 2200-12 and run 2,600 months: --at 2300-01 was refused."""
    db = str(tmp_path / "long.db")
    for start, steps in (("2200-12", "1190"), ("2024-01", "2")):
        ran = sim(
            "run", "--scenario", "no_controls", "--developers", "100", "--start", start,
            "--steps", steps, "--db", db,
        )  # fmt: skip
        assert ran.exit_code == 0, ran.output
    result = sim("runs", "compare", "1", "2", "--at", "2300-01", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    rows = {(r["when"], r["metric"]): r for r in json.loads(result.stdout)["rows"]}
    assert rows[("2300-01", "cn_share_global")]["values"]["1"] is not None


# ---- export -----------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_exported_tables_load_back_with_the_rows_of_the_database(
    stored: Backend, tmp_path: Path, file_format: str
) -> None:
    """Exported files load back into pandas with exactly the database's rows and columns."""
    out = tmp_path / "export"
    result = sim(
        "runs", "export", "2", "--format", file_format, "--out", str(out), "--db", stored.url
    )
    assert result.exit_code == 0, result.output
    for table in TABLES:
        path = out / f"run-2-{table}.{file_format}"
        loaded = pd.read_parquet(path) if file_format == "parquet" else pd.read_csv(path)
        with closing(stored.connect()) as connection:
            cursor = connection.execute(f"SELECT * FROM {table} WHERE run_id = 2 ORDER BY step, id")
            names = [d[0] for d in cursor.description if d[0] != "id"]
            expected = [
                tuple(
                    plain(v) for v, d in zip(row, cursor.description, strict=True) if d[0] != "id"
                )
                for row in cursor.fetchall()
            ]
        assert list(loaded.columns) == names
        got = [tuple(plain(v) for v in row) for row in loaded.itertuples(index=False)]
        assert len(got) == len(expected) > 0
        if file_format == "parquet":
            assert got == expected, table
        else:  # CSV text round-trips floats exactly, but types (e.g. int vs float) may widen
            assert all(
                a == b
                for g, e in zip(got, expected, strict=True)
                for a, b in zip(g, e, strict=True)
            ), table
    record = json.loads((out / "run-2.json").read_text())
    assert record["id"] == 2 and record["seed"] == 5
    assert [p["name"] for p in record["policies"]] == ["export_ban"]


def test_export_with_an_unknown_format_is_refused_and_writes_nothing(
    stored: Backend, tmp_path: Path
) -> None:
    """An unknown export format is refused before any folder or file is made."""
    result = sim(
        "runs", "export", "2", "--format", "xlsx", "--out", str(tmp_path / "x"), "--db", stored.url
    )
    assert result.exit_code == 2
    assert not (tmp_path / "x").exists()


def test_export_over_an_earlier_export_is_refused_unless_forced(
    stored: Backend, tmp_path: Path
) -> None:
    """A second export of a run into the same folder replaces nothing without --force."""
    out = tmp_path / "export"
    export = ("runs", "export", "2", "--out", str(out), "--db", stored.url)
    assert sim(*export).exit_code == 0
    edited = out / "run-2-market_steps.csv"
    edited.write_text("my notes\n")
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    assert_one_line_error(sim(*export), str(out / "run-2.json"), "already exists", "--force")
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    other_run = sim("runs", "export", "1", "--out", str(out), "--db", stored.url)
    assert other_run.exit_code == 0, other_run.output  # another run's files are no conflict
    forced = sim(*export, "--force")
    assert forced.exit_code == 0, forced.output
    assert edited.read_text() != "my notes\n"
    assert pd.read_csv(edited)["run_id"].eq(2).all()


# ---- delete -----------------------------------------------------------------------------------


def test_delete_with_yes_removes_the_run_and_all_its_rows_only(db: Backend) -> None:
    """Deleting a run removes it and every row it stored, and nothing of other runs."""
    others = {run_id: counts(db, run_id) for run_id in (1, 3)}
    result = sim("runs", "delete", "2", "--yes", "--db", db.url)
    assert result.exit_code == 0, result.output
    assert counts(db, 2) == dict.fromkeys((*TABLES, "runs"), 0)
    assert {run_id: counts(db, run_id) for run_id in (1, 3)} == others


def test_delete_asks_first_and_keeps_everything_when_told_no(db: Backend) -> None:
    """Without --yes, delete asks; answering no keeps every row, yes deletes."""
    before = counts(db, 2)
    result = sim("runs", "delete", "2", "--db", db.url, stdin="n\n")
    assert result.exit_code == 1
    assert "Delete run 2 (export_ban" in result.output
    assert counts(db, 2) == before
    assert sim("runs", "delete", "2", "--db", db.url, stdin="y\n").exit_code == 0
    assert counts(db, 2)["runs"] == 0


def test_delete_refuses_a_run_that_is_still_running(db: Backend) -> None:
    """A run whose process is still alive is not deleted under it."""
    db.execute(
        f"UPDATE runs SET status = 'running', host = '{socket.gethostname()}', "
        f"pid = {os.getpid()} WHERE id = 2"
    )
    before = counts(db, 2)
    result = sim("runs", "delete", "2", "--yes", "--db", db.url)
    assert result.exit_code == 2
    assert "still running" in result.stderr
    assert counts(db, 2) == before


def test_delete_of_a_missing_run_is_one_line_with_status_2(db: Backend) -> None:
    """Deleting a run that does not exist is one line of error and exit status 2."""
    result = sim("runs", "delete", "8", "--yes", "--db", db.url)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
