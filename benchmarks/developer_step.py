"""Benchmark: the developer choice step alone, fused kernel against the per-developer rule.

Every developer chooses (a worst case: in the model only those reconsidering do) among P
providers with 8 network neighbours each, from the same utilities and the same uniform draws.
Prints a table and one JSON line. Usage::

    python benchmarks/developer_step.py [--sizes 10000 100000 1000000] [--providers 20]
"""

import argparse
import json
import platform
import time

import numba
import numpy as np

from simulator.market import UtilityTerms, cell_utility, choose, choose_reference, stay_bonus
from simulator.network import homophily_adjacency
from vocabulary.regions import DEV_REGIONS, JURISDICTIONS, SEGMENTS

REFERENCE_SAMPLE = 20_000
"""The reference rule is timed on this many developers (it is ~100x slower); rates are per
developer, so the ratio is fair."""


def synthetic_inputs(n: int, providers: int, rng: np.random.Generator):
    """A population of n developers and P providers with varied, realistic-scale utilities."""
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
        price_weight=np.array([1.4, 1.1, 0.7, 0.4]),
        security_penalty=np.array([0.3, 0.8, 2, 6]),
        open_factor=0.4,
        quality_weight=9.0,
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
    cells = region.astype(np.int64) * len(SEGMENTS) + segment
    return terms, region, segment, cells, adjacency, current, tenure


def best_of(repeats: int, function) -> tuple[float, object]:
    """Fastest wall time of ``repeats`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure(n: int, providers: int, seed: int = 1) -> dict:
    """Developer-steps per second of the kernel (all n) and of the reference (a sample)."""
    rng = np.random.default_rng(seed)
    terms, region, segment, cells, adjacency, current, tenure = synthetic_inputs(n, providers, rng)
    uniform = rng.random(n)
    rows = np.arange(n)

    def kernel():
        bonus = stay_bonus(terms, segment, tenure, current)
        return choose(
            cell_utility(terms),
            rows,
            cells,
            current,
            bonus,
            adjacency,
            current,
            terms.social_weight,
            uniform,
        )

    kernel()  # compile / load from cache
    kernel_time, picks = best_of(3, kernel)
    sample = rows[: min(n, REFERENCE_SAMPLE)]
    reference_time, reference_picks = best_of(
        1,
        lambda: choose_reference(
            terms, region, segment, current, tenure, adjacency, current, sample, uniform[sample]
        ),
    )
    assert np.array_equal(picks[sample], reference_picks), "kernel and reference disagree"
    kernel_rate = n / kernel_time
    reference_rate = len(sample) / reference_time
    return {
        "developers": n,
        "providers": providers,
        "kernel_seconds": kernel_time,
        "kernel_dev_steps_per_s": kernel_rate,
        "reference_dev_steps_per_s": reference_rate,
        "speed_up": kernel_rate / reference_rate,
    }


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--providers", type=int, default=20)
    args = parser.parse_args()
    results = [measure(n, args.providers) for n in args.sizes]
    print(
        f"developer step, {args.providers} providers, 8 neighbours, all developers choosing; "
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
    print(json.dumps({"benchmark": "developer_step", "results": results}))


if __name__ == "__main__":
    main()
