"""Benchmark: sweep throughput on local processes, in runs per minute, and parallel efficiency.

The same sweep (export bans and smuggling, ``smuggling.leakage`` over a grid, several seeds)
runs once on one worker process and once on every core, each into a new SQLite file; the wall
time covers starting the workers, simulating and storing every run. Efficiency is the speed-up
over one worker divided by the number of workers (1.0 = perfect scaling). A single worker keeps
numba's threads for the choice kernel, several run it single-threaded (as ``sim sweep`` does),
so the figure is what a user gains, not a pure process-scaling ratio. Prints a table and a JSON
line::

    python benchmarks/sweep.py [--runs 16] [--developers 20000] [--steps 48] [--workers N]
"""

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from experiments.sweep import SweepSpec, make_spec
from experiments.sweep_coordinator import run_spec
from experiments.sweep_executors import LocalPool
from runs.store import RunStore
from simulator.overrides import resolve_scenario

LEAKAGES = [0.0, 0.25, 0.5, 0.75]


def sweep_of(runs: int, developers: int, steps: int) -> SweepSpec:
    """A leakage grid with enough seeds for ``runs`` runs (rounded up to the grid's size)."""
    scenario = resolve_scenario(
        policies=["export_ban", "smuggling"], developers=developers, steps=steps
    )
    return make_spec(
        name="benchmark",
        scenario=scenario.model_dump(mode="json"),
        grid={"smuggling.leakage": LEAKAGES},
        seeds=-(-runs // len(LEAKAGES)),
        seed_root=1,
    )


def timed(spec: SweepSpec, workers: int, db: Path) -> dict:
    """Run ``spec`` on ``workers`` processes into new database ``db``: wall time, runs/minute."""
    store = RunStore(str(db))
    start = time.perf_counter()
    with LocalPool(workers) as pool:
        report = run_spec(store, spec, pool)
    wall = time.perf_counter() - start
    assert report.status == "finished", report
    return {
        "workers": workers,
        "runs": report.finished,
        "wall_seconds": wall,
        "runs_per_minute": 60 * report.finished / wall,
    }


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--developers", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=48)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="the 'all local workers' case [default: the number of cores]",
    )
    args = parser.parse_args()
    spec = sweep_of(args.runs, args.developers, args.steps)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        timed(sweep_of(2, 1_000, 2), 1, folder / "warm.db")  # numba's cache and the imports
        results = [
            timed(spec, workers, folder / f"sweep_{workers}.db") for workers in (1, args.workers)
        ]
    one, many = results
    efficiency = many["runs_per_minute"] / one["runs_per_minute"] / many["workers"]
    print(
        f"sim sweep, {one['runs']} runs of {args.steps} months x {args.developers:,} "
        f"developers, SQLite; {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}"
    )
    print(f"{'workers':>8} {'wall s':>8} {'runs/min':>9}")
    for row in results:
        print(f"{row['workers']:>8} {row['wall_seconds']:>8.1f} {row['runs_per_minute']:>9.1f}")
    print(f"parallel efficiency at {many['workers']} workers: {efficiency:.0%}")
    print(
        json.dumps(
            {
                "benchmark": "sweep",
                "developers": args.developers,
                "steps": args.steps,
                "results": results,
                "parallel_efficiency": efficiency,
            }
        )
    )


if __name__ == "__main__":
    main()
