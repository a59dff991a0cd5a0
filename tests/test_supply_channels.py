"""Each supply channel of the Chinese providers is finite, and answers its policy.

Issue 26's acceptance: more demand cannot rent more foreign compute than there is, nor buy more
domestic chips than are made; smuggling rises with its leakage under the baseline's licences.
"""

import numpy as np
import pandas as pd
import pytest

from experiments.run_tables import RunTables
from experiments.sweep import Task
from experiments.sweep_worker import simulate
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario
from scenario.scenario import Scenario
from simulator.demand import by_year
from vocabulary.calendar import parse_month, year_of


def chinese_rows(scenario: Scenario) -> pd.DataFrame:
    """The Chinese providers' rows of one run, summed by month."""
    result = simulate(Task(0, 0, "main", 1, scenario))
    assert result.error is None, result.error
    rows = RunTables.from_result(result).providers
    return rows[rows["jurisdiction"] == "CN"].groupby(level=0).sum(numeric_only=True)


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    """The baseline preset at 2,000 developers over 36 months."""
    return resolve_scenario(load_scenario("baseline"), developers=2_000, steps=36)


@pytest.fixture(scope="module")
def tenfold(baseline: Scenario) -> pd.DataFrame:
    """The baseline with ten times China's demand, and the Chinese labs the cash to meet it.

    Without the cash, the labs that bill cache hits run short of it before they exhaust the
    domestic output (at most 75% of a month's share bought): the channel would not be shown to
    bind, only the labs' budgets.
    """
    china = baseline.demand.tokens_per_month_china * 10
    cash = {
        f"providers.{spec.name}.backing_usd": 1e11
        for spec in baseline.providers
        if spec.jurisdiction == "CN"
    }
    return chinese_rows(
        resolve_scenario(baseline, settings={"demand.tokens_per_month_china": china, **cash})
    )


def test_tenfold_demand_rents_no_more_than_the_foreign_capacity(
    baseline: Scenario, tenfold: pd.DataFrame
) -> None:
    """Rented compute stays within the inference share of the foreign capacity, every month.

    And it reaches it: the channel binds.
    """
    supply = baseline.supply
    capacity = np.array(
        [
            by_year(supply.rental_capacity_abroad_h100e, year_of(parse_month(month)))
            * supply.national_supply_share
            for month in tenfold.index
        ]
    )
    rented = tenfold["compute_remote"].to_numpy()
    assert np.all(rented <= capacity * (1 + 1e-9))
    assert np.any(rented >= capacity * 0.99), "ten times the demand should use it all"
    normal = chinese_rows(baseline)["compute_remote"].to_numpy()
    assert rented.sum() > normal.sum()


def test_tenfold_demand_buys_no_more_domestic_chips_than_are_made(
    baseline: Scenario, tenfold: pd.DataFrame
) -> None:
    """Domestic chips bought each month stay within the share of the output that reaches them.

    And ten times the demand takes nearly all of it: the channel binds.
    """
    supply = baseline.supply
    made = np.array(
        [
            sum(
                by_year(output, year_of(parse_month(month))) / 12.0
                if min(output) <= year_of(parse_month(month))
                else 0.0
                for output in baseline.domestic_output.values()
            )
            * supply.national_supply_share
            for month in tenfold.index
        ]
    )
    bought = tenfold["bought_domestic_units"].to_numpy()
    assert np.all(bought <= made * (1 + 1e-9))
    assert np.any(bought >= made * 0.9), "ten times the demand should take (nearly) all of it"


def smuggled_units(baseline: Scenario, leakage: float) -> float:
    """Accelerators the Chinese providers smuggled in over the run at ``leakage``."""
    rows = chinese_rows(resolve_scenario(baseline, settings={"smuggling.leakage": leakage}))
    return float(rows["bought_smuggled_units"].sum())


def test_smuggling_rises_with_leakage_under_the_baselines_licences(baseline: Scenario) -> None:
    """With the H20 and H200 licensed, more leakage still brings in more smuggled chips.

    The licences do not sell H100s and B200s; without leakage none come beyond the starting
    stock.
    """
    volumes = [smuggled_units(baseline, leakage) for leakage in (0.0, 0.15, 0.5)]
    assert volumes[0] == 0.0
    assert volumes[0] < volumes[1] < volumes[2]


def test_host_permits_shrink_the_capacity_to_rent_from_their_start(baseline: Scenario) -> None:
    """The baseline's permit rule (Malaysia, 2025-07) bites once the capacity binds.

    Rented compute is as without the rule before its first rentals start (signed two months
    ahead), never more after, and about its share lower once it is fully in force.
    """
    without = baseline.model_copy(
        update={"policies": [p for p in baseline.policies if p.name != "host_permits"]}
    )
    rented, unlimited = (chinese_rows(s)["compute_remote"] for s in (baseline, without))
    before = rented.index < "2025-08"
    pd.testing.assert_series_equal(rented[before], unlimited[before])
    assert (rented[~before] <= unlimited[~before] * (1 + 1e-9)).all()
    blocked = next(p for p in baseline.policies if p.name == "host_permits").params.blocked
    late = rented.index >= "2026-09"
    assert rented[late].sum() == pytest.approx((1 - blocked) * unlimited[late].sum(), rel=0.05)
