"""The public Python API: simulate, sweep, validate and replay the market; read what was stored.

Everything a researcher (and the ``sim`` command, the dashboard and the notebooks) does goes
through these calls; they return pandas objects and frozen dataclasses. Runs are stored in a
run store: a SQLAlchemy URL or SQLite file given as ``db``, else ``$SIM_DB``, else ``runs.db``.
Example::

    from interfaces import api

    result = api.run("baseline", developers=2_000, steps=24, seed=1)
    run = api.load_run(result.run_id)                  # history tables as DataFrames
    run.market_steps["cn_share_global"].plot()
    report = api.validate("baseline", seeds=3)         # seeds in parallel
    store = api.open_store()                           # list, compare, export, delete ...

The model core and the experiments layer are imported only by the calls that need them, so
importing this module (and ``sim runs list``) stays quick.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from policies.base import Policy
from policies.registry import available, build_policies, policy_class
from runs.calibrations import StoredTrial  # noqa: F401 - part of the API
from runs.compare import compare_runs, differences, end_months, parse_months
from runs.export import FORMATS as EXPORT_FORMATS  # noqa: F401 - part of the API
from runs.export import export_run
from runs.load import (
    DAMAGED,  # noqa: F401 - part of the API
    RunDetails,
    StoredRun,
    list_runs,
    monthly_means,
    policy_key,  # noqa: F401 - part of the API
    run_details,
    step_label,
)
from runs.load import load_run as _load_run
from runs.schema import SCHEMA_VERSION
from runs.store import DEFAULT_DB, RunStore, StoreError, mask_secrets, url_secrets
from runs.store import ENV_VAR as DB_ENV_VAR  # noqa: F401 - part of the API
from scenario.files import dump_scenario, load_scenario, preset_names
from scenario.overrides import parse_value, resolve_scenario
from scenario.scenario import Scenario
from simulator import __version__ as __version__
from vocabulary.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from experiments.calibration import CalibrationReport
    from experiments.replay import Difference
    from experiments.runner import RunInterrupted as RunInterrupted
    from experiments.sweep_analysis import Interval
    from experiments.sweep_coordinator import SweepInterrupted as SweepInterrupted
    from experiments.sweep_cost import SweepStart
    from experiments.validation_runs import ValidationInterrupted as ValidationInterrupted
    from experiments.validation_runs import ValidationReport
    from simulator.metrics import StepRecord
    from simulator.model import TokenMarket

_LAZY = {
    "TokenMarket": ("simulator.model", "TokenMarket"),
    "StepRecord": ("simulator.metrics", "StepRecord"),
    "Difference": ("experiments.replay", "Difference"),
    "CalibrationReport": ("experiments.calibration", "CalibrationReport"),
    "Interval": ("experiments.sweep_analysis", "Interval"),
    "ValidationReport": ("experiments.validation_runs", "ValidationReport"),
    "RunInterrupted": ("experiments.runner", "RunInterrupted"),
    "SweepInterrupted": ("experiments.sweep_coordinator", "SweepInterrupted"),
    "SweepStart": ("experiments.sweep_cost", "SweepStart"),
    "ValidationInterrupted": ("experiments.validation_runs", "ValidationInterrupted"),
    "SAMPLE_METHODS": ("experiments.sweep", "SAMPLE_METHODS"),
    "SWEEP_OUTCOMES": ("experiments.sweep_analysis", "OUTCOMES"),
    "SECONDS_PER_STEP": ("experiments.sweep_cost", "SECONDS_PER_STEP"),
    "SECONDS_PER_DEVELOPER_STEP": ("experiments.sweep_cost", "SECONDS_PER_DEVELOPER_STEP"),
}
"""Names this module offers from the model and experiments layers, imported on first use
(PEP 562), so that reading runs never loads the model: ``api.TokenMarket`` (the Mesa model),
``api.StepRecord``, ``api.Difference``, ``api.Interval``, ``api.ValidationReport``, the
exceptions a stopped run, sweep or validation raises (``RunInterrupted``, ``SweepInterrupted``,
``ValidationInterrupted``: each has ``exit_status``), ``SAMPLE_METHODS`` (what ``sweep``'s
``sample`` takes), ``SWEEP_OUTCOMES`` (the outcomes ``load_sweep`` summarises), ``SweepStart``
(what ``sweep`` tells ``on_start``), and ``SECONDS_PER_STEP`` and ``SECONDS_PER_DEVELOPER_STEP``
(the benchmarked costs its time estimate assumes)."""


def __getattr__(name: str) -> Any:
    """The lazily imported names of :data:`_LAZY`."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LAZY[name]
    return getattr(importlib.import_module(module), attribute)


# ---- scenarios and policies ----------------------------------------------------------------------


def scenario(
    preset_or_file: str | Path | Scenario | None = None,
    *,
    policies: Iterable[str] = (),
    settings: Mapping[str, Any] | Sequence[str] | None = None,
    steps: int | None = None,
    developers: int | None = None,
    start: str | None = None,
    step_length: str | None = None,
) -> Scenario:
    """A validated scenario: a preset, a file or a scenario, plus policies and settings.

    Args:
        preset_or_file: a preset name (``baseline``, ``no_controls``, ``strict``; see
            :func:`presets`), a TOML or YAML scenario file, or a scenario; the default scenario
            (no policies) when None.
        policies: names of policies to enable (see :func:`policies`).
        settings: dotted-path overrides, ``{"smuggling.leakage": 0.3}`` or
            ``["smuggling.leakage=0.3"]``.
        steps: number of steps (default 48 months).
        developers: size of the developer population.
        start: first month, ``YYYY-MM``.
        step_length: ``month`` or ``week``.

    Returns:
        The scenario a run with these options simulates (frozen; print it with
        :func:`scenario_text`).

    Raises:
        InputError: an unknown preset, policy or setting, or a value out of range.
    """
    if isinstance(preset_or_file, Scenario):
        base: Scenario | None = preset_or_file
    else:
        base = load_scenario(str(preset_or_file)) if preset_or_file else None
    return resolve_scenario(
        base,
        policies=policies,
        settings=settings,
        developers=developers,
        steps=steps,
        start=start,
        step_length=step_length,
    )


def presets() -> dict[str, Scenario]:
    """The packaged scenario presets by name, each with its ``description``."""
    return {name: load_scenario(name) for name in preset_names()}


def scenario_text(scenario: Scenario, syntax: str = "toml") -> str:
    """``scenario`` in full as TOML or YAML (``syntax``): a file to edit and run again."""
    return dump_scenario(scenario, syntax)


def setting_value(text: str) -> Any:
    """A setting's value as ``--set`` reads it: ``0.3`` a float, ``true`` a bool, ``a,b`` a list."""
    return parse_value(text, None)


@dataclass(frozen=True)
class ParameterInfo:
    """One parameter of a policy: its name, default and meaning."""

    name: str
    default: Any
    description: str


@dataclass(frozen=True)
class PolicyInfo:
    """A policy that runs can enable: its name, what it does, its parameters."""

    name: str
    summary: str
    parameters: tuple[ParameterInfo, ...]


def policies() -> list[PolicyInfo]:
    """The available policies (built in, or added through the entry-point group), by name."""
    listing = []
    for name, cls in sorted(available().items()):
        params = []
        for field, info in cls.model_fields.items():
            default = info.get_default(call_default_factory=True)
            if hasattr(default, "model_dump"):
                default = default.model_dump()
            params.append(ParameterInfo(field, default, info.description or ""))
        listing.append(PolicyInfo(name, cls.summary, tuple(params)))
    return listing


def scenario_policies(scenario: Scenario) -> dict[str, Policy]:
    """The scenario's enabled policies as a run builds them, by registered name."""
    return {active.policy.name: active.policy for active in build_policies(scenario.policies)}


def default_policy(name: str) -> Policy:
    """Policy ``name`` with its default parameters.

    Raises:
        InputError: no such policy (the message lists those there are).
    """
    return policy_class(name)()


def default_run_name(scenario: Scenario) -> str:
    """A run's name when none is given: the scenario's, or its policies' (``no_policy``)."""
    if scenario.name != "default":
        return scenario.name
    return "+".join(p.key for p in scenario.policies) or "no_policy"


# ---- running -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    """A run just simulated and stored.

    Attributes:
        run_id: its id in the store (:func:`load_run` reads it back).
        status: ``finished``.
        digest: a hash of its stored history: the same scenario and seed give the same digest.
        steps: the steps simulated.
        seed: the seed of all its randomness (drawn when none was given).
        db: the store's URL, password masked.
        model: the Mesa model as the run left it (``model.last_record``, ``model.developers``).
    """

    run_id: int
    status: str
    digest: str
    steps: int
    seed: int
    db: str
    model: TokenMarket


def _chosen(scenario_or_preset: Scenario | str | Path | None, options: dict[str, Any]) -> Scenario:
    """The scenario a call asks for: a scenario as given, or one :func:`scenario` resolves."""
    if isinstance(scenario_or_preset, Scenario) and not any(
        value is not None and value != () for value in options.values()
    ):
        return scenario_or_preset
    return scenario(scenario_or_preset, **options)


def _stepper(on_step: Callable[[StepRecord], None] | None) -> Callable[[Any], None] | None:
    """The runner's per-step callback (which gets the model) for one that takes the record."""
    if on_step is None:
        return None
    return lambda model: on_step(model.last_record)


def _result(store: RunStore, ran: Any) -> RunResult:
    return RunResult(
        ran.run_id, ran.status, ran.digest, ran.steps, ran.model.seed, store.masked_url, ran.model
    )


def run(
    scenario_or_preset: Scenario | str | Path | None = None,
    *,
    seed: int | None = None,
    name: str | None = None,
    tags: Sequence[str] = (),
    developer_history: str | None = None,
    db: str | None = None,
    on_step: Callable[[StepRecord], None] | None = None,
    **options: Any,
) -> RunResult:
    """Simulate a scenario step by step and store every step as it is simulated.

    Args:
        scenario_or_preset: a scenario, or what :func:`scenario` takes as its first argument.
        seed: seed of all randomness; the same scenario and seed give the same history.
        name: the run's name [default: :func:`default_run_name`].
        tags: labels stored with the run, for grouping runs later.
        developer_history: also store per-developer rows: ``all``, ``every:K``, ``sample:F``
            or both (``every:12,sample:0.01``).
        db: the run store (created if missing).
        on_step: called with each step's record (``.month``, ``.date``, ``.market``) once
            it is stored.
        **options: :func:`scenario`'s keyword arguments (``policies``, ``settings``,
            ``steps``, ``developers``, ``start``, ``step_length``).

    Returns:
        Where the run is stored, its digest, and the model as it ended.

    Raises:
        InputError: bad scenario, options or ``developer_history`` (nothing is stored).
        StoreError: the store cannot be opened.
        RunInterrupted: SIGINT or SIGTERM stopped it (its steps so far are stored).
    """
    from experiments.runner import execute
    from runs.developer_history import HistoryPlan

    chosen = _chosen(scenario_or_preset, options)
    plan = HistoryPlan.parse(developer_history) if developer_history else None
    store = RunStore(db)
    ran = execute(
        chosen,
        seed,
        store,
        name=name or default_run_name(chosen),
        on_step=_stepper(on_step),
        tags=tags,
        developer_history=plan,
    )
    return _result(store, ran)


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
        scenario_or_preset: the main arm, as :func:`run` takes it.
        grid: parameter -> values; the points are the product of the grids.
        sample: ``(method, n)`` to sample points instead (see ``api.SAMPLE_METHODS``).
        ranges: parameter -> ``(low, high)``, the intervals a sample draws from.
        seeds: replicates per point (the same seeds at every point).
        seed_root: root of the replicates' seeds (and of the sample).
        baseline: a preset, scenario file or single policy run beside every point with the
            same seeds, for paired differences.
        name: the sweep's name [default: made from the spec].
        workers: local worker processes [default: the number of cores].
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
        **options: :func:`scenario`'s keyword arguments.

    Returns:
        How many runs were stored, and how the sweep stands.

    Raises:
        InputError: a bad spec or point, or too many runs (nothing is stored), or a scheduler
            that is not allowed or does not answer.
        StoreError: the name is taken by another spec, or the sweep is running elsewhere.
        SweepInterrupted: SIGINT or SIGTERM stopped it (resume with :func:`resume_sweep`).
    """
    from experiments.sweep import baseline_scenario, make_spec
    from experiments.sweep_coordinator import run_spec
    from experiments.sweep_executors import open_executor

    if ranges and sample is None:
        raise InputError("--range needs --sample METHOD:N (lhs, random, sobol or morris)")
    main = _chosen(scenario_or_preset, options)
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
    with open_executor(workers, scheduler, insecure_scheduler) as executor:
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
    from experiments.sweep import SweepSpec
    from experiments.sweep_coordinator import run_sweep
    from experiments.sweep_executors import open_executor
    from runs.sweeps import get_sweep, reopen_sweep

    store = RunStore(db, create=False)
    stored = get_sweep(store, ref)
    tasks = SweepSpec.model_validate(stored.spec).tasks(stored.points)
    with open_executor(workers, scheduler, insecure_scheduler) as executor:
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


def validate(
    scenario_or_preset: Scenario | str | Path = "baseline",
    *,
    seeds: int = 5,
    developers: int | None = None,
    targets: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    insecure_scheduler: bool = False,
    db: str | None = None,
    on_start: Callable[[int], None] | None = None,
    on_stored: Callable[[int, str], None] | None = None,
) -> ValidationReport:
    """Run a scenario with seeds 1..``seeds`` in parallel and compare it with the targets.

    The runs are stored like any other, tagged ``validation`` and named
    ``validation/<scenario>/seed-N``, in seed order; each seed's run (and digest) is the one
    :func:`run` stores with that seed. A run of weekly steps is measured on the means of the
    weeks of each month.

    Args:
        scenario_or_preset: the scenario to check (normally the baseline preset).
        seeds: the number of seeds.
        developers: population size [default: the scenario's].
        targets: a TOML or YAML file with a ``targets`` list [default: the packaged targets].
        workers: local worker processes [default: the number of cores, at most ``seeds``].
        scheduler: a Dask scheduler's address instead of local processes (as :func:`sweep`).
        insecure_scheduler: as :func:`sweep`.
        db: the run store (created if missing).
        on_start: called with the number of runs, before they are sent.
        on_stored: called with each seed and its run's status once it is stored.

    Returns:
        The scenario as run, the stored run ids, and per target (in the targets' order): the
        simulated mean and spread over seeds, the target, its band and ``passed``;
        ``.passed`` is true when every target passes.

    Raises:
        InputError: a bad targets file, or a target before the scenario's start (nothing is
            run).
        ValidationInterrupted: SIGINT or SIGTERM stopped it (the runs stored so far stay).
    """
    from experiments.sweep_executors import open_executor
    from experiments.targets import load_targets
    from experiments.validation_runs import validate_seeds, validation_scenario

    wanted = load_targets(targets)
    base = (
        scenario_or_preset
        if isinstance(scenario_or_preset, Scenario)
        else load_scenario(str(scenario_or_preset))
    )
    resolved = validation_scenario(base, wanted, developers)
    store = RunStore(db)
    if workers is None and scheduler is None:
        workers = min(os.cpu_count() or 1, seeds)
    with open_executor(workers, scheduler, insecure_scheduler) as executor:
        if on_start:
            on_start(seeds)
        return validate_seeds(store, resolved, wanted, seeds, executor, on_stored)


@dataclass(frozen=True)
class CalibrationResult:
    """A calibration as it stands, and the scenario its best trial makes of the one given.

    Attributes:
        report: every trial, the defaults' and the best (``.moves()``, ``.target_changes()``),
            and the signal that stopped it early, if any.
        scenario: the scenario given, over its own horizon and population, with the best
            trial's values (None before any trial has finished).
        db: the store, its password masked.
    """

    report: CalibrationReport
    scenario: Scenario | None
    db: str


def calibrate(
    scenario_or_preset: Scenario | str | Path = "baseline",
    *,
    trials: int = 200,
    seeds: int = 5,
    seed: int = 1,
    developers: int | None = None,
    targets: str | Path | None = None,
    space: str | Path | None = None,
    name: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    insecure_scheduler: bool = False,
    db: str | None = None,
    on_open: Callable[[str, int], None] | None = None,
    on_trial: Callable[[Any, Any], None] | None = None,
) -> CalibrationResult:
    """Search the tuned parameters, within their sourced ranges, for the best fit to targets.

    Each trial simulates the scenario with one set of values for seeds 1..``seeds`` (in
    parallel, in memory) and scores it with :func:`experiments.validation.loss`: the squared
    distance of each target outside its band, in band widths (0 when every target passes).
    The first trial is the scenario's own values. Trials are stored in the run store; the same
    call (or ``name``) resumes a calibration and runs trials until ``trials`` are done in all.

    Args:
        scenario_or_preset: the scenario to calibrate (normally the baseline preset).
        trials: the budget: trials in all, earlier sessions' included.
        seeds: each trial runs seeds 1..N.
        seed: the seed of the optimiser's draws.
        developers: population size [default: the scenario's].
        targets: a TOML or YAML targets file [default: the packaged targets].
        space: a TOML or YAML tuning file [default: ``scenario/data/tuning.toml``].
        name: the calibration's name [default: made from its spec].
        workers: local worker processes [default: the number of cores].
        scheduler: a Dask scheduler's address instead (as :func:`sweep`).
        insecure_scheduler: as :func:`sweep`.
        db: the run store (created if missing).
        on_open: called with the calibration's name and the number of trials already done.
        on_trial: called with each finished trial and the best so far.

    Raises:
        InputError: a bad targets or tuning file, or the scenario's values outside the
            ranges (nothing is stored), or a scheduler that is not allowed.
        StoreError: the name is taken by another spec, or it is running elsewhere.
    """
    from experiments.calibration import CalibrationSpec
    from experiments.calibration import calibrate as search
    from experiments.calibration_space import load_space
    from experiments.sweep_executors import open_executor
    from experiments.targets import load_targets
    from experiments.validation_runs import validation_scenario

    base = (
        scenario_or_preset
        if isinstance(scenario_or_preset, Scenario)
        else load_scenario(str(scenario_or_preset))
    )
    wanted = load_targets(targets)
    tuned = load_space(space)
    simulated = validation_scenario(base, wanted, developers)
    spec = CalibrationSpec.make(simulated, wanted, tuned, seeds, seed, name)
    with open_executor(workers, scheduler, insecure_scheduler) as executor:
        store = RunStore(db)
        report = search(
            store,
            spec,
            trials,
            executor,
            parallel_trials=workers or 2,
            on_open=(lambda stored, done: on_open(stored.name, done)) if on_open else None,
            on_trial=on_trial,
        )
    best = report.best
    calibrated = (
        None
        if best is None
        else resolve_scenario(
            base, settings=best.params, developers=developers, name=f"{base.name}-calibrated"
        )
    )
    return CalibrationResult(report, calibrated, store.masked_url)


@dataclass(frozen=True)
class Replay:
    """A stored run simulated again from its scenario and seed.

    Attributes:
        stored: the run that was replayed.
        run: the replay, stored as a new run named ``replay of run N``.
        verified: whether the histories were compared.
        difference: the first place the two histories part (``.describe()``), None if they
            are identical or were not compared.
    """

    stored: StoredRun
    run: RunResult
    verified: bool
    difference: Difference | None

    @property
    def identical(self) -> bool | None:
        """Whether every market and provider value repeated exactly; None if not verified."""
        return self.difference is None if self.verified else None


def replay(
    stored_run: int | StoredRun,
    *,
    verify: bool = False,
    db: str | None = None,
    on_step: Callable[[StepRecord], None] | None = None,
) -> Replay:
    """Re-run a stored run from its stored scenario and seed, into a new run of the store.

    Args:
        stored_run: the run, or its id.
        verify: compare the new history with the stored one, value by value.
        db: the run store holding it.
        on_step: called with each step's record.

    Returns:
        Both runs and, with ``verify``, the first difference (None: reproduced bit for bit).

    Raises:
        StoreError: no such run, or this package no longer accepts its stored scenario.
        RunInterrupted: SIGINT or SIGTERM stopped the replay.
    """
    return open_store(db, existing=True).replay(stored_run, verify=verify, on_step=on_step)


def version_changes(stored_run: StoredRun) -> dict[str, tuple[str, str]]:
    """Software whose version differs between a stored run and now: name -> (then, now).

    ``package`` is token-market-sim itself; a change can explain a replay that differs.
    """
    from experiments.replay import version_changes as changes

    return changes(stored_run)


# ---- reading the store ---------------------------------------------------------------------------


def load_run(run_id: int, db: str | None = None) -> StoredRun:
    """Stored run ``run_id``: scenario, seed, status, versions and history tables.

    Args:
        run_id: the run's id (see ``open_store().runs()``).
        db: the run store.

    Returns:
        ``market_steps``, ``provider_steps``, ``segment_steps``, ``product_steps`` (no rows
        for runs stored before products were) and ``policy_events`` as DataFrames indexed by
        month (a monthly ``pandas.Period``; weekly runs by week), plus the run's ``scenario``,
        ``seed``, ``digest``, ``created_at`` (a Timestamp) and more.

    Raises:
        StoreError: the store has no such run (the message gives the ids it has).
    """
    return open_store(db, existing=True).run(run_id)


TOP_PRODUCTS = 10
"""How many products :func:`top_products` keeps by default (``sim run``, ``sim runs show``)."""


def top_products(
    products: pd.DataFrame | Iterable[Mapping[str, Any]], limit: int = TOP_PRODUCTS
) -> pd.DataFrame:
    """The products that served the most tokens in one step, most first.

    Args:
        products: one step's product rows: :attr:`RunDetails.last_products`, or a step
            record's ``products`` (``result.model.last_record.products``).
        limit: how many products to keep.

    Returns:
        Columns ``product``, ``provider``, ``tokens`` (tokens per month), ``provider_share``
        (its share of the tokens its provider's products served in that step, 0 to 1; NaN if
        they served none) and ``price`` (USD per million tokens); ties in tokens by product
        name. No rows for a step without products.
    """
    frame = products if isinstance(products, pd.DataFrame) else pd.DataFrame(list(products))
    columns = ["product", "provider", "tokens", "provider_share", "price"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    by_provider = frame.groupby("provider")["tokens"].transform("sum")
    frame = frame.assign(provider_share=frame["tokens"].div(by_provider.where(by_provider > 0)))
    ranked = frame.sort_values(["tokens", "product"], ascending=[False, True], kind="stable")
    return ranked[columns].head(limit).reset_index(drop=True)


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
    return open_store(db, existing=True).sweep(ref)


def compare(
    run_ids: Sequence[int],
    metrics: Sequence[str] | None = None,
    at: Iterable[str | pd.Period] = (),
    db: str | None = None,
) -> Comparison:
    """Stored runs side by side: metrics at chosen months and at each run's end.

    Args:
        run_ids: the runs; the first is the reference of the differences.
        metrics: ``market_steps`` columns [default: all of them].
        at: months (``YYYY-MM``) to compare at, besides each run's end.
        db: the run store.

    Returns:
        The table (index ``(when, metric)``, one column per run id) and each run minus the
        first.

    Raises:
        InputError: a month that is not ``YYYY-MM``, or one no run simulated.
    """
    months = parse_months(str(month) for month in at)  # checked before the store is opened
    return open_store(db, existing=True).compare(run_ids, metrics, months)


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
    return open_store(db, existing=True).sensitivity(ref, outcome)


def t_interval(values: Iterable[float]) -> Interval:
    """The mean of ``values`` and its 95% t interval (``.low``, ``.high``, ``.half_width``).

    The interval ``load_sweep`` reports; NaN bounds for fewer than two values.
    """
    from experiments.sweep_analysis import t_interval as interval

    return interval(pd.Series(list(values), dtype="float64").to_numpy())


def history_figure(runs: Sequence[StoredRun]) -> Figure:
    """The four-panel figure of ``sim plot``: shares, prices, compute, Chinese channels."""
    from interfaces.plot import history_figure as figure

    return figure(runs)


def db_where_started(start: str | Path | None = None) -> str:
    """The run store ``sim`` would use if typed where the user started: for notebooks.

    ``$SIM_DB``, else ``runs.db``, a relative file taken from ``start``: by default the folder
    the user started Jupyter from (``$PWD``, which the kernel inherits from that shell, while
    the kernel itself runs in the notebook's folder), else the working folder. A database URL
    (``postgresql://...``) is returned as it is; a file as an absolute path.
    """
    target = os.environ.get(DB_ENV_VAR) or DEFAULT_DB
    if "://" in target:
        return target
    folder = Path(start or os.environ.get("PWD") or Path.cwd())
    return str((folder / Path(target).expanduser()).resolve())


@dataclass(frozen=True)
class StoreUpgrade:
    """A store brought to this package's schema: from which version (None: it already was)."""

    db: str
    from_version: int | None
    to_version: int


def upgrade_store(db: str | None = None) -> StoreUpgrade:
    """Migrate a run store to this package's schema version, keeping every run.

    Raises:
        StoreError: there is no store, or the migration failed (then nothing changed).
    """
    store = RunStore(db, create=False, upgrade=True)
    if not store.exists:
        raise StoreError(
            f"no run store in {store.masked_url}: nothing to upgrade (`sim run` creates one)"
        )
    return StoreUpgrade(store.masked_url, store.upgraded_from, SCHEMA_VERSION)


@dataclass(frozen=True)
class StoreCheck:
    """What :func:`check_store` found: the store, and each problem as one line.

    Attributes:
        db: the store's URL, credentials masked.
        problems: one line per problem (``where: what is wrong``), in table order; empty when
            the store is sound.
    """

    db: str
    problems: tuple[str, ...]

    @property
    def sound(self) -> bool:
        """Whether nothing is wrong with the store."""
        return not self.problems


def check_store(db: str | None = None) -> StoreCheck:
    """Look for every problem of a run store changed outside this package, changing nothing.

    Finds a schema version that is not this package's, missing tables and columns, columns
    of another type, and rows whose values cannot be read (a required value missing, text
    where a number, time or JSON belongs, JSON of the wrong shape).

    Raises:
        StoreError: there is no store there, or the database cannot be read at all.
    """
    from runs.check import check_store as find_problems

    store = RunStore(db, create=False, as_found=True)
    if not store.exists:
        raise StoreError(f"no run store in {store.masked_url}: nothing to check")
    return StoreCheck(store.masked_url, tuple(map(str, find_problems(store))))


def open_store(db: str | None = None, *, existing: bool = False) -> Store:
    """The run store at ``db`` (URL or SQLite path), else ``$SIM_DB``, else ``runs.db``.

    Opening only reads: a missing file is not created. Without ``existing`` it simply holds no
    runs (a notebook may look before it runs anything); with it, a store that is not there is
    an error, so that a typo in ``--db`` is not taken for an empty store.

    Raises:
        StoreError: the database cannot be opened, its schema is not this package's, or
            (``existing``) it holds no run store.
    """
    store = RunStore(db, create=False)
    if existing and not store.exists:
        raise StoreError(
            f"no run store in {store.masked_url}: nothing was ever stored there (check --db "
            f"and ${DB_ENV_VAR}; `sim run` creates one)"
        )
    return Store(store)


def mask_credentials(text: str, urls: Iterable[str] = ()) -> str:
    """``text`` with every database credential in it shown as ``***``.

    That is the password of any ``scheme://user:password@`` and the value of any
    ``password=`` (or other secret) query parameter in it, and each credential of ``urls``
    wherever it occurs (a driver may quote a password on its own).
    """
    return mask_secrets(text, [secret for url in urls for secret in url_secrets(url)])


@dataclass(frozen=True)
class Comparison:
    """Runs side by side (see :func:`compare`).

    Attributes:
        runs: the runs, the first the reference.
        table: index ``(when, metric)`` with ``when`` a month ``YYYY-MM`` or ``"end"``; one
            column per run id; values as stored (shares 0-1, prices USD per million tokens).
        differences: each later run minus the first.
        ends: each run's last step (``YYYY-MM``, or a week's start day), by run id.
        whens: the ``when`` labels in order, ``"end"`` last.
    """

    runs: tuple[StoredRun, ...]
    table: pd.DataFrame
    differences: pd.DataFrame
    ends: dict[int, str]
    whens: tuple[str, ...]


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


@dataclass(frozen=True)
class Sensitivity:
    """Global sensitivity indices of one outcome to a sweep's sampled parameters.

    Attributes:
        sweep_id, sweep_name: the sweep.
        outcome: the market metric at the last step.
        method: ``sobol`` (columns ``S1, S1_conf, ST, ST_conf``) or ``morris`` (``mu_star,
            mu_star_conf, sigma``).
        indices: one row per parameter, most influential first.
    """

    sweep_id: int
    sweep_name: str
    outcome: str
    method: str
    indices: pd.DataFrame


class Store:
    """A run store: its runs and sweeps, to list, read, compare, export, replay and delete.

    Get one from :func:`open_store`.
    """

    def __init__(self, store: RunStore) -> None:
        self._store = store

    @property
    def url(self) -> str:
        """The store's URL, password masked."""
        return self._store.masked_url

    @property
    def exists(self) -> bool:
        """Whether the database holds a run store (a missing one holds no runs)."""
        return self._store.exists

    def runs(
        self,
        *,
        name: str | None = None,
        policy: str | None = None,
        status: str | None = None,
        sweep: int | str | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Stored runs, newest first, one row each, indexed by run id.

        Args:
            name: keep runs with exactly this name.
            policy: keep runs with this policy enabled: a policy's name (``export_licence``)
                or the name of its instance in the run (``h20_resumed``).
            status: keep runs with this status (a killed run counts as ``interrupted``).
            sweep: keep the runs of this sweep (id or name).
            limit: keep the newest ``limit`` of them.

        Returns:
            Columns ``name, status, seed, steps_done, steps_planned, policies`` (the names the
            run gives its policies, :func:`policy_key`, joined by ``+``), ``created_at``,
            ``finished_at`` (Timestamps), ``package_version``, ``digest``, ``tags``, ``error``.
            A row changed outside ``sim`` so that it cannot be read is listed with status
            :data:`DAMAGED` and why in ``error``.

        Raises:
            InputError: an unknown status.
        """
        return list_runs(
            self._store, name=name, policy=policy, status=status, sweep=sweep, limit=limit
        )

    def run(self, run_id: int) -> StoredRun:
        """Run ``run_id`` with its history tables (see :func:`load_run`)."""
        return _load_run(self._store, run_id)

    def details(self, run_id: int) -> RunDetails:
        """Run ``run_id`` without its history: row counts, policy events, last market row.

        ``last_products`` holds its last step's product rows (:func:`top_products` ranks them).

        Raises:
            StoreError: no such run.
        """
        return run_details(self._store, run_id)

    def compare(
        self,
        run_ids: Sequence[int],
        metrics: Sequence[str] | None = None,
        at: Iterable[str | pd.Period] = (),
    ) -> Comparison:
        """Runs side by side at months ``at`` and at their ends (see :func:`compare`).

        Raises:
            InputError: a month that is not ``YYYY-MM``.
            StoreError: no such run, or a month of ``at`` that no run simulated.
        """
        at = parse_months(str(month) for month in at)
        runs = tuple(self.run(run_id) for run_id in run_ids)
        for month in at:
            if not any(month in monthly_means(run.market_steps).index for run in runs):
                spans = ", ".join(
                    f"run {r.id} {step_label(r.market_steps.index[0])} to "
                    f"{step_label(r.market_steps.index[-1])}"
                    for r in runs
                    if len(r.market_steps)
                )
                raise StoreError(
                    f"--at {month}: no run simulated that month ({spans or 'no steps'})"
                )
        if metrics is None:
            metrics = [c for c in runs[0].market_steps.columns if c not in ("step", "month")]
        table = compare_runs(runs, metrics, at)
        return Comparison(
            runs, table, differences(table), end_months(runs), (*(str(m) for m in at), "end")
        )

    def export(
        self,
        run_id: int,
        folder: str | Path,
        file_format: str = "csv",
        *,
        overwrite: bool = False,
    ) -> list[Path]:
        """Write ``run-N.json`` and one file per history table (``csv`` or ``parquet``).

        Each table file holds the run's rows as the database has them. Files of an earlier
        export of the run are replaced only with ``overwrite``.

        Returns:
            The files written, the JSON first.

        Raises:
            StoreError: no such run, an unknown format, a file already there (without
                ``overwrite``), or a folder that cannot be written.
        """
        return export_run(self.run(run_id), Path(folder), file_format, overwrite)

    def deletable(self, run_id: int) -> RunDetails:
        """Run ``run_id``'s details, if it may be deleted.

        Raises:
            StoreError: no such run, or it is still running.
        """
        from runs.delete import deletable

        return deletable(self._store, run_id)

    def delete(self, run_id: int) -> dict[str, int]:
        """Delete run ``run_id`` and its rows, in one transaction; rows deleted per table.

        Raises:
            StoreError: as :meth:`deletable`.
        """
        from runs.delete import delete_run

        return delete_run(self._store, run_id)

    def replay(
        self,
        stored_run: int | StoredRun,
        *,
        verify: bool = False,
        on_step: Callable[[StepRecord], None] | None = None,
    ) -> Replay:
        """Re-run a stored run into this store (see :func:`replay`)."""
        from experiments.replay import first_difference
        from experiments.replay import replay as rerun

        stored = stored_run if isinstance(stored_run, StoredRun) else self.run(stored_run)
        result = _result(self._store, rerun(self._store, stored, on_step=_stepper(on_step)))
        difference = first_difference(self._store, stored.id, result.run_id) if verify else None
        return Replay(stored, result, verify, difference)

    def sweeps(self, limit: int | None = None) -> pd.DataFrame:
        """Stored sweeps (the newest ``limit`` of them), newest first, indexed by sweep id.

        Returns:
            Columns ``name, status, finished_runs, planned_runs, created_at, finished_at``.
        """
        from runs.sweeps import list_sweeps

        return list_sweeps(self._store, limit)

    def sweep(self, ref: int | str) -> SweepResults:
        """Sweep ``ref`` (id or name) and its outcomes (see :func:`load_sweep`)."""
        from experiments.sweep import SweepSpec
        from experiments.sweep_analysis import OUTCOMES, paired_differences, point_summary
        from runs.sweeps import get_sweep, planned_runs, sweep_outcomes

        stored = get_sweep(self._store, ref)
        spec = SweepSpec.model_validate(stored.spec)
        runs = sweep_outcomes(self._store, stored.id, list(OUTCOMES))
        n_points = len(stored.points)
        return SweepResults(
            id=stored.id,
            name=stored.name,
            status=stored.status,
            created_at=pd.Timestamp(stored.created_at),
            spec=stored.spec,
            points=stored.points,
            settings=pd.DataFrame(stored.points, index=pd.RangeIndex(n_points, name="point")),
            policies=tuple(p.key for p in spec.main_scenario().policies),
            sample_method=spec.sample.method if spec.sample else None,
            seeds=spec.seeds,
            baseline=spec.baseline["name"] if spec.baseline is not None else None,
            arms=spec.arms,
            planned_runs=planned_runs(stored.spec, stored.points),
            outcomes=OUTCOMES,
            runs=runs,
            summary=point_summary(runs, n_points, spec.arms),
            differences=(paired_differences(runs, n_points) if spec.baseline is not None else None),
        )

    def sensitivity(self, ref: int | str, outcome: str = "cn_share_global") -> Sensitivity:
        """Sobol or Morris indices of ``outcome`` for a sampled sweep, most influential first.

        Raises:
            InputError: ``outcome`` is not a market metric, or the sweep is not a ``sobol`` or
                ``morris`` sample, or some of its points have no finished run yet.
        """
        from experiments.sweep_analysis import sensitivity
        from runs.sweeps import get_sweep, sweep_outcomes

        stored = get_sweep(self._store, ref)
        indices = sensitivity(stored, sweep_outcomes(self._store, stored.id, [outcome]), outcome)
        return Sensitivity(
            stored.id, stored.name, outcome, stored.spec["sample"]["method"], indices
        )

    def plot(self, run_ids: Sequence[int], out: str | Path) -> Path:
        """Draw the runs' histories overlaid (as :func:`history_figure`) into image ``out``.

        Returns:
            The file written; its suffix picked the format (png, pdf, svg, ...).
        """
        from interfaces.plot import save_history

        return save_history([self.run(run_id) for run_id in run_ids], Path(out))
