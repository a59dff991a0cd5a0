"""Posterior: which values of the tuned inputs the targets leave plausible, as draws.

``sim calibrate`` finds one point that passes the targets; many pass (docs/model.md, the
calibration passes), and the policy answers differ between them. ``sim calibrate --posterior``
gives the distribution of the tuned inputs given the targets instead.

**Method: neural posterior estimation** (NPE; Papamakarios & Murray 2016, Greenberg et al.
2019) as the ``sbi`` package implements it, with a masked autoregressive flow. Simulations draw
the tuned inputs from the prior, run the scenario once each (seed ``n + 1`` for simulation
``n``) and measure the targets; the network learns the inputs given the measurements, and is
then asked for the inputs given the record. We chose it over ABC-SMC (pyABC) because the
network is *amortised*: once trained, it gives the posterior for any measurements, so the
simulation-based calibration check (posteriors for many synthetic records) costs one run per
case, where ABC-SMC would repeat its thousands of runs for each. Its budget is the number of
simulations: about 100 per tuned input is the usual floor for a flow (18 inputs: 2,000).

**Prior.** Each tuned input is uniform on its range in the tuning file, or log-uniform where the
range is marked ``log = true``. The network works on the unit cube: a coordinate ``u`` in
[0, 1] is ``low + u (high - low)``, or ``low (high / low) ** u`` on a log range.

**The record as an observation.** A target is a band, not a point. It is read as its central
value measured with a normal error whose standard deviation is a quarter of the band's width
(the band is the centre plus or minus two standard deviations); an ``at_most`` target observes
how far the value lies above its bound, 0; a target a run cannot measure (a crossing that never
happens) reads as ten band widths away. Each simulation's measurements so scaled, plus a draw
of that error, are what the network learns from; the record is all zeros.

**Storage and resuming.** A posterior is a calibration (``calibrations``, its spec's
``method`` is ``posterior``) whose trials are its simulations, stored as each finishes.
Simulation ``n`` draws its inputs from a generator seeded with ``(seed, n)``, so a killed
posterior resumes with the simulations it lacks, and a larger budget adds simulations to the
same posterior. The fit and its draws are stored once the network is trained
(:mod:`runs.posteriors`). Each worker measures its own runs (calibration mode,
:class:`experiments.sweep.Task`): a posterior keeps no history of its simulations.

**Rounds** (truncated sequential NPE, Deistler et al. 2022). A prior as wide as the tuning
ranges puts few simulations near the record. With ``rounds`` above 1, each later round draws
from the prior cut to the highest-density region of the posterior trained on the rounds before,
and the network is trained on every round. A later round's inputs come from a trained network,
so they are stored before the round runs and a killed round resumes with the same ones.
"""

import contextlib
import io
import math
import signal
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibration import measured_trial
from experiments.calibration_space import TunedParameter, check_space, defaults
from experiments.runner import deferred_stop_signals
from experiments.sweep import Task, default_name
from experiments.sweep_executors import Executor
from experiments.sweep_worker import TaskResult
from experiments.targets import Target
from runs.calibrations import (
    StoredCalibration,
    StoredTrial,
    finish_calibration,
    get_calibration,
    open_calibration,
    record_trial,
    stored_trials,
)
from runs.posteriors import (
    Proposal,
    StoredFit,
    record_fit,
    record_proposals,
    stored_fit,
    stored_proposals,
)
from runs.store import RunStore
from scenario.overrides import resolve_scenario
from scenario.scenario import Scenario, without_retired_inputs
from vocabulary.errors import InputError

ERROR_BANDS = 4.0
"""A band's width in standard deviations of the record's error: the band is the centre plus or
minus two of them."""

UNMEASURED_BANDS = 10.0
"""Where a target a run cannot measure reads, in band widths from its centre (as far as
:data:`experiments.validation.UNMEASURABLE_PENALTY` puts it)."""

MIN_SIMULATIONS = 20
"""Fewer successful simulations than this cannot train a network worth asking."""

METHOD = "npe-maf-logit-asinh"
"""How the network is trained, stored with each fit: sbi's NPE with a masked autoregressive flow
over the logits of the unit cube, given the arcsinh of the scaled measurements. On the cube
itself a flow puts mass outside the ranges (the first posterior of the baseline drew 2.2% of its
draws inside them), which rejection sampling then throws away and which distorts what is kept;
on the logits every draw is inside. The measurements are heavy-tailed (a fifth of the baseline's
simulations read T4 at 40, unmeasured, while the record is 0 and a band is 4 wide); standardised
as they are, the few band widths around the record that decide the posterior shrink to a
sliver of the network's input. arcsinh keeps them linear near 0 and logarithmic far out; being
one to one, it leaves the posterior given the record unchanged. A stored fit of another method
is trained again from the same simulations."""

TRUNCATION_QUANTILE = 1e-4
"""A later round keeps the prior where the posterior's density exceeds this quantile of its
own draws' densities: the region holding all but 0.01% of its mass (as Deistler et al. 2022)."""

THRESHOLD_DRAWS = 10_000
"""Posterior draws whose densities set the truncation threshold."""

CANDIDATE_BATCH = 20_000
MAX_CANDIDATES = 20_000_000
"""Prior draws tried, a batch at a time, for a round's simulations before giving up."""

UNIT_MARGIN = 1e-6
"""How close to a range's end a draw may come before its logit: a draw of exactly 0 or 1 has
none."""


@dataclass(frozen=True)
class PosteriorSpec:
    """What a posterior is conditioned on and over; a simulation's meaning depends on each field.

    Attributes:
        name: unique within a store; the same name resumes the same posterior.
        scenario: the scenario as simulated (its steps reach the last month a target needs).
        targets: the record the posterior is conditioned on.
        space: the tuned inputs and their prior ranges.
        seed: seeds the prior draws, the record's error and the network's training.
    """

    name: str
    scenario: Scenario
    targets: tuple[Target, ...]
    space: tuple[TunedParameter, ...]
    seed: int

    def to_json(self) -> dict[str, Any]:
        """The spec as stored with the posterior's calibration row."""
        return {
            "method": "posterior",
            "scenario": self.scenario.model_dump(mode="json"),
            "targets": [target.model_dump(mode="json") for target in self.targets],
            "space": [parameter.model_dump(mode="json") for parameter in self.space],
            "seed": self.seed,
        }

    @classmethod
    def make(
        cls,
        scenario: Scenario,
        targets: Sequence[Target],
        space: Sequence[TunedParameter],
        seed: int,
        name: str | None = None,
    ) -> "PosteriorSpec":
        """A checked spec; ``name`` defaults to one made from its content, so a rerun resumes it.

        Raises:
            InputError: a key that is not a number of the scenario, or a range it refuses.
        """
        check_space(list(space), scenario)
        spec = cls("", scenario, tuple(targets), tuple(space), seed)
        return replace(spec, name=name or default_name(spec.to_json(), "posterior"))

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> "PosteriorSpec":
        """The spec of a stored posterior (see :meth:`to_json`).

        Raises:
            InputError: the stored spec is not a posterior's.
        """
        if data.get("method") != "posterior":
            raise InputError(
                f"calibration {name!r} is a point calibration, not a posterior: "
                "`sim calibrate --posterior` makes one"
            )
        return cls(
            name,
            Scenario.model_validate(without_retired_inputs(data["scenario"])),
            tuple(Target.model_validate(target) for target in data["targets"]),
            tuple(TunedParameter.model_validate(parameter) for parameter in data["space"]),
            int(data["seed"]),
        )

    def units(self, number: int) -> np.ndarray:
        """Simulation ``number``'s draw from the prior, on the unit cube."""
        return np.random.default_rng([self.seed, number]).random(len(self.space))

    def values(self, units: np.ndarray) -> dict[str, float]:
        """The tuned inputs at unit-cube coordinates ``units`` (see the module docstring)."""
        return {p.key: float(p.at(u)) for p, u in zip(self.space, units.tolist(), strict=True)}

    def to_units(self, values: dict[str, float]) -> np.ndarray:
        """The unit-cube coordinates of ``values`` (the inverse of :meth:`values`)."""
        return np.array([p.unit(values[p.key]) for p in self.space])

    def task(self, number: int, values: dict[str, float]) -> Task:
        """The run of simulation (or predictive draw) ``number``: ``values``, seed ``number + 1``.

        Seeds start at 1, as everywhere else. Measured in calibration mode: the worker sends
        back only the targets' rows.
        """
        scenario = resolve_scenario(self.scenario, settings=values)
        return Task(number, number, "main", number + 1, scenario, measure=self.targets)

    def statistics(self, results: Sequence[dict[str, Any]]) -> np.ndarray:
        """A simulation's measurements, scaled as the network sees them (the record is 0).

        ``results`` are a trial's per-target rows (``id``, ``simulated``, None if unmeasured).
        """
        simulated = {row["id"]: row["simulated"] for row in results}
        return np.array([_scaled(t, simulated.get(t.id)) for t in self.targets])

    def observed(self, simulation: StoredTrial) -> np.ndarray:
        """What a simulation is to the network: its :meth:`statistics` plus its record error."""
        return self.statistics(simulation.results) + self.record_error(simulation.number)

    def record_error(self, number: int) -> np.ndarray:
        """Simulation ``number``'s draw of the record's error (standard normal, scaled units)."""
        return np.random.default_rng([self.seed, number, 1]).standard_normal(len(self.targets))


def _scaled(target: Target, value: float | None) -> float:
    """``value`` of ``target`` in standard deviations of the record's error from the record."""
    goal, low, high = target.bounds()
    sd = target.scale() / ERROR_BANDS
    if value is None or math.isnan(value):
        return UNMEASURED_BANDS * ERROR_BANDS
    if target.kind == "at_most":
        return max(0.0, value - high) / sd
    centre = goal if not math.isnan(goal) else (low + high) / 2
    return (value - centre) / sd


@dataclass(frozen=True)
class PosteriorReport:
    """A posterior as it stands: its simulations so far and, once trained, its fit and draws.

    Attributes:
        calibration_id: its id in the store (posteriors are calibrations).
        spec: what it is conditioned on and over.
        simulations: every stored simulation, by number.
        fit: the trained network's draws and figures (None before it has been trained).
        stopped_by: the signal that stopped it early, if any.
    """

    calibration_id: int
    spec: PosteriorSpec
    simulations: tuple[StoredTrial, ...]
    fit: StoredFit | None
    stopped_by: signal.Signals | None = None

    def intervals(self) -> pd.DataFrame:
        """Per tuned input: its prior (range, scale) and the posterior's median and 90% interval.

        ``narrowed`` is the posterior 90% interval's width over the prior's (on the prior's
        scale): 0.9 means the targets say nothing about the input, small values that they pin
        it down. ``default`` is the scenario's own value.
        """
        start = defaults(list(self.spec.space), self.spec.scenario)
        draws = self.fit.draws if self.fit else pd.DataFrame()
        rows = []
        for p in self.spec.space:
            row: dict[str, Any] = {
                "parameter": p.key,
                "prior": "log-uniform" if p.log else "uniform",
                "low": p.low,
                "high": p.high,
                "default": start[p.key],
                "median": math.nan,
                "p05": math.nan,
                "p95": math.nan,
                "narrowed": math.nan,
            }
            if not draws.empty:
                values = draws[p.key].to_numpy()
                p05, median, p95 = np.quantile(values, [0.05, 0.5, 0.95])
                row.update(median=median, p05=p05, p95=p95, narrowed=p.unit(p95) - p.unit(p05))
            rows.append(row)
        return pd.DataFrame(rows)


def load_posterior(store: RunStore, ref: int | str) -> PosteriorReport:
    """Stored posterior ``ref`` (id or name): its spec, simulations, fit and draws.

    Raises:
        StoreError: no such calibration.
        InputError: it is a point calibration.
    """
    stored = get_calibration(store, ref)
    spec = PosteriorSpec.from_json(stored.name, stored.spec)
    return PosteriorReport(
        stored.id, spec, tuple(stored_trials(store, stored.id)), stored_fit(store, stored.id)
    )


def run_posterior(
    store: RunStore,
    spec: PosteriorSpec,
    simulations: int,
    draws: int,
    executor: Executor,
    rounds: int = 1,
    on_open: Callable[[StoredCalibration, int], None] | None = None,
    on_simulation: Callable[[StoredTrial], None] | None = None,
    on_training: Callable[[int], None] | None = None,
) -> PosteriorReport:
    """Simulate the posterior's rounds (resuming any stored simulations), train, store draws.

    Round 0 is simulations 0 to ``simulations - 1``, from the prior. Each later round ``r`` is
    simulations ``r x simulations`` to ``(r + 1) x simulations - 1``, from the prior truncated
    to where the posterior trained on the rounds before puts its mass (:meth:`Network.truncated`):
    more of the budget where the record is, which a prior as wide as the tuning ranges spends
    mostly elsewhere. The network is trained on every round's simulations at the end.

    Args:
        store: where the posterior, its simulations, fit and draws are stored.
        spec: what it is conditioned on and over.
        simulations: the budget of each round.
        draws: how many draws to store from the trained posterior.
        executor: where the simulations run.
        rounds: rounds of simulations (1: the prior only).
        on_open: called with the posterior's calibration row and the simulations already done.
        on_simulation: called with each simulation as it is stored.
        on_training: called with the number of simulations before a network is trained.

    Raises:
        StoreError: the name is taken by another spec, or it is running elsewhere.
        InputError: too few simulations succeeded to train on, or the stored later rounds
            were planned with another number of simulations a round.
    """
    stored = open_calibration(store, spec.name, spec.to_json())
    done = stored_trials(store, stored.id)
    if on_open:
        on_open(stored, len(done))
    proposals = stored_proposals(store, stored.id)
    _check_round_size(proposals, simulations)
    planned = {p.number: p.params for p in proposals}
    stop: signal.Signals | None = None
    for round_ in range(rounds):
        numbers = range(round_ * simulations, (round_ + 1) * simulations)
        if round_ > 0 and numbers[0] not in planned:
            with deferred_stop_signals() as training:
                before = [trial for trial in done if trial.number < numbers[0]]
                if on_training:
                    on_training(len(before))
                new = Network.train(spec, before).truncated(numbers, round_)
                record_proposals(store, stored.id, new)
                planned.update((p.number, p.params) for p in new)
            if (stop := training.signal) is not None:
                break
        values = {n: planned.get(n) or spec.values(spec.units(n)) for n in numbers}
        done, stop = _simulate(store, stored.id, spec, values, done, executor, on_simulation)
        if stop is not None:
            break
    fit = stored_fit(store, stored.id)
    used = [trial for trial in done if trial.number < rounds * simulations]
    stale = (
        fit is None
        or fit.method != METHOD
        or fit.simulations + fit.failed != len(used)
        or len(fit.draws) != draws
    )
    if stop is None and stale:
        with deferred_stop_signals() as training:
            if on_training:
                on_training(len(used))
            fit = Network.train(spec, used).fit(draws)
            record_fit(store, stored.id, fit)
        stop = training.signal
    finish_calibration(store, stored.id, "interrupted" if stop else "finished")
    return PosteriorReport(stored.id, spec, tuple(done), fit, stop)


def _trial(result: TaskResult, params: dict[str, float]) -> StoredTrial:
    """A simulation's trial from its worker's measurements, or its error."""
    if result.error is not None or result.measured is None:
        return StoredTrial(result.task.point, params, None, [], result.error or "not measured")
    return measured_trial(result.task.point, params, result.measured)


def _check_round_size(proposals: Sequence[Proposal], simulations: int) -> None:
    """A posterior's later rounds keep the round size they were planned with.

    Round ``r`` starts at simulation ``r x simulations``; ``proposals`` are by number.
    """
    if proposals and proposals[0].number != proposals[0].round * simulations:
        size = proposals[0].number // proposals[0].round
        raise InputError(
            f"--simulations: this posterior's later rounds were planned with {size:,} "
            f"simulations a round, not {simulations:,}; give --simulations {size}"
        )


def simulate(
    store: RunStore,
    spec: PosteriorSpec,
    numbers: Sequence[int],
    executor: Executor,
) -> tuple[list[StoredTrial], signal.Signals | None]:
    """Make sure simulations ``numbers`` from the prior are stored, running those that are not.

    For a posterior of one round, or simulation-based calibration's synthetic cases. Returns
    every simulation the posterior has stored (by number), and the signal that stopped the
    simulations early (None if they all ran).
    """
    stored = open_calibration(store, spec.name, spec.to_json())
    done = stored_trials(store, stored.id)
    values = {n: spec.values(spec.units(n)) for n in numbers}
    done, stop = _simulate(store, stored.id, spec, values, done, executor)
    finish_calibration(store, stored.id, "interrupted" if stop else "finished")
    return done, stop


def _simulate(
    store: RunStore,
    calibration_id: int,
    spec: PosteriorSpec,
    values: dict[int, dict[str, float]],
    done: list[StoredTrial],
    executor: Executor,
    on_simulation: Callable[[StoredTrial], None] | None = None,
) -> tuple[list[StoredTrial], signal.Signals | None]:
    """Run and store the simulations of ``values`` (number -> inputs) not among ``done``."""
    have = {trial.number for trial in done}
    tasks = [spec.task(n, inputs) for n, inputs in values.items() if n not in have]
    done = list(done)
    with deferred_stop_signals() as stop:
        for result in executor.run(tasks, lambda: stop.signal is not None):
            trial = _trial(result, values[result.task.point])
            record_trial(store, calibration_id, trial)
            done.append(trial)
            if on_simulation:
                on_simulation(trial)
    return sorted(done, key=lambda trial: trial.number), stop.signal


@dataclass(frozen=True)
class Network:
    """A trained posterior network: draws of the tuned inputs given any measurements.

    Attributes:
        spec: the posterior it belongs to.
        posterior: sbi's posterior over the unit cube.
        simulations: successful simulations it was trained on.
        failed: simulations left out because their run failed.
        epochs: training epochs.
        seconds: training time.
        validation_loss: minus the mean log-density of held-out simulations' inputs (in the
            logit space it works in).
    """

    spec: PosteriorSpec
    posterior: Any
    simulations: int
    failed: int
    epochs: int
    seconds: float
    validation_loss: float

    @classmethod
    def train(cls, spec: PosteriorSpec, simulations: Sequence[StoredTrial]) -> "Network":
        """Train on ``simulations`` (each one's measurements plus its draw of the record's error).

        Raises:
            InputError: fewer than :data:`MIN_SIMULATIONS` simulations ran without error.
        """
        import torch
        from sbi.inference import NPE

        ok = [trial for trial in simulations if trial.error is None]
        if len(ok) < MIN_SIMULATIONS:
            raise InputError(
                f"--simulations: {len(ok)} simulations ran without error, and the network needs "
                f"at least {MIN_SIMULATIONS}; raise --simulations"
            )
        units = np.array([spec.to_units(trial.params) for trial in ok])
        measured = np.array([spec.observed(trial) for trial in ok])
        started = time.perf_counter()
        torch.manual_seed(spec.seed)
        with _quiet():
            inference = NPE(
                prior=_logit_prior(len(spec.space)),
                density_estimator="maf",
                show_progress_bars=False,
                tracker=_Untracked(),
            )
            inference.append_simulations(
                torch.as_tensor(_logit(units), dtype=torch.float32),
                _condition(measured),
            ).train(show_train_summary=False)
            posterior = inference.build_posterior()
        summary = inference.summary
        return cls(
            spec,
            posterior,
            simulations=len(ok),
            failed=len(simulations) - len(ok),
            epochs=int(summary["epochs_trained"][-1]),
            seconds=time.perf_counter() - started,
            validation_loss=float(summary["best_validation_loss"][-1]),
        )

    def units_at(self, measured: np.ndarray, draws: int) -> np.ndarray:
        """(draws, inputs) unit-cube draws given scaled measurements ``measured``."""
        with _quiet():
            logits = self.posterior.sample(
                (draws,), x=_condition(measured), show_progress_bars=False
            )
        return 1.0 / (1.0 + np.exp(-logits.numpy().astype(float)))

    def fit(self, draws: int) -> StoredFit:
        """``draws`` draws at the record (all zeros), with the network's figures, to store."""
        started = time.perf_counter()
        units = self.units_at(np.zeros(len(self.spec.targets)), draws)
        return StoredFit(
            simulations=self.simulations,
            failed=self.failed,
            method=METHOD,
            epochs=self.epochs,
            train_seconds=self.seconds + time.perf_counter() - started,
            validation_loss=self.validation_loss,
            draws=pd.DataFrame([self.spec.values(row) for row in units]),
        )

    def truncated(self, numbers: Sequence[int], round_: int) -> list[Proposal]:
        """Round ``round_``'s simulations ``numbers``: prior draws where this posterior has mass.

        Truncated sequential NPE (Deistler et al. 2022): the prior is cut to the region where the
        posterior at the record has a density above its own :data:`TRUNCATION_QUANTILE`
        quantile (its highest-density region, all but that share of its mass), and the round
        draws uniformly (on the prior's scale) within it, by rejection from the prior. The
        rest of the prior has so little posterior mass that simulations there teach the network
        nothing about the record. Training on every round with the plain NPE loss stays valid
        inside the region, the only place the posterior is asked about.

        Raises:
            InputError: fewer than one prior draw in :data:`MAX_CANDIDATES` falls in the region.
        """
        import torch

        record = _condition(np.zeros(len(self.spec.targets)))
        torch.manual_seed(self.spec.seed * 1000 + round_)
        with _quiet():
            draws = self.posterior.sample((THRESHOLD_DRAWS,), x=record, show_progress_bars=False)
            threshold = float(
                torch.quantile(self.posterior.log_prob(draws, x=record), TRUNCATION_QUANTILE)
            )
        rng = np.random.default_rng([self.spec.seed, round_, 2])
        kept: list[np.ndarray] = []
        tried = 0
        while sum(len(batch) for batch in kept) < len(numbers):
            if tried >= MAX_CANDIDATES:
                raise InputError(
                    f"--rounds: round {round_}'s region holds fewer than one prior draw in "
                    f"{MAX_CANDIDATES:,}; use fewer rounds"
                )
            units = rng.random((CANDIDATE_BATCH, len(self.spec.space)))
            logits = torch.as_tensor(_logit(units), dtype=torch.float32)
            with _quiet():
                density = self.posterior.log_prob(logits, x=record).numpy()
            kept.append(units[density >= threshold])
            tried += CANDIDATE_BATCH
        units = np.concatenate(kept)[: len(numbers)]
        return [
            Proposal(number, round_, self.spec.values(row))
            for number, row in zip(numbers, units, strict=True)
        ]

    def coverage(
        self, cases: Sequence[StoredTrial], draws: int = 500, level: float = 0.9
    ) -> pd.DataFrame:
        """Simulation-based calibration: how often the central ``level`` intervals cover the truth.

        Each of ``cases`` (simulations the network was not trained on, from the same prior)
        is a synthetic record: its measurements plus its draw of the record's error. The
        network's posterior given that record should hold the case's own inputs within its
        central ``level`` interval ``level`` of the time.

        Returns:
            One row per tuned input: ``parameter``, ``cases``, ``covered`` (the share of cases
            whose true value lies in its interval), ``mean_width`` (the interval's mean width
            as a share of the range, on the prior's scale).
        """
        ok = [trial for trial in cases if trial.error is None]
        tail = (1 - level) / 2
        inside = np.zeros((len(ok), len(self.spec.space)), dtype=bool)
        widths = np.zeros_like(inside, dtype=float)
        for i, case in enumerate(ok):
            units = self.units_at(self.spec.observed(case), draws)
            low, high = np.quantile(units, [tail, 1 - tail], axis=0)
            truth = self.spec.to_units(case.params)
            inside[i] = (low <= truth) & (truth <= high)
            widths[i] = high - low
        return pd.DataFrame(
            {
                "parameter": [p.key for p in self.spec.space],
                "cases": len(ok),
                "covered": inside.mean(axis=0),
                "mean_width": widths.mean(axis=0),
            }
        )


class _Untracked:
    """sbi's training log, kept nowhere: by default it writes TensorBoard files to ./sbi-logs.

    What the store keeps of a fit (epochs, validation loss) comes from the trainer's summary.
    """

    log_dir = None

    def log_metric(self, name: str, value: float, step: int | None = None) -> None:
        """Forget one figure."""

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Forget a few figures."""

    def log_params(self, params: dict[str, Any]) -> None:
        """Forget the settings."""

    def add_figure(self, name: str, figure: Any, step: int | None = None) -> None:
        """Forget a figure."""

    def flush(self) -> None:
        """Nothing to write."""


def _logit(units: np.ndarray) -> np.ndarray:
    """The unit cube's coordinates on the real line, where the network works (see METHOD)."""
    clipped = np.clip(units, UNIT_MARGIN, 1.0 - UNIT_MARGIN)
    return np.log(clipped / (1.0 - clipped))


def _condition(measured: np.ndarray) -> Any:
    """Scaled measurements as the network takes them: their arcsinh (see :data:`METHOD`)."""
    import torch

    return torch.as_tensor(np.arcsinh(measured), dtype=torch.float32)


def _logit_prior(dims: int) -> Any:
    """The prior on the logit scale: each coordinate a uniform draw's logit (logistic)."""
    import torch
    from torch.distributions import Independent, SigmoidTransform, TransformedDistribution, Uniform

    uniform = Independent(Uniform(torch.zeros(dims), torch.ones(dims)), 1)
    return TransformedDistribution(uniform, [SigmoidTransform().inv])


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence sbi: it warns of its own defaults and small budgets, and prints on converging."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def predictive_check(
    spec: PosteriorSpec,
    fit: StoredFit,
    runs: int,
    executor: Executor,
    on_run: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """The targets' distribution under the posterior, against their bands.

    Simulates the first ``runs`` draws (draw ``n`` with seed ``n + 1``) and measures each run
    on the targets, as the simulations were.

    Returns:
        One row per target: ``id``, ``observable``, ``median``, ``p05``, ``p95`` (of the runs'
        values, in the targets file's units), ``band`` (text), ``median_in_band``, ``unmeasured``
        (runs that could not measure it), ``runs``.

    Raises:
        InputError: ``runs`` exceeds the stored draws.
    """
    if runs > len(fit.draws):
        raise InputError(f"--check: {runs} runs, but the posterior has {len(fit.draws)} draws")
    tasks = [spec.task(n, fit.draws.iloc[n].to_dict()) for n in range(runs)]
    values: dict[str, list[float]] = {t.id: [] for t in spec.targets}
    for result in executor.run(tasks, lambda: False):
        for row in result.measured or []:  # none for a run that failed
            values[row["id"]].append(row["simulated"])
        if on_run:
            on_run()
    rows = []
    for target in spec.targets:
        measured = np.array(values[target.id], dtype=float)
        finite = measured[~np.isnan(measured)]
        p05, median, p95 = (
            np.quantile(finite, [0.05, 0.5, 0.95]) if finite.size else (math.nan,) * 3
        )
        inside = target.holds(float(median))
        rows.append(
            {
                "id": target.id,
                "observable": target.observable,
                "median": float(median),
                "p05": float(p05),
                "p95": float(p95),
                "median_text": target.format_value(float(median)),
                "interval_text": (
                    f"{target.format_value(float(p05))} to {target.format_value(float(p95))}"
                ),
                "band": target.band_text(),
                "median_in_band": inside,
                "unmeasured": int(measured.size - finite.size),
                "runs": int(measured.size),
            }
        )
    return pd.DataFrame(rows)
