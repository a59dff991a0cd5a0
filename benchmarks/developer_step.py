"""Benchmark: the developer choice step alone, fused kernel against the per-developer rule.

Every developer chooses (a worst case: in the model only those reconsidering do) among the
default roster's providers, its hosts included, with 8 network neighbours each, from the same
utilities and the same uniform draws. The products are those on sale in the busiest month, the
hosts' listings of Chinese open-weight models among them: the within-lab choice
(:class:`simulator.product_choice.ProductNest`, the origin penalty on hosted Chinese models
included) is timed with the step, as the model runs it once a month. Prints a table and one
JSON line. Usage::

    python benchmarks/developer_step.py [--sizes 10000 100000 1000000]
"""

import argparse
import json
import platform
import time

import numba
import numpy as np
from machine_reference import reference_milliseconds

from agents.cache_pricing import CachePricing
from agents.developers import DeveloperPopulation
from agents.free_previews import FreePreviewCalendar, load_free_previews
from agents.products import ProductLineup, load_products
from scenario.scenario import Scenario
from scenario.sections import ChoiceParams, DemandParams
from simulator.choice import UtilityTerms, choose, choose_reference
from simulator.network import homophily_adjacency
from simulator.product_choice import ProductNest
from vocabulary.calendar import format_month, parse_month
from vocabulary.regions import DEV_REGIONS, JURISDICTIONS, SEGMENTS

REFERENCE_SAMPLE = 20_000
"""The reference rule is timed on this many developers (it is ~100x slower); rates are per
developer, so the ratio is fair."""


def busiest_month_nest() -> tuple[ProductNest, int]:
    """The default roster's product nest (hosts included) at its month with most on sale."""
    specs = Scenario().providers
    lineup = ProductLineup.build(
        specs, load_products(), parse_month("2024-01"), lambda spec, month: 30.0
    )
    months = range(parse_month("2024-01"), parse_month("2027-12") + 1)
    busiest = max(months, key=lambda month: int(lineup.on_sale(month).sum()))
    free_previews = FreePreviewCalendar(load_free_previews(), [spec.name for spec in specs])
    cache_pricing = CachePricing.of(specs, DemandParams().cache_hit_share)
    nest = ProductNest(
        lineup,
        len(specs),
        ChoiceParams(),
        free_previews,
        cache_pricing,
        lineup.hosted_cn(specs),
    )
    return nest, busiest


def synthetic_inputs(
    n: int, product_value: np.ndarray, rng: np.random.Generator
) -> tuple[UtilityTerms, DeveloperPopulation]:
    """A population of n developers and the labs, with varied, realistic-scale utilities."""
    providers = product_value.shape[1]
    region = np.sort(rng.integers(0, len(DEV_REGIONS), n)).astype(np.int8)
    segment = rng.integers(0, len(SEGMENTS), n).astype(np.int8)
    terms = UtilityTerms(
        price=rng.uniform(0.1, 5.0, providers),
        quality=rng.uniform(0.3, 1.0, providers),
        provider_latency=rng.uniform(0.5, 1.5, providers),
        network_latency=rng.uniform(0.0, 0.3, (len(DEV_REGIONS), len(JURISDICTIONS))),
        jurisdiction=rng.integers(0, len(JURISDICTIONS), providers),
        open_weights=rng.random(providers) < 0.5,
        serves=rng.random((len(DEV_REGIONS), providers)) < 0.9,
        distrust=(rng.random((len(DEV_REGIONS), len(JURISDICTIONS))) < 0.3).astype(float),
        product_value=product_value,
        programming_bonus=rng.uniform(0.0, 1.0, providers),
        price_weight=np.array([1.4, 1.1, 0.7, 0.4]),
        security_penalty=np.array([0.3, 0.8, 2, 6]),
        origin_penalty=np.array([0.0, 0.2, 1.0, 3.0]),
        chinese_made=rng.random(providers) < 0.4,
        quality_weight=9.0,
        quality_scale=np.ones(len(SEGMENTS)),
        latency_weight=0.4,
        social_weight=1.0,
        switching_cost=np.array([0.5, 1.0, 2.0, 2.5]),
        lock_in_open=0.6,
        lock_in_closed=0.3,
    )
    terms.serves[:, 0] = True  # every region has a provider
    adjacency = homophily_adjacency(region, 8, 0.1, rng)
    current = rng.integers(0, providers, n).astype(np.int16)
    tenure = rng.uniform(0, 24, n).astype(np.float32)
    developers = DeveloperPopulation(
        region=region,
        segment=segment,
        base_demand=np.ones(n),
        provider=current,
        tenure=tenure,
        restriction_draw=np.ones(n),
        work_draw=rng.random(n),
        adjacency=adjacency,
    )
    developers.assign_work(0.5)
    return terms, developers


def best_of(repeats: int, function) -> tuple[float, object]:
    """Fastest wall time of ``repeats`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure(n: int, nest: ProductNest, month: int, seed: int = 1) -> dict:
    """Developer-steps per second of the kernel (all n) and of the reference (a sample).

    The kernel's time includes opening the month's products (the nested choice among a lab's
    products), which the model does once a month.
    """
    rng = np.random.default_rng(seed)
    nest_time, _ = best_of(3, lambda: nest.open_month(month))
    terms, developers = synthetic_inputs(n, nest.value, rng)
    uniform = rng.random(n)
    rows = np.arange(n)

    def kernel() -> np.ndarray:
        return choose(terms, developers, rows, uniform)

    kernel()  # compile / load from cache
    kernel_time, picks = best_of(3, kernel)
    sample = rows[: min(n, REFERENCE_SAMPLE)]
    reference_time, reference_picks = best_of(
        1, lambda: choose_reference(terms, developers, sample, uniform[sample])
    )
    assert np.array_equal(picks[sample], reference_picks), "kernel and reference disagree"
    kernel_rate = n / (kernel_time + nest_time)
    reference_rate = len(sample) / reference_time
    return {
        "developers": n,
        "providers": len(terms.price),
        "products_on_sale": int(nest.on_sale.sum()),
        "month": format_month(month),
        "nest_seconds": nest_time,
        "kernel_seconds": kernel_time,
        "kernel_dev_steps_per_s": kernel_rate,
        "reference_dev_steps_per_s": reference_rate,
        "speed_up": kernel_rate / reference_rate,
    }


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    reference_before = reference_milliseconds()
    nest, month = busiest_month_nest()
    results = [measure(n, nest, month) for n in args.sizes]
    reference = {"before": reference_before, "after": reference_milliseconds()}
    print(
        f"developer step, {results[0]['providers']} labs with {results[0]['products_on_sale']} "
        f"products on sale ({results[0]['month']}), 8 neighbours, all developers choosing; "
        f"{platform.processor() or platform.machine()}, {numba.config.NUMBA_NUM_THREADS} threads"
    )
    print(
        f"{'developers':>12} {'kernel dev-steps/s':>20} {'reference dev-steps/s':>22} "
        f"{'speed-up':>9}"
    )
    for row in results:
        print(
            f"{row['developers']:>12,} {row['kernel_dev_steps_per_s']:>20,.0f} "
            f"{row['reference_dev_steps_per_s']:>22,.0f} {row['speed_up']:>8.0f}x"
        )
    print(
        "machine reference (a fixed Python loop and numpy sort, lower is faster): "
        f"{reference['before']:.0f} ms before, {reference['after']:.0f} ms after"
    )
    print(
        json.dumps({"benchmark": "developer_step", "results": results, "reference_ms": reference})
    )


if __name__ == "__main__":
    main()
