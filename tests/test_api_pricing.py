"""What API tokens sell for: cache hits billed below list price, prices on the API's own load."""

from copy import deepcopy

import numpy as np
import pytest

from agents.cache_pricing import CachePricing
from scenario.roster import default_providers
from simulator.model import TokenMarket
from vocabulary.calendar import parse_month


def test_a_lab_bills_its_list_price_until_it_prices_cache_hits() -> None:
    """DeepSeek's cache price holds from 2024-08 (10% of input), Meta never has one."""
    specs = default_providers()
    names = [spec.name for spec in specs]
    deepseek, meta = names.index("DeepSeek"), names.index("Meta")
    pricing = CachePricing.of(specs, hit_share=0.56)
    before, after = pricing.ratio(parse_month("2024-07")), pricing.ratio(parse_month("2024-08"))
    assert before[deepseek] == 1.0 and after[deepseek] == pytest.approx(0.1)
    assert before[meta] == after[meta] == 1.0
    lab = np.array([deepseek, meta])
    billed = pricing.billed_share(parse_month("2024-08"), lab, np.array([0.7, 0.7]))
    assert billed == pytest.approx([1.0 - 0.56 * 0.9 * 0.7, 1.0])


def _deepseek_paid_per_token(cache_hit_share: float, months: int) -> list[float]:
    """DeepSeek's API revenue per API token served (USD per million), month by month."""
    model = TokenMarket(
        developers=2_000, steps=months, seed=4, settings={"demand.cache_hit_share": cache_hit_share}
    )
    paid = []
    while model.running:
        model.step()
        row = next(r for r in model.last_record.providers if r["provider"] == "DeepSeek")
        paid.append(row["revenue"] / (row["served"] - row["served_apps"]) * 1e6)
    return paid


def test_cache_hits_lower_what_a_lab_earns_per_token_from_its_cache_month_only() -> None:
    """Runs with and without cache hits agree to 2024-07; from 2024-08 DeepSeek earns less."""
    cached, uncached = _deepseek_paid_per_token(0.56, 9), _deepseek_paid_per_token(0.0, 9)
    assert cached[:7] == uncached[:7]  # January to July 2024: nobody prices cache hits yet
    assert 0.4 * uncached[7] < cached[7] < 0.95 * uncached[7]


def test_apps_short_of_compute_add_no_scarcity_to_a_labs_api_price() -> None:
    """The API's price follows the API's load, not the apps' shortage.

    Apps wanting 3x the fleet price like apps content with what is left; only API customers
    wanting more than planned raise it.
    """
    model = TokenMarket(developers=500, steps=3, seed=1)
    model.step()
    supply = model.scenario.supply
    lab = next(p for p in model.providers if p.spec.name == "DeepSeek")
    capacity = lab.capacity(supply)

    def price_after(demand: float, api_demand: float) -> float:
        provider = deepcopy(lab)
        provider.settle(
            demand, api_demand, capacity, 0.7 * capacity, 1e6, 0.1, supply, energy_multiplier=1.0
        )
        provider.set_price(supply, energy_multiplier=1.0)
        return provider.price

    apps_short = price_after(demand=3.0 * capacity, api_demand=0.3 * capacity)
    apps_content = price_after(demand=1.0 * capacity, api_demand=0.3 * capacity)
    api_short = price_after(demand=3.0 * capacity, api_demand=1.4 * capacity)
    assert apps_short == apps_content < api_short
