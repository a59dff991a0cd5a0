"""Running a sweep: the tasks it has left go to an executor, each result is stored as it comes.

The coordinating process is the store's only writer for the sweep: every run reaches the
database through :func:`experiments.runner.store_simulated`, whose rows and digest are those of
a plain ``sim run`` of the same scenario and seed. A task's run, its link to the sweep and all
its rows are written in one transaction, so a coordinator killed while writing it leaves no
trace of that run and the next start runs its task again; a run left ``running`` (by a version
that wrote runs step by step) is marked ``interrupted`` and its task run again; finished runs are
never run again. Ctrl-C or SIGTERM stops the sweep after the run being stored, keeping every
run stored so far.
"""

import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from experiments.runner import deferred_stop_signals, store_simulated
from experiments.sweep import SweepSpec, Task
from experiments.sweep_cost import SweepStart, sweep_start
from experiments.sweep_executors import Executor
from experiments.sweep_worker import TaskResult
from runs.store import RunStore
from runs.sweeps import (
    StoredSweep,
    close_abandoned_runs,
    finish_sweep,
    finished_tasks,
    link_run,
    open_sweep,
)


class SweepInterrupted(Exception):
    """The sweep was stopped by a signal; the runs stored so far stay, and it can be resumed."""

    def __init__(self, sweep: StoredSweep, stored: int, stopped_by: signal.Signals) -> None:
        super().__init__(
            f"sweep {sweep.id} ({sweep.name!r}) interrupted by {stopped_by.name} "
            f"after storing {stored} runs; continue it with "
            f"`sim sweep --resume {sweep.id}`"
        )
        self.exit_status = 128 + stopped_by.value


@dataclass(frozen=True)
class SweepReport:
    """How a sweep stands after this process ran what it had left."""

    sweep: StoredSweep
    status: str
    planned: int
    """Runs the sweep has when done."""
    already_finished: int
    """Runs finished before this process started."""
    finished: int
    """Runs this process stored as finished."""
    failed: int
    """Runs this process stored as failed (their tasks run again on the next start)."""
    simulated_seconds: float = 0.0
    """Seconds the workers spent simulating this process's runs, summed over the runs."""
    storing_seconds: float = 0.0
    """Seconds this process spent writing those runs to the store."""


def run_name(sweep: StoredSweep, task: Task) -> str:
    """``NAME p3 r1``, with `` baseline`` for the baseline arm: a run's name in listings."""
    suffix = " baseline" if task.arm == "baseline" else ""
    return f"{sweep.name} p{task.point} r{task.replicate}{suffix}"


def _store(store: RunStore, sweep: StoredSweep, result: TaskResult) -> str:
    """Store one task's result as a run linked to the sweep (one transaction); its status."""
    task = result.task

    def link(connection: Connection, run_id: int) -> None:
        link_run(connection, sweep.id, run_id, *task.key)

    _, status = store_simulated(
        store, result, name=run_name(sweep, task), tags=(f"sweep:{sweep.name}",), within=link
    )
    return status


def run_sweep(
    store: RunStore,
    sweep: StoredSweep,
    tasks: list[Task],
    executor: Executor,
    on_start: Callable[[SweepStart], None] | None = None,
    on_stored: Callable[[Task, str], None] | None = None,
) -> SweepReport:
    """Run the tasks of ``sweep`` without a finished run and store each as it completes.

    Args:
        store: the run store; ``sweep`` must have been opened (claimed) in it.
        sweep: the sweep, from :func:`runs.sweeps.open_sweep` or :func:`runs.sweeps.reopen_sweep`.
        tasks: all of the sweep's tasks; those already finished are skipped.
        executor: where the simulations run.
        on_start: called with the runs left to do and an estimate of their time, before they
            are sent.
        on_stored: called with each task and its run's status once it is stored.

    Raises:
        SweepInterrupted: after SIGINT or SIGTERM (the sweep is marked ``interrupted``).
    """
    close_abandoned_runs(store, sweep.id)
    done = finished_tasks(store, sweep.id)
    todo = [task for task in tasks if task.key not in done]
    if on_start:
        on_start(sweep_start(sweep.name, todo, len(tasks), executor.workers))
    stored: Counter[str] = Counter()
    simulating = storing = 0.0
    try:
        with deferred_stop_signals() as stop:
            for result in executor.run(todo, lambda: stop.signal is not None):
                started = time.perf_counter()
                status = _store(store, sweep, result)
                storing += time.perf_counter() - started
                simulating += result.seconds
                stored[status] += 1
                if on_stored:
                    on_stored(result.task, status)
    except BaseException:
        finish_sweep(store, sweep.id, "interrupted")
        raise
    if stop.signal is not None:
        finish_sweep(store, sweep.id, "interrupted")
        raise SweepInterrupted(sweep, stored.total(), stop.signal)
    already = len(done & {task.key for task in tasks})
    status = "finished" if already + stored["finished"] == len(tasks) else "failed"
    finish_sweep(store, sweep.id, status)
    return SweepReport(
        sweep,
        status,
        len(tasks),
        already,
        stored["finished"],
        stored["failed"],
        simulating,
        storing,
    )


def run_spec(
    store: RunStore,
    spec: SweepSpec,
    executor: Executor,
    tasks: list[Task] | None = None,
    on_start: Callable[[SweepStart], None] | None = None,
    on_stored: Callable[[Task, str], None] | None = None,
) -> SweepReport:
    """Run sweep ``spec`` to the end: created if new, else (same name) what it has left.

    Args:
        store: the run store.
        spec: the sweep.
        executor: where the simulations run.
        tasks: ``spec.tasks()``, when the caller already has them (they validate the spec).
        on_start: as :func:`run_sweep`.
        on_stored: as :func:`run_sweep`.

    Raises:
        InputError: a point's setting is unknown or not allowed (nothing is stored).
        StoreError: the name is taken by a sweep with another spec, or it is running.
        SweepInterrupted: as :func:`run_sweep`.
    """
    points = spec.points()
    tasks = spec.tasks(points) if tasks is None else tasks
    sweep = open_sweep(store, spec.name, spec.model_dump(mode="json"), points)
    if sweep.points != points:  # an existing sweep keeps the points it started with
        tasks = spec.tasks(sweep.points)
    return run_sweep(store, sweep, tasks, executor, on_start, on_stored)
