"""Stage 2 of the step: accelerators arrive, are ordered through their channels, and are rented.

Each provider first moves a fleet far larger than its need to its other uses, or brings such
accelerators back when it needs them again; then it asks for the owned capacity it will need
when an order placed now arrives. It fills that gap through the channels its constraints leave
open, each of them finite but the open market:

1. **smuggled** - if some available chips are banned for its jurisdiction, the policy's leakage
   share of that demand (for the most cost-effective banned chip) is smuggled in, within a
   national monthly cap shared pro rata, at a premium, and a seized share never arrives;
2. **legal** and **domestic** - the rest, from the cheapest chips (USD per token/s, export fee
   included) it may buy: open-market chips in any quantity, foreign-made ones together within
   what its own government does not refuse, domestic chips (Huawei's Ascend, T-Head's PPU,
   Cambricon's MLU) from each maker's monthly output shared pro rata among the country's
   providers; what a capped chip cannot supply falls to the next cheapest;
3. everything within the share of its cash the provider commits in a month (its parent pays
   the share its own apps use);
4. **remote** - providers that rent foreign compute ask for their planned share of needs, or
   the shortfall of owned and ordered capacity, whichever is more, ``rental_lead_months`` ahead;
   the foreign capacity open to them (``rental_capacity_abroad_h100e``, of which
   ``national_supply_share`` serves inference) is shared pro rata among the askers, and the
   policies (the Remote Access Security Act) let them use ``remote_keep`` of what they rent.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from agents.chips import SMUGGLED, ChipCatalogue
from agents.provider import ProviderAgent
from policies.constraints import Constraints
from scenario.sections import SupplyParams
from simulator.demand import by_year
from vocabulary.calendar import year_of


@dataclass
class _Request:
    """What one provider takes from the market this month, before its budget is applied."""

    provider: ProviderAgent
    growth: float
    """Monthly growth of the provider's demand, for its forecasts (``demand_growth``)."""
    gap: float
    per_unit: np.ndarray
    lead: int
    banned: np.ndarray
    """(C,) whether each chip is banned for the provider's jurisdiction this month."""
    foreign_allowance: float = math.inf
    """Tokens per month of capacity it may still buy from abroad this month: its own
    government's refusal (Beijing's measures) holds back that share of the month's gap,
    whichever foreign chips fill it."""
    allocations: list[tuple[int, int, float]] = field(default_factory=list)


def run_chip_market(
    providers: list[ProviderAgent],
    catalogue: ChipCatalogue,
    constraints: Constraints,
    month: int,
    supply: SupplyParams,
    fallback_growth: dict[int, float],
) -> None:
    """Deliver, order and rent accelerators for ``month`` (see the module docstring).

    Called once a month: in weekly runs, in the month's first week.
    """
    for provider in providers:
        provider.receive_deliveries(month)

    banned = {
        j: catalogue.banned_for(constraints, j)
        for j in {provider.spec.jurisdiction for provider in providers}
    }
    requests = []
    for provider in providers:
        jurisdiction = provider.spec.jurisdiction
        lead = supply.lead_time_months[jurisdiction] + constraints.extra_lead_months[jurisdiction]
        growth = provider.demand_growth(fallback_growth[provider.index])
        provider.redeploy_idle(supply)
        gap = provider.recall_redeployed(provider.capacity_gap(lead, supply, growth), month, supply)
        requests.append(
            _Request(
                provider,
                growth,
                gap,
                provider.fleet_numbers(supply).per_unit,
                lead,
                banned[jurisdiction],
            )
        )

    available = np.flatnonzero(catalogue.available_from <= month)
    cost_per_throughput = catalogue.price_usd / catalogue.tokens_per_s
    _allocate_smuggled(requests, catalogue, constraints, available, cost_per_throughput, supply)
    _allocate_purchases(
        requests, catalogue, constraints, banned, available, cost_per_throughput, month, supply
    )

    for request in requests:
        _place_orders(request, catalogue, constraints, month, supply)
    _sign_rentals(requests, catalogue, constraints, month, supply)
    for provider in providers:
        provider.use_rental(constraints.remote_keep[provider.spec.jurisdiction], supply)


def _sign_rentals(
    requests: list[_Request],
    catalogue: ChipCatalogue,
    constraints: Constraints,
    month: int,
    supply: SupplyParams,
) -> None:
    """Share the foreign capacity of ``rental_lead_months`` ahead among the providers renting.

    Each jurisdiction's renters share what host countries' rules leave open to them
    (``constraints.foreign_capacity_open``); each signs for its pro-rata share of what it
    asked, from that month on.
    """
    first_month = month + supply.rental_lead_months
    renting: dict[str, list[tuple[ProviderAgent, float]]] = defaultdict(list)
    for request in requests:
        provider = request.provider
        if provider.spec.remote_share > 0:
            units = provider.rental_wanted(supply, supply.rental_lead_months, request.growth)
            renting[provider.spec.jurisdiction].append((provider, units))
    remote_h100 = float(catalogue.h100_equivalents[catalogue.index(supply.remote_chip)])
    capacity = (
        by_year(supply.rental_capacity_abroad_h100e, year_of(first_month))
        * supply.national_supply_share
        / remote_h100
    )
    for jurisdiction, rows in renting.items():
        pool = capacity * constraints.foreign_capacity_open[jurisdiction]
        ratio = _pro_rata(pool, sum(units for _, units in rows))
        for provider, units in rows:
            provider.sign_rental(units * ratio, first_month)


def _pro_rata(pool: float, asked: float) -> float:
    """Share of each ask a capped pool can meet: all of it if the pool suffices."""
    return 1.0 if asked <= pool else pool / asked


def _allocate_smuggled(
    requests: list[_Request],
    catalogue: ChipCatalogue,
    constraints: Constraints,
    available: np.ndarray,
    cost_per_throughput: np.ndarray,
    supply: SupplyParams,
) -> None:
    """Give each provider its smuggled chips, within its country's cap, pro rata."""
    wanted: dict[str, list[tuple[_Request, int, float]]] = defaultdict(list)
    for request in requests:
        buyer = request.provider.spec.jurisdiction
        leakage = constraints.smuggling_leakage[buyer]
        banned = available[request.banned[available]].tolist()
        if leakage <= 0 or not banned or request.gap <= 0:
            continue
        best = min(banned, key=lambda c: cost_per_throughput[c])
        wanted[buyer].append((request, best, leakage * request.gap / request.per_unit[best]))
    for buyer, rows in wanted.items():
        pool = constraints.smuggling_cap_per_year[buyer] / 12.0 * supply.national_supply_share
        ratio = _pro_rata(pool, sum(units for _, _, units in rows))
        for request, chip, units in rows:
            got = units * ratio
            request.allocations.append((chip, SMUGGLED, got))
            request.gap -= got * (1.0 - constraints.seizure_rate) * request.per_unit[chip]


def _allocate_purchases(
    requests: list[_Request],
    catalogue: ChipCatalogue,
    constraints: Constraints,
    banned: dict[str, np.ndarray],
    available: np.ndarray,
    cost_per_throughput: np.ndarray,
    month: int,
    supply: SupplyParams,
) -> None:
    """Fill the remaining gaps from legal and domestic chips, cheapest first, in rounds.

    In round k every provider with a gap left asks its k-th cheapest chip for all of it, of
    foreign-made chips together at most the share of the month's gap its own government does not
    refuse (``constraints.foreign_chip_refusal``); a chip with capped output is shared pro rata
    among that round's askers. ``banned`` holds each buying jurisdiction's (C,) banned chips
    this month.
    """
    by_buyer = {
        buyer: _options(available, cost_per_throughput, catalogue, constraints, buyer, chips)
        for buyer, chips in banned.items()
    }
    options = {i: by_buyer[r.provider.spec.jurisdiction] for i, r in enumerate(requests)}
    for request in requests:
        refused = constraints.foreign_chip_refusal[request.provider.spec.jurisdiction]
        request.foreign_allowance = (1.0 - refused) * request.gap
    remaining_output = {
        c: output * supply.national_supply_share
        for c in available
        if (output := catalogue.monthly_output(c, month)) is not None
    }
    for round_ in range(len(catalogue)):
        asks: dict[int, list[tuple[_Request, float]]] = defaultdict(list)
        for i, request in enumerate(requests):
            if request.gap > 0 and round_ < len(options[i]):
                chip = options[i][round_]
                wanted = request.gap
                if catalogue.made_in[chip] != request.provider.spec.jurisdiction:
                    wanted = min(wanted, request.foreign_allowance)
                if wanted > 0:
                    asks[chip].append((request, wanted / request.per_unit[chip]))
        if not asks:  # gaps only shrink: no later round has askers either
            break
        for chip, rows in asks.items():
            total = sum(units for _, units in rows)
            ratio = 1.0
            if chip in remaining_output:
                ratio = _pro_rata(remaining_output[chip], total)
                remaining_output[chip] = max(0.0, remaining_output[chip] - total * ratio)
            for request, units in rows:
                got = units * ratio
                buyer = request.provider.spec.jurisdiction
                request.allocations.append((chip, catalogue.channel_for(chip, buyer), got))
                request.gap -= got * request.per_unit[chip]
                if catalogue.made_in[chip] != buyer:
                    request.foreign_allowance -= got * request.per_unit[chip]


def _options(
    available: np.ndarray,
    cost_per_throughput: np.ndarray,
    catalogue: ChipCatalogue,
    constraints: Constraints,
    buyer: str,
    banned: np.ndarray,
) -> list[int]:
    """The chips ``buyer`` may buy, cheapest first with export fees.

    The same for all of a jurisdiction's labs.
    """
    is_banned = banned.tolist()
    options = [
        c for c in available.tolist() if catalogue.for_sale_to(c, buyer) and not is_banned[c]
    ]
    return sorted(
        options,
        key=lambda c: (
            cost_per_throughput[c] * (1.0 + constraints.export_fee(buyer, catalogue.names[c]))
        ),
    )


def _place_orders(
    request: _Request,
    catalogue: ChipCatalogue,
    constraints: Constraints,
    month: int,
    supply: SupplyParams,
) -> None:
    """Pay for the allocations, scaled down to the month's budget, and queue the deliveries."""
    provider = request.provider

    buyer = provider.spec.jurisdiction

    def unit_price(chip: int, channel: int) -> float:
        if channel == SMUGGLED:
            extra = constraints.smuggling_premium
        else:
            extra = constraints.export_fee(buyer, catalogue.names[chip])
        return float(catalogue.price_usd[chip]) * (1.0 + extra)

    cost = sum(units * unit_price(chip, channel) for chip, channel, units in request.allocations)
    budget = supply.spend_share_per_month * max(provider.cash, 0.0)
    own_cost = cost * (1.0 - provider.apps_share)  # the parent pays its apps' share
    scale = (_pro_rata(budget, own_cost) if own_cost > 0 else 1.0) if cost > 0 else 0.0
    for chip, channel, units in request.allocations:
        if units * scale <= 0:
            continue
        smuggled = channel == SMUGGLED
        provider.order(
            chip,
            channel,
            units * scale,
            unit_price(chip, channel),
            seized=constraints.seizure_rate if smuggled else 0.0,
            arrival=month + request.lead + (supply.smuggling_extra_months if smuggled else 0),
        )
