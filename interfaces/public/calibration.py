"""Validation and calibration: the model measured against what was observed, and tuned to it.

Both simulate a scenario over seeds 1..N on an executor (local processes, or a Dask cluster)
and measure the runs on the same targets (``scenario/data/targets.toml``, or a file given);
validation stores its runs and says which targets pass (and which dynamics checks, and how each
Chinese lab's API revenue compares with its reported figures), calibration searches the tuned
parameters for the values that fit the targets best and stores its trials.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interfaces.public.arguments import whole_number
from runs.calibrations import StoredCalibration, StoredTrial
from runs.store import RunStore
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario
from scenario.scenario import Scenario
from vocabulary.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from experiments.calibration import CalibrationReport
    from experiments.posterior import PosteriorReport
    from experiments.sweep_cost import SweepStart
    from experiments.validation_runs import ValidationReport

__all__ = [  # what interfaces.api offers from here
    "CalibrationResult",
    "PosteriorResult",
    "StoredTrial",
    "calibrate",
    "lab_revenue_markdown",
    "load_posterior",
    "posterior",
    "validate",
]


def _base(scenario_or_preset: Scenario | str | Path) -> Scenario:
    """The scenario to measure: as given, or the preset or file it names."""
    if isinstance(scenario_or_preset, Scenario):
        return scenario_or_preset
    return load_scenario(str(scenario_or_preset))


def validate(
    scenario_or_preset: Scenario | str | Path = "baseline",
    *,
    seeds: int = 5,
    developers: int | None = None,
    targets: str | Path | None = None,
    checks: str | Path | None = None,
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
    :func:`~interfaces.public.running.run` stores with that seed. A run of weekly steps is
    measured on the means of the weeks of each month. The runs go to the later of the last
    month a target needs and the end of the dynamics checks' window (2027-12 for the packaged
    checks).

    Besides the targets, the runs are measured on the dynamics checks, which pass or fail with
    them (the packaged ones, ``scenario/data/dynamics_checks.toml``: D1, no lab with at least
    1% of the tokens below 30% utilisation for more than 3 months in a row; D2, no such lab's
    markup at a bound for more than 6 months in a row unless a source puts it there). They also
    give each Chinese lab's API revenue by calendar year beside what it reported
    (``scenario/data/lab_revenue.toml``; informational, see :func:`lab_revenue_markdown`).

    Args:
        scenario_or_preset: the scenario to check (normally the baseline preset).
        seeds: the number of seeds.
        developers: population size [default: the scenario's].
        targets: a TOML or YAML file with a ``targets`` list [default: the packaged targets].
        checks: a TOML or YAML file of dynamics checks in the form of
            ``scenario/data/dynamics_checks.toml`` [default: that file].
        workers: local worker processes [default: the number of cores]; no more are started
            than there are cores or seeds, which a line on standard error then says.
        scheduler: a Dask scheduler's address instead of local processes (as
            :func:`~interfaces.public.sweeps.sweep`).
        insecure_scheduler: as :func:`~interfaces.public.sweeps.sweep`.
        db: the run store (created if missing).
        on_start: called with the number of runs, before they are sent.
        on_stored: called with each seed and its run's status once it is stored.

    Returns:
        The scenario as run, the stored run ids, and ``.results``: a DataFrame with one row per
        target, in the targets' order, with the columns of ``sim validate``'s table (``id``,
        ``observable``, ``population``, ``window``, the simulated mean over seeds
        ``simulated`` and its spread ``spread``, ``target``, its band ``low`` to ``high``,
        ``passed``) and more (see :class:`~experiments.validation_runs.ValidationReport`);
        ``.dynamics``: one row per dynamics check (``id``, ``check``, the worst ``lab`` and
        ``seed``, its longest run in ``months`` from ``first`` to ``last``, ``limit``,
        ``passed``), ``.dynamics_detail`` the same per check, seed and lab;
        ``.lab_revenue``: one row per Chinese lab and year (``simulated`` USD, ``low_usd`` to
        ``high_usd`` reported, ``within``, ``source``); ``.passed`` is true when every target
        and every dynamics check passes (``.targets_passed``, ``.dynamics_passed``: each alone).

    Raises:
        InputError: ``seeds`` not a whole number from 1, a bad targets or checks file, or a
            target or the checks' window before the scenario's start (nothing is run).
        ValidationInterrupted: SIGINT or SIGTERM stopped it (the runs stored so far stay).
    """
    from experiments.dynamics_checks import load_checks
    from experiments.lab_revenue import load_reported_revenue
    from experiments.memory import check_memory
    from experiments.sweep_executors import open_executor
    from experiments.targets import load_targets
    from experiments.validation_runs import validate_seeds, validation_scenario

    seeds = whole_number(seeds, "seeds", 1)
    wanted = load_targets(targets)
    dynamics = load_checks(checks)
    reported = load_reported_revenue()
    resolved = validation_scenario(_base(scenario_or_preset), wanted, developers, dynamics.dates)
    with open_executor(workers, scheduler, insecure_scheduler, seeds) as executor:
        check_memory([resolved], executor.workers)
        store = RunStore(db)
        if on_start:
            on_start(seeds)
        return validate_seeds(
            store, resolved, wanted, seeds, executor, on_stored, dynamics, reported
        )


def lab_revenue_markdown(report: ValidationReport) -> str:
    """A validation's table of Chinese labs' API revenue as Markdown, to paste in docs/model.md.

    One row per lab and year: the simulated mean (lowest to highest seed), the reported range,
    whether the mean lies in it, and what was reported with its conversion and source.
    """
    from experiments.lab_revenue import markdown

    return markdown(report.lab_revenue)


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
    on_start: Callable[[SweepStart], None] | None = None,
    posterior: bool = False,
    simulations: int = 2000,
    rounds: int = 1,
    draws: int = 1000,
    check: int = 0,
) -> CalibrationResult | PosteriorResult:
    """Search the tuned parameters, within their sourced ranges, for the best fit to targets.

    With ``posterior=True``, the distribution of the tuned parameters given the targets
    instead of one best point: :func:`posterior` with ``simulations``, ``rounds``, ``draws``
    and ``check`` (``trials`` and ``seeds`` do not apply; ``on_trial`` is called with each
    simulation).

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
        workers: the trials run at once, and the local worker processes running their seeds
            [default: 2 trials, on as many processes as cores]; no more processes are started
            than there are cores or runs at once, which a line on standard error then says.
        scheduler: a Dask scheduler's address instead (as
            :func:`~interfaces.public.sweeps.sweep`).
        insecure_scheduler: as :func:`~interfaces.public.sweeps.sweep`.
        db: the run store (created if missing).
        on_open: called with the calibration's name and the number of trials already done.
        on_trial: called with each finished trial and the best so far.
        on_start: called once the calibration is open, before its trials run, with a
            :class:`~experiments.sweep_cost.SweepStart` of the runs left (trials left x
            ``seeds``): their count, work and ``estimated_duration`` in words, as for a sweep.
        posterior: the posterior instead of one best point (see above).
        simulations: with ``posterior``, the simulations of each round.
        rounds: with ``posterior``, the rounds of simulations.
        draws: with ``posterior``, the draws stored from it.
        check: with ``posterior``, the draws simulated for the predictive check.

    Raises:
        InputError: ``trials`` or ``seeds`` not a whole number from 1, a bad targets or
            tuning file, or the scenario's values outside the ranges (nothing is stored), or
            a scheduler that is not allowed.
        StoreError: the name is taken by another spec, or it is running elsewhere.
    """
    if posterior:
        return _posterior(
            scenario_or_preset,
            simulations=simulations,
            rounds=rounds,
            draws=draws,
            check=check,
            seed=seed,
            developers=developers,
            targets=targets,
            space=space,
            name=name,
            workers=workers,
            scheduler=scheduler,
            insecure_scheduler=insecure_scheduler,
            db=db,
            on_open=on_open,
            on_simulation=on_trial,
        )
    from experiments.calibration import CalibrationSpec
    from experiments.calibration import calibrate as search
    from experiments.calibration_space import load_space
    from experiments.memory import check_memory
    from experiments.sweep_executors import open_executor
    from experiments.targets import load_targets
    from experiments.validation_runs import validation_scenario

    trials, seeds = whole_number(trials, "trials", 1), whole_number(seeds, "seeds", 1)
    base = _base(scenario_or_preset)
    wanted = load_targets(targets)
    tuned = load_space(space)
    simulated = validation_scenario(base, wanted, developers)
    spec = CalibrationSpec.make(simulated, wanted, tuned, seeds, seed, name)
    parallel_trials = workers or 2  # what the search does, whatever the machine
    at_once = min(parallel_trials, trials) * seeds
    with open_executor(workers, scheduler, insecure_scheduler, at_once) as executor:
        check_memory([simulated], executor.workers)
        store = RunStore(db)
        report = search(
            store,
            spec,
            trials,
            executor,
            parallel_trials=parallel_trials,
            on_open=_opened(on_open, on_start, simulated, trials, seeds, executor.workers),
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


def _opened(
    on_open: Callable[[str, int], None] | None,
    on_start: Callable[[SweepStart], None] | None,
    scenario: Scenario,
    trials: int,
    seeds: int,
    workers: int | None,
) -> Callable[[StoredCalibration, int], None]:
    """What the search calls once the calibration is open: the callers' two callbacks."""
    from experiments.sweep_cost import repeated_start

    def opened(stored: StoredCalibration, done: int) -> None:
        if on_open:
            on_open(stored.name, done)
        if on_start:
            left = max(0, trials - done) * seeds
            on_start(repeated_start(stored.name, scenario, left, trials * seeds, workers))

    return opened


@dataclass(frozen=True)
class PosteriorResult:
    """A posterior as it stands, and its predictive check if one was asked for.

    Attributes:
        report: its simulations, its fit and draws (``.fit.draws``: one row per draw, one
            column per tuned parameter), each parameter's prior and 90% interval
            (``.intervals()``), and the signal that stopped it early, if any.
        check: the posterior predictive check, one row per target (see
            :func:`experiments.posterior.predictive_check`); None if not asked for, or before
            the posterior has been trained.
        db: the store, its password masked.
    """

    report: PosteriorReport
    check: pd.DataFrame | None
    db: str


def posterior(
    scenario_or_preset: Scenario | str | Path = "baseline",
    *,
    simulations: int = 2000,
    rounds: int = 1,
    draws: int = 1000,
    check: int = 0,
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
    on_simulation: Callable[[Any], None] | None = None,
    on_training: Callable[[int], None] | None = None,
    on_check: Callable[[], None] | None = None,
) -> PosteriorResult:
    """The posterior of the tuned parameters given the targets (:mod:`experiments.posterior`).

    ``simulations`` runs draw the tuned parameters from their prior (each range uniform, or
    log-uniform where the tuning file says ``log = true``), run once each and are measured on
    the targets; sbi's neural posterior estimation learns the parameters given the targets
    from them and draws ``draws`` times at the record (each band read as its centre measured
    with an error of a quarter of its width). With ``rounds`` above 1, each later round runs
    ``simulations`` more, drawn from the prior cut to where the last round's posterior has its
    mass, and the network learns from every round. Everything is stored in the run store as it
    finishes: the same call (or ``name``) resumes a stopped posterior, and a larger
    ``simulations`` adds to it. ``check`` runs the first draws as a posterior predictive check.

    Args:
        scenario_or_preset: the scenario (normally the baseline preset).
        simulations: the budget of each round: simulations, earlier sessions' included (at
            least 20).
        rounds: rounds of simulations (1 to 10): the first from the prior, each later one
            from the prior cut to where the last round's posterior has its mass.
        draws: draws stored from the trained posterior.
        check: draws simulated for the predictive check (0: none; at most ``draws``).
        seed: seeds the prior draws, the record's error and the training.
        developers: population size [default: the scenario's].
        targets: a TOML or YAML targets file [default: the packaged targets].
        space: a TOML or YAML tuning file: the parameters and their prior ranges [default:
            ``scenario/data/tuning.toml``].
        name: the posterior's name [default: made from its spec].
        workers: local worker processes [default: the number of cores].
        scheduler: a Dask scheduler's address instead (as
            :func:`~interfaces.public.sweeps.sweep`).
        insecure_scheduler: as :func:`~interfaces.public.sweeps.sweep`.
        db: the run store (created if missing).
        on_open: called with the posterior's name and the simulations already done.
        on_simulation: called with each simulation as it is stored.
        on_training: called with the number of simulations before training.
        on_check: called after each run of the predictive check.

    Raises:
        InputError: a count not a whole number in its range, a bad targets or tuning file, or
            too few simulations ran to train on.
        StoreError: the name is taken by another spec, or it is running elsewhere.
    """
    from experiments.calibration_space import load_space
    from experiments.memory import check_memory
    from experiments.posterior import PosteriorSpec, predictive_check, run_posterior
    from experiments.sweep_executors import open_executor
    from experiments.targets import load_targets
    from experiments.validation_runs import validation_scenario

    simulations = whole_number(simulations, "simulations", 20)
    rounds = whole_number(rounds, "rounds", 1, 10)
    draws = whole_number(draws, "draws", 1)
    check = whole_number(check, "check", 0)
    if check > draws:
        raise InputError(f"check: {check} runs, but only {draws} draws (--draws) are kept")
    base = _base(scenario_or_preset)
    wanted = load_targets(targets)
    tuned = load_space(space)
    simulated = validation_scenario(base, wanted, developers)
    spec = PosteriorSpec.make(simulated, wanted, tuned, seed, name)
    with open_executor(workers, scheduler, insecure_scheduler, simulations) as executor:
        check_memory([simulated], executor.workers)
        store = RunStore(db)
        report = run_posterior(
            store,
            spec,
            simulations,
            draws,
            executor,
            rounds,
            on_open=(lambda stored, done: on_open(stored.name, done)) if on_open else None,
            on_simulation=on_simulation,
            on_training=on_training,
        )
        checked = None
        if check and report.fit is not None and report.stopped_by is None:
            checked = predictive_check(spec, report.fit, check, executor, on_check)
    return PosteriorResult(report, checked, store.masked_url)


_posterior = posterior
"""What :func:`calibrate` calls with ``posterior=True``: its argument hides the function's name."""


def load_posterior(ref: int | str, *, db: str | None = None) -> PosteriorReport:
    """Stored posterior ``ref`` (its id or name) as :func:`posterior` left it.

    ``.fit.draws`` holds its draws (one column per tuned parameter), ``.intervals()`` each
    parameter's prior and 90% interval, ``.simulations`` its simulations from the prior.

    Raises:
        StoreError: no calibration ``ref`` in the store.
        InputError: ``ref`` is a point calibration, not a posterior.
    """
    from experiments.posterior import load_posterior as load

    return load(RunStore(db), ref)
