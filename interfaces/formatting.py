"""How numbers read in tables, shared by the CLI and the dashboard: one format per kind."""

import math
from typing import Any


def fmt(value: Any, kind: str) -> str:
    """A metric for a table: shares as %, prices in $, tokens in trillions, compute in thousands."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kind == "share":
        return f"{value:.1%}"
    if kind == "price":
        return f"${value:,.3f}"
    if kind == "tokens":
        return f"{value / 1e12:,.1f}T"
    if kind == "compute":
        return f"{value / 1e3:,.1f}k"
    return f"{value:,.2f}"


SUMMARY_ROWS = (
    ("Chinese share of all tokens", "cn_share", "share"),
    ("Chinese share, global platforms", "cn_share_global", "share"),
    ("Chinese share, in China", "cn_share_china", "share"),
    ("Tokens served per month", "tokens_total", "tokens"),
    ("Price, Chinese providers ($/M tokens)", "price_cn", "price"),
    ("Price, US providers ($/M tokens)", "price_us", "price"),
    ("Compute, Chinese providers (H100e)", "compute_cn", "compute"),
    ("  of which smuggled", "compute_cn_smuggled", "compute"),
    ("  of which domestic chips", "compute_cn_domestic", "compute"),
    ("  of which rented abroad", "compute_cn_remote", "compute"),
    ("Compute, US providers (H100e)", "compute_us", "compute"),
    ("Compute, EU providers (H100e)", "compute_eu", "compute"),
    ("Value added per kWh, Chinese providers", "value_added_per_kwh_cn", "ratio"),
)
"""The main outcomes of a run, as (label, market metric, kind for :func:`fmt`): what ``sim run``,
``sim runs show``, ``sim runs compare`` and the dashboard's stored-runs table show."""
