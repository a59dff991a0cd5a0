"""`sim validate`: targets measured as documented, exit status 0 only when every target passes."""

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sim_cli import sim

from experiments.validation import Target, evaluate, load_targets
from runs.load import list_runs, open_store

HISTORY = pd.DataFrame(
    {
        "cn_share_global": [0.1, 0.4, 0.6],
        "price_us": [10.0, 8.0, 6.0],
        "price_cn": [1.0, 0.5, 0.4],
        "tokens_china": [2.0, 8.0, 20.0],
    },
    index=["2025-01", "2025-02", "2025-03"],
)
BAND = {"target": 1.0, "low": 0.0, "high": 100.0}
MONTHS = {"target_month": "2025-02", "low_month": "2025-01", "high_month": "2025-03"}


def target(**fields) -> Target:
    """A target with a placeholder id, observable and source."""
    return Target(id="X", observable="x", source="test", **fields)


def test_each_kind_of_target_measures_what_targets_toml_says() -> None:
    """Each kind of target reads the history as simulator/data/targets.toml describes.

    value: the month's metric; ratio: over its denominator; growth: over `from_month`;
    first_month: the first month above the threshold, NaN if it never gets there.
    """
    value = target(kind="value", metric="cn_share_global", month="2025-02", **BAND)
    assert value.measure(HISTORY) == 0.4
    ratio = target(kind="ratio", metric="price_us", denominator="price_cn", month="2025-02", **BAND)
    assert ratio.measure(HISTORY) == 16.0
    growth = target(
        kind="growth", metric="tokens_china", from_month="2025-01", month="2025-03", **BAND
    )
    assert growth.measure(HISTORY) == 10.0
    crossing = target(kind="first_month", metric="cn_share_global", threshold=0.5, **MONTHS)
    assert crossing.format_value(crossing.measure(HISTORY)) == "2025-03"
    never = target(kind="first_month", metric="cn_share_global", threshold=0.9, **MONTHS)
    assert np.isnan(never.measure(HISTORY))


def test_a_target_passes_on_the_mean_over_runs_within_its_band() -> None:
    """Runs at 0.3 and 0.5 average 0.4: inside 0.35-0.45 passes; inside 0.45-0.6 does not."""
    inside = target(
        kind="value", metric="cn_share_global", month="2025-02", target=0.4, low=0.35, high=0.45
    )
    outside = target(
        kind="value", metric="cn_share_global", month="2025-02", target=0.5, low=0.45, high=0.6
    )
    runs = [
        HISTORY.assign(cn_share_global=[0.1, 0.5, 0.6]),
        HISTORY.assign(cn_share_global=[0.1, 0.3, 0.6]),
    ]
    passed, failed = evaluate([inside, outside], runs)
    assert passed["simulated"] == pytest.approx(0.4) and passed["passed"]
    assert not failed["passed"]
    assert passed["spread"] == pytest.approx(0.1)


def test_a_crossing_that_never_happens_fails_as_never() -> None:
    """A first-month target no run reaches is 'never', and fails."""
    (row,) = evaluate(
        [target(kind="first_month", metric="cn_share_global", threshold=0.9, **MONTHS)], [HISTORY]
    )
    assert row["simulated_text"] == "never" and not row["passed"]


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
        '[[targets]]\nid = "M1"\nobservable = "Chinese share, global"\n'
        'kind = "value"\nmetric = "cn_share_global"\nmonth = "2024-03"\n'
        "target = 0.5\nlow = 0.0\nhigh = 1.0\n",
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
        "targets:\n  - {id: X, observable: x, kind: value, metric: cn_share_global,\n"
        "     month: 2024-03, target: 2.0, low: 1.5, high: 2.5,\n"
        "     note: shares cannot exceed one}\n",
    )
    assert result.exit_code == 1, result.output
    assert "Failing: X." in result.stdout and "X: shares cannot exceed one" in result.stdout


GOOD = {
    "id": "M1",
    "observable": "x",
    "kind": "value",
    "metric": "cn_share_global",
    "month": "2024-03",
    "target": 0.5,
    "low": 0.0,
    "high": 1.0,
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"metric": "cn_shares"},
            ["targets[0] (M1).metric", "unknown metric 'cn_shares'", "cn_share_global"],
        ),
        ({"target": None}, ["a value target needs target"]),
        ({"kind": "mean"}, ["targets[0] (M1).kind", "'value', 'ratio', 'growth' or 'first_month'"]),
        ({"low": 0.6}, ["low <= target <= high"]),
        ({"month": "March 2024"}, ["targets[0] (M1).month", "YYYY-MM"]),
        ({"colour": "red"}, ["targets[0] (M1).colour", "unknown setting"]),
        ({"month": "2023-06"}, ["2023-06 is before the scenario's start 2024-01"]),
    ],
    ids=["metric", "missing", "kind", "band", "month", "extra", "before-start"],
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
