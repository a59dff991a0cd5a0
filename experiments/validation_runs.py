"""Validating a scenario: its seeds 1..N simulated in parallel, stored, measured on the targets.

The seeds go to a sweep executor (:mod:`experiments.sweep_executors`: local processes or a Dask
cluster), which simulates each in memory; this process stores every run through
:func:`experiments.runner.store_simulated`, the path of ``sim run``, so a seed's stored rows and
digest are those of ``sim run --seed N`` of the same scenario, however many workers there are.
Runs are stored in seed order (run ids rise with the seed), tagged ``validation`` and named
``validation/<scenario>/seed-N``. Besides the targets, the runs are measured on the dynamics
checks (:mod:`experiments.dynamics_checks`, which pass or fail with the targets) and give each
Chinese lab's API revenue by year beside its reported figures (:mod:`experiments.lab_revenue`,
informational).
"""

import signal
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from experiments.dynamics_checks import DynamicsChecks, check_dynamics, load_checks
from experiments.lab_revenue import ReportedRevenue, lab_revenue_table, load_reported_revenue
from experiments.run_tables import RunTables
from experiments.runner import deferred_stop_signals, store_simulated
from experiments.sweep import Task
from experiments.sweep_executors import Executor
from experiments.sweep_worker import TaskResult
from experiments.targets import Target, Window, first_month_needed, latest_month_needed
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
    """How close a scenario's seeds come to the targets, and how their dynamics look.

    Attributes:
        scenario: the scenario as simulated (its steps reach the last month a target or the
            dynamics checks need).
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
        dynamics: one row per dynamics check (D1 utilisation, D2 markup): what it checks, the
            worst lab and seed, its longest run of months, the limit and ``passed``
            (:attr:`experiments.dynamics_checks.Dynamics.checks`).
        dynamics_detail: the same per check, seed and lab
            (:attr:`experiments.dynamics_checks.Dynamics.detail`).
        lab_revenue: each Chinese lab's API revenue per calendar year beside its reported
            figures (:func:`experiments.lab_revenue.lab_revenue_table`); informational.
    """

    scenario: Scenario
    seeds: int
    run_ids: tuple[int, ...]
    results: pd.DataFrame
    dynamics: pd.DataFrame
    dynamics_detail: pd.DataFrame
    lab_revenue: pd.DataFrame

    @property
    def targets_passed(self) -> bool:
        """Whether every target passes."""
        return bool(self.results["passed"].all())

    @property
    def dynamics_passed(self) -> bool:
        """Whether every dynamics check passes."""
        return bool(self.dynamics["passed"].all())

    @property
    def passed(self) -> bool:
        """Whether every target and every dynamics check passes."""
        return self.targets_passed and self.dynamics_passed


def validation_scenario(
    base: Scenario,
    targets: list[Target],
    developers: int | None = None,
    checked: Window | None = None,
) -> Scenario:
    """``base`` with ``developers``, simulated up to the last month a target or check looks at.

    ``checked`` is the dynamics checks' window (:mod:`experiments.dynamics_checks`), if they are
    measured too: the run reaches the later of its end and the targets' last month.

    Raises:
        InputError: a target, or the checks' window, looks at a month before the scenario's
            start.
    """
    early = first_month_needed(targets)
    for what, month in (("targets", early), ("dynamics checks", checked and checked.first)):
        if month and parse_month(month) < parse_month(base.start):
            raise InputError(
                f"{what}: {month} is before the scenario's start {base.start}; "
                "validation can only measure months the run simulates"
            )
    last = max(
        parse_month(latest_month_needed(targets)), parse_month(checked.last) if checked else 0
    )
    steps = StepClock.of(base.start, base.step_length).steps_through(last)
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
    checks: DynamicsChecks | None = None,
    reported: ReportedRevenue | None = None,
) -> ValidationReport:
    """Simulate ``scenario`` with seeds 1..``seeds`` on ``executor``, store them, measure them.

    Args:
        store: where the runs are stored.
        scenario: what to simulate, from :func:`validation_scenario`.
        targets: what to measure.
        seeds: the number of seeds.
        executor: where the simulations run.
        on_stored: called with each seed and its run's status once the run is stored.
        checks: the dynamics checks [default: the packaged ones].
        reported: the labs' reported revenue [default: the packaged figures].

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
    supply = scenario.supply
    dynamics = check_dynamics(
        checks or load_checks(), measured, supply.markup_min, supply.markup_max
    )
    return ValidationReport(
        scenario,
        seeds,
        tuple(run_ids),
        pd.DataFrame(rows, columns=list(RESULT_COLUMNS)),
        dynamics.checks,
        dynamics.detail,
        lab_revenue_table(reported or load_reported_revenue(), measured),
    )
