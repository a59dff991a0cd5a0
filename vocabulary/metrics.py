"""Every metric the model records, defined once: name, level, unit, meaning and label.

The model's step record (``simulator/metrics.py``) emits these names; the run store's history
tables (``runs/schema.py``) are built from them; targets and sweep outcomes are checked against
them; docs/model.md shows them as a generated table; the CLI reads their units from here.
``tests/test_metric_list.py`` fails if the model and this list disagree.

Each metric has one label, the words every table, chart and document shows it under (``sim
run``'s summary, ``sim runs compare``, ``sim sweep show``, plots, the dashboard): one quantity,
one name. ``_global`` in a name means developers outside China (once called "global
platforms"), ``_china`` developers in China. Shares are fractions from 0 to 1. Tokens, revenue,
energy and profit are monthly rates whatever the step length; capex and seized accelerators are
what the step's orders spent and lost.
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
    """One recorded quantity: its column name, table level, unit, what it measures, its label.

    ``label`` is how people see it named (``Chinese share, developers outside China``); the
    column ``name`` (``cn_share_global``) is what code, ``--outcome`` and the store use.
    ``tests/test_metric_list.py`` checks that every metric has one, unique in its level.
    """

    name: str
    level: Level
    unit: Unit
    meaning: str
    label: str = ""


_JURISDICTION_NAMES = {"US": "US", "EU": "EU", "CN": "Chinese"}
_CHANNEL_MEANINGS = {
    "legal": "on accelerators bought legally",
    "domestic": "on accelerators made at home",
    "smuggled": "on smuggled accelerators",
    "remote": "on accelerators rented abroad",
}
_CHANNEL_LABELS = {
    "legal": "bought legally",
    "domestic": "domestic chips",
    "smuggled": "smuggled",
    "remote": "rented abroad",
}


OWNED_CHANNELS = CHANNELS[:3]
"""The channels accelerators are bought through (legal, domestic, smuggled); the fourth,
``remote``, is rented."""
_BOUGHT_MEANINGS = {
    "legal": "bought legally from abroad",
    "domestic": "made at home",
    "smuggled": "smuggled in",
}


def _market(name: str, unit: Unit, meaning: str, label: str = "") -> Metric:
    return Metric(name, Level.MARKET, unit, meaning, label)


def _provider(name: str, unit: Unit, meaning: str, label: str = "") -> Metric:
    return Metric(name, Level.PROVIDER, unit, meaning, label)


def _market_compute() -> tuple[Metric, ...]:
    """Compute by provider jurisdiction and channel, then the jurisdiction's total."""
    metrics = []
    for jurisdiction in JURISDICTIONS:
        whose = f"{_JURISDICTION_NAMES[jurisdiction]} providers"
        owner = f"{whose}' inference compute"
        prefix = f"compute_{jurisdiction.lower()}"
        metrics += [
            _market(
                f"{prefix}_{channel}",
                Unit.H100E,
                f"{owner} {_CHANNEL_MEANINGS[channel]}",
                f"Compute, {whose}: {_CHANNEL_LABELS[channel]}",
            )
            for channel in CHANNELS
        ]
        metrics.append(_market(prefix, Unit.H100E, f"{owner}, all channels", f"Compute, {whose}"))
    return tuple(metrics)


MARKET_METRICS: tuple[Metric, ...] = (
    _market(
        "tokens_total",
        Unit.TOKENS,
        "tokens served, all developers",
        "Tokens served, all developers",
    ),
    _market(
        "tokens_global",
        Unit.TOKENS,
        "tokens served to developers outside China",
        "Tokens served, developers outside China",
    ),
    _market(
        "tokens_china",
        Unit.TOKENS,
        "tokens served to developers in China",
        "Tokens served, developers in China",
    ),
    _market(
        "tokens_demanded", Unit.TOKENS, "tokens demanded at the step's prices", "Tokens demanded"
    ),
    _market(
        "tokens_unserved",
        Unit.TOKENS,
        "tokens demanded but not served (over capacity): a lab short of chips throttles its own "
        "apps in China before its API customers",
        "Tokens demanded, not served",
    ),
    _market(
        "cn_share",
        Unit.SHARE,
        "Chinese providers' share of all tokens served, China's own market included: by who "
        "serves them (a Chinese-made model a host outside China serves is not counted; "
        "cn_model_share counts it)",
        "Chinese share, all developers",
    ),
    _market(
        "cn_share_global",
        Unit.SHARE,
        "Chinese providers' share of the tokens served to developers outside China, by who "
        "serves them (cn_model_share_global counts by who made the model)",
        "Chinese share, developers outside China",
    ),
    _market(
        "cn_share_china",
        Unit.SHARE,
        "Chinese providers' share of the tokens served to developers in China",
        "Chinese share, developers in China",
    ),
    _market(
        "cn_share_of_cn_us_global",
        Unit.SHARE,
        "Chinese providers' share of the tokens that Chinese or US providers served to "
        "developers outside China",
        "Chinese share of Chinese and US tokens, developers outside China",
    ),
    _market(
        "price_cn",
        Unit.PRICE,
        "token-weighted price of Chinese providers; NULL when they served none",
        "Price, Chinese providers",
    ),
    _market(
        "price_us",
        Unit.PRICE,
        "token-weighted price of US providers; NULL when they served none",
        "Price, US providers",
    ),
    _market(
        "price_eu",
        Unit.PRICE,
        "token-weighted price of EU providers; NULL when they served none",
        "Price, EU providers",
    ),
    _market(
        "price_avg", Unit.PRICE, "token-weighted price of all providers", "Price, all providers"
    ),
    _market(
        "revenue",
        Unit.USD_PER_MONTH,
        "API revenue of all providers (China's own apps earn none)",
        "Revenue, all providers",
    ),
    _market(
        "revenue_cn",
        Unit.USD_PER_MONTH,
        "API revenue of Chinese providers",
        "Revenue, Chinese providers",
    ),
    _market(
        "energy_kwh",
        Unit.KWH,
        "electricity used by all providers, owned and rented",
        "Electricity, all providers",
    ),
    _market(
        "energy_kwh_cn",
        Unit.KWH,
        "electricity used by Chinese providers",
        "Electricity, Chinese providers",
    ),
    _market(
        "value_added_per_kwh_cn",
        Unit.POWER_PRICE_MULTIPLE,
        "Chinese providers' API revenue per kWh of the electricity their API tokens use (not "
        "their own apps'), over their energy-weighted electricity price; NULL without energy used",
        "Value added per kWh, Chinese providers",
    ),
    _market(
        "value_added_per_kwh_west",
        Unit.POWER_PRICE_MULTIPLE,
        "the same for US and EU providers",
        "Value added per kWh, US and EU providers",
    ),
    _market(
        "capacity",
        Unit.TOKENS,
        "tokens all providers can serve this step",
        "Capacity, all providers",
    ),
    _market("utilisation", Unit.SHARE, "tokens served over capacity", "Utilisation, all providers"),
    _market(
        "capability_frontier",
        Unit.CAPABILITY,
        "the frontier's capability",
        "Capability, frontier",
    ),
    _market(
        "capability_best_cn",
        Unit.CAPABILITY,
        "the best Chinese provider's capability",
        "Capability, best Chinese provider",
    ),
    _market(
        "capability_best_us",
        Unit.CAPABILITY,
        "the best US provider's capability",
        "Capability, best US provider",
    ),
    _market(
        "capability_gap",
        Unit.CAPABILITY,
        "best US capability minus best Chinese capability",
        "Capability gap, US minus Chinese",
    ),
    _market(
        "hhi_global",
        Unit.HHI,
        "Herfindahl-Hirschman index of provider shares of the tokens served to developers "
        "outside China",
        "Concentration (HHI), developers outside China",
    ),
    _market(
        "hhi_china",
        Unit.HHI,
        "Herfindahl-Hirschman index of provider shares of the tokens served to developers in China",
        "Concentration (HHI), developers in China",
    ),
    _market(
        "developers_on_cn",
        Unit.DEVELOPERS,
        "developers using a Chinese provider",
        "Developers on Chinese providers",
    ),
    _market(
        "seized_units",
        Unit.ACCELERATORS,
        "smuggled accelerators seized from the step's orders",
        "Smuggled accelerators seized",
    ),
    *_market_compute(),
    _market(
        "cn_model_share",
        Unit.SHARE,
        "Chinese-made models' share of all tokens served, whoever serves them (their labs, or "
        "hosts abroad): the count of TARGETS.md T1-T10; equal to cn_share without hosts; NULL "
        "in runs stored before schema version 10",
        "Chinese-made models' share, all developers",
    ),
    _market(
        "cn_model_share_global",
        Unit.SHARE,
        "Chinese-made models' share of the tokens served to developers outside China, whoever "
        "serves them; equal to cn_share_global without hosts; NULL in runs stored before "
        "schema version 10",
        "Chinese-made models' share, developers outside China",
    ),
)
"""Columns of ``market_steps``, in table order; any may be NULL (nothing to measure)."""

PROVIDER_METRICS: tuple[Metric, ...] = (
    _provider("demand", Unit.TOKENS, "tokens demanded from the provider", "Tokens demanded"),
    _provider("served", Unit.TOKENS, "tokens the provider served", "Tokens served"),
    _provider(
        "served_global",
        Unit.TOKENS,
        "tokens it served to developers outside China",
        "Tokens served, developers outside China",
    ),
    _provider("capacity", Unit.TOKENS, "tokens it can serve this step", "Capacity"),
    _provider("utilisation", Unit.SHARE, "tokens served over capacity", "Utilisation"),
    _provider("price", Unit.PRICE, "its list price", "Price"),
    _provider(
        "markup", Unit.MARKUP, "its markup over average cost at planned utilisation", "Markup"
    ),
    _provider(
        "latency_s",
        Unit.SECONDS,
        "time to first token on its API, congestion included (network latency not)",
        "Latency",
    ),
    _provider(
        "revenue",
        Unit.USD_PER_MONTH,
        "its API revenue (its own apps in China earn none)",
        "Revenue",
    ),
    _provider(
        "energy_kwh",
        Unit.KWH,
        "electricity it used, owned and rented accelerators",
        "Electricity",
    ),
    _provider(
        "profit",
        Unit.USD_PER_MONTH,
        "API revenue less the API tokens' operating cost (energy, halls, staff, rent; the "
        "parent pays its own apps' share) and depreciation",
        "Profit",
    ),
    _provider("cash", Unit.USD, "cash available for investment", "Cash"),
    _provider("capex", Unit.USD, "what the step's accelerator orders cost", "Accelerator orders"),
    _provider("capability", Unit.CAPABILITY, "its model's capability", "Capability"),
    _provider(
        "efficiency",
        Unit.EFFICIENCY,
        "tokens per accelerator relative to the reference model (DeepSeek V3 = 1); grows "
        "by learning",
        "Efficiency",
    ),
    _provider("developers", Unit.DEVELOPERS, "developers using it", "Developers"),
    _provider(
        "share_global",
        Unit.SHARE,
        "its share of the tokens served to developers outside China",
        "Share, developers outside China",
    ),
    *(
        _provider(
            f"compute_{channel}",
            Unit.H100E,
            f"its inference compute {_CHANNEL_MEANINGS[channel]}",
            f"Compute: {_CHANNEL_LABELS[channel]}",
        )
        for channel in CHANNELS
    ),
    *(
        metric
        for channel in OWNED_CHANNELS
        for metric in (
            _provider(
                f"bought_{channel}_units",
                Unit.ACCELERATORS,
                f"accelerators the step's orders paid for, {_BOUGHT_MEANINGS[channel]} (seized "
                "ones included); NULL in runs stored before schema version 8",
                f"Accelerators bought, {_BOUGHT_MEANINGS[channel]}",
            ),
            _provider(
                f"bought_{channel}_usd",
                Unit.USD,
                f"what the step's orders {_BOUGHT_MEANINGS[channel]} cost, export fees and "
                "smuggling premiums included; NULL in runs stored before schema version 8",
                f"Spend on accelerators, {_BOUGHT_MEANINGS[channel]}",
            ),
        )
    ),
    _provider(
        "served_apps",
        Unit.TOKENS,
        "of the tokens it served in China, those of its own consumer apps (no API revenue); "
        "NULL in runs stored before schema version 9",
        "Tokens served, own apps in China",
    ),
)
"""Columns of ``provider_steps`` after the provider's name and jurisdiction, in table order."""

SEGMENT_METRICS: tuple[Metric, ...] = (
    Metric(
        "developers",
        Level.SEGMENT,
        Unit.DEVELOPERS,
        "developers of the region and segment using the provider",
        "Developers",
    ),
    Metric(
        "tokens", Level.SEGMENT, Unit.TOKENS, "tokens the provider served them", "Tokens served"
    ),
    Metric(
        "demand",
        Level.SEGMENT,
        Unit.TOKENS,
        "tokens they demanded from the provider",
        "Tokens demanded",
    ),
    Metric(
        "spend_usd",
        Level.SEGMENT,
        Unit.USD_PER_MONTH,
        "what they paid the provider: each developer's tokens served x the mean price of the "
        "products its segment and kind of work buy there; NULL in runs stored before schema "
        "version 5",
        "Spend",
    ),
    Metric(
        "hosted_cn_tokens",
        Level.SEGMENT,
        Unit.TOKENS,
        "of the tokens served, those of Chinese-made models that a provider outside China "
        "hosts (0 for a lab serving its own models); NULL in runs stored before schema "
        "version 10",
        "Chinese-made models' tokens, hosted abroad",
    ),
)
"""Columns of ``segment_steps`` after region, segment and provider, in table order."""

PRODUCT_METRICS: tuple[Metric, ...] = (
    Metric(
        "tokens",
        Level.PRODUCT,
        Unit.TOKENS,
        "tokens the product served, all developers",
        "Tokens served",
    ),
    Metric(
        "tokens_global",
        Level.PRODUCT,
        Unit.TOKENS,
        "tokens it served to developers outside China",
        "Tokens served, developers outside China",
    ),
    Metric("spend_usd", Level.PRODUCT, Unit.USD_PER_MONTH, "what developers paid for it", "Spend"),
    Metric(
        "price",
        Level.PRODUCT,
        Unit.PRICE,
        "its list price: the price at launch, moved since by its lab's pricing (cache hits "
        "are billed below it: spend over tokens is what was paid)",
        "Price",
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
