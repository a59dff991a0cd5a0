"""Calibration: the tuned parameters' values that bring a scenario closest to its targets.

``sim calibrate`` searches the tuning space (:mod:`experiments.calibration_space`) with
Optuna's TPE sampler. A trial is one set of values: the scenario with those values is simulated
for seeds 1..N on a sweep executor (local processes or Dask, like ``sim sweep`` and
``sim validate``), in memory, and measured on the targets as ``sim validate`` measures them;
its loss is :func:`experiments.validation.loss` (0 when every target passes).
The first trial asked is always the scenario's own values, so the loss of the defaults is
measured on the same seeds and the best trial is never worse than them. Trials are numbered in
the order they finish.

Among trials that pass every target, the best is the one whose nearest band edge is farthest
(its margin, :attr:`StoredTrial.margin`, in band widths): a point that passes by a hair fails
at the next change of the model, so the search goes on towards the middle of the bands once
it passes. The sampler minimises the loss, or minus the margin once the loss is 0.

Trials live in the run store (``calibration_trials``), not in Optuna's own storage: Optuna's
tables would share the store's Alembic version table. On resume the sampler is rebuilt from
the stored trials, so a stopped calibration continues where it was; a trial is re-simulated
exactly from the calibration's scenario, its values and the seeds, so trials are not stored
as runs.
"""

import signal
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState

from experiments.calibration_space import (
    TunedParameter,
    check_space,
    defaults,
    outside,
    relative_move,
)
from experiments.run_tables import RunTables
from experiments.runner import deferred_stop_signals
from experiments.sweep import Task, default_name
from experiments.sweep_executors import Executor
from experiments.sweep_worker import TaskResult
from experiments.targets import Target
from experiments.validation import evaluate, loss, margin
from runs.calibrations import (
    StoredCalibration,
    StoredTrial,
    finish_calibration,
    open_calibration,
    record_trial,
    stored_trials,
)
from runs.store import RunStore
from scenario.overrides import resolve_scenario
from scenario.scenario import Scenario
from vocabulary.errors import InputError


@dataclass(frozen=True)
class CalibrationSpec:
    """What a calibration is: a trial's meaning depends on every field, so resuming needs them.

    Attributes:
        name: unique within a store; the same name resumes the same calibration.
        scenario: the scenario as simulated (its steps reach the last month a target needs).
        targets: what the loss measures.
        space: what is searched, and within which ranges.
        seeds: each trial runs seeds 1..N; its loss is measured on their mean.
        sampler_seed: the seed of the optimiser's own random draws.
    """

    name: str
    scenario: Scenario
    targets: tuple[Target, ...]
    space: tuple[TunedParameter, ...]
    seeds: int
    sampler_seed: int

    def to_json(self) -> dict[str, Any]:
        """The spec as stored with the calibration."""
        return {
            "scenario": self.scenario.model_dump(mode="json"),
            "targets": [target.model_dump(mode="json") for target in self.targets],
            "space": [parameter.model_dump(mode="json") for parameter in self.space],
            "seeds": self.seeds,
            "sampler_seed": self.sampler_seed,
        }

    @classmethod
    def make(
        cls,
        scenario: Scenario,
        targets: Sequence[Target],
        space: Sequence[TunedParameter],
        seeds: int,
        sampler_seed: int,
        name: str | None = None,
    ) -> "CalibrationSpec":
        """A checked spec; ``name`` defaults to one made from its content, so a rerun resumes it.

        Raises:
            InputError: a key that is not a number of the scenario, a range it refuses, or
                the scenario's own values outside the ranges (trial 0 measures them).
        """
        check_space(list(space), scenario)
        wrong = outside(list(space), defaults(list(space), scenario))
        if wrong:
            raise InputError(
                f"the scenario's values must lie within the tuning ranges, and these do not: "
                f"{'; '.join(wrong)}; widen the ranges (--space FILE) or change the scenario"
            )
        spec = cls("", scenario, tuple(targets), tuple(space), seeds, sampler_seed)
        return replace(spec, name=name or default_name(spec.to_json(), "calibration"))

    def trial_scenario(self, params: dict[str, float]) -> Scenario:
        """The scenario a trial simulates: the spec's with the trial's values."""
        return resolve_scenario(self.scenario, settings=params)


@dataclass(frozen=True)
class CalibrationReport:
    """A calibration as it stands: every trial so far, the defaults' and the best.

    Attributes:
        calibration_id: its id in the store.
        spec: what it searches.
        trials: every stored trial, by number (the order they finished).
        stopped_by: the signal that stopped it early, if any.
    """

    calibration_id: int
    spec: CalibrationSpec
    trials: tuple[StoredTrial, ...]
    stopped_by: signal.Signals | None = None

    @property
    def default(self) -> StoredTrial | None:
        """The trial of the scenario's own values (None until it has finished)."""
        return _default_trial(self.spec, list(self.trials))

    @property
    def best(self) -> StoredTrial | None:
        """The trial with the lowest :func:`objective`, the earliest among equals (or None)."""
        return best_of(self.trials)

    def moves(self) -> pd.DataFrame:
        """Per tuned parameter: range, source, default and best value, and the move.

        ``moved`` is the change as a share of the range (on a log scale for log ranges).
        """
        start = defaults(list(self.spec.space), self.spec.scenario)
        best = self.best.params if self.best else start
        return pd.DataFrame(
            [
                {
                    "parameter": p.key,
                    "low": p.low,
                    "high": p.high,
                    "default": start[p.key],
                    "calibrated": best[p.key],
                    "moved": relative_move(p, start[p.key], best[p.key]),
                    "source": p.source,
                }
                for p in self.spec.space
            ]
        )

    def target_changes(self) -> pd.DataFrame:
        """Per target: the defaults' and the best trial's simulated values and pass/fail."""
        rows = []
        before = {row["id"]: row for row in self.default.results} if self.default else {}
        after = {row["id"]: row for row in self.best.results} if self.best else {}
        for target in self.spec.targets:
            old, new = before.get(target.id, {}), after.get(target.id, {})
            rows.append(
                {
                    "id": target.id,
                    "observable": target.observable,
                    "default": old.get("simulated_text", "-"),
                    "default_passed": old.get("passed"),
                    "calibrated": new.get("simulated_text", "-"),
                    "calibrated_passed": new.get("passed"),
                    "band": new.get("band_text", old.get("band_text", "-")),
                }
            )
        return pd.DataFrame(rows)


def trial_record(
    number: int, params: dict[str, float], targets: Sequence[Target], results: list[TaskResult]
) -> StoredTrial:
    """A finished trial: measured on its seeds' runs, or the first error among them."""
    failed = [result.error for result in results if result.error is not None]
    if failed:
        return StoredTrial(number, params, None, [], failed[0])
    rows = evaluate(targets, [RunTables.from_result(result) for result in results])
    return measured_trial(number, params, rows)


def measured_trial(
    number: int, params: dict[str, float], rows: list[dict[str, Any]]
) -> StoredTrial:
    """A trial measured on its targets (:func:`~experiments.validation.evaluate`'s ``rows``).

    Each target's row keeps what the store and the reports need of it.
    """
    kept = [
        {
            "id": row["id"],
            "simulated": None if np.isnan(row["simulated"]) else row["simulated"],
            "simulated_text": row["simulated_text"],
            "band_text": row["band_text"],
            "passed": row["passed"],
            "loss": loss([row]),
            "margin": margin(row),
        }
        for row in rows
    ]
    return StoredTrial(number, params, loss(rows), kept, None)


def objective(trial: StoredTrial) -> float | None:
    """What the search minimises: the loss, or once every target passes minus the margin."""
    if trial.loss is None or trial.loss > 0:
        return trial.loss
    return -(trial.margin or 0.0)


def best_of(trials: Sequence[StoredTrial]) -> StoredTrial | None:
    """The trial with the lowest :func:`objective`, the earliest among equals; None if none ran."""
    measured = [trial for trial in trials if trial.loss is not None]
    return min(measured, key=lambda trial: objective(trial) or 0.0) if measured else None


def _default_trial(spec: CalibrationSpec, done: list[StoredTrial]) -> StoredTrial | None:
    start = defaults(list(spec.space), spec.scenario)
    return next((trial for trial in done if trial.params == start), None)


def _study(spec: CalibrationSpec, done: list[StoredTrial]) -> optuna.Study:
    """An Optuna study that has seen the stored trials, or starts with the scenario's values."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():  # constant_liar is marked experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=spec.sampler_seed, constant_liar=True)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    space = _distributions(spec.space)
    study.add_trials(
        optuna.trial.create_trial(
            state=TrialState.COMPLETE if trial.loss is not None else TrialState.FAIL,
            value=objective(trial),
            params=trial.params,
            distributions=space,
        )
        for trial in done
    )
    if _default_trial(spec, done) is None:
        study.enqueue_trial(defaults(list(spec.space), spec.scenario))
    return study


def _distributions(space: Sequence[TunedParameter]) -> dict[str, FloatDistribution]:
    return {p.key: FloatDistribution(p.low, p.high, log=p.log) for p in space}


def calibrate(
    store: RunStore,
    spec: CalibrationSpec,
    trials: int,
    executor: Executor,
    parallel_trials: int = 2,
    on_open: Callable[[StoredCalibration, int], None] | None = None,
    on_trial: Callable[[StoredTrial, StoredTrial], None] | None = None,
) -> CalibrationReport:
    """Run the calibration's trials up to ``trials`` in all, resuming any stored ones.

    Args:
        store: where the calibration and its trials are stored.
        spec: what to search (see :class:`CalibrationSpec`).
        trials: the budget: trials in all, those of earlier sessions included.
        executor: where the simulations run.
        parallel_trials: trials simulated at the same time (each has ``spec.seeds`` runs).
        on_open: called with the calibration and the number of trials already stored.
        on_trial: called with each finished trial and the best so far.

    Raises:
        StoreError: the name is taken by a calibration of another spec, or it is running.
    """
    stored = open_calibration(store, spec.name, spec.to_json())
    done = stored_trials(store, stored.id)
    if on_open:
        on_open(stored, len(done))
    study = _study(spec, done)
    space = _distributions(spec.space)
    best = best_of(done)
    with deferred_stop_signals() as stop:
        while len(done) < trials and stop.signal is None:
            asked = [study.ask(space) for _ in range(min(parallel_trials, trials - len(done)))]
            tasks = [
                Task(trial.number, seed - 1, "main", seed, spec.trial_scenario(trial.params))
                for trial in asked
                for seed in range(1, spec.seeds + 1)
            ]
            arrived: dict[int, list[TaskResult]] = {trial.number: [] for trial in asked}
            for result in executor.run(tasks, lambda: stop.signal is not None):
                runs = arrived[result.task.point]
                runs.append(result)
                if len(runs) < spec.seeds:
                    continue
                trial = next(t for t in asked if t.number == result.task.point)
                runs.sort(key=lambda r: r.task.seed)
                finished = trial_record(len(done), trial.params, spec.targets, runs)
                record_trial(store, stored.id, finished)
                if finished.loss is None:
                    study.tell(trial, state=TrialState.FAIL)
                else:
                    study.tell(trial, objective(finished))
                done.append(finished)
                best = best_of([best, finished] if best else [finished])
                if on_trial:
                    on_trial(finished, best or finished)
    finish_calibration(store, stored.id, "interrupted" if stop.signal else "finished")
    return CalibrationReport(
        stored.id, spec, tuple(sorted(done, key=lambda t: t.number)), stop.signal
    )
