"""How numbers read in tables, shared by the CLI and the dashboard: one format per unit.

Every figure carries its unit, in the cell or in its row's label: shares as %, prices in $
(per million tokens, said by the label), multiples of the electricity price as ``32.1x``, and
large counts scaled by a word (``42.90 quadrillion``, ``1.027 million``), never by a suffix a
reader must guess (``T``, ``k``) and never as ``1,026.7 thousand``: a value that reaches the
next scale is written in it.
"""

import math
from collections.abc import Sequence
from typing import Any

from vocabulary.metrics import Level, Unit, metric

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

REACHES = 1 - 0.5 * 10**-SIGNIFICANT
"""A count reaches a scale when it is at least this many of it: rounded, it reads ``1.000``."""


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
    for size, word in SCALES:
        if abs(value) / size >= REACHES:
            return f"{_significant(value / size)} {word}"
    if abs(value) >= REACHES:
        return _significant(value)
    return f"{value:.3g}"


def scaled_column(values: Sequence[float]) -> tuple[str, list[str]]:
    """Counts of one table column in one scale: the scale's word and each value in it.

    The scale is the one the column's largest value reaches, so rows compare digit by digit
    (``6.487`` and ``0.412`` quadrillion, not ``6,487,372.6`` and ``412,001.9`` billion); the
    largest keeps :data:`SIGNIFICANT` digits and the others its decimals. The word is ``""``
    for counts below a thousand.
    """
    largest = max((abs(v) for v in values if not math.isnan(v)), default=0.0)
    size, word = next(((s, w) for s, w in SCALES if largest / s >= REACHES), (1.0, ""))
    decimals = max(0, SIGNIFICANT - 1 - math.floor(math.log10(max(largest / size, 1.0))))
    return word, [f"{value / size:,.{decimals}f}" for value in values]


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


UNIT_HINTS: dict[Unit, str] = {
    Unit.TOKENS: "per month",
    Unit.PRICE: "$/M tokens",
    Unit.H100E: "H100e",
    Unit.POWER_PRICE_MULTIPLE: "x electricity price",
    Unit.USD_PER_MONTH: "per month",
    Unit.KWH: "per month",
    Unit.CAPABILITY: "AA index points",
    Unit.HHI: "0-10,000",
    Unit.SECONDS: "seconds",
}
"""What a figure's cell does not say of its unit (``$0.123`` is per million tokens), said in
brackets after its label."""


def row_label(name: str, level: Level = Level.MARKET) -> str:
    """A metric's label from the metric list, with the part of its unit its cells do not say.

    ``Price, Chinese providers ($/M tokens)``; a share's cells say ``%`` themselves.
    """
    shown = metric(name, level)
    hint = UNIT_HINTS.get(shown.unit)
    return f"{shown.label} ({hint})" if hint else shown.label


SUMMARY_ROWS: tuple[tuple[str, str, Unit], ...] = tuple(
    (row_label(name), name, metric(name).unit)
    for name in (
        "cn_share",
        "cn_share_global",
        "cn_share_china",
        "cn_model_share",
        "cn_model_share_global",
        "tokens_total",
        "tokens_unserved",
        "price_cn",
        "price_us",
        "compute_cn",
        "compute_cn_legal",
        "compute_cn_smuggled",
        "compute_cn_domestic",
        "compute_cn_remote",
        "compute_us",
        "compute_eu",
        "revenue_cn",
        "value_added_per_kwh_cn",
    )
)
"""The main outcomes of a run, as (label, market metric, its unit): what ``sim run``,
``sim runs show``, ``sim runs compare`` and the dashboard's stored-runs table show, each under
its label in the metric list (:func:`row_label`)."""
