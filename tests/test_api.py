"""The public Python API: its calls give what the CLI gives.

Who may import what (the CLI, dashboard and notebooks only the API) is tests/test_layers.py.
"""

import importlib
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from sim_cli import sim

from experiments.validation import RESULT_COLUMNS
from interfaces import api

TARGET = (
    '[[targets]]\nid = "M1"\nobservable = "Chinese share, outside China"\n'
    'population = "outside_china"\nmeasure = "token_share"\nproviders = "CN"\n'
    'window = "2024-04"\ntarget = 0.5\nlow = 0.0\nhigh = 1.0\n'
)

CHECKS = (
    'window = "2024-02..2024-04"\nmin_token_share = 0.01\nlow_utilisation = 0.3\n'
    "max_low_utilisation_months = 3\nmax_markup_bound_months = 6\n"
)
"""Dynamics checks over three months: no run of more than three months can fail them."""


def test_validate_in_parallel_stores_each_seed_as_run_would(tmp_path: Path) -> None:
    """Seeds run on two workers are stored as `api.run` would store each one.

    In seed order, named and tagged as `sim validate` names them, with the digest `api.run`
    gives each seed, and measured on their mean. The dynamics checks look at the target's
    months alone, too few to fail.
    """
    targets = tmp_path / "targets.toml"
    targets.write_text(TARGET)
    checks = tmp_path / "checks.toml"
    checks.write_text(CHECKS)
    db = str(tmp_path / "runs.db")
    report = api.validate(
        "baseline", seeds=3, developers=300, targets=targets, checks=checks, workers=2, db=db
    )
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
    assert isinstance(report.results, pd.DataFrame)
    assert list(report.results.columns) == list(RESULT_COLUMNS)
    (row,) = report.results.itertuples(index=False)
    assert (row.id, row.window, row.target, row.low, row.high) == ("M1", "2024-04", 0.5, 0, 1)
    assert row.simulated == pytest.approx(sum(shares) / 3)
    assert row.passed and report.passed
    assert list(report.dynamics["id"]) == ["D1", "D2"] and report.dynamics_passed


def test_validate_results_are_the_table_sim_validate_prints(tmp_path: Path) -> None:
    """`results` is a DataFrame, one row per target in the file's order; `sim validate` shows it.

    Its ``--json`` prints the same rows (NaN as null), its table the same pass or fail.
    """
    targets = tmp_path / "targets.toml"
    failing = TARGET.replace('"M1"', '"M2"').replace(
        "target = 0.5\nlow = 0.0", "target = 0.95\nlow = 0.9"
    )
    targets.write_text(TARGET + failing)
    report = api.validate(
        "baseline", seeds=1, developers=200, targets=targets, db=str(tmp_path / "a.db")
    )
    assert list(report.results["id"]) == ["M1", "M2"]
    assert list(report.results["passed"]) == [True, False] and report.passed is False
    cli = ("validate", "--seeds", "1", "--developers", "200", "--targets", str(targets))
    printed = sim(*cli, "--db", str(tmp_path / "b.db"), "--json")
    assert printed.exit_code == 1
    rows = [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in report.results.to_dict("records")
    ]
    assert json.loads(printed.stdout)["targets"] == json.loads(json.dumps(rows))
    table = sim(*cli, "--db", str(tmp_path / "c.db"))
    assert table.exit_code == 1 and "Failing: M2." in table.stdout


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


def test_run_uses_seed_1_unless_asked_to_draw_one(tmp_path: Path) -> None:
    """`api.run()` is seed 1, like `sim run`; `seed="random"` draws one, kept in the result.

    The drawn seed is the one stored, and running with it repeats the history. Anything but a
    seed from 0 to 2**63-1 or "random" is refused before anything is stored.
    """
    db = str(tmp_path / "runs.db")
    tiny = {"developers": 200, "steps": 2, "db": db}
    default, one = api.run(**tiny), api.run(seed=api.DEFAULT_SEED, **tiny)
    assert default.seed == one.seed == 1 and default.digest == one.digest
    drawn = api.run(seed=api.RANDOM_SEED, **tiny)
    assert api.load_run(drawn.run_id, db).seed == drawn.seed
    assert api.run(seed=drawn.seed, **tiny).digest == drawn.digest
    for bad in (None, -1, api.MAX_SEED + 1, 1.5, True, "7"):
        with pytest.raises(api.InputError, match="expected a whole number from 0 to"):
            api.run(seed=bad, developers=200, steps=2, db=str(tmp_path / "bad.db"))
    assert not (tmp_path / "bad.db").exists()


def test_the_api_gathers_its_parts_and_keeps_every_name() -> None:
    """`interfaces.api` re-exports the names of `interfaces.public`'s modules, and only those.

    Every name of ``__all__`` resolves, from the part it lives in; the lazily imported names
    and the names of the layers below that the module held before it was split still do.
    """
    parts = [
        importlib.import_module(f"interfaces.public.{name}")
        for name in (
            "scenarios",
            "databases",
            "stored_runs",
            "running",
            "sweeps",
            "effects",
            "calibration",
            "store",
        )
    ]
    offered = {name for part in parts for name in part.__all__}
    assert offered | {"InputError", "__version__"} == set(api.__all__)
    for part in parts:
        for name in part.__all__:
            assert getattr(api, name) is getattr(part, name), name
    for name in (
        *api._LAZY,
        "Store",
        "InputError",
        "__version__",
        "mask_credentials",
        "history_figure",
        "monthly_means",
    ):
        assert getattr(api, name) is not None, name
    assert set(dir(api)) >= set(api.__all__) | set(api._LAZY)
