"""`sim validate`: targets measured as documented, exit status 0 only when every target passes."""

import json
import sqlite3
from pathlib import Path

import pytest
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


def validate_against(tmp_path: Path, file_name: str, text: str):
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
    )


def test_sim_validate_exits_0_when_every_target_of_a_targets_file_passes(tmp_path: Path) -> None:
    """`--targets FILE` with one target any run meets: validation passes, exit status 0."""
    result = validate_against(
        tmp_path,
        "mine.toml",
        '[[targets]]\nid = "M1"\nobservable = "Chinese share, routed"\n'
        'population = "routed"\nmeasure = "token_share"\nproviders = "CN"\n'
        'window = "2024-02..2024-03"\ntarget = 0.5\nlow = 0.0\nhigh = 1.0\n',
    )
    assert result.exit_code == 0, result.output
    assert "M1" in result.stdout and "All targets pass." in result.stdout
    runs = list_runs(open_store(str(tmp_path / "runs.db")))
    assert runs["steps_done"].tolist() == [3]  # the run stops at the last month a target needs


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
