"""`sim validate`: targets measured as documented, exit status 0 only when every target passes."""

import json
import re
import sqlite3
from pathlib import Path

import pytest
import tomli_w
import yaml
from sim_cli import sim

from experiments.targets import load_targets
from runs.load import list_runs, open_store


def test_sim_validate_stores_tagged_runs_and_exits_1_when_a_target_fails(tmp_path: Path) -> None:
    """Two seeds give two stored runs tagged 'validation', and exit 1 exactly when one fails.

    The JSON lists every target of targets.toml, in order.
    """
    db = str(tmp_path / "runs.db")
    result = sim("validate", "--seeds", "2", "--developers", "500", "--db", db, "--json")
    assert result.exit_code in (0, 1), result.output
    out = json.loads(result.stdout)
    assert [row["id"] for row in out["targets"]] == [t.id for t in load_targets()]
    assert out["passed"] == all(row["passed"] for row in out["targets"])
    assert result.exit_code == (0 if out["passed"] else 1)
    runs = list_runs(open_store(db))
    assert sorted(runs["name"]) == ["validation/baseline/seed-1", "validation/baseline/seed-2"]
    with sqlite3.connect(db) as connection:
        tags = [json.loads(row[0]) for row in connection.execute("SELECT tags FROM runs")]
    assert tags == [["validation"], ["validation"]]


def checks_file(tmp_path: Path, window: str, **changes: object) -> Path:
    """A dynamics checks file over ``window``: the packaged thresholds, changed by ``changes``."""
    settings = {
        "window": window,
        "min_token_share": 0.01,
        "low_utilisation": 0.3,
        "max_low_utilisation_months": 3,
        "max_markup_bound_months": 6,
        **changes,
    }
    path = tmp_path / "checks.toml"
    path.write_text(tomli_w.dumps(settings))
    return path


def validate_against(tmp_path: Path, file_name: str, text: str, *options: str):
    """`sim validate --targets FILE` on one small seed, FILE holding ``text``."""
    path = tmp_path / file_name
    path.write_text(text)
    return sim(
        "validate",
        "--targets",
        str(path),
        "--seeds",
        "1",
        "--developers",
        "500",
        "--db",
        str(tmp_path / "runs.db"),
        *options,
    )


ANY_RUN_PASSES = (
    '[[targets]]\nid = "M1"\nobservable = "Chinese share, routed"\n'
    'population = "routed"\nmeasure = "token_share"\nproviders = "CN"\n'
    'window = "2024-02..2024-03"\ntarget = 0.5\nlow = 0.0\nhigh = 1.0\n'
)
"""A targets file of one target any run meets."""


def test_sim_validate_exits_0_when_every_target_of_a_targets_file_passes(tmp_path: Path) -> None:
    """`--targets FILE` with one target any run meets: validation passes, exit status 0.

    The dynamics checks look at the same two months (`--checks FILE`), too few to fail.
    """
    checks = checks_file(tmp_path, "2024-02..2024-03")
    result = validate_against(tmp_path, "mine.toml", ANY_RUN_PASSES, "--checks", str(checks))
    assert result.exit_code == 0, result.output
    assert "M1" in result.stdout and "All targets pass." in result.stdout
    assert "All dynamics checks pass." in result.stdout
    runs = list_runs(open_store(str(tmp_path / "runs.db")))
    assert runs["steps_done"].tolist() == [3]  # the run stops at the last month a target needs


def test_sim_validate_prints_the_dynamics_checks_and_the_lab_revenue_tables(
    tmp_path: Path,
) -> None:
    """Under the targets, D1 and D2 with their worst lab and seed; then each lab's revenue.

    Each Chinese lab's API revenue in 2024 and 2025 is beside its report. The run goes to the
    checks' last month (2025-12), past the target's 2024-03. A check that fails (no month may
    be below 100% utilisation) fails the command though every target passes; D2 is given a
    limit no run can exceed, and the revenue table never fails.
    """
    checks = checks_file(
        tmp_path,
        "2024-07..2025-12",
        low_utilisation=1.0,
        max_low_utilisation_months=0,
        max_markup_bound_months=18,
    )
    result = validate_against(tmp_path, "mine.toml", ANY_RUN_PASSES, "--checks", str(checks))
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "All targets pass." in out and "Dynamics failing: D1." in out
    lines = out.splitlines()
    (d1,) = [line for line in lines if line.startswith("D1 ")]
    assert "below 100% utilisation" in d1 and "seed 1" in d1 and "18 months" in d1
    assert "2024-07..2025-12" in d1 and "at most 0 months" in d1 and d1.endswith("FAIL")
    (d2,) = [line for line in lines if line.startswith("D2 ")]
    assert "markup_min" in d2 and "at most 18 months" in d2 and d2.endswith("pass")
    zhipu = [line for line in lines if line.startswith("Zhipu ")]
    assert [line.split()[1] for line in zhipu] == ["2024", "2025"]
    assert "$5.4m to $7.6m" in zhipu[0] and "HKEX prospectus 2025-12-19" in zhipu[0]
    assert re.search(r"Zhipu +2024 +\$\d", zhipu[0])  # a simulated figure in USD
    assert any(line.startswith("all Chinese labs  2025") for line in lines)
    runs = list_runs(open_store(str(tmp_path / "runs.db")))
    assert runs["steps_done"].tolist() == [24]  # to the checks' last month, 2025-12


def test_sim_validate_json_holds_the_dynamics_checks_and_lab_revenue(tmp_path: Path) -> None:
    """`--json` has the checks, their per-lab detail and the revenue rows.

    Limits no run can exceed pass, and with them the command (exit status 0).
    """
    checks = checks_file(
        tmp_path, "2024-07..2025-12", max_low_utilisation_months=18, max_markup_bound_months=18
    )
    result = validate_against(
        tmp_path, "mine.toml", ANY_RUN_PASSES, "--checks", str(checks), "--json"
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["passed"] is True
    assert [(row["id"], row["passed"]) for row in out["dynamics"]] == [("D1", True), ("D2", True)]
    assert {row["check"] for row in out["dynamics_detail"]} == {"D1", "D2"}
    assert {row["seed"] for row in out["dynamics_detail"]} == {1}
    revenue = {(row["lab"], row["year"]): row for row in out["lab_revenue"]}
    assert revenue[("MiniMax", 2025)]["high_usd"] == 26.0e6
    assert isinstance(revenue[("MiniMax", 2025)]["simulated"], float)


def test_a_failing_target_is_named_with_its_note(tmp_path: Path) -> None:
    """A target no run can meet (YAML file) fails with exit status 1, and its note says why."""
    result = validate_against(
        tmp_path,
        "mine.yaml",
        "targets:\n  - {id: X, observable: x, population: routed, measure: token_share,\n"
        "     providers: CN, window: 2024-03, target: 2.0, low: 1.5, high: 2.5,\n"
        "     note: shares cannot exceed one}\n",
    )
    assert result.exit_code == 1, result.output
    assert "Failing: X." in result.stdout and "X: shares cannot exceed one" in result.stdout


GOOD = {
    "id": "M1",
    "observable": "x",
    "population": "routed",
    "measure": "token_share",
    "providers": "CN",
    "window": "2024-03",
    "target": 0.5,
    "low": 0.0,
    "high": 1.0,
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"providers": "Antropic"},
            ["targets[0] (M1).providers", "unknown providers 'Antropic'", "Anthropic"],
        ),
        ({"target": None}, ["targets[0] (M1): a band target needs target"]),
        ({"kind": "mean"}, ["targets[0] (M1).kind", "'band', 'at_most' or 'first_month'"]),
        ({"low": 0.6}, ["low <= target <= high"]),
        ({"window": "March 2024"}, ["targets[0] (M1).window", "YYYY-MM"]),
        ({"colour": "red"}, ["targets[0] (M1).colour", "unknown setting"]),
        ({"window": "2023-06"}, ["2023-06 is before the scenario's start 2024-01"]),
        (
            {"measure": "revenue_per_token_ratio"},
            ["targets[0] (M1): versus: a revenue_per_token_ratio band target"],
        ),
    ],
    ids=["providers", "missing", "kind", "band", "window", "extra", "before-start", "versus"],
)
def test_a_bad_targets_file_is_one_line_naming_file_target_and_key(
    tmp_path: Path, change: dict, expected: list[str]
) -> None:
    """Each mistake in a targets file is one line with exit status 2, and nothing is run."""
    row = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    result = validate_against(tmp_path, "mine.yaml", yaml.safe_dump({"targets": [row]}))
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("Error: ")
    for text in expected:
        assert text in line
    assert not (tmp_path / "runs.db").exists()


def test_a_targets_file_needs_a_list_of_unique_targets(tmp_path: Path) -> None:
    """No `targets` list, or two targets with one id, is refused naming the file."""
    empty = tmp_path / "empty.toml"
    empty.write_text('title = "none"\n')
    twice = tmp_path / "twice.yaml"
    twice.write_text(yaml.safe_dump({"targets": [GOOD, GOOD]}))
    for path, text in (
        (empty, "expected a non-empty list `targets`"),
        (twice, "target ids must be unique"),
    ):
        result = sim("validate", "--targets", str(path), "--db", str(tmp_path / "runs.db"))
        assert result.exit_code == 2 and str(path) in result.stderr and text in result.stderr


def test_a_bad_checks_file_is_one_line_and_nothing_is_run(tmp_path: Path) -> None:
    """An exemption for a lab not in the roster is refused naming the file: exit status 2."""
    checks = checks_file(tmp_path, "2024-07..2027-12", markup_bound_sources={"Zhupi": "x"})
    result = validate_against(tmp_path, "mine.toml", ANY_RUN_PASSES, "--checks", str(checks))
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert line.startswith(f"Error: checks file {checks}: markup_bound_sources")
    assert "unknown lab 'Zhupi'" in line and "\n" not in line
    assert not (tmp_path / "runs.db").exists()
