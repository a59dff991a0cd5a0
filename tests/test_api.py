"""The public Python API: the interfaces use only it, and its calls give what the CLI gives."""

import ast
import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from sim_cli import sim

from interfaces import api

ROOT = Path(__file__).parent.parent
INTERFACE_MODULES = sorted([*(ROOT / "interfaces" / "cli").glob("*.py"),
                            *(ROOT / "interfaces" / "dashboard").glob("*.py")])
ALLOWED = ("interfaces.api", "interfaces.cli", "interfaces.dashboard", "interfaces.plot",
           "interfaces.formatting", "vocabulary")
"""What the CLI and the dashboard may import from the project (besides libraries)."""
PROJECT = ("simulator", "agents", "policies", "runs", "experiments", "interfaces", "vocabulary")


def project_imports(source: str) -> list[str]:
    """Every module of the project that ``source`` imports, at any depth of the code.

    ``from interfaces import api`` counts as ``interfaces.api``.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [f"{node.module}.{alias.name}" if node.module == "interfaces"
                      else node.module for alias in node.names]
    return [name for name in found if name.split(".")[0] in PROJECT]


def allowed(name: str) -> bool:
    """Whether an interface module may import project module ``name``."""
    return any(name == prefix or name.startswith(prefix + ".") for prefix in ALLOWED)


@pytest.mark.parametrize("path", INTERFACE_MODULES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_cli_and_dashboard_import_only_the_public_api(path: Path) -> None:
    """A CLI or dashboard module reaches the model, storage and experiments only via the API.

    Its project imports are ``interfaces.api``, ``vocabulary`` and the interfaces' own modules.
    """
    wrong = [name for name in project_imports(path.read_text()) if not allowed(name)]
    assert wrong == []


def test_the_import_check_catches_a_direct_import() -> None:
    """The check above fails for a module that imports storage directly."""
    assert [n for n in project_imports("from runs.load import load_run\nfrom interfaces "
                                       "import api\n") if not allowed(n)] == ["runs.load"]


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")),
                         ids=lambda p: p.stem)
def test_notebooks_import_only_the_public_api(path: Path) -> None:
    """The notebooks' only project import is the public API."""
    code = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells
                     if cell.cell_type == "code")
    code = "\n".join(line for line in code.splitlines() if not line.startswith("%"))
    assert set(project_imports(code)) == {"interfaces.api"}


TARGET = ('[[targets]]\nid = "M1"\nobservable = "Chinese share, global"\nkind = "value"\n'
          'metric = "cn_share_global"\nmonth = "2024-04"\ntarget = 0.5\nlow = 0.0\nhigh = 1.0\n')


def test_validate_in_parallel_stores_each_seed_as_run_would(tmp_path: Path) -> None:
    """Seeds run on two workers are stored as `api.run` would store each one.

    In seed order, named and tagged as `sim validate` names them, with the digest `api.run`
    gives each seed, and measured on their mean.
    """
    targets = tmp_path / "targets.toml"
    targets.write_text(TARGET)
    db = str(tmp_path / "runs.db")
    report = api.validate("baseline", seeds=3, developers=300, targets=targets, workers=2,
                          db=db)
    store = api.open_store(db)
    runs = store.runs().sort_index()
    assert list(runs.index) == list(report.run_ids)
    assert list(runs["name"]) == [f"validation/baseline/seed-{s}" for s in (1, 2, 3)]
    assert all(tags == ["validation"] for tags in runs["tags"])
    alone = [api.run(report.scenario, seed=seed, db=str(tmp_path / "alone.db")).digest
             for seed in (1, 2, 3)]
    assert list(runs["digest"]) == alone
    shares = [store.run(run_id).market_steps.loc[pd.Period("2024-04", "M"), "cn_share_global"]
              for run_id in report.run_ids]
    (row,) = report.results
    assert row["simulated"] == pytest.approx(sum(shares) / 3)
    assert report.passed


def test_runs_are_read_one_way_with_parsed_times(tmp_path: Path) -> None:
    """The store's listing gives Timestamps, and `sim runs list --json` prints the same times."""
    db = str(tmp_path / "runs.db")
    result = api.run(policies=["export_ban"], developers=200, steps=2, seed=3, tags=("a",),
                     db=db)
    listed = api.open_store(db).runs()
    assert isinstance(listed.loc[result.run_id, "created_at"], pd.Timestamp)
    assert listed.loc[result.run_id, "name"] == "export_ban"  # named as `sim run` names it
    printed = json.loads(sim("runs", "list", "--db", db, "--json").stdout)
    assert printed[0]["created_at"] == listed.loc[result.run_id, "created_at"].isoformat(
        timespec="seconds")
    assert printed[0]["policies"] == ["export_ban"] and printed[0]["tags"] == ["a"]
    details = api.open_store(db).details(result.run_id)
    assert details.rows["market_steps"] == 2 and details.last_market["step"] == 1


def test_t_interval_is_the_sweeps_interval() -> None:
    """`api.t_interval` is the 95% t interval `load_sweep` reports: 2 ± t(0.975, 2) * 1/√3."""
    interval = api.t_interval([1.0, 2.0, 3.0])
    assert interval.mean == 2.0
    assert interval.half_width == pytest.approx(4.302653 / 3**0.5, rel=1e-6)
