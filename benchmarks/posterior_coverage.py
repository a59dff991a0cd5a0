"""Benchmark: simulation-based calibration of ``sim calibrate --posterior`` (is it honest?).

The posterior's network is trained on simulations 0 to N - 1 drawn from the prior, exactly as
``sim calibrate --posterior --simulations N`` trains it; simulations N to N + K - 1, drawn from
the same prior but never trained on, are K synthetic records whose true inputs are known. For
each, the network's posterior given that record (its measurements plus its draw of the record's
error) should hold the true value of each tuned input inside its central 90% interval 90% of
the time (Talts et al. 2018). Far below says the posterior is overconfident: its intervals are
narrower than what the record leaves.

Pointed at the store of a finished posterior (``--db``, with the same scenario, targets, space
and seed), only the K held-out simulations are run; on a new store every simulation is. Prints
a table (coverage and mean interval width per input), the overall coverage, the machine
reference and a JSON line::

    python benchmarks/posterior_coverage.py [--simulations 3000] [--cases 40] [--db URL]
        [--developers N] [--seed 1] [--workers N]
"""

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from machine_reference import reference_milliseconds


def main() -> None:
    """Simulate what is missing, train, measure the coverage, print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=3000, help="trained on (N)")
    parser.add_argument("--cases", type=int, default=40, help="held-out synthetic records (K)")
    parser.add_argument("--db", default=None, help="a store holding the posterior's simulations")
    parser.add_argument("--developers", type=int, default=None, help="[the scenario's]")
    parser.add_argument("--seed", type=int, default=1, help="the posterior's --seed")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if args.simulations < 20 or args.cases < 1 or args.workers < 1:
        parser.error("--simulations is 20 or more, --cases and --workers 1 or more")

    from experiments.calibration_space import load_space
    from experiments.posterior import Network, PosteriorSpec, simulate
    from experiments.sweep_executors import LocalPool
    from experiments.targets import load_targets
    from experiments.validation_runs import validation_scenario
    from runs.store import RunStore
    from scenario.files import load_scenario

    reference_before = reference_milliseconds()
    targets = load_targets(None)
    scenario = validation_scenario(load_scenario("baseline"), targets, args.developers)
    spec = PosteriorSpec.make(scenario, targets, load_space(None), args.seed)
    with tempfile.TemporaryDirectory() as folder:
        store = RunStore(args.db or f"sqlite:///{Path(folder) / 'coverage.db'}")
        started = time.perf_counter()
        with LocalPool(args.workers) as pool:
            numbers = range(args.simulations + args.cases)
            done, stopped = simulate(store, spec, numbers, pool)
        if stopped is not None:
            raise SystemExit(f"stopped by {stopped.name}; run it again to continue")
        simulated = time.perf_counter() - started
        trained_on = [trial for trial in done if trial.number < args.simulations]
        cases = [trial for trial in done if trial.number in numbers[args.simulations :]]
        network = Network.train(spec, trained_on)
        table = network.coverage(cases)
    reference = (reference_before, reference_milliseconds())
    overall = float(table["covered"].mean())
    print(
        f"posterior coverage: {spec.name}, trained on {network.simulations:,} simulations "
        f"({network.failed} failed, {network.epochs} epochs, {network.seconds:.0f} s), "
        f"{int(table['cases'].iloc[0])} held-out cases, {scenario.developers:,} developers; "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"{'parameter':<45} {'covered':>8} {'mean width':>10}")
    for row in table.itertuples():
        print(f"{row.parameter:<45} {row.covered:>8.0%} {row.mean_width:>10.2f}")
    print(
        f"coverage of the 90% intervals over every input and case: {overall:.1%} "
        "(nominal 90%; widths are shares of each prior range, on its scale)"
    )
    print(f"simulating what the store lacked took {simulated:.0f} s")
    print(
        f"machine reference (a fixed Python loop and numpy sort, lower is faster): "
        f"{reference[0]:.0f} ms before, {reference[1]:.0f} ms after"
    )
    print(
        json.dumps(
            {
                "benchmark": "posterior_coverage",
                "simulations": network.simulations,
                "cases": int(table["cases"].iloc[0]),
                "coverage": overall,
                "by_parameter": dict(zip(table["parameter"], table["covered"], strict=True)),
                "machine_reference_ms": reference,
            }
        )
    )


if __name__ == "__main__":
    main()
