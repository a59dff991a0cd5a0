"""Validating a scenario: its seeds 1..N simulated in parallel, stored, measured on the targets.

The seeds go to a sweep executor (:mod:`experiments.sweep_executors`: local processes or a Dask
cluster), which simulates each in memory; this process stores every run through
:func:`experiments.runner.store_simulated`, the path of ``sim run``, so a seed's stored rows and
digest are those of ``sim run --seed N`` of the same scenario, however many workers there are.
Runs are stored in seed order (run ids rise with the seed), tagged ``validation`` and named
``validation/<scenario>/seed-N``.
"""

import signal
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from experiments.run_tables import RunTables
from experiments.runner import deferred_stop_signals, store_simulated
from experiments.sweep import Task
from experiments.sweep_executors import Executor
from experiments.sweep_worker import TaskResult
from experiments.targets import Target, first_month_needed, latest_month_needed
from experiments.validation import RESULT_COLUMNS, evaluate
from runs.store import RunStore
from scenario.overrides import resolve_scenario
from scenario.scenario import Scenario
from vocabulary.calendar import parse_month
from vocabulary.clock import StepClock
from vocabulary.errors import InputError

VALIDATION_TAG = "validation"


class ValidationInterrupted(Exception):
    """Validation was stopped by a signal; the runs stored so far stay in the store."""

    def __init__(self, stored: int, seeds: int, stopped_by: signal.Signals) -> None:
        super().__init__(
            f"validation interrupted by {stopped_by.name} after storing {stored} "
            f"of {seeds} runs; its finished runs are stored"
        )
        self.exit_status = 128 + stopped_by.value
        """The shell's convention: 130 after SIGINT, 143 after SIGTERM."""


class ValidationRunFailed(RuntimeError):
    """A seed's simulation raised an error; its run is stored as ``failed`` with the error."""


@dataclass(frozen=True)
class ValidationReport:
    """How close a scenario's seeds come to the targets.

    Attributes:
        scenario: the scenario as simulated (its steps reach the last month a target needs).
        seeds: the runs' seeds were 1..``seeds``.
        run_ids: the stored runs, by seed.
        results: one row per target, in the targets' order, with the columns of
            :func:`experiments.validation.evaluate`'s rows: those of ``sim validate``'s table
            (``id``, ``observable``, ``population``, ``window``, ``simulated``: the mean over
            the seeds, ``spread``: their standard deviation, ``target``, the band ``low`` to
            ``high`` and ``passed``), the same as people read them (``simulated_text``,
            ``spread_text``, ``target_text``, ``band_text``), and ``measure``, ``providers``,
            ``kind``, ``scale``, ``source``, ``note`` and ``reason`` (why a target could not
            be measured, else None).
    """

    scenario: Scenario
    seeds: int
    run_ids: tuple[int, ...]
    results: pd.DataFrame

    @property
    def passed(self) -> bool:
        """Whether every target passes."""
        return bool(self.results["passed"].all())


def validation_scenario(
    base: Scenario, targets: list[Target], developers: int | None = None
) -> Scenario:
    """``base`` with ``developers``, simulated up to the last month a target looks at.

    Raises:
        InputError: a target looks at a month before the scenario's start.
    """
    early = first_month_needed(targets)
    if parse_month(early) < parse_month(base.start):
        raise InputError(
            f"targets: {early} is before the scenario's start {base.start}; "
            "validation can only measure months the run simulates"
        )
    steps = StepClock.of(base.start, base.step_length).steps_through(
        parse_month(latest_month_needed(targets))
    )
    return resolve_scenario(base, developers=developers, steps=steps)


def run_name(scenario: Scenario, seed: int) -> str:
    """``validation/<scenario>/seed-N``: a validation run's name in listings."""
    return f"{VALIDATION_TAG}/{scenario.name}/seed-{seed}"


def validate_seeds(
    store: RunStore,
    scenario: Scenario,
    targets: list[Target],
    seeds: int,
    executor: Executor,
    on_stored: Callable[[int, str], None] | None = None,
) -> ValidationReport:
    """Simulate ``scenario`` with seeds 1..``seeds`` on ``executor``, store them, measure them.

    Args:
        store: where the runs are stored.
        scenario: what to simulate, from :func:`validation_scenario`.
        targets: what to measure.
        seeds: the number of seeds.
        executor: where the simulations run.
        on_stored: called with each seed and its run's status once the run is stored.

    Raises:
        ValidationInterrupted: after SIGINT or SIGTERM (the runs stored so far stay).
        ValidationRunFailed: a seed's simulation failed (stored as ``failed``).
    """
    tasks = [
        Task(point=0, replicate=seed - 1, arm="main", seed=seed, scenario=scenario)
        for seed in range(1, seeds + 1)
    ]
    arrived: dict[int, TaskResult] = {}
    run_ids: list[int] = []
    measured: list[RunTables] = []
    with deferred_stop_signals() as stop:
        for result in executor.run(tasks, lambda: stop.signal is not None):
            arrived[result.task.seed] = result
            while len(run_ids) + 1 in arrived:  # store in seed order, whatever finished first
                done = arrived.pop(len(run_ids) + 1)
                run_id, status = store_simulated(
                    store, done, name=run_name(scenario, done.task.seed), tags=(VALIDATION_TAG,)
                )
                run_ids.append(run_id)
                if on_stored:
                    on_stored(done.task.seed, status)
                if done.error is not None:
                    raise ValidationRunFailed(
                        f"validation run {run_ids[-1]} (seed {done.task.seed}) failed: {done.error}"
                    )
                measured.append(RunTables.from_result(done))
    if stop.signal is not None:
        raise ValidationInterrupted(len(run_ids), seeds, stop.signal)
    rows = evaluate(targets, measured)
    return ValidationReport(
        scenario, seeds, tuple(run_ids), pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    )
