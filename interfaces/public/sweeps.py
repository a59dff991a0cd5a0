"""Sweeps: many runs over a grid or a sample of settings and seeds, and what they say.

A sweep's runs are simulated on an executor (local processes, or a Dask cluster) and stored by
this process; the sweep is stored with its spec, so the same call resumes it and its outcomes
can be summarised (means and intervals per point, paired differences with a baseline arm,
global sensitivity) at any time, from the store alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from interfaces.public.databases import existing_store
from interfaces.public.scenarios import chosen_scenario
from runs.store import RunStore
from scenario.scenario import Scenario
from vocabulary.errors import InputError

if TYPE_CHECKING:
    from experiments.sweep_cost import SweepStart

__all__ = [  # what interfaces.api offers from here
    "Sensitivity",
    "SweepResult",
    "SweepResults",
    "load_sweep",
    "resume_sweep",
    "sensitivity",
    "sweep",
]


@dataclass(frozen=True)
class SweepResult:
    """How a sweep stands after :func:`sweep` ran what it had left.

    Attributes:
        sweep_id, name: the sweep (:func:`load_sweep` reads its outcomes).
        status: ``finished``, or ``failed`` if some runs failed (resume to run them again).
        planned: runs the sweep has when done.
        already_finished: runs finished before this call.
        finished, failed: runs this call stored as finished, as failed.
        executor: where they ran (``2 local processes``, ``Dask at tcp://...``).
        db: the store's URL, password masked.
    """

    sweep_id: int
    name: str
    status: str
    planned: int
    already_finished: int
    finished: int
    failed: int
    executor: str
    db: str


def sweep(
    scenario_or_preset: Scenario | str | Path | None = None,
    *,
    grid: Mapping[str, Sequence[Any]] | None = None,
    sample: tuple[str, int] | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    seeds: int = 3,
    seed_root: int = 0,
    baseline: str | None = None,
    name: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    insecure_scheduler: bool = False,
    large: bool = False,
    db: str | None = None,
    on_start: Callable[[SweepStart], None] | None = None,
    on_stored: Callable[[Any, str], None] | None = None,
    **options: Any,
) -> SweepResult:
    """Run a sweep: a grid or a sample of parameters, each point over several seeds.

    Every run is stored with its sweep, point, replicate and arm; calling again with the same
    arguments (or the same ``name``) runs only what is missing or failed. A run's history is
    the same on any executor and any number of workers.

    Args:
        scenario_or_preset: the main arm, as :func:`~interfaces.public.running.run` takes it.
        grid: parameter -> values; the points are the product of the grids. Without a grid
            or a sample, the sweep is one point (the scenario) over ``seeds`` seeds.
        sample: ``(method, n)`` to sample points instead (see ``api.SAMPLE_METHODS``).
        ranges: parameter -> ``(low, high)``, the intervals a sample draws from.
        seeds: replicates per point (the same seeds at every point).
        seed_root: root of the replicates' seeds (and of the sample).
        baseline: a preset, scenario file or single policy run beside every point with the
            same seeds, for paired differences.
        name: the sweep's name [default: made from the spec].
        workers: local worker processes [default: the number of cores]; no more are started
            than there are cores or runs, which a line on standard error then says.
        scheduler: a Dask scheduler's address instead of local processes: ``tcp://`` on this
            machine, or ``tls://`` anywhere with Dask's TLS settings.
        insecure_scheduler: allow a ``tcp://`` scheduler on another machine; whoever answers
            there, or can tamper with the network, can run any code on this one.
        large: allow up to 1,000,000 planned runs (points x seeds x arms) instead of 10,000.
        db: the run store (created if missing).
        on_start: called before the runs are sent with a :class:`SweepStart`: the sweep's
            ``name``, the ``runs`` left to do, their ``developer_steps`` and an
            ``estimated_duration`` in words (from benchmarked costs: an estimate only).
        on_stored: called with each task (``.point``, ``.replicate``, ``.arm``, ``.seed``) and
            its run's status once stored.
        **options: :func:`~interfaces.public.scenarios.scenario`'s keyword arguments.

    Returns:
        How many runs were stored, and how the sweep stands.

    Raises:
        InputError: a bad spec or point (an empty ``grid``), or too many runs (nothing is
            stored), or a scheduler that is not allowed or does not answer.
        StoreError: the name is taken by another spec, or the sweep is running elsewhere.
        SweepInterrupted: SIGINT or SIGTERM stopped it (resume with :func:`resume_sweep`).
    """
    from experiments.memory import check_memory
    from experiments.sweep import baseline_scenario, make_spec
    from experiments.sweep_coordinator import run_spec
    from experiments.sweep_executors import open_executor

    if ranges and sample is None:
        raise InputError("--range needs --sample METHOD:N (lhs, random, sobol or morris)")
    if grid is not None and not grid:
        raise InputError(
            "grid={}: name at least one parameter and its values, e.g. "
            'grid={"smuggling.leakage": [0, 0.5]}, or leave grid out to run one point'
        )
    main = chosen_scenario(scenario_or_preset, options)
    spec = make_spec(
        large=large,
        name=name,
        scenario=main.model_dump(mode="json"),
        grid=dict(grid or {}),
        sample=(
            None
            if sample is None
            else {
                "method": sample[0],
                "n": sample[1],
                "ranges": dict(ranges or {}),
                "seed": seed_root,
            }
        ),
        seeds=seeds,
        seed_root=seed_root,
        baseline=(
            None if baseline is None else baseline_scenario(baseline, main).model_dump(mode="json")
        ),
    )
    tasks = spec.tasks()  # checks every point before anything is stored
    # Checks and reaches a scheduler before writing anything.
    with open_executor(workers, scheduler, insecure_scheduler, len(tasks)) as executor:
        check_memory((task.scenario for task in tasks), executor.workers)
        store = RunStore(db)
        report = run_spec(store, spec, executor, tasks, on_start, on_stored)
    return _sweep_result(report, executor.description, store)


def resume_sweep(
    ref: int | str,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    insecure_scheduler: bool = False,
    db: str | None = None,
    on_start: Callable[[SweepStart], None] | None = None,
    on_stored: Callable[[Any, str], None] | None = None,
) -> SweepResult:
    """Run what stored sweep ``ref`` (id or name) has left, as it was specified.

    Args and Returns as :func:`sweep`.

    Raises:
        InputError: a scheduler that is not allowed or does not answer.
        StoreError: no such sweep, or it is running elsewhere.
        SweepInterrupted: as :func:`sweep`.
    """
    from experiments.memory import check_memory
    from experiments.sweep import SweepSpec
    from experiments.sweep_coordinator import run_sweep
    from experiments.sweep_executors import open_executor
    from runs.sweeps import finished_tasks, get_sweep, reopen_sweep

    store = RunStore(db, create=False)
    stored = get_sweep(store, ref)
    tasks = SweepSpec.model_validate(stored.spec).tasks(stored.points)
    done = finished_tasks(store, stored.id)
    left = sum(task.key not in done for task in tasks)
    with open_executor(workers, scheduler, insecure_scheduler, left) as executor:
        check_memory((task.scenario for task in tasks), executor.workers)
        report = run_sweep(
            store,
            reopen_sweep(store, stored.id),
            tasks,
            executor,
            on_start,
            on_stored,
        )
    return _sweep_result(report, executor.description, store)


def _sweep_result(report: Any, executor: str, store: RunStore) -> SweepResult:
    return SweepResult(
        report.sweep.id,
        report.sweep.name,
        report.status,
        report.planned,
        report.already_finished,
        report.finished,
        report.failed,
        executor,
        store.masked_url,
    )


@dataclass(frozen=True)
class SweepResults:
    """A stored sweep and what its finished runs say (see :func:`load_sweep`).

    Attributes:
        id, name, status, created_at: the sweep.
        spec: its full spec (JSON), as stored.
        points: the settings of each point.
        settings: the same, one row per point (index ``point``).
        policies: the main arm's policies.
        sample_method: ``lhs``, ``random``, ``sobol``, ``morris``, or None for a grid.
        seeds: replicates per point.
        baseline: the baseline arm's scenario name, or None.
        arms: ``("main",)`` or ``("main", "baseline")``.
        planned_runs: runs the sweep has when done.
        outcomes: the metrics summarised (``api.SWEEP_OUTCOMES``).
        runs: one row per finished task: ``point, replicate, arm, run_id, seed`` and each
            outcome at the run's last step.
        summary: per point, arm and outcome: ``runs, mean, low, high`` (95% t interval).
        differences: with a baseline, per point and outcome: main minus baseline paired by
            seed (``pairs, mean, low, high``) and the Welch interval of independent runs
            (``unpaired_low, unpaired_high``); None without.
    """

    id: int
    name: str
    status: str
    created_at: pd.Timestamp
    spec: dict[str, Any]
    points: list[dict[str, Any]]
    settings: pd.DataFrame
    policies: tuple[str, ...]
    sample_method: str | None
    seeds: int
    baseline: str | None
    arms: tuple[str, ...]
    planned_runs: int
    outcomes: tuple[str, ...]
    runs: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame | None

    @property
    def finished_runs(self) -> int:
        """Runs of the sweep that finished."""
        return len(self.runs)

    def table(self) -> pd.DataFrame:
        """One row per point, arm and outcome, the differences as arm ``difference``."""
        table = (
            self.summary
            if self.differences is None
            else pd.concat(
                [
                    self.summary,
                    self.differences.rename(columns={"pairs": "runs"}).assign(arm="difference"),
                ]
            )
        )
        return self.settings.join(table.set_index("point"), how="right").reset_index()


def load_sweep(ref: int | str, db: str | None = None) -> SweepResults:
    """A stored sweep's outcomes: per point the mean and 95% interval over its seeds.

    Args:
        ref: the sweep's id or name.
        db: the run store.

    Returns:
        The sweep's spec and points, each finished run's outcomes at its last step, the
        summary per point and arm, and with a baseline arm the paired differences.

    Raises:
        StoreError: the store has no such sweep.
    """
    return load_sweep_in(existing_store(db), ref)


def load_sweep_in(store: RunStore, ref: int | str) -> SweepResults:
    """:func:`load_sweep` from an open store (what ``Store.sweep`` does)."""
    from experiments.sweep import SweepSpec
    from experiments.sweep_analysis import OUTCOMES, paired_differences, point_summary
    from runs.sweeps import get_sweep, planned_runs, shown_status, sweep_outcomes

    stored = get_sweep(store, ref)
    spec = SweepSpec.model_validate(stored.spec)
    runs = sweep_outcomes(store, stored.id, list(OUTCOMES))
    n_points = len(stored.points)
    planned = planned_runs(stored.spec, stored.points)
    return SweepResults(
        id=stored.id,
        name=stored.name,
        status=shown_status(stored.status, len(runs), planned),
        created_at=pd.Timestamp(stored.created_at),
        spec=stored.spec,
        points=stored.points,
        settings=pd.DataFrame(stored.points, index=pd.RangeIndex(n_points, name="point")),
        policies=tuple(p.key for p in spec.main_scenario().policies),
        sample_method=spec.sample.method if spec.sample else None,
        seeds=spec.seeds,
        baseline=spec.baseline["name"] if spec.baseline is not None else None,
        arms=spec.arms,
        planned_runs=planned,
        outcomes=OUTCOMES,
        runs=runs,
        summary=point_summary(runs, n_points, spec.arms),
        differences=(paired_differences(runs, n_points) if spec.baseline is not None else None),
    )


@dataclass(frozen=True)
class Sensitivity:
    """Global sensitivity indices of one outcome to a sweep's sampled parameters.

    Attributes:
        sweep_id, sweep_name: the sweep.
        outcome: the market metric at the last step.
        method: ``sobol`` (columns ``S1, S1_conf, ST, ST_conf``) or ``morris`` (``mu_star,
            mu_star_conf, sigma``).
        indices: one row per parameter, most influential first.
        warnings: why the indices may not be read as they are, one sentence each: a sample
            below a sensible size, intervals wider than the indices, Sobol indices outside 0
            to 1; empty when none applies.
    """

    sweep_id: int
    sweep_name: str
    outcome: str
    method: str
    indices: pd.DataFrame
    warnings: tuple[str, ...] = ()


def sensitivity(
    ref: int | str, outcome: str = "cn_share_global", db: str | None = None
) -> Sensitivity:
    """Global sensitivity of ``outcome`` to a sampled sweep's parameters (SALib), ranked.

    Args:
        ref: the sweep's id or name; it must be a ``sobol`` or ``morris`` sample.
        outcome: a market metric, taken at each run's last step.
        db: the run store.

    Returns:
        Sobol indices (S1, ST with 95% confidence) or Morris effects (mu*, its confidence,
        sigma), one row per parameter, most influential first.

    Raises:
        InputError: ``outcome`` is not a market metric (checked before the store is opened),
            the sweep is not such a sample, or some of its points have no finished run yet.
    """
    from experiments.sweep_analysis import check_outcome

    check_outcome(outcome)
    return sensitivity_in(existing_store(db), ref, outcome)


def sensitivity_in(
    store: RunStore, ref: int | str, outcome: str = "cn_share_global"
) -> Sensitivity:
    """:func:`sensitivity` from an open store (what ``Store.sensitivity`` does).

    Raises:
        InputError: ``outcome`` is not a market metric, or the sweep is not a ``sobol`` or
            ``morris`` sample, or some of its points have no finished run yet.
    """
    from experiments.sweep_analysis import sensitivity as indices_of
    from experiments.sweep_analysis import sensitivity_warnings
    from runs.sweeps import get_sweep, sweep_outcomes

    stored = get_sweep(store, ref)
    indices = indices_of(stored, sweep_outcomes(store, stored.id, [outcome]), outcome)
    sample = stored.spec["sample"]
    warnings = sensitivity_warnings(sample["method"], sample["n"], indices)
    return Sensitivity(stored.id, stored.name, outcome, sample["method"], indices, tuple(warnings))
