"""The weekly OpenRouter data in docs/data reproduce the figures docs/targets.md quotes from it.

The targets' sources (T2, T3a-c, T4, T5) are monthly figures of the weekly top-10 rankings;
recomputing them here keeps the docs honest if the data or the rule that groups weeks into
months (by the month of the week's label, the Monday after the week) ever changes.
"""

from pathlib import Path

import pandas as pd
import pytest

WEEKLY = Path(__file__).parents[1] / "docs" / "data" / "openrouter_top10_weekly.csv"
SPRING = ["2026-03", "2026-04", "2026-05"]


@pytest.fixture(scope="module")
def weekly() -> pd.DataFrame:
    """The weekly rows, with the month each week is counted in (its label's month)."""
    frame = pd.read_csv(WEEKLY)
    return frame.assign(month=frame["week"].str[:7])


def monthly_share(weekly: pd.DataFrame, column: str, value: str) -> pd.Series:
    """Each month's share of top-10 tokens held by rows whose ``column`` is ``value``."""
    tokens = weekly.groupby(["month", weekly[column] == value])["tokens_T"].sum().unstack()
    return tokens[True].fillna(0) / tokens.sum(axis=1)


def test_chinese_share_of_top10_tokens_by_month_is_what_t2_cites(weekly: pd.DataFrame) -> None:
    """Chinese labs hold 23% of top-10 tokens in Jan 2026, 47% in Feb, 58.2/60.3/68.5% Mar-May."""
    share = monthly_share(weekly, "jurisdiction", "CN")
    assert share[["2026-01", "2026-02"]].round(2).tolist() == [0.23, 0.47]
    assert share[SPRING].round(3).tolist() == [0.582, 0.603, 0.685]
    assert weekly.loc[weekly["month"] == "2026-05", "week"].nunique() == 2  # data end 2026-05-11


def test_lab_shares_of_top10_tokens_are_what_t3_cites(weekly: pd.DataFrame) -> None:
    """Means of Mar-May 2026 monthly shares: Anthropic 20.1%, Google 11.9%, OpenAI 0.0%."""
    means = {
        lab: monthly_share(weekly, "author", lab).reindex(SPRING, fill_value=0).mean()
        for lab in ("anthropic", "google", "openai")
    }
    assert {lab: round(mean, 3) for lab, mean in means.items()} == {
        "anthropic": 0.201,
        "google": 0.119,
        "openai": 0.0,
    }


def test_first_week_chinese_tokens_exceed_us_is_labelled_feb_16(weekly: pd.DataFrame) -> None:
    """T4: the first week Chinese top-10 tokens exceed US ones is Feb 9-15 2026 (label Feb 16)."""
    by_week = weekly.pivot_table(
        index="week", columns="jurisdiction", values="tokens_T", aggfunc="sum", fill_value=0
    )
    assert by_week.index[by_week["CN"] > by_week["US"]][0] == "2026-02-16"


def test_revenue_per_token_ratio_us_over_cn_is_what_t5_cites(weekly: pd.DataFrame) -> None:
    """US over Chinese revenue per top-10 token, Mar-May 2026: 4.4x, 7.0x, 10.0x (all tokens)."""
    spring = weekly[weekly["month"].isin(SPRING)]
    sums = spring.groupby(["month", "jurisdiction"])[["est_revenue_musd", "tokens_T"]].sum()
    per_token = sums["est_revenue_musd"] / sums["tokens_T"]
    ratio = per_token.xs("US", level="jurisdiction") / per_token.xs("CN", level="jurisdiction")
    assert ratio.round(1).tolist() == [4.4, 7.0, 10.0]
