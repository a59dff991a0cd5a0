"""What a sweep will cost, said before it starts: its runs and a rough estimate of the time.

The estimate is cheap on purpose. A run's time has two parts, both measured once on whole runs
(network, providers, choices and storage): a part per step, whatever the population (each
provider's pricing, accounting and chip orders, the metrics' rows), and a part per developer
per step (the choices and the demand). The runs left are summed as steps and as
developer-steps, and divided among the workers that share them. Two costs the workers do not
share come on top: starting the command and its workers, and what the one coordinating
process does for each run (its scenario, handing it over, storing its rows). Last, a machine
whose cores other processes are using runs slower by as much as they take from the sweep.
"""

import os
from collections.abc import Sequence
from dataclasses import dataclass

from experiments.sweep import Task
from scenario.scenario import Scenario

SECONDS_PER_STEP = 0.002
"""A worker's seconds for one step of a run whatever its population, storage included."""
SECONDS_PER_DEVELOPER_STEP = 8.0e-8
"""A worker's seconds for one developer for one step.

Both are fitted to ``benchmarks/sweep.py`` on the project's 2-core machine on 2 workers
(benchmarks/README.md, 2026-12-01, the median of three benchmarks): 48-month runs at 1,159 runs
a minute with 2,000 developers and 695 with 20,000 (these constants give 1,157 and 694). One
worker alone runs about a tenth faster per run (619 and 391 runs a minute); a busy machine is
slower."""
SETUP_SECONDS = 2.5
"""Seconds before the first run starts: importing the package, starting the workers, loading
the choice kernel (``sim sweep`` of one 1-step run took 2.6 s, 2026-12-02, load 3)."""
SECONDS_PER_RUN = 0.015
"""The coordinating process's seconds per run, beyond its steps: building the point's scenario,
handing it to a worker and storing what comes back (a ``sobol:16`` sweep of 240 one-step runs
took 6.5 s against 2.6 s for one run, 2026-12-02)."""


@dataclass(frozen=True)
class SweepStart:
    """A sweep about to send its runs: how many, how much work, and a rough time.

    Attributes:
        name: the sweep's name.
        runs: the runs this call will do (those not finished before).
        planned: the runs the sweep has when done.
        steps: the runs' steps, summed.
        developer_steps: the runs' steps x developers, summed.
        workers: the processes sharing the runs; None when unknown (a Dask cluster's).
        slowdown: how many times slower than benchmarked this machine runs now, other
            processes taking part of its cores (:func:`machine_slowdown`); 1 when idle.
    """

    name: str
    runs: int
    planned: int
    steps: int
    developer_steps: int
    workers: int | None
    slowdown: float = 1.0

    @property
    def estimated_seconds(self) -> float:
        """Wall time at the benchmarked costs, times :attr:`slowdown`: an estimate only.

        The workers share :data:`SECONDS_PER_STEP` and :data:`SECONDS_PER_DEVELOPER_STEP`;
        :data:`SETUP_SECONDS` and :data:`SECONDS_PER_RUN` they do not. With ``workers``
        unknown, the time one worker would take.
        """
        sharing = max(1, min(self.workers or 1, self.runs))
        work = self.steps * SECONDS_PER_STEP + self.developer_steps * SECONDS_PER_DEVELOPER_STEP
        unshared = SETUP_SECONDS + self.runs * SECONDS_PER_RUN
        return (unshared + work / sharing) * self.slowdown

    @property
    def estimated_duration(self) -> str:
        """:attr:`estimated_seconds` in words: ``under a minute``, ``about 4 minutes``."""
        return duration(self.estimated_seconds)


def sweep_start(name: str, todo: Sequence[Task], planned: int, workers: int | None) -> SweepStart:
    """The :class:`SweepStart` of the tasks ``todo``, run by ``workers`` local processes.

    ``workers`` None is a Dask cluster's: its machines' load is not known here.
    """
    steps = sum(task.scenario.steps for task in todo)
    work = sum(task.scenario.steps * task.scenario.developers for task in todo)
    slowdown = machine_slowdown(workers) if workers else 1.0
    return SweepStart(name, len(todo), planned, steps, work, workers, slowdown)


def repeated_start(
    name: str, scenario: Scenario, runs: int, planned: int, workers: int | None
) -> SweepStart:
    """The :class:`SweepStart` of ``runs`` runs of one ``scenario`` (a calibration's trials).

    Its seeds and settings vary from run to run, but not its steps and population, which are
    all the estimate needs.
    """
    slowdown = machine_slowdown(workers) if workers else 1.0
    steps = runs * scenario.steps
    return SweepStart(name, runs, planned, steps, steps * scenario.developers, workers, slowdown)


def machine_slowdown(workers: int) -> float:
    """How much slower ``workers`` processes run here now than on an idle machine.

    The load average of the last minute counts the processes already running (before the
    sweep starts, other people's); with ``workers`` more, each gets ``cores / (load +
    workers)`` of a core once they outnumber the cores. 1 on an idle machine, or where the load
    is unknown.
    """
    try:
        load = os.getloadavg()[0]
    except OSError:
        return 1.0
    cores = os.cpu_count() or 1
    return max(1.0, (load + workers) / cores)


def duration(seconds: float) -> str:
    """A rough duration in words: ``about 40 seconds``, ``about 4 minutes``, ``about 2.5 hours``.

    Seconds are rounded to tens (to 5 below half a minute): the estimate is no finer.
    """
    if seconds < 55:
        step = 5 if seconds < 30 else 10
        return f"about {max(step, step * round(seconds / step))} seconds"
    if seconds < 90 * 60:
        minutes = round(seconds / 60)
        return f"about {minutes} minute{'s' if minutes > 1 else ''}"
    return f"about {seconds / 3600:.1f} hours"
