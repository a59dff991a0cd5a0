"""Beijing's measures: a dated share of foreign-chip purchases refused, the rest bought at home."""

import pandas as pd

from experiments.run_tables import RunTables
from experiments.sweep import Task
from experiments.sweep_worker import simulate
from policies.beijing_measures import BeijingMeasures
from policies.constraints import Constraints
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario
from scenario.scenario import Scenario
from vocabulary.calendar import parse_month


def test_the_refused_share_steps_at_each_date() -> None:
    """0 before the first date, then each date's share until the next."""
    policy = BeijingMeasures(refusal={"2025-08": 0.9, "2025-11": 1.0})
    shares = [
        policy.refusal_at(parse_month(m)) for m in ("2025-07", "2025-08", "2025-10", "2026-03")
    ]
    assert shares == [0.0, 0.9, 0.9, 1.0]
    constraints = Constraints()
    policy.apply(constraints, parse_month("2025-09"), intensity=0.5)
    assert (
        constraints.foreign_chip_refusal["CN"] == 0.45
        and constraints.foreign_chip_refusal["US"] == 0
    )


def purchases(scenario: Scenario) -> pd.DataFrame:
    """Chinese providers' purchases by month: legal USD and domestic units."""
    result = simulate(Task(0, 0, "main", 1, scenario))
    assert result.error is None
    rows = RunTables.from_result(result).providers
    chinese = rows[rows["jurisdiction"] == "CN"]
    return chinese.groupby(level=0)[["bought_legal_usd", "bought_domestic_units"]].sum()


def test_switched_off_the_measures_raise_licensed_purchases_after_2025_08() -> None:
    """The baseline (which has the measures) with and without them.

    Licensed purchases from 2025-08 fall with them, domestic ones rise; before 2025-08 nothing
    differs.
    """
    with_measures = resolve_scenario(load_scenario("baseline"), developers=2_000)
    assert "beijing_measures" in [p.name for p in with_measures.policies]
    without = with_measures.model_copy(
        update={"policies": [p for p in with_measures.policies if p.name != "beijing_measures"]}
    )
    off, on = purchases(without), purchases(with_measures)
    before, after = off.index < "2025-08", off.index >= "2025-08"
    pd.testing.assert_frame_equal(off[before], on[before])
    assert off.loc[after, "bought_legal_usd"].sum() > 2 * on.loc[after, "bought_legal_usd"].sum()
    assert (
        on.loc[after, "bought_domestic_units"].sum() > off.loc[after, "bought_domestic_units"].sum()
    )
