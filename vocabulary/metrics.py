"""Every metric the model records, defined once: name, level, unit and meaning.

The model's step record (``simulator/metrics.py``) emits these names; the run store's history
tables (``runs/schema.py``) are built from them; targets and sweep outcomes are checked against
them; docs/model.md shows them as a generated table; the CLI reads their units from here.
``tests/test_metric_list.py`` fails if the model and this list disagree.

"Global platforms" are developers outside China, "China" developers in China. Shares are
fractions from 0 to 1. Tokens, revenue, energy and profit are monthly rates whatever the step
length; capex and seized accelerators are what the step's orders spent and lost.
"""

from dataclasses import dataclass
from enum import StrEnum

from vocabulary.regions import CHANNELS, JURISDICTIONS


class Level(StrEnum):
    """What one row of a metric describes; each level is one history table of the run store."""

    MARKET = "market"
    """The market as a whole, one row per step (``market_steps``)."""
    PROVIDER = "provider"
    """One provider, one row per step and provider (``provider_steps``)."""
    SEGMENT = "segment"
    """One region x segment x provider cell, per step (``segment_steps``)."""
    PRODUCT = "product"
    """One product on sale (a lab sells several), per step (``product_steps``)."""


class Unit(StrEnum):
    """The unit a metric is measured in, as the docs and tables name it."""

    TOKENS = "tokens per month"
    PRICE = "USD per million tokens"
    SHARE = "share"
    USD_PER_MONTH = "USD per month"
    USD = "USD"
    KWH = "kWh per month"
    POWER_PRICE_MULTIPLE = "multiple of the electricity price"
    H100E = "H100-equivalents"
    CAPABILITY = "AA Intelligence Index points"
    HHI = "HHI points (0-10,000)"
    DEVELOPERS = "developers"
    ACCELERATORS = "accelerators"
    SECONDS = "seconds"
    MARKUP = "fraction above average cost"
    EFFICIENCY = "multiple of the reference throughput"


@dataclass(frozen=True)
class Metric:
    """One recorded quantity: its column name, table level, unit and what it measures."""

    name: str
    level: Level
    unit: Unit
    meaning: str


_JURISDICTION_NAMES = {"US": "US", "EU": "EU", "CN": "Chinese"}
_CHANNEL_MEANINGS = {
    "legal": "on accelerators bought legally",
    "domestic": "on accelerators made at home",
    "smuggled": "on smuggled accelerators",
    "remote": "on accelerators rented abroad",
}


def _market(name: str, unit: Unit, meaning: str) -> Metric:
    return Metric(name, Level.MARKET, unit, meaning)


def _provider(name: str, unit: Unit, meaning: str) -> Metric:
    return Metric(name, Level.PROVIDER, unit, meaning)


def _market_compute() -> tuple[Metric, ...]:
    """Compute by provider jurisdiction and channel, then the jurisdiction's total."""
    metrics = []
    for jurisdiction in JURISDICTIONS:
        owner = f"{_JURISDICTION_NAMES[jurisdiction]} providers' inference compute"
        prefix = f"compute_{jurisdiction.lower()}"
        metrics += [
            _market(f"{prefix}_{channel}", Unit.H100E, f"{owner} {_CHANNEL_MEANINGS[channel]}")
            for channel in CHANNELS
        ]
        metrics.append(_market(prefix, Unit.H100E, f"{owner}, all channels"))
    return tuple(metrics)


MARKET_METRICS: tuple[Metric, ...] = (
    _market("tokens_total", Unit.TOKENS, "tokens served, all developers"),
    _market("tokens_global", Unit.TOKENS, "tokens served to developers on global platforms"),
    _market("tokens_china", Unit.TOKENS, "tokens served to developers in China"),
    _market("tokens_demanded", Unit.TOKENS, "tokens demanded at the step's prices"),
    _market("tokens_unserved", Unit.TOKENS, "tokens demanded but not served (over capacity)"),
    _market("cn_share", Unit.SHARE, "Chinese providers' share of all tokens served"),
    _market(
        "cn_share_global",
        Unit.SHARE,
        "Chinese providers' share of the tokens served on global platforms",
    ),
    _market("cn_share_china", Unit.SHARE, "Chinese providers' share of the tokens served in China"),
    _market(
        "cn_share_of_cn_us_global",
        Unit.SHARE,
        "Chinese providers' share of the global-platform tokens served by Chinese or US providers",
    ),
    _market(
        "price_cn",
        Unit.PRICE,
        "token-weighted price of Chinese providers; NULL when they served none",
    ),
    _market(
        "price_us", Unit.PRICE, "token-weighted price of US providers; NULL when they served none"
    ),
    _market(
        "price_eu", Unit.PRICE, "token-weighted price of EU providers; NULL when they served none"
    ),
    _market("price_avg", Unit.PRICE, "token-weighted price of all providers"),
    _market("revenue", Unit.USD_PER_MONTH, "revenue of all providers"),
    _market("revenue_cn", Unit.USD_PER_MONTH, "revenue of Chinese providers"),
    _market("energy_kwh", Unit.KWH, "electricity used by all providers, owned and rented"),
    _market("energy_kwh_cn", Unit.KWH, "electricity used by Chinese providers"),
    _market(
        "value_added_per_kwh_cn",
        Unit.POWER_PRICE_MULTIPLE,
        "Chinese providers' revenue per kWh over their energy-weighted electricity price; "
        "NULL without energy used",
    ),
    _market(
        "value_added_per_kwh_west", Unit.POWER_PRICE_MULTIPLE, "the same for US and EU providers"
    ),
    _market("capacity", Unit.TOKENS, "tokens all providers can serve this step"),
    _market("utilisation", Unit.SHARE, "tokens served over capacity"),
    _market("capability_frontier", Unit.CAPABILITY, "the frontier's capability"),
    _market("capability_best_cn", Unit.CAPABILITY, "the best Chinese provider's capability"),
    _market("capability_best_us", Unit.CAPABILITY, "the best US provider's capability"),
    _market("capability_gap", Unit.CAPABILITY, "best US capability minus best Chinese capability"),
    _market(
        "hhi_global",
        Unit.HHI,
        "Herfindahl-Hirschman index of provider shares of global-platform tokens",
    ),
    _market(
        "hhi_china",
        Unit.HHI,
        "Herfindahl-Hirschman index of provider shares of the tokens served in China",
    ),
    _market("developers_on_cn", Unit.DEVELOPERS, "developers using a Chinese provider"),
    _market(
        "seized_units", Unit.ACCELERATORS, "smuggled accelerators seized from the step's orders"
    ),
    *_market_compute(),
)
"""Columns of ``market_steps``, in table order; any may be NULL (nothing to measure)."""

PROVIDER_METRICS: tuple[Metric, ...] = (
    _provider("demand", Unit.TOKENS, "tokens demanded from the provider"),
    _provider("served", Unit.TOKENS, "tokens the provider served"),
    _provider("served_global", Unit.TOKENS, "tokens it served to developers on global platforms"),
    _provider("capacity", Unit.TOKENS, "tokens it can serve this step"),
    _provider("utilisation", Unit.SHARE, "tokens served over capacity"),
    _provider("price", Unit.PRICE, "its list price"),
    _provider("markup", Unit.MARKUP, "its markup over average cost at planned utilisation"),
    _provider(
        "latency_s",
        Unit.SECONDS,
        "time to first token on its API, congestion included (network latency not)",
    ),
    _provider("revenue", Unit.USD_PER_MONTH, "its revenue"),
    _provider("energy_kwh", Unit.KWH, "electricity it used, owned and rented accelerators"),
    _provider(
        "profit",
        Unit.USD_PER_MONTH,
        "revenue less operating cost (energy, halls, staff, rent) and depreciation",
    ),
    _provider("cash", Unit.USD, "cash available for investment"),
    _provider("capex", Unit.USD, "what the step's accelerator orders cost"),
    _provider("capability", Unit.CAPABILITY, "its model's capability"),
    _provider(
        "efficiency",
        Unit.EFFICIENCY,
        "tokens per accelerator relative to the reference model (DeepSeek V3 = 1); grows "
        "by learning",
    ),
    _provider("developers", Unit.DEVELOPERS, "developers using it"),
    _provider("share_global", Unit.SHARE, "its share of the tokens served on global platforms"),
    *(
        _provider(
            f"compute_{channel}", Unit.H100E, f"its inference compute {_CHANNEL_MEANINGS[channel]}"
        )
        for channel in CHANNELS
    ),
)
"""Columns of ``provider_steps`` after the provider's name and jurisdiction, in table order."""

SEGMENT_METRICS: tuple[Metric, ...] = (
    Metric(
        "developers",
        Level.SEGMENT,
        Unit.DEVELOPERS,
        "developers of the region and segment using the provider",
    ),
    Metric("tokens", Level.SEGMENT, Unit.TOKENS, "tokens the provider served them"),
    Metric("demand", Level.SEGMENT, Unit.TOKENS, "tokens they demanded from the provider"),
    Metric(
        "spend_usd",
        Level.SEGMENT,
        Unit.USD_PER_MONTH,
        "what they paid the provider: each developer's tokens served x the mean price of the "
        "products its segment and kind of work buy there; NULL in runs stored before schema "
        "version 5",
    ),
)
"""Columns of ``segment_steps`` after region, segment and provider, in table order."""

PRODUCT_METRICS: tuple[Metric, ...] = (
    Metric("tokens", Level.PRODUCT, Unit.TOKENS, "tokens the product served, all developers"),
    Metric(
        "tokens_global",
        Level.PRODUCT,
        Unit.TOKENS,
        "tokens it served to developers on global platforms",
    ),
    Metric("spend_usd", Level.PRODUCT, Unit.USD_PER_MONTH, "what developers paid for it"),
    Metric(
        "price",
        Level.PRODUCT,
        Unit.PRICE,
        "its price: the list price at launch, moved since by its lab's pricing",
    ),
)
"""Columns of ``product_steps`` after product and provider, in table order."""

METRICS: dict[Level, tuple[Metric, ...]] = {
    Level.MARKET: MARKET_METRICS,
    Level.PROVIDER: PROVIDER_METRICS,
    Level.SEGMENT: SEGMENT_METRICS,
    Level.PRODUCT: PRODUCT_METRICS,
}
"""Every metric, by level."""


def names(level: Level) -> tuple[str, ...]:
    """The names of one level's metrics, in table order."""
    return tuple(metric.name for metric in METRICS[level])


def metric(name: str, level: Level = Level.MARKET) -> Metric:
    """The metric of that name at that level.

    Raises:
        KeyError: naming the level and its metrics, if there is none.
    """
    for candidate in METRICS[level]:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no {level} metric {name!r}; known: {', '.join(names(level))}")
