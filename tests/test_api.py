"""The public Python API: its calls give what the CLI gives.

Who may import what (the CLI, dashboard and notebooks only the API) is tests/test_layers.py.
"""

import json
from pathlib import Path

import pandas as pd
import pytest
from sim_cli import sim

from interfaces import api

TARGET = (
    '[[targets]]\nid = "M1"\nobservable = "Chinese share, outside China"\n'
    'population = "outside_china"\nmeasure = "token_share"\nproviders = "CN"\n'
    'window = "2024-04"\ntarget = 0.5\nlow = 0.0\nhigh = 1.0\n'
)


def test_validate_in_parallel_stores_each_seed_as_run_would(tmp_path: Path) -> None:
    """Seeds run on two workers are stored as `api.run` would store each one.

    In seed order, named and tagged as `sim validate` names them, with the digest `api.run`
    gives each seed, and measured on their mean.
    """
    targets = tmp_path / "targets.toml"
    targets.write_text(TARGET)
    db = str(tmp_path / "runs.db")
    report = api.validate("baseline", seeds=3, developers=300, targets=targets, workers=2, db=db)
    store = api.open_store(db)
    runs = store.runs().sort_index()
    assert list(runs.index) == list(report.run_ids)
    assert list(runs["name"]) == [f"validation/baseline/seed-{s}" for s in (1, 2, 3)]
    assert all(tags == ["validation"] for tags in runs["tags"])
    alone = [
        api.run(report.scenario, seed=seed, db=str(tmp_path / "alone.db")).digest
        for seed in (1, 2, 3)
    ]
    assert list(runs["digest"]) == alone
    shares = [
        store.run(run_id).market_steps.loc[pd.Period("2024-04", "M"), "cn_share_global"]
        for run_id in report.run_ids
    ]
    (row,) = report.results
    assert row["simulated"] == pytest.approx(sum(shares) / 3)
    assert report.passed


def test_runs_are_read_one_way_with_parsed_times(tmp_path: Path) -> None:
    """The store's listing gives Timestamps, and `sim runs list --json` prints the same times."""
    db = str(tmp_path / "runs.db")
    result = api.run(policies=["export_ban"], developers=200, steps=2, seed=3, tags=("a",), db=db)
    listed = api.open_store(db).runs()
    assert isinstance(listed.loc[result.run_id, "created_at"], pd.Timestamp)
    assert listed.loc[result.run_id, "name"] == "export_ban"  # named as `sim run` names it
    printed = json.loads(sim("runs", "list", "--db", db, "--json").stdout)
    assert printed[0]["created_at"] == listed.loc[result.run_id, "created_at"].isoformat(
        timespec="seconds"
    )
    assert printed[0]["policies"] == ["export_ban"] and printed[0]["tags"] == ["a"]
    details = api.open_store(db).details(result.run_id)
    assert details.rows["market_steps"] == 2 and details.last_market["step"] == 1


def test_t_interval_is_the_sweeps_interval() -> None:
    """`api.t_interval` is the 95% t interval `load_sweep` reports: 2 ± t(0.975, 2) * 1/√3."""
    interval = api.t_interval([1.0, 2.0, 3.0])
    assert interval.mean == 2.0
    assert interval.half_width == pytest.approx(4.302653 / 3**0.5, rel=1e-6)
