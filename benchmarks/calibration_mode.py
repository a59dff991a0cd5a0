"""Benchmark: a posterior's simulations per minute, measured by the workers or by the coordinator.

A posterior (``sim calibrate --posterior``) runs thousands of simulations and keeps of each only
its measurements on the targets. In calibration mode (:class:`experiments.sweep.Task`'s
``measure``) each worker measures its own runs and sends back some twenty rows, neither the
history nor its digest; before it, a worker sent back every row of the history and the
coordinating process measured the run, one run at a time, while the workers waited for it. This
runs the same simulations of the baseline posterior (drawn from the prior, one seed each) both
ways, into a new SQLite store each time, and prints simulations per minute for each, the share
of the wall the coordinator was busy, and whether the two ways measured every simulation alike.

The modes take turns (coordinator, workers, coordinator, workers) so that the machine's speed
drifting touches both alike; each figure is the better of the two repetitions. Prints a table,
the machine reference and a JSON line::

    python benchmarks/calibration_mode.py [--runs 60] [--developers 20000] [--steps 48]
        [--workers 2]
"""

import argparse
import dataclasses
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from machine_reference import reference_milliseconds

if TYPE_CHECKING:  # spawned workers import this file again: only the standard library at the top
    from experiments.posterior import PosteriorSpec

REPETITIONS = 2


def spec_of(developers: int, steps: int) -> "PosteriorSpec":
    """The baseline posterior's spec (packaged targets and tuning) at this size and length."""
    from experiments.calibration_space import load_space
    from experiments.posterior import PosteriorSpec
    from experiments.targets import load_targets
    from experiments.validation_runs import validation_scenario
    from scenario.files import load_scenario
    from scenario.overrides import resolve_scenario

    targets = load_targets(None)
    scenario = validation_scenario(load_scenario("baseline"), targets, developers)
    scenario = resolve_scenario(scenario, steps=steps)
    return PosteriorSpec.make(scenario, targets, load_space(None), seed=1)


def timed(spec: "PosteriorSpec", runs: int, workers: int, mode: str, db: Path) -> dict:
    """Simulate and store ``runs`` simulations in ``mode``; the wall and the trials stored."""
    from experiments.calibration import trial_record
    from experiments.posterior import simulate
    from experiments.sweep_executors import LocalPool
    from runs.calibrations import open_calibration, record_trial, stored_trials
    from runs.store import RunStore

    store = RunStore(f"sqlite:///{db}")
    busy = 0.0
    with LocalPool(workers) as pool:
        start = time.perf_counter()
        if mode == "workers":
            done, stopped = simulate(store, spec, range(runs), pool)
            assert stopped is None
        else:  # as a posterior did before calibration mode: whole histories, measured here
            stored = open_calibration(store, spec.name, spec.to_json())
            values = {n: spec.values(spec.units(n)) for n in range(runs)}
            tasks = [dataclasses.replace(spec.task(n, values[n]), measure=()) for n in values]
            for result in pool.run(tasks, lambda: False):
                began = time.perf_counter()
                number = result.task.point
                trial = trial_record(number, values[number], spec.targets, [result])
                record_trial(store, stored.id, trial)
                busy += time.perf_counter() - began
            done = stored_trials(store, stored.id)
        wall = time.perf_counter() - start
    return {
        "mode": mode,
        "runs": len(done),
        "wall_seconds": wall,
        "runs_per_minute": 60 * len(done) / wall,
        "coordinator_share": busy / wall if mode == "coordinator" else None,
        "trials": [(t.number, t.params, t.results, t.error) for t in done],
    }


def main() -> None:
    """Run both modes, check they agree, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--developers", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=48)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    if min(args.runs, args.developers, args.steps, args.workers) < 1:
        parser.error("--runs, --developers, --steps and --workers are 1 or more")
    spec = spec_of(args.developers, args.steps)
    reference_before = reference_milliseconds()
    best: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        timed(spec_of(1_000, 2), 2, args.workers, "workers", Path(folder) / "warm.db")
        for rep in range(REPETITIONS):
            for mode in ("coordinator", "workers"):
                row = timed(spec, args.runs, args.workers, mode, Path(folder) / f"{mode}{rep}.db")
                if mode not in best or row["runs_per_minute"] > best[mode]["runs_per_minute"]:
                    best[mode] = row
    reference = (reference_before, reference_milliseconds())
    alike = best["workers"]["trials"] == best["coordinator"]["trials"]
    print(
        f"posterior simulations, {args.developers:,} developers x {args.steps} months, "
        f"{args.workers} workers, SQLite, best of {REPETITIONS}; {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"{'measured by':<12} {'runs':>5} {'wall s':>7} {'runs/min':>9} {'coordinator busy':>17}")
    for row in best.values():
        share = row["coordinator_share"]
        print(
            f"{row['mode']:<12} {row['runs']:>5} {row['wall_seconds']:>7.1f} "
            f"{row['runs_per_minute']:>9.1f} {'-' if share is None else f'{share:.0%}':>17}"
        )
    speedup = best["workers"]["runs_per_minute"] / best["coordinator"]["runs_per_minute"]
    print(f"calibration mode: {speedup:.2f}x the simulations per minute")
    print(f"every simulation measured alike in both modes: {'yes' if alike else 'NO'}")
    print(
        f"machine reference (a fixed Python loop and numpy sort, lower is faster): "
        f"{reference[0]:.0f} ms before, {reference[1]:.0f} ms after"
    )
    print(
        json.dumps(
            {
                "benchmark": "calibration_mode",
                "developers": args.developers,
                "steps": args.steps,
                "workers": args.workers,
                "runs": args.runs,
                "runs_per_minute": {m: r["runs_per_minute"] for m, r in best.items()},
                "speedup": speedup,
                "alike": alike,
                "reference_ms": reference,
            }
        )
    )
    if not alike:
        raise SystemExit("the two modes measured the simulations differently")


if __name__ == "__main__":
    main()
