"""How numbers read in tables, shared by the CLI and the dashboard: one format per kind."""

import math
from typing import Any

from vocabulary.metrics import Unit, metric


def fmt(value: Any, unit: Unit) -> str:
    """A metric for a table by its unit (:class:`vocabulary.metrics.Unit`).

    Shares as %, prices in $, tokens in trillions, compute in thousands, the rest as numbers.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == Unit.SHARE:
        return f"{value:.1%}"
    if unit == Unit.PRICE:
        return f"${value:,.3f}"
    if unit == Unit.TOKENS:
        return f"{value / 1e12:,.1f}T"
    if unit == Unit.H100E:
        return f"{value / 1e3:,.1f}k"
    return f"{value:,.2f}"


SUMMARY_ROWS: tuple[tuple[str, str, Unit], ...] = tuple(
    (label, name, metric(name).unit)
    for label, name in (
        ("Chinese share of all tokens", "cn_share"),
        ("Chinese share, global platforms", "cn_share_global"),
        ("Chinese share, in China", "cn_share_china"),
        ("Tokens served per month", "tokens_total"),
        ("Price, Chinese providers ($/M tokens)", "price_cn"),
        ("Price, US providers ($/M tokens)", "price_us"),
        ("Compute, Chinese providers (H100e)", "compute_cn"),
        ("  of which smuggled", "compute_cn_smuggled"),
        ("  of which domestic chips", "compute_cn_domestic"),
        ("  of which rented abroad", "compute_cn_remote"),
        ("Compute, US providers (H100e)", "compute_us"),
        ("Compute, EU providers (H100e)", "compute_eu"),
        ("Value added per kWh, Chinese providers", "value_added_per_kwh_cn"),
    )
)
"""The main outcomes of a run, as (label, market metric, its unit): what ``sim run``,
``sim runs show``, ``sim runs compare`` and the dashboard's stored-runs table show."""
