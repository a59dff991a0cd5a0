"""Benchmark: sweep throughput on local processes, in runs per minute, and where the time goes.

The same sweep (export bans and smuggling, ``smuggling.leakage`` over a grid, several seeds)
runs on one worker process and on every core, at 20,000 developers and at 2,000, 48 months,
each time into a new SQLite file; the wall time covers starting the workers, simulating and
storing every run. Every figure is the median of three repetitions (the repetition with the
median runs per minute), the counts of workers taking turns (1, 2, 1, 2, 1, 2) so that the
machine's speed drifting during the benchmark touches each count alike. Efficiency is the
speed-up over one worker divided by the number of workers (1.0 = perfect scaling). A single
worker keeps numba's threads for the choice kernel, several run it single-threaded (as ``sim
sweep`` does), so the figure is what a user gains, not a pure process-scaling ratio.

Where the time goes, per measurement:

- ``model %``: seconds the workers spent simulating (and building each run's rows and
  digest), summed over the runs, as a share of the workers' capacity (workers x wall);
- ``overhead %``: the rest of that capacity: starting the processes and importing the model,
  handing tasks and results between processes, and waiting (for the coordinator, or for work
  at the end);
- ``storage %``: seconds the coordinating process spent writing runs to the store, as a share
  of the wall; on a machine with no spare core it takes them from the workers;
- ``start-up %``: how long a fresh pool takes to start its workers and import what they run
  (measured apart, on an idle pool), as a share of the wall.

Prints a table and a JSON line::

    python benchmarks/sweep.py [--runs 64] [--small-runs 160] [--steps 48] [--workers N]
"""

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from machine_reference import reference_milliseconds

# Only the standard library at module level: spawned workers import this file again (the
# ``spawn`` start method runs the main module), and should import only what they run.
if TYPE_CHECKING:
    from experiments.sweep import SweepSpec

LEAKAGES = [0.0, 0.25, 0.5, 0.75]
REPETITIONS = 3
SIZES = (20_000, 2_000)
"""Developers per run: the issue's size, and a small one where storage weighs more."""


def sweep_of(runs: int, developers: int, steps: int) -> "SweepSpec":
    """A leakage grid with enough seeds for ``runs`` runs (rounded up to the grid's size)."""
    from experiments.sweep import make_spec
    from scenario.overrides import resolve_scenario

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


def start_up_seconds(workers: int) -> float:
    """Seconds for a fresh pool of ``workers`` to start and run a one-step task per worker."""
    from experiments.sweep import Task
    from experiments.sweep_executors import LocalPool
    from scenario.overrides import resolve_scenario

    tiny = resolve_scenario(developers=100, steps=1)
    tasks = [Task(0, worker, "main", 1, tiny) for worker in range(workers)]
    start = time.perf_counter()
    with LocalPool(workers) as pool:
        for result in pool.run(tasks, lambda: False):
            assert result.error is None, result.error
        return time.perf_counter() - start


def timed(spec: "SweepSpec", workers: int, db: Path) -> dict:
    """Run ``spec`` on ``workers`` processes into new database ``db``: wall time and its parts."""
    from experiments.sweep_coordinator import run_spec
    from experiments.sweep_executors import LocalPool
    from runs.store import RunStore

    store = RunStore(str(db))
    start = time.perf_counter()
    with LocalPool(workers) as pool:
        report = run_spec(store, spec, pool)
    wall = time.perf_counter() - start
    assert report.status == "finished", report
    model = report.simulated_seconds / (workers * wall)
    return {
        "workers": workers,
        "runs": report.finished,
        "wall_seconds": wall,
        "runs_per_minute": 60 * report.finished / wall,
        "model_share": model,
        "overhead_share": 1 - model,
        "storage_share": report.storing_seconds / wall,
        "storage_seconds_per_run": report.storing_seconds / report.finished,
    }


def median_of(results: list[dict]) -> dict:
    """The repetition with the median runs per minute, with every repetition's figure."""
    ordered = sorted(results, key=lambda row: row["runs_per_minute"])
    middle = ordered[len(ordered) // 2]
    return {**middle, "repetitions": [row["runs_per_minute"] for row in results]}


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=64, help="runs at 20,000 developers (0: skip this size)"
    )
    parser.add_argument(
        "--small-runs", type=int, default=160, help="runs at 2,000 developers (0: skip this size)"
    )
    parser.add_argument("--steps", type=int, default=48)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="the 'all local workers' case [default: the number of cores]",
    )
    args = parser.parse_args()
    if min(args.runs, args.small_runs) < 0 or args.steps < 1 or args.workers < 1:
        parser.error("--runs and --small-runs are 0 or more, --steps and --workers 1 or more")
    sizes = [
        (developers, runs)
        for developers, runs in zip(SIZES, (args.runs, args.small_runs), strict=True)
        if runs > 0
    ]
    counts = sorted({1, args.workers})
    results = []
    reference_before = reference_milliseconds()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        timed(sweep_of(2, 1_000, 2), 1, folder / "warm.db")  # numba's cache and the imports
        start_up = {
            workers: statistics.median(start_up_seconds(workers) for _ in range(REPETITIONS))
            for workers in counts
        }
        for developers, runs in sizes:
            spec = sweep_of(runs, developers, args.steps)
            measured: dict[int, list[dict]] = {workers: [] for workers in counts}
            for rep in range(REPETITIONS):  # interleaved: a drift in speed touches every count
                for workers in counts:
                    db = folder / f"s{developers}_{workers}_{rep}.db"
                    measured[workers].append(timed(spec, workers, db))
            for workers in counts:
                row = median_of(measured[workers])
                row["developers"] = developers
                row["start_up_seconds"] = start_up[workers]
                row["start_up_share"] = start_up[workers] / row["wall_seconds"]
                results.append(row)
    reference = (reference_before, reference_milliseconds())
    efficiency = {}
    for developers, _ in sizes:
        speed = {
            r["workers"]: r["runs_per_minute"] for r in results if r["developers"] == developers
        }
        efficiency[developers] = speed[args.workers] / speed[1] / args.workers
    print(
        f"sim sweep, {args.steps} months, SQLite, median of {REPETITIONS} repetitions; "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"{'developers':>10} {'workers':>7} {'runs':>5} {'wall s':>7} {'runs/min':>9} "
        f"{'model %':>8} {'overhead %':>10} {'storage %':>9} {'store ms/run':>12} "
        f"{'start-up s':>10} {'start-up %':>10}"
    )
    for r in results:
        print(
            f"{r['developers']:>10,} {r['workers']:>7} {r['runs']:>5} {r['wall_seconds']:>7.1f} "
            f"{r['runs_per_minute']:>9.1f} {100 * r['model_share']:>8.0f} "
            f"{100 * r['overhead_share']:>10.0f} {100 * r['storage_share']:>9.0f} "
            f"{1000 * r['storage_seconds_per_run']:>12.1f} {r['start_up_seconds']:>10.1f} "
            f"{100 * r['start_up_share']:>10.0f}"
        )
    for developers, value in efficiency.items():
        print(
            f"parallel efficiency at {args.workers} workers, {developers:,} developers: {value:.0%}"
        )
    print(
        f"machine reference (a fixed Python loop and numpy sort, lower is faster): "
        f"{reference[0]:.0f} ms before, {reference[1]:.0f} ms after"
    )
    print(
        json.dumps(
            {
                "benchmark": "sweep",
                "steps": args.steps,
                "repetitions": REPETITIONS,
                "results": results,
                "parallel_efficiency": {str(d): e for d, e in efficiency.items()},
                "reference_ms": {"before": reference[0], "after": reference[1]},
            }
        )
    )


if __name__ == "__main__":
    main()
