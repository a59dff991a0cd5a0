"""Targets v3: each measure, window and kind read a run's tables as docs/targets.md says.

The run here is made by hand (two labs in China, two in the US, three months) so every expected
value can be worked out on paper; ``tests/test_validate.py`` checks the command on real runs.
"""

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from experiments.run_tables import RunTables, Unmeasurable
from experiments.targets import Target, load_targets
from experiments.validation import FAILURE_PENALTY, UNMEASURABLE_PENALTY, evaluate, loss

MONTHS = ["2025-01", "2025-02", "2025-03"]
LABS = {"DeepSeek": "CN", "Alibaba": "CN", "OpenAI": "US", "Anthropic": "US"}

# Routed tokens (indie + startup outside China) by month and lab; enterprise and China apart.
ROUTED = {
    "DeepSeek": [10.0, 30.0, 50.0],
    "Alibaba": [0.0, 10.0, 30.0],
    "OpenAI": [60.0, 40.0, 10.0],
    "Anthropic": [30.0, 20.0, 10.0],
}
PRICE = {"DeepSeek": 0.5, "Alibaba": 1.0, "OpenAI": 5.0, "Anthropic": 10.0}  # USD per M tokens


def segment_rows() -> pd.DataFrame:
    """Routed rows split 3:1 between indie (US) and startup (EU); enterprise and China rows."""
    rows, months = [], []
    for i, month in enumerate(MONTHS):
        for lab in LABS:
            for region, segment, tokens in (
                ("US", "indie", ROUTED[lab][i] * 0.75),
                ("EU", "startup", ROUTED[lab][i] * 0.25),
                ("US", "enterprise", 100.0 if lab == "Anthropic" else 25.0),
                ("CN", "indie", 1000.0 * (i + 1) if LABS[lab] == "CN" else 0.0),
            ):
                rows.append(
                    {
                        "region": region,
                        "segment": segment,
                        "provider": lab,
                        "tokens": tokens * 1e6,
                        "spend_usd": tokens * PRICE[lab],
                    }
                )
                months.append(month)
    return pd.DataFrame(rows, index=months)


def run(**changes: pd.DataFrame) -> RunTables:
    """The hand-made run (tables replaced by ``changes``)."""
    providers = pd.DataFrame(
        [{"provider": lab, "jurisdiction": j} for _ in MONTHS for lab, j in LABS.items()],
        index=[m for m in MONTHS for _ in LABS],
    )
    market = pd.DataFrame({"value_added_per_kwh_cn": [20.0, 25.0, 30.0]}, index=MONTHS)
    tables = {"market": market, "providers": providers, "segments": segment_rows(), **changes}
    return RunTables(**tables)


def target(**fields) -> Target:
    """A routed token-share band target, changed by ``fields``."""
    base = {
        "id": "X",
        "observable": "x",
        "population": "routed",
        "measure": "token_share",
        "providers": "CN",
        "window": "2025-02",
        "target": 0.5,
        "low": 0.0,
        "high": 1.0,
    }
    return Target(**{k: v for k, v in {**base, **fields}.items() if v is not None})


def simulated(one: Target, *runs: RunTables) -> float:
    """The target's simulated value on ``runs`` (default: the hand-made run)."""
    (row,) = evaluate([one], list(runs) or [run()])
    return row["simulated"]


def test_token_share_counts_the_population_s_tokens_by_jurisdiction_lab_and_largest() -> None:
    """Routed Feb: CN 40 of 100; Anthropic 20%; the largest lab 40% (OpenAI); all 100%."""
    assert simulated(target()) == pytest.approx(0.4)
    assert simulated(target(providers="Anthropic")) == pytest.approx(0.2)
    assert simulated(target(providers="largest")) == pytest.approx(0.4)
    assert simulated(target(providers="all")) == pytest.approx(1.0)
    # enterprise: Anthropic 100 of 175; China: only Chinese labs
    assert simulated(target(population="enterprise", providers="Anthropic")) == pytest.approx(
        100 / 175
    )
    assert simulated(target(population="china")) == pytest.approx(1.0)
    # outside China: routed 100 + enterprise 175 tokens, of which CN 40 + 50
    assert simulated(target(population="outside_china")) == pytest.approx(90 / 275)


def test_a_window_is_the_mean_of_its_monthly_values() -> None:
    """Jan-Mar: CN shares 10%, 40%, 80% average to 43.3%; largest 60%, 40%, 50% to 50%."""
    assert simulated(target(window="2025-01..2025-03")) == pytest.approx((0.1 + 0.4 + 0.8) / 3)
    largest = target(providers="largest", window="2025-01..2025-03")
    assert simulated(largest) == pytest.approx((0.6 + 0.4 + 0.5) / 3)


def test_spend_share_and_revenue_per_token_ratio_read_what_was_paid() -> None:
    """Enterprise spend, Anthropic: 1000 of 1000 + 12.5 + 25 + 125; US/CN routed price ratio."""
    spend = target(population="enterprise", measure="spend_share", providers="Anthropic")
    assert simulated(spend) == pytest.approx(1000 / (1000 + 12.5 + 25 + 125))
    ratio = target(
        measure="revenue_per_token_ratio", providers="US", versus="CN", target=5, high=100
    )
    us = (40 * 5 + 20 * 10) / 60
    cn = (30 * 0.5 + 10 * 1) / 40
    assert simulated(ratio) == pytest.approx(us / cn)


def test_volume_growth_and_revenue_per_kwh() -> None:
    """China's tokens triple from Jan to Mar; revenue per kWh is the market's metric."""
    growth = target(
        population="china", measure="volume_growth", providers="all", window="2025-01..2025-03"
    )
    assert simulated(growth) == pytest.approx(3.0)
    kwh = target(population="all", measure="revenue_per_kwh", window="2025-03", target=30, high=40)
    assert simulated(kwh) == pytest.approx(30.0)


def crossing(**fields) -> Target:
    """A first-month target: routed CN tokens over US, band Jan to Mar 2025."""
    months = {"target_month": "2025-02", "low_month": "2025-01", "high_month": "2025-03"}
    return target(
        **{
            "kind": "first_month",
            "versus": "US",
            "window": None,
            "target": None,
            "low": None,
            "high": None,
            **months,
            **fields,
        }
    )


def test_first_month_reads_the_mean_over_runs_series_and_says_not_by_when_it_never_crosses() -> (
    None
):
    """CN passes US in March (80% > 20%); a run that never crosses says 'not by' its last month.

    With two runs, the crossing is that of their mean series, not the mean of their crossings.
    """
    (row,) = evaluate([crossing()], [run()])
    assert row["simulated_text"] == "2025-03" and row["passed"]
    never = crossing(providers="Alibaba", versus="DeepSeek")
    (row,) = evaluate([never], [run()])
    assert row["simulated_text"] == "not by 2025-03" and not row["passed"]
    assert math.isnan(row["simulated"])
    # A second run in which CN already leads in February (share 0.9): the mean series crosses
    # in February (0.4 + 0.9 > 0.6 + 0.1).
    early = segment_rows()
    feb_cn = (early.index == "2025-02") & early["provider"].isin(["DeepSeek", "Alibaba"])
    early.loc[feb_cn & early["segment"].isin(["indie", "startup"]), "tokens"] *= 13.5
    (row,) = evaluate([crossing()], [run(), run(segments=early)])
    assert row["simulated_text"] == "2025-02"
    assert row["spread"] == pytest.approx(0.5)


def test_band_and_at_most_pass_only_inside() -> None:
    """A band passes inside it; at_most passes at or below its bound; the row says why."""
    inside, below = target(target=0.4, low=0.35, high=0.45), target(low=0.45, high=0.6)
    at_most = target(providers="largest", kind="at_most", target=None, low=None, high=0.45)
    too_big = target(providers="largest", kind="at_most", target=None, low=None, high=0.3)
    rows = evaluate([inside, below, at_most, too_big], [run()])
    assert [row["passed"] for row in rows] == [True, False, True, False]
    assert rows[2]["band_text"] == "at most 45.0%" and math.isnan(rows[2]["low"])


def test_loss_is_zero_when_all_pass_and_grows_with_the_miss_in_band_widths() -> None:
    """Misses count in band widths, squared, plus one per failing target.

    Crossings count in months; NaN costs a fixed penalty.
    """
    inside = target(target=0.4, low=0.3, high=0.5)  # 0.4: passes
    below = target(low=0.5, high=0.6)  # 0.4 is one width below
    over = target(providers="largest", kind="at_most", target=None, low=None, high=0.2)  # 0.4
    late = crossing(low_month="2025-01", high_month="2025-02", target_month="2025-01")
    never = crossing(providers="Alibaba", versus="DeepSeek")
    rows = evaluate([inside, below, over, late, never], [run()])
    assert loss(rows[:1]) == 0.0
    assert loss(rows[1:2]) == pytest.approx(1.0 + FAILURE_PENALTY)
    assert loss(rows[2:3]) == pytest.approx(1.0 + FAILURE_PENALTY)  # 0.2 above a bound of 0.2
    assert loss(rows[3:4]) == pytest.approx(1.0 + FAILURE_PENALTY)  # March: a month after Feb
    assert loss(rows[4:]) == UNMEASURABLE_PENALTY
    assert loss(rows) == pytest.approx(3.0 + 3 * FAILURE_PENALTY + UNMEASURABLE_PENALTY)


def test_a_near_miss_costs_more_than_a_larger_miss_that_keeps_a_target_passing() -> None:
    """Two targets missed by a tenth of a band width each cost more than one missed by one.

    The calibration so prefers the defaults that pass more targets.
    """
    near = [target(low=0.41, high=0.51), target(low=0.41, high=0.51)]  # 0.4: 0.1 width below
    far = [target(low=0.5, high=0.6), target(low=0.3, high=0.5)]  # one width below; a pass
    assert loss(evaluate(near, [run()])) > loss(evaluate(far, [run()]))


def test_spend_missing_from_an_old_run_is_unmeasurable_in_one_line() -> None:
    """A run stored before spend was recorded (NULL spend) says so instead of failing silently."""
    old = segment_rows().assign(spend_usd=np.nan)
    spend = target(population="enterprise", measure="spend_share", providers="Anthropic")
    (row,) = evaluate([spend], [run(segments=old)])
    assert math.isnan(row["simulated"]) and not row["passed"]
    assert "before schema version 5" in row["reason"] and "\n" not in row["reason"]
    (tokens,) = evaluate([target()], [run(segments=old)])
    assert tokens["passed"] and tokens["reason"] is None


def test_a_window_the_runs_do_not_reach_is_unmeasurable() -> None:
    """A month after the run's end is named in the row's reason."""
    (row,) = evaluate([target(window="2025-03..2025-04")], [run()])
    assert row["reason"] == "the runs do not reach 2025-04"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"providers": "Antropic"}, "unknown providers 'Antropic'; allowed: a jurisdiction"),
        ({"population": "global"}, "'routed', 'enterprise', 'outside_china', 'china' or 'all'"),
        ({"measure": "share"}, "token_share"),
        ({"window": "2025-03..2025-01"}, "ends before it starts"),
        ({"window": "March"}, "YYYY-MM"),
        ({"window": None}, "window: a band target needs one"),
        ({"measure": "revenue_per_token_ratio"}, "versus: a revenue_per_token_ratio band"),
        ({"versus": "US"}, "versus: only revenue_per_token_ratio, revenue_ratio and first_month"),
        ({"measure": "compute_share", "population": "all"}, "channel: a compute_share target"),
        ({"channel": "remote"}, "channel: a token_share target names one, and only"),
        (
            {"measure": "purchase_share", "population": "all", "channel": "remote"},
            "remote compute is rented, not bought",
        ),
        (
            {"measure": "purchase_ratio", "population": "all", "channel": "legal"},
            "versus_window: a purchase_ratio target compares two windows",
        ),
        ({"measure": "annual_revenue"}, "population: annual_revenue counts each lab's own"),
        ({"kind": "at_most", "low": 0.1}, "low: not a setting of at_most targets"),
        ({"target": None}, "a band target needs target"),
        ({"low": 0.6}, "low <= target <= high"),
        ({"high": math.inf}, "finite number"),
        ({"measure": "volume_growth"}, "volume_growth needs FROM..TO"),
        ({"measure": "revenue_per_kwh"}, "revenue_per_kwh is recorded for Chinese providers"),
        ({"providers": "largest", "measure": "volume_growth"}, "largest is a share's group"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_target_is_refused_naming_the_key(change: dict, expected: str) -> None:
    """Each mistake is refused by the model, its message naming the key and what is allowed."""
    with pytest.raises(ValidationError) as error:
        target(**change)
    assert expected in str(error.value)


def test_a_first_month_target_needs_its_months_and_a_second_group() -> None:
    """first_month needs versus and its three months, in order."""
    with pytest.raises(ValidationError, match="versus: a token_share first_month target"):
        crossing(versus=None)
    with pytest.raises(ValidationError, match="low_month <= target_month <= high_month"):
        crossing(target_month="2025-04")
    with pytest.raises(ValidationError, match="needs high_month, low_month"):
        crossing(low_month=None, high_month=None)


def test_the_packaged_targets_are_version_3() -> None:
    """T1-T10 (T3 as four and T9 as three rows) and T11-T19; each with its source."""
    targets = load_targets()
    assert [t.id for t in targets] == [
        "T1", "T2", "T3a", "T3b", "T3c", "T3d", "T4", "T5", "T6", "T7", "T8",
        "T9a", "T9b", "T9c", "T10", "T11", "T12", "T13", "T14", "T15", "T16", "T17", "T18",
        "T19",
    ]  # fmt: skip
    assert all(t.source for t in targets)
    by_id = {t.id: t for t in targets}
    assert (by_id["T2"].population, by_id["T2"].window, by_id["T2"].bounds()) == (
        "routed",
        "2026-03..2026-05",
        (0.55, 0.40, 0.65),
    )
    assert by_id["T8"].population == "outside_china" and by_id["T10"].population == "enterprise"
    assert by_id["T3d"].kind == "at_most" and by_id["T4"].versus == "US"


# What each lab itself sells and runs (provider_steps), by month: revenue (USD per month),
# tokens served (per month) and compute by channel (H100e).
OWN = {
    "DeepSeek": {"revenue": 10.0, "served": 3.0e12, "legal": 60, "smuggled": 20, "remote": 20},
    "Alibaba": {"revenue": 30.0, "served": 1.0e12, "legal": 100, "smuggled": 0, "remote": 100},
    "OpenAI": {"revenue": 300.0, "served": 5.0e12, "legal": 1000, "smuggled": 0, "remote": 0},
    "Anthropic": {"revenue": 100.0, "served": 2.0e12, "legal": 500, "smuggled": 0, "remote": 0},
}


def own_sales() -> pd.DataFrame:
    """Provider rows holding :data:`OWN` in every month."""
    rows = [
        {
            "provider": lab,
            "jurisdiction": jurisdiction,
            "revenue": OWN[lab]["revenue"],
            "served": OWN[lab]["served"],
            "compute_legal": OWN[lab]["legal"],
            "compute_domestic": 0.0,
            "compute_smuggled": OWN[lab]["smuggled"],
            "compute_remote": OWN[lab]["remote"],
        }
        for _ in MONTHS
        for lab, jurisdiction in LABS.items()
    ]
    return pd.DataFrame(rows, index=[m for m in MONTHS for _ in LABS])


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"measure": "revenue_ratio", "versus": "US"}, 40.0 / 400.0),
        ({"measure": "annual_revenue", "providers": "US"}, 400.0 * 12),
        ({"measure": "compute_share", "channel": "smuggled"}, 20.0 / 300.0),
        ({"measure": "compute_share", "channel": "remote"}, 120.0 / 300.0),
        (
            {"measure": "tokens_per_compute_day", "providers": "DeepSeek"},
            3.0e12 / (365.25 / 12) / 100.0,
        ),
    ],
)
def test_what_each_lab_sells_and_runs_is_read_from_its_own_rows(fields: dict, expected: float):
    """T12, T13, T16-T18 sum the group's provider rows, every region, as docs/targets.md's SQL."""
    measured = target(population="all", **fields).measure_run(run(providers=own_sales()))
    assert measured == pytest.approx(expected)


def test_the_api_share_in_china_leaves_out_the_labs_own_apps() -> None:
    """T11: tokens served in China (served less served abroad) less the apps', over those."""
    rows = own_sales().assign(served_global=1.0e11, served_apps=lambda t: 0.5 * t["served"])
    measured = target(population="all", measure="api_token_share", window="2025-01").measure_run(
        run(providers=rows)
    )
    chinese = [lab for lab, j in LABS.items() if j == "CN"]
    in_china = sum(OWN[lab]["served"] - 1.0e11 for lab in chinese)
    apps = sum(0.5 * OWN[lab]["served"] for lab in chinese)
    assert measured == pytest.approx((in_china - apps) / in_china)
    with pytest.raises(Unmeasurable, match="schema version 9"):
        target(population="all", measure="api_token_share", window="2025-01").measure_run(
            run(providers=own_sales())
        )


def purchase_rows() -> pd.DataFrame:
    """Provider rows of purchases, a month each.

    Chinese labs buy 30 legal and 10 domestic accelerators in the first month, then 0 legal and
    20 domestic; US labs 5 legal each month. Legal chips cost 100 USD each, domestic ones 50.
    """
    rows = []
    for i, _ in enumerate(MONTHS):
        for lab, jurisdiction in LABS.items():
            legal, domestic = (
                ((30.0, 10.0) if i == 0 else (0.0, 20.0)) if jurisdiction == "CN" else (5.0, 0.0)
            )
            rows.append(
                {
                    "provider": lab,
                    "jurisdiction": jurisdiction,
                    "bought_legal_units": legal,
                    "bought_legal_usd": legal * 100.0,
                    "bought_domestic_units": domestic,
                    "bought_domestic_usd": domestic * 50.0,
                    "bought_smuggled_units": 0.0,
                    "bought_smuggled_usd": 0.0,
                }
            )
    return pd.DataFrame(rows, index=[m for m in MONTHS for _ in LABS])


def test_purchases_by_channel_are_sums_over_the_window() -> None:
    """T14 and T15 read purchases over a window.

    T14: units through a channel over all units in the window (a ratio of sums, not a mean of
    monthly ratios); T15: USD a month in the window over USD a month in ``versus_window``.
    """
    tables = run(providers=purchase_rows())
    share = target(
        population="all", measure="purchase_share", channel="domestic", window="2025-01..2025-03"
    )
    assert share.measure_run(tables) == pytest.approx((20 + 40 + 40) / (60 + 20 + 40 + 40))
    ratio = target(
        population="all",
        measure="purchase_ratio",
        channel="legal",
        window="2025-02..2025-03",
        versus_window="2025-01",
        kind="at_most",
        target=None,
        low=None,
        high=1.0,
    )
    assert ratio.measure_run(tables) == 0.0


def test_purchases_are_unmeasurable_on_runs_stored_before_schema_version_8() -> None:
    """A run without the purchase columns says so rather than reading zero."""
    share = target(population="all", measure="purchase_share", channel="domestic", window="2025-02")
    with pytest.raises(Unmeasurable, match="schema version 8"):
        share.measure_run(run())
