"""Stage 7: the step's metrics, as the rows the run store keeps.

"Global platforms" are developers outside China (the population that routes through platforms
such as OpenRouter); "China" is developers in China. Compute is counted in H100-equivalents of
inference throughput. Prices are token-weighted averages, in USD per million tokens. Tokens,
revenue and energy are monthly rates whatever the step length, so weekly and monthly runs read
on the same scale; capex and seized units are what the step's orders spent and lost (in weekly
runs, all in the month's first week).
"""

from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np

from agents.developers import DeveloperPopulation
from agents.provider import ProviderSnapshot
from policies.engine import PolicyEvent
from simulator.clearing import Clearing
from vocabulary.calendar import format_month
from vocabulary.metrics import OWNED_CHANNELS
from vocabulary.regions import CHANNELS, CHINA, DEV_REGIONS, JURISDICTIONS, SEGMENTS


@dataclass(frozen=True)
class StepRecord:
    """One step's rows, as the run store writes them.

    ``market`` (one), ``providers`` (one per provider), ``segments`` (one per region x segment
    x provider with developers or tokens), ``products`` (one per product on sale: ``product``,
    ``provider``, ``tokens`` and ``tokens_global`` served per month, ``spend_usd`` per month,
    ``price`` in USD per million tokens), ``events`` (policy changes).

    ``month`` is the month the step starts in (``YYYY-MM``, as stored); ``date`` the step as
    users read it: the month again for monthly steps, the start day ``YYYY-MM-DD`` for weeks.
    """

    step: int
    month: str
    date: str
    market: dict[str, Any]
    providers: list[dict[str, Any]]
    segments: list[dict[str, Any]]
    events: list[PolicyEvent]
    products: list[dict[str, Any]] = field(default_factory=list)


def _share(part: float, whole: float) -> float:
    """Part / whole for a part of the whole, clipped to [0, 1].

    Separately rounded sums can put the ratio a few ulps above one.
    """
    return float(min(1.0, part / whole)) if whole > 0 else 0.0


def _shares(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """:func:`_share` element by element."""
    ratio = np.divide(part, whole, out=np.zeros_like(part, dtype=float), where=whole > 0)
    return np.minimum(1.0, ratio)


def table_rows(columns: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows (dicts of Python numbers and strings) from equally long columns.

    Arrays become Python ints and floats through ``tolist``: the same values as ``float(x[i])``,
    without a numpy scalar per cell.
    """
    names = list(columns)
    values = [c.tolist() if isinstance(c, np.ndarray) else c for c in columns.values()]
    return list(map(dict, map(zip, repeat(names), zip(*values, strict=True))))  # no Python loop


def _weighted_price(prices: np.ndarray, tokens: np.ndarray, mask: np.ndarray) -> float:
    volume = tokens[mask].sum()
    return float((prices[mask] * tokens[mask]).sum() / volume) if volume > 0 else float("nan")


def _hhi(tokens: np.ndarray) -> float:
    total = tokens.sum()
    return float(((tokens / total) ** 2).sum() * 10_000) if total > 0 else 0.0


def record_step(
    *,
    step: int,
    month: int,
    date: str,
    providers: ProviderSnapshot,
    frontier: float,
    developers: DeveloperPopulation,
    clearing: Clearing,
    developer_demand: np.ndarray,
    events: list[PolicyEvent],
    group_price: np.ndarray,
    products: list[dict[str, Any]],
    hosted_cn: np.ndarray | None = None,
) -> StepRecord:
    """The metrics of the step just simulated (DESIGN section 2, "Metrics every step").

    Args:
        step: the step's index, from 0.
        month: the month index the step starts in (see ``vocabulary.calendar``).
        date: the step as users read it (``StepClock.label``).
        providers: the providers after this step's accounting and learning.
        frontier: the frontier capability.
        developers: the population, on this step's providers.
        clearing: this step's clearing.
        developer_demand: (N,) tokens each developer asked for.
        events: this step's policy events.
        group_price: (G, P) USD per million tokens each buyer group (segment x work) paid at
            each provider.
        products: the step's product rows (see :class:`StepRecord`).
        hosted_cn: (G, P) share of a buyer group's tokens at each provider that go to
            Chinese-made models a provider outside China hosts; None when no provider hosts one
            (a roster without hosts), which counts every model with the lab serving it.
    """
    dev = developers
    n_prov = len(providers.names)
    jurisdiction = np.array(providers.jurisdictions)
    is_cn = jurisdiction == "CN"
    is_us = jurisdiction == "US"
    is_west = ~is_cn
    prices = providers.price

    # One pass over the developers: bin 2 p + 1 holds provider p's tokens served in China.
    by_market = np.bincount(
        dev.provider.astype(np.int64) * 2 + (dev.region == CHINA),
        weights=clearing.developer_served,
        minlength=2 * n_prov,
    )
    served_global, served_china = by_market[0::2], by_market[1::2]
    total = clearing.served.sum()

    compute = providers.compute
    capacity = providers.capacity
    revenue = providers.revenue
    energy = providers.energy_kwh
    electricity = providers.electricity_usd_per_kwh
    capability = providers.capability

    # the electricity that API tokens use: the apps' tokens draw the rest and earn nothing
    api_energy = energy * (1.0 - _shares(providers.served_apps, clearing.served))

    def value_added_per_kwh(mask: np.ndarray) -> float:
        kwh = api_energy[mask].sum()
        if kwh <= 0:
            return float("nan")
        average_electricity = (electricity[mask] * api_energy[mask]).sum() / kwh
        return float(revenue[mask].sum() / kwh / average_electricity)

    n_seg = len(SEGMENTS)
    key = dev.cell * n_prov + dev.provider
    size = len(DEV_REGIONS) * n_seg * n_prov
    counts = np.bincount(key, minlength=size)
    if hosted_cn is None:
        hosted = np.zeros(size)
        hosted_total = hosted_global = 0.0
    else:
        by_developer = clearing.developer_served * np.take(
            hosted_cn, dev.group * n_prov + dev.provider
        )
        hosted = np.bincount(key, weights=by_developer, minlength=size)
        hosted_total = float(by_developer.sum())
        hosted_global = float(by_developer[dev.region != CHINA].sum())
    developers_by_provider = counts.reshape(-1, n_prov).sum(axis=0)  # integers: any order
    market: dict[str, Any] = {
        "tokens_total": float(total),
        "tokens_global": float(served_global.sum()),
        "tokens_china": float(served_china.sum()),
        "tokens_demanded": float(clearing.demand.sum()),
        "tokens_unserved": float(clearing.demand.sum() - total),
        "cn_share": _share(clearing.served[is_cn].sum(), total),
        "cn_share_global": _share(served_global[is_cn].sum(), served_global.sum()),
        "cn_share_china": _share(served_china[is_cn].sum(), served_china.sum()),
        "cn_share_of_cn_us_global": _share(
            served_global[is_cn].sum(), served_global[is_cn | is_us].sum()
        ),
        "price_cn": _weighted_price(prices, clearing.served, is_cn),
        "price_us": _weighted_price(prices, clearing.served, is_us),
        "price_eu": _weighted_price(prices, clearing.served, jurisdiction == "EU"),
        "price_avg": _weighted_price(prices, clearing.served, np.ones(n_prov, dtype=bool)),
        "revenue": float(revenue.sum()),
        "revenue_cn": float(revenue[is_cn].sum()),
        "energy_kwh": float(energy.sum()),
        "energy_kwh_cn": float(energy[is_cn].sum()),
        "value_added_per_kwh_cn": value_added_per_kwh(is_cn),
        "value_added_per_kwh_west": value_added_per_kwh(is_west),
        "capacity": float(capacity.sum()),
        "utilisation": _share(total, capacity.sum()),
        "capability_frontier": float(frontier),
        "capability_best_cn": float(capability[is_cn].max()) if is_cn.any() else 0.0,
        "capability_best_us": float(capability[is_us].max()) if is_us.any() else 0.0,
        "hhi_global": _hhi(served_global),
        "hhi_china": _hhi(served_china),
        "developers_on_cn": int(developers_by_provider[is_cn].sum()),
        "seized_units": float(sum(providers.seized_units.tolist())),  # in order, not pairwise
    }
    market["capability_gap"] = market["capability_best_us"] - market["capability_best_cn"]
    for j in JURISDICTIONS:
        in_j = compute[jurisdiction == j]
        for c, channel in enumerate(CHANNELS):
            market[f"compute_{j.lower()}_{channel}"] = float(in_j[:, c].sum())
        market[f"compute_{j.lower()}"] = float(in_j.sum())
    # by the lab that made the model: what Chinese providers serve plus what hosts abroad serve
    # of Chinese-made models (adding 0.0 without hosts keeps these equal to cn_share's)
    market["cn_model_share"] = _share(clearing.served[is_cn].sum() + hosted_total, total)
    market["cn_model_share_global"] = _share(
        served_global[is_cn].sum() + hosted_global, served_global.sum()
    )

    columns = {
        "provider": list(providers.names),
        "jurisdiction": list(providers.jurisdictions),
        "demand": clearing.demand,
        "served": clearing.served,
        "served_global": served_global,
        "capacity": capacity,
        "utilisation": _shares(clearing.served, capacity),
        "price": prices,
        "markup": providers.markup,
        "latency_s": providers.latency_s,
        "revenue": revenue,
        "energy_kwh": energy,
        "profit": providers.profit,
        "cash": providers.cash,
        "capex": providers.capex,
        "capability": capability,
        "efficiency": providers.efficiency,
        "developers": developers_by_provider,
        "share_global": _shares(served_global, np.full(n_prov, served_global.sum())),
        **{f"compute_{channel}": compute[:, c] for c, channel in enumerate(CHANNELS)},
        **{
            f"bought_{channel}_{unit}": bought[:, c]
            for c, channel in enumerate(OWNED_CHANNELS)
            for unit, bought in (("units", providers.bought_units), ("usd", providers.bought_usd))
        },
        "served_apps": providers.served_apps,
    }
    provider_rows = table_rows(columns)

    tokens = np.bincount(key, weights=clearing.developer_served, minlength=size)
    demand = np.bincount(key, weights=developer_demand, minlength=size)
    # a segment's kinds of work pay their own mixes; one flat index is cheaper than two
    paid = np.take(group_price, dev.group * n_prov + dev.provider)
    # the API's tokens pay; the labs' own apps' tokens (in China) do not
    spend = np.bincount(key, weights=clearing.developer_api_served * paid, minlength=size)
    kept = np.flatnonzero(counts)
    region, segment, provider = np.unravel_index(kept, (len(DEV_REGIONS), n_seg, n_prov))
    segment_rows = table_rows(
        {
            "region": list(map(DEV_REGIONS.__getitem__, region.tolist())),
            "segment": list(map(SEGMENTS.__getitem__, segment.tolist())),
            "provider": list(map(providers.names.__getitem__, provider.tolist())),
            "developers": counts[kept],
            "tokens": tokens[kept],
            "demand": demand[kept],
            "spend_usd": spend[kept] / 1e6,
            "hosted_cn_tokens": hosted[kept],
        }
    )

    return StepRecord(
        step=step,
        month=format_month(month),
        date=date,
        market=market,
        providers=provider_rows,
        segments=segment_rows,
        events=list(events),
        products=products,
    )
