"""What a sweep will cost, said before it starts: its runs and a rough estimate of the time.

The estimate is cheap on purpose: the work of a run grows with its steps times its developers,
so the runs left are summed as developer-steps and divided by a throughput measured once on
whole runs (network, providers, choices and storage), times the workers that share them.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from experiments.sweep import Task

DEVELOPER_STEPS_PER_SECOND = 1.2e6
"""What one worker process simulates and stores in a second, in developer-steps (one developer
for one step), whole runs included: ``benchmarks/sweep.py`` ran 91 runs a minute of 48 months x
20,000 developers on one worker of the project's 2-core machine (1.46 M developer-steps/s) and
140 on two (1.12 M per worker, the coordinator's writing sharing the cores), nearly idle
(benchmarks/README.md, 2026-11-30). A busy machine, or small runs (2,000 developers: 131 runs a
minute on one worker, 0.2 M developer-steps/s, as each step's bookkeeping for the providers
weighs more), take longer."""


@dataclass(frozen=True)
class SweepStart:
    """A sweep about to send its runs: how many, how much work, and a rough time.

    Attributes:
        name: the sweep's name.
        runs: the runs this call will do (those not finished before).
        planned: the runs the sweep has when done.
        developer_steps: the runs' steps x developers, summed.
        workers: the processes sharing the runs; None when unknown (a Dask cluster's).
    """

    name: str
    runs: int
    planned: int
    developer_steps: int
    workers: int | None

    @property
    def estimated_seconds(self) -> float:
        """Wall time at :data:`DEVELOPER_STEPS_PER_SECOND` per worker: an estimate only.

        With ``workers`` unknown, the time one worker would take.
        """
        sharing = max(1, min(self.workers or 1, self.runs))
        return self.developer_steps / (DEVELOPER_STEPS_PER_SECOND * sharing)

    @property
    def estimated_duration(self) -> str:
        """:attr:`estimated_seconds` in words: ``under a minute``, ``about 4 minutes``."""
        return duration(self.estimated_seconds)


def sweep_start(name: str, todo: Sequence[Task], planned: int, workers: int | None) -> SweepStart:
    """The :class:`SweepStart` of the tasks ``todo``, run by ``workers`` processes."""
    work = sum(task.scenario.steps * task.scenario.developers for task in todo)
    return SweepStart(name, len(todo), planned, work, workers)


def duration(seconds: float) -> str:
    """A rough duration in words: ``under a minute``, ``about 4 minutes``, ``about 2.5 hours``."""
    if seconds < 60:
        return "under a minute"
    if seconds < 90 * 60:
        minutes = round(seconds / 60)
        return f"about {minutes} minute{'s' if minutes > 1 else ''}"
    return f"about {seconds / 3600:.1f} hours"
