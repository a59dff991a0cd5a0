"""Weekly steps: the same market as monthly steps, at a finer grain, with nothing counted twice.

A weekly run scales every monthly rate to the week and lets policies, the chip market and the
capability timeline act by the month (see docs/model.md, "Step length"). These tests hold it to
the calendar (week k starts 7k days after the 1st of the start month; a policy binds from its
month's first week), to the conservation of chips, budgets and demand growth over a year, and
to the monthly run's outcome; and they check that users can ask for weekly steps and read the
stored weeks back. Populations are small and every run is seeded.
"""

import json
from datetime import date
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest
from backends import Backend
from sim_cli import sim

from experiments.run_tables import RunTables
from experiments.targets import load_targets
from experiments.validation import evaluate
from runs.compare import compare_runs
from runs.load import list_runs, load_run, monthly_means, open_store
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario
from simulator.metrics import StepRecord
from simulator.model import TokenMarket
from vocabulary.calendar import parse_month
from vocabulary.clock import StepClock

WEEK_MONTHS = 7 / (365.25 / 12)


def history(model: TokenMarket) -> pd.DataFrame:
    """Run ``model`` to its horizon: one row of market metrics per step, indexed by month."""
    rows, months = [], []
    while model.running:
        model.step()
        rows.append(model.last_record.market)
        months.append(model.last_record.month)
    return pd.DataFrame(rows, index=months)


# ---- the calendar -----------------------------------------------------------------------------


def test_weekly_steps_start_every_seven_days_from_the_first_of_the_start_month() -> None:
    """Week k starts on start + 7k days and belongs to the month that day falls in."""
    clock = StepClock.of("2024-02", "week")
    assert [clock.label(k) for k in (0, 1, 4, 5)] == [
        "2024-02-01",
        "2024-02-08",
        "2024-02-29",
        "2024-03-07",
    ]
    assert [clock.month(k) for k in (4, 5)] == [parse_month("2024-02"), parse_month("2024-03")]
    assert [k for k in range(10) if clock.opens_month(k)] == [0, 5, 9]
    assert clock.steps_through(parse_month("2024-12")) == 48  # Feb 1 to Dec 26, 2024
    assert clock.steps_through(parse_month("2024-01")) == 0


def test_monthly_steps_are_calendar_months_with_rates_unchanged() -> None:
    """A monthly step is a month: its label is the month, and rates pass through unchanged."""
    clock = StepClock.of("2024-11", "month")
    assert [clock.label(k) for k in range(3)] == ["2024-11", "2024-12", "2025-01"]
    assert all(clock.opens_month(k) for k in range(3))
    assert clock.steps_through(parse_month("2025-01")) == 3
    assert clock.chance(0.1) == 0.1 and clock.growth(0.1) == 1.1


def test_a_month_of_weekly_chances_adds_up_to_the_monthly_chance() -> None:
    """Reconsidering each week with the scaled chance gives the monthly chance over a month."""
    clock = StepClock.of("2024-01", "week")
    weekly = clock.chance(np.array([0.25, 0.03]))
    months_of_weeks = 1 / WEEK_MONTHS
    np.testing.assert_allclose(1 - (1 - weekly) ** months_of_weeks, [0.25, 0.03], rtol=1e-12)


# ---- a weekly run -----------------------------------------------------------------------------


def test_weekly_run_is_reproducible_from_its_seed() -> None:
    """The same seed gives the same weekly history; another seed gives another."""

    def weeks(seed: int) -> pd.DataFrame:
        return history(TokenMarket(developers=800, steps=10, step_length="week", seed=seed))

    first, again, other = weeks(4), weeks(4), weeks(5)
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    assert not first.equals(other)


def test_policy_dated_in_a_month_binds_from_its_first_week_and_not_before() -> None:
    """Remote access closed from 2024-03 cuts rented compute in the week of Mar 4, not Feb 26.

    Its event is logged in that week, with its month.
    """
    model = TokenMarket(
        developers=800,
        steps=13,
        step_length="week",
        seed=2,
        policies="remote_access",
        settings={"remote_access.schedule.start": "2024-03", "remote_access.leakage": 0.0},
    )
    remote, events = {}, {}
    while model.running:
        model.step()
        record = model.last_record
        remote[record.date] = record.market["compute_cn_remote"]
        events[record.date] = [(e.policy, e.status, record.month) for e in record.events]
    assert remote["2024-02-26"] > 0
    assert remote["2024-03-04"] == 0.0 and remote["2024-03-25"] == 0.0
    assert [date for date, logged in events.items() if logged] == ["2024-03-04"]
    assert events["2024-03-04"] == [("remote_access", "on", "2024-03")]


# ---- nothing counted twice: a year of weeks against a year of months ---------------------------


def test_a_year_of_weekly_steps_delivers_the_chips_of_a_year_of_monthly_steps() -> None:
    """Weekly and monthly runs get the same domestic chips (within 1%) while their output binds.

    With domestic chips the only source for Chinese providers and scarce, both hold the same
    Chinese domestic fleet in every month of two years. The output is a monthly pool: a chip
    market run every week would take it four times over.
    """
    scarce = "{2024 = 6000, 2025 = 6000}"
    settings: dict[str, object] = {
        f"domestic_output.{chip}": scarce
        for chip in ("Ascend910B", "Ascend910C", "TheadPPU", "CambriconMLU590")
    }
    # a fleet far above its need is moved to other uses by the last step's demand, which a week
    # and a month measure differently: kept out, so that only the output decides the fleet
    settings["supply.redeploy_above"] = 100.0
    scenario = load_scenario("strict")
    monthly = history(TokenMarket(scenario, developers=1000, steps=24, seed=1, settings=settings))
    weekly = history(
        TokenMarket(
            scenario, developers=1000, steps=105, step_length="week", seed=1, settings=settings
        )
    )
    fleet = "compute_cn_domestic"
    assert monthly[fleet].iloc[-1] > 3 * monthly[fleet].iloc[0]  # output did arrive
    by_month = weekly[fleet].groupby(level=0)
    assert (by_month.max() == by_month.min()).all(), "the fleet changes only between months"
    # Within 1%: late in the run a provider's cash, which weekly books move week by week, decides
    # in a few months how much of its share it can pay for; a market run every week would take
    # the pool several times over.
    np.testing.assert_allclose(by_month.first().loc[monthly.index], monthly[fleet], rtol=0.01)


def _committed_shares(model: TokenMarket) -> pd.DataFrame:
    """Share of its cash each provider commits to chips in each month, run to the horizon.

    The share is the month's capex over the cash held before the month's first step.
    """
    cash = {p.spec.name: p.cash for p in model.providers}
    start_cash: dict[tuple[str, str], float] = {}
    capex: dict[tuple[str, str], float] = {}
    while model.running:
        model.step()
        record = model.last_record
        for row in record.providers:
            key = (record.month, row["provider"])
            start_cash.setdefault(key, cash[row["provider"]])
            capex[key] = capex.get(key, 0.0) + row["capex"]
            cash[row["provider"]] = row["cash"]
    shares = pd.Series({key: capex[key] / start_cash[key] for key in capex})
    return shares.unstack()


def test_a_year_of_weekly_steps_spends_the_budget_share_of_a_year_of_monthly_steps() -> None:
    """A month's orders take at most spend_share_per_month of cash, weekly as monthly.

    A provider whose budget binds all year commits the same share of its cash (one budget a
    month) either way.
    """
    share = 0.01
    settings = {
        "supply.spend_share_per_month": share,
        "demand.growth_global": "{2024 = 0.5}",
        "demand.growth_china": "{2024 = 0.5}",
        # every token in China sold through APIs: no parent pays a share of the orders
        "demand.api_share_china.2025-06": 1.0,
        "demand.api_share_china.2025-12": 1.0,
    }
    monthly = _committed_shares(TokenMarket(developers=1000, steps=12, seed=1, settings=settings))
    weekly = _committed_shares(
        TokenMarket(developers=1000, steps=53, step_length="week", seed=1, settings=settings)
    )
    for shares in (monthly, weekly):
        assert shares.to_numpy().max() == pytest.approx(share, rel=1e-9)
        assert (shares.to_numpy() <= share * (1 + 1e-9)).all()
    binding = [
        name
        for name in monthly.columns
        if np.allclose(monthly[name].iloc[1:], share, rtol=1e-9)
        and np.allclose(weekly[name].iloc[1:], share, rtol=1e-9)
    ]
    assert binding, "some provider's budget should bind all year in both runs"
    for name in binding:
        assert weekly[name].sum() == pytest.approx(monthly[name].sum(), rel=1e-9)
        assert weekly[name].sum() == pytest.approx(11 * share, rel=1e-9)  # no order at the start


def test_weekly_demand_grows_by_the_monthly_factor_per_month() -> None:
    """Underlying demand grows by (1 + g) a month whether it gets there in months or weeks.

    With no price response and one growth rate everywhere, total demand is the starting demand
    times the growth index: 52 weeks grow it by (1 + g) ** (52 x 7 / 30.4375).
    """
    every_year = "{2024 = 0.1, 2025 = 0.1, 2026 = 0.1, 2027 = 0.1}"  # a table changes those named
    settings = {
        "demand.growth_global": every_year,
        "demand.growth_china": every_year,
        "demand.price_elasticity": (
            "{indie = 0.0, startup = 0.0, enterprise = 0.0, government = 0.0}"
        ),
    }
    monthly = history(TokenMarket(developers=600, steps=13, seed=1, settings=settings))
    weekly = history(
        TokenMarket(developers=600, steps=53, step_length="week", seed=1, settings=settings)
    )
    month_factor = monthly["tokens_demanded"].iloc[12] / monthly["tokens_demanded"].iloc[0]
    week_factor = weekly["tokens_demanded"].iloc[52] / weekly["tokens_demanded"].iloc[0]
    assert month_factor == pytest.approx(1.1**12, rel=1e-9)
    assert week_factor == pytest.approx(month_factor ** (52 * WEEK_MONTHS / 12), rel=1e-9)


# ---- the same market ------------------------------------------------------------------------


def test_weekly_baseline_tracks_the_monthly_chinese_share() -> None:
    """The weekly baseline's Chinese share outside China is within a fifth of the monthly one's.

    The share of the tokens of developers outside China in Dec 2025, averaged over the month's
    weeks, against the monthly run's, each the mean of seeds 1-3 at the default population of
    20,000 (with the calibrated defaults about 4.0% and 4.1%; at 3,000 developers the seeds alone
    spread the monthly share from 3.4% to 5.7%). Reconsidering left unscaled to the week would
    give weekly developers four times the monthly chances to switch, and the weekly share would
    run far ahead.
    """
    base = load_scenario("baseline")
    december = "2025-12"
    shares = {}
    for length in ("month", "week"):
        steps = StepClock.of(base.start, length).steps_through(parse_month(december))
        shares[length] = np.mean(
            [
                history(TokenMarket(base, steps=steps, step_length=length, seed=seed))
                .loc[[december], "cn_share_global"]
                .mean()
                for seed in (1, 2, 3)
            ]
        )
    assert 0.01 < shares["month"] < 0.4, shares
    assert abs(shares["week"] - shares["month"]) < 0.2 * shares["month"], shares


def test_sim_validate_checks_a_weekly_scenario(tmp_path: Path) -> None:
    """`sim validate --scenario FILE` with weekly steps measures every target and check.

    Its run goes in weeks to the last week starting in the last month a target or the
    dynamics checks read: the checks' window ends 2027-12, later than any target (T4's band
    and one band width past it end 2026-11).
    """
    path = tmp_path / "weekly.toml"
    shown = sim("scenario", "show", "baseline", "--step-length", "week")
    path.write_text(shown.stdout)
    result = sim(
        "validate",
        "--scenario",
        str(path),
        "--seeds",
        "1",
        "--developers",
        "500",
        "--db",
        str(tmp_path / "runs.db"),
        "--json",
    )
    assert result.exit_code in (0, 1), result.output
    out = json.loads(result.stdout)
    assert [row["id"] for row in out["targets"]] == [t.id for t in load_targets()]
    assert all(row["reason"] is None for row in out["targets"])
    assert all(row["reason"] is None for row in out["dynamics"])
    runs = list_runs(open_store(str(tmp_path / "runs.db")))
    assert runs[["steps_done", "steps_planned"]].values.tolist() == [[209, 209]]  # to Dec 2027


def test_calibration_measures_weekly_runs_on_monthly_means() -> None:
    """A target on a month reads the mean of that month's weeks.

    A week without a segment's row counts as zero tokens there, so a month is not overstated.
    """
    t6 = next(t for t in load_targets() if t.id == "T6")

    def week(step: int, month: str, tokens: float | None) -> StepRecord:
        rows = (
            []
            if tokens is None
            else [
                {
                    "region": "CN",
                    "segment": "indie",
                    "provider": "A",
                    "tokens": tokens,
                    "spend_usd": 0.0,
                }
            ]
        )
        provider = {"provider": "A", "jurisdiction": "CN"}
        return StepRecord(step, month, month, {"tokens_total": 1.0}, [provider], rows, [])

    start, end = t6.dates.first, t6.dates.last
    records = [week(0, start, 1.0), week(1, start, 3.0)]
    records += [week(2 + i, end, tokens) for i, tokens in enumerate((100.0, 500.0, None, 200.0))]
    (row,) = evaluate([t6], [RunTables.from_records(records)])
    assert row["simulated"] == pytest.approx((800.0 / 4) / (4.0 / 2))


# ---- asking for weekly steps, and reading them back -----------------------------------------


def test_batch_run_varies_the_step_length() -> None:
    """mesa.batch_run can sweep TokenMarket over step lengths by keyword."""
    results = mesa.batch_run(
        TokenMarket,
        parameters={"developers": 500, "step_length": ["month", "week"]},
        iterations=1,
        max_steps=6,
        number_processes=1,
        display_progress=False,
    )
    assert sorted(row["step_length"] for row in results) == ["month", "week"]
    for row in results:
        assert row["Step"] == 6 and row["tokens_total"] > 0


def test_sim_run_week_stores_eight_weekly_steps(backend: Backend) -> None:
    """`sim run --step-length week --steps 8` stores 8 steps with their months.

    Loaded back, they are indexed by week from Jan 1, and compare by month as the mean of the
    weeks; `sim runs show` names the last step by its start day.
    """
    result = sim(
        "run",
        "--step-length",
        "week",
        "--steps",
        "8",
        "--developers",
        "500",
        "--seed",
        "1",
        "--db",
        backend.url,
        "--json",
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["steps"] == 8
    assert (out["final"]["month"], out["final"]["date"]) == ("2024-02", "2024-02-19")
    rows = backend.query(
        "SELECT step, month FROM market_steps WHERE run_id = ? ORDER BY step", out["run_id"]
    )
    assert rows == [(k, "2024-01" if k < 5 else "2024-02") for k in range(8)]
    (scenario,) = backend.query("SELECT scenario FROM runs WHERE id = ?", out["run_id"])[0]
    assert json.loads(scenario)["step_length"] == "week"

    run = load_run(open_store(backend.url), out["run_id"])
    weeks = run.market_steps.index
    assert weeks.name == "week"
    assert [w.start_time.date() for w in weeks] == [date(2024, 1, 1 + 7 * k) for k in range(5)] + [
        date(2024, 2, 5 + 7 * k) for k in range(3)
    ]
    february = run.market_steps.iloc[5:]["cn_share"].mean()
    assert monthly_means(run.market_steps).loc["2024-02", "cn_share"] == pytest.approx(february)
    table = compare_runs([run], ["cn_share"], [pd.Period("2024-02", "M")])
    assert table.loc[("2024-02", "cn_share"), run.id] == pytest.approx(february)

    shown = sim("runs", "show", str(out["run_id"]), "--db", backend.url)
    assert shown.exit_code == 0, shown.output
    assert "8/8 weekly steps" in shown.stdout and "Last step (2024-02-19)" in shown.stdout


def test_scenario_file_with_weekly_steps_runs(backend: Backend) -> None:
    """A scenario file saying `step_length = "week"` runs week by week.

    `sim scenario show` prints the setting with the rest of the scenario.
    """
    path = backend.folder / "weekly.toml"
    path.write_text('step_length = "week"\nsteps = 6\ndevelopers = 500\nstart = "2025-03"\n')
    shown = sim("scenario", "show", str(path))
    assert shown.exit_code == 0, shown.output
    assert 'step_length = "week"' in shown.stdout
    result = sim("run", "--scenario", str(path), "--seed", "2", "--db", backend.url, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["steps"], out["final"]["date"]) == (6, "2025-04-05")


def test_switching_to_weeks_without_steps_keeps_the_scenario_span() -> None:
    """`--step-length week` on the 48-month baseline runs 209 weeks, not 48; `--steps` wins."""
    baseline = load_scenario("baseline")
    assert resolve_scenario(baseline, step_length="week").steps == 209
    assert resolve_scenario(baseline, step_length="week", steps=10).steps == 10
    assert resolve_scenario(baseline, step_length="week", settings=["steps=12"]).steps == 12
    weekly = resolve_scenario(baseline, step_length="week")
    assert resolve_scenario(weekly, step_length="month").steps == 48
    assert resolve_scenario(baseline, step_length="month").steps == 48
