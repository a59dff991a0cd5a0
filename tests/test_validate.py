"""`sim validate`: targets measured as documented, exit status 0 only when every target passes."""

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from runs.load import list_runs, open_store
from simulator.calibration import Target, evaluate, load_targets
from simulator.cli import cli


def sim(*args: str):
    """Invoke ``sim`` in-process; exceptions are caught so a crash shows as a failed assert."""
    return CliRunner().invoke(cli, list(args), prog_name="sim")


HISTORY = pd.DataFrame({"share": [0.1, 0.4, 0.6], "price_us": [10.0, 8.0, 6.0],
                        "price_cn": [1.0, 0.5, 0.4], "tokens": [2.0, 8.0, 20.0]},
                       index=["2025-01", "2025-02", "2025-03"])


def target(**fields) -> Target:
    """A target with a placeholder id, observable and source."""
    return Target(id="X", observable="x", source="test", **fields)


def test_each_kind_of_target_measures_what_targets_toml_says() -> None:
    """Each kind of target reads the history as simulator/data/targets.toml describes.

    value: the month's metric; ratio: over its denominator; growth: over `from_month`;
    first_month: the first month above the threshold, NaN if it never gets there.
    """
    assert target(kind="value", metric="share", month="2025-02").measure(HISTORY) == 0.4
    ratio = target(kind="ratio", metric="price_us", denominator="price_cn", month="2025-02")
    assert ratio.measure(HISTORY) == 16.0
    growth = target(kind="growth", metric="tokens", from_month="2025-01", month="2025-03")
    assert growth.measure(HISTORY) == 10.0
    crossing = target(kind="first_month", metric="share", threshold=0.5)
    assert crossing.format_value(crossing.measure(HISTORY)) == "2025-03"
    never = target(kind="first_month", metric="share", threshold=0.9)
    assert np.isnan(never.measure(HISTORY))


def test_a_target_passes_on_the_mean_over_runs_within_its_band() -> None:
    """Runs at 0.3 and 0.5 average 0.4: inside 0.35-0.45 passes; inside 0.45-0.6 does not."""
    other = HISTORY.assign(share=[0.1, 0.2, 0.6])
    inside = target(kind="value", metric="share", month="2025-02", target=0.4, low=0.35,
                    high=0.45)
    outside = target(kind="value", metric="share", month="2025-02", target=0.5, low=0.45,
                     high=0.6)
    runs = [HISTORY.assign(share=[0.1, 0.5, 0.6]), other.assign(share=[0.1, 0.3, 0.6])]
    passed, failed = evaluate([inside, outside], runs)
    assert passed["simulated"] == pytest.approx(0.4) and passed["passed"]
    assert not failed["passed"]
    assert passed["spread"] == pytest.approx(0.1)


def test_a_crossing_that_never_happens_fails_as_never() -> None:
    """A first-month target no run reaches is 'never', and fails."""
    (row,) = evaluate([target(kind="first_month", metric="share", threshold=0.9,
                              target_month="2025-02", low_month="2025-01",
                              high_month="2025-03")], [HISTORY])
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


def test_sim_validate_exits_0_when_every_target_passes(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """With one target whose band any run meets, validation passes with exit status 0."""
    easy = target(kind="value", metric="cn_share_global", month="2024-03", target=0.5, low=0.0,
                  high=1.0)
    monkeypatch.setattr("simulator.cli.validate.load_targets", lambda: [easy])
    result = sim("validate", "--seeds", "1", "--developers", "500",
                 "--db", str(tmp_path / "runs.db"))
    assert result.exit_code == 0, result.output
    assert "All targets pass." in result.stdout


def test_a_failing_target_is_named_with_its_note(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A target no run can meet fails with exit status 1, and its note says why."""
    impossible = target(kind="value", metric="cn_share_global", month="2024-03", target=2.0,
                        low=1.5, high=2.5, note="shares cannot exceed one")
    monkeypatch.setattr("simulator.cli.validate.load_targets", lambda: [impossible])
    result = sim("validate", "--seeds", "1", "--developers", "500",
                 "--db", str(tmp_path / "runs.db"))
    assert result.exit_code == 1, result.output
    assert "Failing: X." in result.stdout and "X: shares cannot exceed one" in result.stdout
