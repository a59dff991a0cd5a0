"""`sim calibrate --posterior`: a posterior over the tuned inputs that is stored, resumable, honest.

The model runs here are tiny (100 developers, four months, two targets, two inputs) so that a
posterior of a few hundred simulations trains in seconds; the full-size check of honesty is
``benchmarks/posterior_coverage.py``.
"""

import dataclasses
import json
import math
import os
import signal
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sim_cli import sim
from test_calibration import write

from experiments.calibration import measured_trial, trial_record
from experiments.calibration_space import TunedParameter
from experiments.policy_effects import OUTCOMES, baseline, standard_arms
from experiments.posterior import (
    ERROR_BANDS,
    UNMEASURED_BANDS,
    Network,
    PosteriorSpec,
    run_posterior,
    simulate,
)
from experiments.posterior_effects import parameter_share, plan, summarise
from experiments.sweep_executors import LocalPool
from experiments.sweep_worker import simulate as simulate_task
from experiments.targets import Target
from experiments.validation_runs import validation_scenario
from interfaces.fan_chart import FAN_OUTCOMES, fan_figure
from runs.calibrations import stored_trials
from runs.posteriors import stored_proposals
from runs.store import RunStore
from scenario.files import load_scenario
from scenario.scenario import Scenario
from vocabulary.errors import InputError

TARGETS = {
    "targets": [
        {
            "id": "P1",
            "observable": "Chinese providers' share of routed tokens",
            "population": "routed",
            "measure": "token_share",
            "providers": "CN",
            "window": "2024-04",
            "target": 0.02,
            "low": 0.01,
            "high": 0.03,
            "source": "test",
        },
        {
            "id": "P2",
            "observable": "Chinese providers' share of tokens outside China",
            "population": "outside_china",
            "measure": "token_share",
            "providers": "CN",
            "window": "2024-03..2024-04",
            "kind": "at_most",
            "high": 0.05,
            "source": "test",
        },
        {
            "id": "P3",
            "observable": "US labs' API revenue, annualised",
            "population": "all",
            "measure": "annual_revenue",
            "providers": "US",
            "window": "2024-04",
            "target": 3.5e9,
            "low": 3e9,
            "high": 4e9,
            "source": "test",
        },
    ]
}
"""Three targets four months in: a simulation is one very short run. US revenue grows with the
tokens demanded, so P3 pins ``demand.tokens_per_month_global`` down (the shares barely move
the quality weight at this size)."""
SPACE = (
    TunedParameter(key="choice.quality_weight", low=4.0, high=12.0, log=True, source="test"),
    TunedParameter(
        key="demand.tokens_per_month_global", low=3e13, high=1e14, log=True, source="test"
    ),
)


def small_spec(tmp_path: Path, seed: int = 3, developers: int = 100) -> PosteriorSpec:
    """The tiny posterior of this module."""
    from experiments.targets import load_targets

    targets = load_targets(write(tmp_path / "targets.toml", TARGETS))
    scenario = validation_scenario(load_scenario("baseline"), targets, developers)
    return PosteriorSpec.make(scenario, targets, SPACE, seed)


def interrupt_after(simulations: int) -> Callable[[object], None]:
    """An ``on_simulation`` that sends this process SIGINT once ``simulations`` are stored."""
    seen: list[object] = []

    def count(trial: object) -> None:
        seen.append(trial)
        if len(seen) == simulations:
            os.kill(os.getpid(), signal.SIGINT)

    return count


@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=2))
def test_the_prior_maps_the_unit_cube_onto_each_range_and_back(units: list[float]) -> None:
    """Every draw lies in its range, a log range is uniform in the log, and the map inverts."""
    spec = PosteriorSpec("p", load_scenario("baseline"), (), SPACE, 1)
    values = spec.values(np.array(units))
    for parameter in SPACE:
        assert parameter.low - 1e-9 <= values[parameter.key] <= parameter.high + 1e-9
    assert np.allclose(spec.to_units(values), units)
    middle = spec.values(np.array([0.5, 0.5]))
    assert middle["choice.quality_weight"] == pytest.approx(math.sqrt(4.0 * 12.0))
    assert middle["demand.tokens_per_month_global"] == pytest.approx(math.sqrt(3e13 * 1e14))


def test_the_record_is_each_band_centre_and_a_band_is_four_error_deviations() -> None:
    """A value at the target reads 0, at a symmetric band's edge 2, an unmeasured one far off."""
    band, at_most = (Target.model_validate(t) for t in TARGETS["targets"][:2])
    spec = PosteriorSpec("p", load_scenario("baseline"), (band, at_most), SPACE, 1)
    rows = [{"id": "P1", "simulated": 0.02}, {"id": "P2", "simulated": 0.01}]
    assert spec.statistics(rows) == pytest.approx([0.0, 0.0])
    rows = [{"id": "P1", "simulated": 0.03}, {"id": "P2", "simulated": 0.05 + 0.05 / 4}]
    assert spec.statistics(rows) == pytest.approx([ERROR_BANDS / 2, 1.0])
    rows = [{"id": "P1", "simulated": None}, {"id": "P2", "simulated": float("nan")}]
    assert spec.statistics(rows) == pytest.approx([UNMEASURED_BANDS * ERROR_BANDS] * 2)


def test_a_killed_posterior_resumes_to_the_simulations_an_unbroken_one_makes(
    tmp_path: Path,
) -> None:
    """Interrupted mid-way it keeps what it ran; resumed, its simulations and draws are stored.

    The resumed posterior's simulations are those of one that was never interrupted, value for
    value, and its draws lie inside the prior's ranges.
    """
    spec = small_spec(tmp_path)
    broken = RunStore(str(tmp_path / "broken.db"))
    with LocalPool(1) as pool:
        stopped = run_posterior(broken, spec, 40, 100, pool, on_simulation=interrupt_after(5))
        assert stopped.stopped_by == signal.SIGINT and stopped.fit is None
        assert 5 <= len(stopped.simulations) < 40
        resumed = run_posterior(broken, spec, 40, 100, pool)
        whole = RunStore(str(tmp_path / "whole.db"))
        unbroken = run_posterior(whole, spec, 40, 100, pool)
    assert resumed.stopped_by is None and resumed.fit is not None
    assert resumed.fit.simulations + resumed.fit.failed == 40 and len(resumed.fit.draws) == 100
    assert [(t.number, t.params, t.results) for t in resumed.simulations] == [
        (t.number, t.params, t.results) for t in unbroken.simulations
    ]
    for parameter in SPACE:
        drawn = resumed.fit.draws[parameter.key]
        assert drawn.between(parameter.low, parameter.high).all()


def test_calibration_mode_measures_a_run_as_its_whole_history_does(tmp_path: Path) -> None:
    """A worker measuring its own run sends back what the run's history gives, and no rows."""
    spec = small_spec(tmp_path)
    task = spec.task(0, spec.values(spec.units(0)))
    measured = simulate_task(task)
    whole = simulate_task(dataclasses.replace(task, measure=()))
    assert measured.error is None and measured.measured is not None
    assert not measured.history.market.rows and measured.digest == ""
    assert whole.measured is None and whole.history.market.rows and whole.digest
    assert measured_trial(0, {}, measured.measured) == trial_record(0, {}, spec.targets, [whole])


def test_a_later_round_draws_near_the_record_and_resumes_with_its_stored_inputs(
    tmp_path: Path,
) -> None:
    """Round 1 keeps the prior where round 0's posterior has mass, stored before it runs.

    Killed in round 1, the posterior resumes with the inputs it planned; those inputs are
    narrower than the prior's in the tokens demanded (which P3 pins down); a rerun with another
    round size is refused, since the stored round would not be where it says.
    """
    spec = small_spec(tmp_path)
    store = RunStore(str(tmp_path / "rounds.db"))
    with LocalPool(1) as pool:
        stopped = run_posterior(store, spec, 200, 100, pool, 2, on_simulation=interrupt_after(205))
        assert stopped.stopped_by == signal.SIGINT and len(stopped.simulations) < 400
        planned = stored_proposals(store, stopped.calibration_id)
        assert [(p.number, p.round) for p in planned] == [(n, 1) for n in range(200, 400)]
        resumed = run_posterior(store, spec, 200, 100, pool, 2)
        with pytest.raises(InputError, match="give --simulations 200"):
            run_posterior(store, spec, 150, 100, pool, 2)
    assert resumed.fit is not None and resumed.fit.simulations + resumed.fit.failed == 400
    later = [t for t in resumed.simulations if t.number >= 200]
    assert [t.params for t in later] == [p.params for p in planned]

    def spread(trials: list) -> float:
        return float(np.std(np.log([t.params["demand.tokens_per_month_global"] for t in trials])))

    assert spread(later) < 0.9 * spread([t for t in resumed.simulations if t.number < 200])


def test_the_cli_prints_intervals_and_the_check_and_refuses_point_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One command: intervals, the predictive check, the store, more rounds; --trials refused.

    Training leaves nothing in the working directory (sbi's own logs would go to ./sbi-logs).
    """
    monkeypatch.chdir(tmp_path)
    targets = write(tmp_path / "targets.toml", TARGETS)
    space = write(tmp_path / "space.toml", {"parameters": [p.model_dump() for p in SPACE]})
    args = [
        "calibrate", "--posterior", "--simulations", "30", "--draws", "40", "--check", "4",
        "--developers", "100", "--workers", "1", "--targets", targets, "--space", space,
        "--db", str(tmp_path / "p.db"),
    ]  # fmt: skip
    result = sim(*args, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["fit"]["simulations"] + data["fit"]["failed"] == 30
    assert [row["parameter"] for row in data["parameters"]] == [p.key for p in SPACE]
    assert all(row["p05"] <= row["median"] <= row["p95"] for row in data["parameters"])
    assert [row["id"] for row in data["check"]] == ["P1", "P2", "P3"]
    assert all(row["runs"] == 4 for row in data["check"])
    again = sim(*args)
    assert again.exit_code == 0 and "90% interval" in again.output
    assert "Posterior predictive check" in again.output
    second = json.loads(sim(*args, "--rounds", "2", "--json").output)
    assert (
        second["simulations"] == 60 and second["fit"]["simulations"] + second["fit"]["failed"] == 60
    )
    refused = sim(*args, "--trials", "5")
    assert refused.exit_code == 2 and "--trials is for the point calibration" in refused.output
    stored = RunStore(str(tmp_path / "p.db"))
    assert len(stored_trials(stored, data["calibration_id"])) == 60
    assert not (tmp_path / "sbi-logs").exists()
    effects = sim(
        "effects", "--posterior", str(data["calibration_id"]), "--draws", "2", "--only",
        "leakage-0", "--developers", "100", "--workers", "1", "--db", str(tmp_path / "p.db"),
        "--json", "--plot", str(tmp_path / "fan.png"),
    )  # fmt: skip
    assert effects.exit_code == 0, effects.output
    assert (tmp_path / "fan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = json.loads(effects.stdout)
    assert table["draws"] == 2 and table["seeds"] == 2 and table["runs"] == 2 * 2 * 2
    smuggled = next(r for r in table["effects"] if r["outcome"] == "compute_cn_smuggled")
    # leakage 0: nothing smuggled after the start (the first fleets hold a few such chips)
    assert smuggled["difference"] == pytest.approx(-smuggled["baseline"], rel=0.01)


def test_plot_without_a_posterior_is_a_usage_error(tmp_path: Path) -> None:
    """Fan charts are of a posterior's effects: --plot alone is refused before any run."""
    refused = sim("effects", "--plot", str(tmp_path / "fan.png"), "--db", str(tmp_path / "p.db"))
    assert refused.exit_code == 2 and "add --posterior" in refused.output
    assert not (tmp_path / "fan.png").exists()


def test_effects_by_month_hold_each_month_and_a_fan_figure_draws_them() -> None:
    """Month by month, each month's effects; the last month's are the table's; one fan a panel.

    Twenty draws of two seeds: the comparison's outcome is the baseline's plus the draw's
    number in 2027-11 and plus twice it in 2027-12, so its effect is the mean draw (9.5) and
    twice it, and all of the effect's variance is between draws.
    """
    frames = []
    for month, factor in (("2027-11", 1.0), ("2027-12", 2.0)):
        for arm in ("baseline", "leakage-0"):
            for draw in range(20):
                for seed in (1, 2):
                    shift = factor * draw if arm == "leakage-0" else 0.0
                    values = {outcome: 1.0 + seed + shift for outcome in OUTCOMES}
                    frames.append(
                        {"arm": arm, "draw": draw, "seed": seed, "month": month, **values}
                    )
    runs = pd.DataFrame(frames)
    (arm,) = [a for a in standard_arms(baseline(100, 2)) if a.id == "leakage-0"]
    monthly = summarise(runs, [arm], by_month=True)
    last = summarise(runs, [arm])
    assert sorted(monthly["month"].unique()) == ["2027-11", "2027-12"]
    december = monthly[monthly["month"] == "2027-12"].reset_index(drop=True)
    pd.testing.assert_frame_equal(december, last)
    assert list(monthly.groupby("month")["difference"].first()) == pytest.approx([9.5, 19.0])
    assert (last["parameter_share"] == 1.0).all() and (last["draws"] == 20).all()
    figure = fan_figure(monthly.assign(label="no smuggling"))
    assert len(figure.axes) == 2 * len(FAN_OUTCOMES)
    with pytest.raises(InputError, match="by_month=True"):
        fan_figure(last)


def test_the_parameter_share_splits_draws_from_chance() -> None:
    """Draws that differ beyond their seeds' spread carry the variance; equal ones carry none."""
    index = pd.MultiIndex.from_product([range(4), range(2)], names=["draw", "seed"])
    chance = pd.Series([0.0, 1.0] * 4, index=index)
    assert parameter_share(chance) == 0.0
    inputs = pd.Series([10.0, 10.1, 20.0, 20.1, 30.0, 30.1, 40.0, 40.1], index=index)
    assert parameter_share(inputs) > 0.99
    one_draw = pd.Series([1.0, 2.0], index=pd.MultiIndex.from_product([[0], [0, 1]]))
    assert math.isnan(parameter_share(one_draw.rename_axis(["draw", "seed"])))


def test_each_draw_is_a_baseline_and_a_question_sets_its_input_against_it() -> None:
    """The baseline of a draw has the draw's leakage; the leakage-0 question sets it to 0."""
    draws = pd.DataFrame({"smuggling.leakage": [0.3, 0.45]})
    planned = plan(draws, 2, ["leakage-0"], 100, steps=2)
    assert len(planned.tasks) == 2 * 2 * 2
    leakage = {(task.point, task.arm): _leakage(task.scenario) for task in planned.tasks}
    assert leakage == {
        (0, "baseline"): 0.3, (0, "leakage-0"): 0.0, (1, "baseline"): 0.45, (1, "leakage-0"): 0.0
    }  # fmt: skip


def _leakage(scenario: Scenario) -> float:
    (smuggling,) = [p for p in scenario.policies if p.key == "smuggling"]
    return float(smuggling.params.leakage)


def test_a_posterior_covers_known_inputs_at_about_its_nominal_rate(tmp_path: Path) -> None:
    """Simulation-based calibration, small: 90% intervals hold the truth in most held-out cases.

    Records simulated from known inputs (held-out simulations) must be covered by the 90%
    intervals of the posterior given them; an overconfident network covers far fewer. The
    tokens demanded must be pinned down too (intervals well inside the range), so that the
    coverage is not that of a network that learnt nothing and returns the prior.
    """
    spec = small_spec(tmp_path, seed=5, developers=1000)
    store = RunStore(str(tmp_path / "sbc.db"))
    trained_on, cases = 600, 40
    with LocalPool(2) as pool:
        done, stopped = simulate(store, spec, range(trained_on + cases), pool)
    assert stopped is None
    network = Network.train(spec, done[:trained_on])
    coverage = network.coverage(done[trained_on:])
    assert (coverage["cases"] == cases).all()
    assert coverage["covered"].mean() >= 0.8, coverage
    tokens = coverage.set_index("parameter").loc["demand.tokens_per_month_global"]
    assert tokens["mean_width"] < 0.75, coverage
