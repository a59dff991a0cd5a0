"""How numbers read in tables, shared by the CLI and the dashboard: one format per unit.

Every figure carries its unit, in the cell or in its row's label: shares as %, prices in $
(per million tokens, said by the label), multiples of the electricity price as ``32.1x``, and
large counts scaled by a word (``42.90 quadrillion``, ``1.027 million``), never by a suffix a
reader must guess (``T``, ``k``) and never as ``1,026.7 thousand``: a value that reaches the
next scale is written in it.
"""

import math
from typing import Any

from vocabulary.metrics import Unit, metric

SCALES: tuple[tuple[float, str], ...] = (
    (1e15, "quadrillion"),
    (1e12, "trillion"),
    (1e9, "billion"),
    (1e6, "million"),
    (1e3, "thousand"),
)
"""The words large counts are scaled by, largest first (short scale: a billion is 10^9)."""

SIGNIFICANT = 4
"""Significant digits of a scaled count: ``1.027 million``, ``42.90 quadrillion``."""


def _significant(value: float) -> str:
    """``value`` (about 1 or more in size) to :data:`SIGNIFICANT` digits, thousands commas."""
    decimals = max(0, SIGNIFICANT - 1 - math.floor(math.log10(max(abs(value), 1.0))))
    return f"{value:,.{decimals}f}"


def scaled(value: float) -> str:
    """A count in words: ``42.90 quadrillion``, ``512.3 thousand``, ``950.0``, ``0.0123``.

    The scale is the largest that the value, rounded, reaches, so 999,960 reads ``1.000
    million`` rather than ``1,000.0 thousand``.
    """
    if value == 0:
        return "0"
    reaches = 1 - 0.5 * 10**-SIGNIFICANT  # rounds to 1.000
    for size, word in SCALES:
        if abs(value) / size >= reaches:
            return f"{_significant(value / size)} {word}"
    if abs(value) >= reaches:
        return _significant(value)
    return f"{value:.3g}"


def fmt(value: Any, unit: Unit) -> str:
    """A metric for a table by its unit (:class:`vocabulary.metrics.Unit`); ``-`` for none.

    Shares as %, prices in $ per million tokens, dollar amounts in $, multiples with ``x``,
    kWh with their unit, counts (tokens, H100-equivalents, developers) scaled by a word.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == Unit.SHARE:
        return f"{value:.1%}"
    if unit == Unit.PRICE:
        return f"${value:,.3f}"
    if unit in (Unit.USD, Unit.USD_PER_MONTH):
        return ("-" if value < 0 else "") + "$" + scaled(abs(value))
    if unit in (Unit.POWER_PRICE_MULTIPLE, Unit.EFFICIENCY):
        return f"{value:,.1f}x"
    if unit == Unit.KWH:
        return f"{scaled(value)} kWh"
    if unit in (Unit.TOKENS, Unit.H100E, Unit.DEVELOPERS, Unit.ACCELERATORS):
        return scaled(value)
    return f"{value:,.2f}"


SUMMARY_ROWS: tuple[tuple[str, str, Unit], ...] = tuple(
    (label, name, metric(name).unit)
    for label, name in (
        ("Chinese share of all tokens", "cn_share"),
        ("Chinese share, developers outside China", "cn_share_global"),
        ("Chinese share, developers in China", "cn_share_china"),
        ("Tokens served per month", "tokens_total"),
        ("Price, Chinese providers ($/M tokens)", "price_cn"),
        ("Price, US providers ($/M tokens)", "price_us"),
        ("Compute, Chinese providers (H100e)", "compute_cn"),
        ("  of which bought legally", "compute_cn_legal"),
        ("  of which smuggled", "compute_cn_smuggled"),
        ("  of which domestic chips", "compute_cn_domestic"),
        ("  of which rented abroad", "compute_cn_remote"),
        ("Compute, US providers (H100e)", "compute_us"),
        ("Compute, EU providers (H100e)", "compute_eu"),
        ("Value added per kWh, Chinese providers (x electricity price)", "value_added_per_kwh_cn"),
    )
)
"""The main outcomes of a run, as (label, market metric, its unit): what ``sim run``,
``sim runs show``, ``sim runs compare`` and the dashboard's stored-runs table show. A label
names the unit its values do not carry themselves."""
