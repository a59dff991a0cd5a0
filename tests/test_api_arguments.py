"""The Python API's answer to a wrong argument: ``api.InputError``, one line naming it.

A notebook can pass anything; what it gets back for a wrong type, an empty list or a string
where a list belongs is the same kind of error as the ``sim`` command's (never a TypeError from
deep inside pandas, nor a policy named ``e`` or three tags ``a``, ``b``, ``c``), and nothing
is stored.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sim_cli import sim

from interfaces import api

TINY = {"developers": 100, "steps": 1}
SIZE = ("--developers", "100", "--steps", "1")


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding one tiny run."""
    db = tmp_path_factory.mktemp("arguments") / "runs.db"
    api.run(db=str(db), **TINY)
    return db


CASES: list[Any] = [
    pytest.param(lambda db: api.run(seed=1.5, db=db, **TINY), "seed", id="run-seed-float"),
    pytest.param(lambda db: api.run(db=5, **TINY), "db=5", id="run-db-int"),
    pytest.param(lambda db: api.open_store(42), "db=42", id="open-store-int"),
    pytest.param(lambda db: api.load_run("1", db=db), "run id '1'", id="load-run-text"),
    pytest.param(lambda db: api.load_run(1.0, db=db), "run id 1.0", id="load-run-float"),
    pytest.param(lambda db: api.compare([], db=db), "run_ids=[]", id="compare-none"),
    pytest.param(lambda db: api.compare(1, db=db), "run_ids=1", id="compare-one-id"),
    pytest.param(lambda db: api.compare([1], at="2024-01", db=db), "at=", id="compare-at-text"),
    pytest.param(
        lambda db: api.compare([1], metrics="cn_share", db=db),
        "metrics=",
        id="compare-metrics-text",
    ),
    pytest.param(lambda db: api.open_store(db).compare([]), "run_ids=[]", id="store-compare-none"),
    pytest.param(lambda db: api.validate(seeds=0, db=db), "seeds=0", id="validate-no-seeds"),
    pytest.param(lambda db: api.validate(seeds=2.5, db=db), "seeds=2.5", id="validate-seeds-float"),
    pytest.param(lambda db: api.calibrate(trials=0, db=db), "trials=0", id="calibrate-no-trials"),
    pytest.param(
        lambda db: api.run(policies="export_ban", db=db, **TINY),
        "policies=",
        id="run-policies-text",
    ),
    pytest.param(
        lambda db: api.scenario(policies="export_ban"), "policies=", id="scenario-policies-text"
    ),
    pytest.param(
        lambda db: api.run(settings="smuggling.leakage=0.3", db=db, **TINY),
        "settings=",
        id="run-settings-text",
    ),
    pytest.param(lambda db: api.run(tags="abc", db=db, **TINY), "tags=", id="run-tags-text"),
    pytest.param(lambda db: api.run(tags=[1], db=db, **TINY), "tags", id="run-tags-numbers"),
    pytest.param(lambda db: api.sweep(grid={}, db=db, **TINY), "grid={}", id="sweep-empty-grid"),
    pytest.param(
        lambda db: api.sweep(workers=0, seeds=1, db=db, **TINY),
        "--workers 0",
        id="sweep-no-workers",
    ),
]


@pytest.mark.parametrize(("call", "named"), CASES)
def test_a_wrong_argument_is_one_input_error_naming_it(
    call: Callable[[str], object], named: str, stored: Path
) -> None:
    """``api.InputError`` with one line that names the argument; the store keeps what it had."""
    before = api.open_store(str(stored)).runs()
    with pytest.raises(api.InputError) as raised:
        call(str(stored))
    message = str(raised.value)
    assert "\n" not in message and named in message, message
    assert api.open_store(str(stored)).runs().equals(before)
    assert api.open_store(str(stored)).sweeps().empty


def test_a_sweep_without_a_grid_is_still_one_point(tmp_path: Path) -> None:
    """Leaving the grid out (``sim sweep`` without ``--grid``) still runs one point over seeds."""
    db = tmp_path / "runs.db"
    result = sim("sweep", "--seeds", "2", "--workers", "1", "--json", "--db", str(db), *SIZE)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.splitlines()[-1])
    assert (report["planned"], report["finished"]) == (2, 2)
