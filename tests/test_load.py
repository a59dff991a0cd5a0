"""The loading API: stored runs come back as the rows the database holds, as pandas objects.

Runs are small (500 developers, 12 months) and stored once per module and backend (a SQLite
file, a PostgreSQL database); the database is also read with plain SQL through the driver, so
that the schema is shown to be readable by tools that are not ours.
"""

import math
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from backends import Backend

from experiments.runner import execute
from runs.load import list_runs, load_run, open_store
from runs.store import RunStore, StoreError
from scenario.overrides import resolve_scenario
from vocabulary.errors import InputError

POLICY_SETS = ((), ("export_ban",), ("export_ban", "remote_access"))
STEPS = 12


@pytest.fixture(scope="module")
def db(module_backend: Backend) -> Backend:
    """A store with three finished runs (ids 1, 2, 3) that differ only in policy."""
    store = RunStore(module_backend.url)
    for policies in POLICY_SETS:
        scenario = resolve_scenario(policies=policies, developers=500, steps=STEPS)
        execute(scenario, seed=5, store=store, name="+".join(policies) or "no_policy")
    store.engine.dispose()
    return module_backend


def plain(value):
    """NULL and NaN both mean "nothing to measure": compare them as None."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def test_market_rows_read_with_plain_sql_match_the_loading_api(db: Backend) -> None:
    """Tools that are not ours read the same market rows, value for value, as the loading API."""
    with closing(db.connect()) as connection:
        cursor = connection.execute("SELECT * FROM market_steps WHERE run_id = 2 ORDER BY step")
        names = [d[0] for d in cursor.description]
        by_sql = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    market = load_run(open_store(db.url), 2).market_steps.reset_index()
    assert len(by_sql) == len(market) == STEPS
    for sql_row, (_, api_row) in zip(by_sql, market.iterrows(), strict=True):
        assert sql_row["month"] == str(api_row["month"])
        for column in market.columns.drop("month"):
            assert plain(sql_row[column]) == plain(api_row[column]), column


def test_history_tables_are_indexed_by_month_in_step_order(db: Backend) -> None:
    """Every history table is indexed by a monthly Period and comes in step order."""
    run = load_run(open_store(db.url), 1)
    for table in (run.market_steps, run.provider_steps, run.segment_steps, run.policy_events):
        assert isinstance(table.index, pd.PeriodIndex)
        assert table.index.freqstr == "M"
        assert table["step"].is_monotonic_increasing
    assert str(run.market_steps.index[0]) == "2024-01"
    assert list(run.market_steps["step"]) == list(range(STEPS))
    assert len(run.provider_steps) == STEPS * run.provider_steps["provider"].nunique()


def test_loaded_run_carries_its_scenario_seed_status_and_versions(db: Backend) -> None:
    """A loaded run gives back the validated scenario it was run with, its seed and versions."""
    run = load_run(open_store(db.url), 3)
    assert run.seed == 5
    assert run.status == "finished"
    assert run.policy_names == ["export_ban", "remote_access"]
    assert run.scenario == resolve_scenario(policies=POLICY_SETS[2], developers=500, steps=STEPS)
    assert run.versions["package"] == run.package_version
    assert set(run.policy_events["policy"]) <= {"export_ban", "remote_access"}


def test_loading_one_run_reads_only_its_rows(db: Backend) -> None:
    """A run's tables hold its own rows only, not those of the other runs in the store."""
    store = open_store(db.url)
    one, other = load_run(store, 1), load_run(store, 2)
    assert len(one.market_steps) == len(other.market_steps) == STEPS
    assert not one.market_steps["compute_cn_legal"].equals(other.market_steps["compute_cn_legal"])


def test_list_runs_filters_by_name_policy_and_status(db: Backend) -> None:
    """Runs come newest first and can be narrowed by name, enabled policy and status."""
    store = open_store(db.url)
    everything = list_runs(store)
    assert list(everything.index) == [3, 2, 1]  # newest first
    assert list(list_runs(store, policy="remote_access").index) == [3]
    assert list(list_runs(store, policy="export_ban").index) == [3, 2]
    assert list(list_runs(store, name="no_policy").index) == [1]
    assert list(list_runs(store, status="finished").index) == [3, 2, 1]
    assert list_runs(store, status="failed").empty
    assert everything.loc[2, "policies"] == ["export_ban"]


def test_list_runs_refuses_an_unknown_status(db: Backend) -> None:
    """A status that does not exist is named with the allowed ones, not silently matched."""
    with pytest.raises(InputError, match="expected one of running, finished"):
        list_runs(open_store(db.url), status="done")


def test_a_missing_store_lists_no_runs_and_is_not_created(tmp_path: Path) -> None:
    """Looking at a store that is not there shows no runs and leaves no file behind."""
    path = tmp_path / "none.db"
    assert list_runs(open_store(str(path))).empty
    assert not path.exists()


def test_loading_a_run_that_is_not_there_names_the_ids_there_are(db: Backend) -> None:
    """Asking for a run that does not exist says which ids there are."""
    with pytest.raises(StoreError, match="no run 9 .*run ids go from 1 to 3"):
        load_run(open_store(db.url), 9)
