"""What a sweep will cost, said before it starts: its runs and a rough estimate of the time.

The estimate is cheap on purpose. A run's time has two parts, both measured once on whole runs
(network, providers, choices and storage): a part per step, whatever the population (each
provider's pricing, accounting and chip orders, the metrics' rows), and a part per developer
per step (the choices and the demand). The runs left are summed as steps and as
developer-steps, and divided among the workers that share them.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from experiments.sweep import Task

SECONDS_PER_STEP = 0.002
"""A worker's seconds for one step of a run whatever its population, storage included."""
SECONDS_PER_DEVELOPER_STEP = 8.0e-8
"""A worker's seconds for one developer for one step.

Both are fitted to ``benchmarks/sweep.py`` on the project's 2-core machine on 2 workers
(benchmarks/README.md, 2026-12-01, the median of three benchmarks): 48-month runs at 1,159 runs
a minute with 2,000 developers and 695 with 20,000 (these constants give 1,157 and 694). One
worker alone runs about a tenth faster per run (619 and 391 runs a minute); a busy machine is
slower."""


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
    """

    name: str
    runs: int
    planned: int
    steps: int
    developer_steps: int
    workers: int | None

    @property
    def estimated_seconds(self) -> float:
        """Wall time at the benchmarked costs per worker: an estimate only.

        The costs are :data:`SECONDS_PER_STEP` and :data:`SECONDS_PER_DEVELOPER_STEP`. With
        ``workers`` unknown, the time one worker would take.
        """
        sharing = max(1, min(self.workers or 1, self.runs))
        work = self.steps * SECONDS_PER_STEP + self.developer_steps * SECONDS_PER_DEVELOPER_STEP
        return work / sharing

    @property
    def estimated_duration(self) -> str:
        """:attr:`estimated_seconds` in words: ``under a minute``, ``about 4 minutes``."""
        return duration(self.estimated_seconds)


def sweep_start(name: str, todo: Sequence[Task], planned: int, workers: int | None) -> SweepStart:
    """The :class:`SweepStart` of the tasks ``todo``, run by ``workers`` processes."""
    steps = sum(task.scenario.steps for task in todo)
    work = sum(task.scenario.steps * task.scenario.developers for task in todo)
    return SweepStart(name, len(todo), planned, steps, work, workers)


def duration(seconds: float) -> str:
    """A rough duration in words: ``under a minute``, ``about 4 minutes``, ``about 2.5 hours``."""
    if seconds < 60:
        return "under a minute"
    if seconds < 90 * 60:
        minutes = round(seconds / 60)
        return f"about {minutes} minute{'s' if minutes > 1 else ''}"
    return f"about {seconds / 3600:.1f} hours"
