"""`sim calibrate`: a real search within the sourced ranges, stored, resumable, never worse."""

import json
import sqlite3
from pathlib import Path

import pytest
import tomli_w
from backends import Backend
from click.testing import Result
from sim_cli import sim

from experiments.calibration import best_of, objective
from experiments.calibration_space import load_space
from runs.calibrations import StoredTrial
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario
from scenario.sections import ChoiceParams

SHORT_TARGETS = {
    "targets": [
        {
            "id": "S1",
            "observable": "Chinese providers' share of routed tokens",
            "population": "routed",
            "measure": "token_share",
            "providers": "CN",
            "window": "2024-06",
            "target": 0.02,
            "low": 0.0,
            "high": 0.04,
            "source": "test",
        },
        {
            "id": "S2",
            "observable": "revenue per routed token, US / Chinese providers",
            "population": "routed",
            "measure": "revenue_per_token_ratio",
            "providers": "US",
            "versus": "CN",
            "window": "2024-04..2024-06",
            "target": 20.0,
            "low": 15.0,
            "high": 25.0,
            "source": "test",
        },
    ]
}
"""Two targets six months in, so a trial is a few short runs."""
SMALL_SPACE = {
    "parameters": [
        {"key": "choice.quality_weight", "low": 4.0, "high": 12.0, "log": True, "source": "t"},
        {"key": "supply.markup_response", "low": 0.05, "high": 0.5, "source": "test"},
    ]
}


def write(path: Path, data: dict) -> str:
    """Write ``data`` as TOML to ``path``; the path as text."""
    path.write_bytes(tomli_w.dumps(data).encode())
    return str(path)


def calibrate(folder: Path, db: str, trials: int, *extra: str) -> Result:
    """``sim calibrate --json`` of the short targets and small space, small and seeded."""
    return sim(
        "calibrate",
        "--trials",
        str(trials),
        "--seeds",
        "2",
        "--developers",
        "500",
        "--workers",
        "1",
        "--targets",
        write(folder / "targets.toml", SHORT_TARGETS),
        "--space",
        write(folder / "space.toml", SMALL_SPACE),
        "--db",
        db,
        "--json",
        *extra,
    )


def test_a_calibration_stores_its_trials_resumes_and_writes_a_runnable_scenario(
    backend: Backend,
) -> None:
    """Three trials, then a rerun up to five: the first two sessions' trials are kept.

    The first trial measures the scenario's own values, so the best loss is never worse than
    the defaults'; the written scenario holds the best trial's values and runs.
    """
    out = backend.folder / "calibrated.toml"
    first = calibrate(backend.folder, backend.url, 3, "--out", str(out))
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["trials"] == 3
    assert report["best_loss"] <= report["default_loss"]
    assert backend.query("SELECT count(*) FROM calibration_trials") == [(3,)]

    again = calibrate(backend.folder, backend.url, 5, "--out", str(out), "--force")
    assert again.exit_code == 0, again.output
    resumed = json.loads(again.stdout)
    assert resumed["calibration_id"] == report["calibration_id"] and resumed["trials"] == 5
    assert resumed["default_loss"] == report["default_loss"]
    assert resumed["best_loss"] <= report["best_loss"]
    assert backend.query("SELECT count(*) FROM calibration_trials") == [(5,)]

    scenario = load_scenario(str(out))
    best = {row["parameter"]: row["calibrated"] for row in resumed["parameters"]}
    assert scenario.choice.quality_weight == pytest.approx(best["choice.quality_weight"])
    assert scenario.supply.markup_response == pytest.approx(best["supply.markup_response"])
    assert "# Loss: defaults" in out.read_text()
    run = sim(
        "run",
        "--scenario",
        str(out),
        "--steps",
        "2",
        "--developers",
        "300",
        "--db",
        str(backend.folder / "check.db"),
    )
    assert run.exit_code == 0, run.output


def test_a_calibration_says_its_cost_up_front_and_its_progress_in_a_log(tmp_path: Path) -> None:
    """Not on a terminal, standard error gets an estimate first, then a line as trials finish.

    A calibration left running under nohup or in CI otherwise says nothing for hours.
    """
    db = str(tmp_path / "runs.db")
    result = calibrate(tmp_path, db, 3, "--out", str(tmp_path / "c.toml"))
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert "3 trials to do, 6 runs of 2 seeds each, estimated about" in lines[0]
    progress = [line for line in lines if line.startswith("calibrating: ")]
    assert [line.split(",")[0] for line in progress] == [
        f"calibrating: {n}/3 trials" for n in (1, 2, 3)
    ]
    assert "best loss" in progress[0] and progress[-1].endswith("all done")
    assert json.loads(result.stdout)["trials"] == 3  # standard output: the report alone

    again = calibrate(tmp_path, db, 4, "--out", str(tmp_path / "c.toml"), "--force")
    assert "1 trial to do (of 4; the rest were done before), 2 runs" in again.stderr.splitlines()[0]


def test_every_trial_stays_within_the_ranges(tmp_path: Path) -> None:
    """No trial's values leave the tuning space: calibration never forces a target."""
    result = calibrate(tmp_path, str(tmp_path / "runs.db"), 4, "--out", str(tmp_path / "o.toml"))
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "runs.db") as connection:
        params = [
            json.loads(row[0])
            for row in connection.execute("SELECT params FROM calibration_trials")
        ]
    assert len(params) == 4
    for values in params:
        assert 4.0 <= values["choice.quality_weight"] <= 12.0
        assert 0.05 <= values["supply.markup_response"] <= 0.5


@pytest.mark.parametrize(
    ("space", "message"),
    [
        (
            {"parameters": [{"key": "choice.nope", "low": 0, "high": 1, "source": "x"}]},
            "'choice.nope' is not a numeric parameter",
        ),
        (
            {"parameters": [{"key": "choice.quality_weight", "low": 4, "high": 5, "source": "x"}]},
            f"choice.quality_weight = {ChoiceParams().quality_weight:g} (4-5)",
        ),
        (
            {"parameters": [{"key": "choice.quality_weight", "low": 5, "high": 4, "source": "x"}]},
            "low (5.0) must be below high (4.0)",
        ),
        (
            {
                "parameters": [
                    {"key": "choice.reconsider_rate.indie", "low": 0.1, "high": 2, "source": "x"}
                ]
            },
            "reconsider_rate",
        ),
        ({"parameters": []}, "expected a non-empty list `parameters`"),
    ],
)
def test_a_bad_tuning_space_is_one_line_and_stores_nothing(
    tmp_path: Path, space: dict, message: str
) -> None:
    """Unknown keys, ranges that exclude the scenario's value or that it refuses: exit 2."""
    db = tmp_path / "runs.db"
    out = str(tmp_path / "out.toml")
    space_file = write(tmp_path / "s.toml", space)
    result = sim("calibrate", "--space", space_file, "--out", out, "--db", str(db))
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not db.exists()


def test_an_existing_output_file_is_kept_unless_forced(tmp_path: Path) -> None:
    """--out over an existing file: one line, exit 2, the file and store untouched."""
    out = tmp_path / "mine.toml"
    out.write_text("keep me")
    result = sim("calibrate", "--out", str(out), "--db", str(tmp_path / "runs.db"))
    assert result.exit_code == 2 and "--force" in result.output
    assert out.read_text() == "keep me"


def test_the_packaged_space_holds_the_baseline_and_its_ranges_are_settable() -> None:
    """Every tuned parameter's shipped value lies in its range; the scenario takes both ends."""
    baseline = load_scenario("baseline")
    for parameter in load_space():
        assert parameter.contains(parameter.value_in(baseline)), parameter.key
        for end in (parameter.low, parameter.high):
            resolve_scenario(baseline, settings={parameter.key: end})


def _trial(number: int, loss: float | None, margins: list[float | None]) -> StoredTrial:
    results = [{"id": f"T{i}", "margin": m} for i, m in enumerate(margins)]
    return StoredTrial(number, {}, loss, results, None)


def test_among_trials_that_pass_the_best_is_the_farthest_from_a_band_edge() -> None:
    """A trial with every target well inside its band beats one passing by a hair.

    A trial that fails loses to both whatever its margins; the search is told minus the margin.
    """
    hair = _trial(0, 0.0, [0.30, 0.001])
    central = _trial(1, 0.0, [0.20, 0.15])
    failing = _trial(2, 1.2, [0.4, -0.1])
    assert central.margin == 0.15 and hair.margin == 0.001
    assert best_of([hair, failing, central]) is central
    assert objective(central) == -0.15 and objective(failing) == 1.2


def test_trials_stored_before_margins_were_kept_still_rank_by_loss() -> None:
    """No margin in the stored results: a passing trial counts as on the edge, not an error."""
    old = _trial(0, 0.0, [None, None])
    worse = _trial(1, 2.0, [0.1])
    assert old.margin is None and objective(old) == 0.0
    assert best_of([worse, old]) is old
