"""The policy effects of docs/model.md: standard questions, each paired with the baseline by seed.

Each question (an :class:`Arm`) is a scenario made from the ``baseline`` preset by one change:
smuggling's leakage, the Remote Access Security Act from a date, another preset's policies,
Beijing's measures left out, the US build lead time. Each arm is one sweep of one point whose
baseline arm is the ``baseline`` preset at the same months and population, with the same seeds
(replicate ``r`` of every sweep has the ``r``-th seed spawned from ``seed_root``), so its
difference from the baseline is paired by seed: common random numbers. The baseline's runs are
repeated in every arm's sweep (the same scenario and seeds give the same history), so that each
sweep stands on its own: ``sim sweep show NAME`` prints the same paired differences.

The sweeps are named from their spec (``effects-ARM-HASH``), so running the same questions
again finds the same sweeps and runs only what they lack; a changed model (its defaults, the
preset) makes new ones. All of them run on one executor, so the workers start once.

Outcomes are ``market_steps`` metrics at each run's last step (December 2027 for the
baseline's 48 months from January 2024): :data:`OUTCOMES`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from experiments.sweep import SweepSpec, Task, baseline_scenario, default_name, make_spec
from experiments.sweep_analysis import check_outcome, paired_differences, point_summary
from experiments.sweep_coordinator import run_spec
from experiments.sweep_cost import SweepStart, sweep_start
from experiments.sweep_executors import Executor
from runs.store import RunStore, StoreError
from runs.sweeps import finished_tasks, get_sweep, sweep_outcomes
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario
from scenario.scenario import Scenario
from vocabulary.clock import StepClock
from vocabulary.errors import InputError, excerpt
from vocabulary.metrics import metric

BASELINE = "baseline"
"""The preset every arm is made from and compared with."""
OUTCOMES = (
    "cn_model_share_global",
    "cn_share_global",
    "compute_cn",
    "compute_cn_legal",
    "compute_cn_domestic",
    "compute_cn_smuggled",
    "compute_cn_remote",
    "price_cn",
    "price_us",
    "tokens_unserved",
)
"""The market metrics the effects are measured on, at the last month: the Chinese shares of the
tokens of developers outside China (by who made the model, and by who serves it), Chinese
providers' compute in all and by channel, the prices of Chinese and US providers, and the
tokens demanded but not served."""
for _outcome in OUTCOMES:
    check_outcome(_outcome)  # a metric renamed in the list fails here, not in a table
LEAKAGES = (0.0, 0.5, 1.0)
"""Smuggling leakage's values: none, half, and all of the demand for banned chips."""
ACT_STARTS = ("2026-07", "2024-01")
"""The Remote Access Security Act's starts: 2026-07, the date issue 26 takes as its real one
(passed by the House in Jan 2026, pending in the Senate: docs/sources.md section 7), and the
baseline's first month."""
ORIGIN_BAN = {
    "model_origin_ban.segments": {"government": 1.0, "enterprise": 1.0},
    "model_origin_ban.developer_regions": ["US", "EU", "ROW"],
    "model_origin_ban.schedule.start": "2026-01",
}
"""The ban by model origin asked about: governments and enterprises outside China may use no
Chinese-made model, on any host, from 2026-01 (the FY2026 NDAA's reach widened to every
government and enterprise: a question, not a law)."""
US_LEAD_TIMES = (12, 36)
"""The US lead time in months at its sources' low and high ends: new builds took 12-18
months, now 24-36 (docs/sources.md section 8; the baseline's 6 is for existing halls)."""
DEFAULT_DEVELOPERS = 20_000


@dataclass(frozen=True)
class Arm:
    """One standard question: a scenario compared with the baseline, paired by seed.

    Attributes:
        id: a short name (``leakage-0``, ``act-2026-07``), what ``--only`` takes.
        label: what it asks, in words people read.
        changes: what it changes in the baseline, key -> value (``smuggling.leakage`` -> 0;
            ``policies`` -> ``+remote_access`` or ``-beijing_measures``; ``scenario`` ->
            another preset, whose policies replace the baseline's).
        scenario: the scenario it runs.
    """

    id: str
    label: str
    changes: dict[str, Any] = field(hash=False)
    scenario: Scenario = field(hash=False)


def baseline(developers: int = DEFAULT_DEVELOPERS, steps: int | None = None) -> Scenario:
    """The ``baseline`` preset with ``developers`` and ``steps`` (its own 48 months if None).

    Raises:
        InputError: a population or horizon out of range.
    """
    return resolve_scenario(load_scenario(BASELINE), developers=developers, steps=steps)


def _policy_param(base: Scenario, policy: str, name: str) -> Any:
    """Parameter ``name`` of the baseline's policy ``policy`` (by key), or None if it has none."""
    config = next((p for p in base.policies if p.key == policy), None)
    return None if config is None else getattr(config.params, name, None)


def _number(value: float) -> str:
    """``0``, ``0.5``, ``0.15``: a setting as ``--set`` takes it."""
    return f"{value:g}"


def _derived(base: Scenario, arm_id: str, **options: Any) -> Scenario:
    """``base`` changed by ``options`` (as :func:`resolve_scenario` takes them), renamed.

    Its name is ``effects ARM``, so its runs say which comparison they are; the label stays out
    of the scenario, so that rewording it does not make new sweeps of the same runs.
    """
    return resolve_scenario(base, name=f"effects {arm_id}", **options)


def standard_arms(base: Scenario) -> list[Arm]:
    """The standard questions of docs/model.md's effects table, each made from ``base``.

    ``base`` is the baseline preset at the population and horizon of the comparison
    (:func:`baseline`); every arm keeps its calendar and population.

    Raises:
        InputError: ``base`` lacks what an arm changes (a smuggling policy to set, say).
    """
    arms = []
    leakage = _policy_param(base, "smuggling", "leakage")
    now = f" (baseline {_number(leakage)})" if leakage is not None else ""
    for value in LEAKAGES:
        arm_id, label = f"leakage-{_number(value)}", f"Smuggling leakage {_number(value)}{now}"
        changes = {"smuggling.leakage": value}
        arms.append(Arm(arm_id, label, changes, _derived(base, arm_id, settings=changes)))
    for start in ACT_STARTS:
        arm_id = f"act-{start}"
        label = f"Remote Access Security Act from {start}" + (
            " (its real date)" if start == ACT_STARTS[0] else ""
        )
        settings = {"remote_access.schedule.start": start}
        arms.append(
            Arm(
                arm_id,
                label,
                {"policies": "+remote_access", **settings},
                _derived(base, arm_id, policies=["remote_access"], settings=settings),
            )
        )
    for preset in ("strict", "no_controls"):
        arm_id, preset_scenario = preset.replace("_", "-"), load_scenario(preset)
        label = f"The {preset} preset's policies ({preset_scenario.description})"
        other = resolve_scenario(
            preset_scenario,
            start=base.start,
            steps=base.steps,
            step_length=base.step_length,
            developers=base.developers,
        )
        arms.append(Arm(arm_id, label, {"scenario": preset}, _derived(other, arm_id)))
    kept = [p for p in base.policies if p.name != "beijing_measures"]
    label = "Beijing's measures off" + (
        "" if len(kept) < len(base.policies) else " (the baseline has none: the same)"
    )
    arms.append(
        Arm(
            "beijing-off",
            label,
            {"policies": "-beijing_measures"},
            _derived(base.model_copy(update={"policies": kept}), "beijing-off"),
        )
    )
    arms.append(
        Arm(
            "origin-ban",
            "Chinese-made models banned for governments and enterprises outside China, on any "
            "host, from 2026-01",
            {"policies": "+model_origin_ban", **ORIGIN_BAN},
            _derived(base, "origin-ban", policies=["model_origin_ban"], settings=ORIGIN_BAN),
        )
    )
    arms.append(
        Arm(
            "hosts-off",
            "No hosts: every model served by the lab that made it"
            + ("" if base.hosts else " (the baseline has none: the same)"),
            {"hosts": False},
            _derived(base, "hosts-off", settings={"hosts": False}),
        )
    )
    lead = base.supply.lead_time_months["US"]
    for months in US_LEAD_TIMES:
        arm_id = f"us-lead-{months}"
        label = (
            f"US lead time {months} months (baseline {lead}: existing halls; new builds "
            f"{'12-18' if months == US_LEAD_TIMES[0] else '24-36'} months)"
        )
        changes = {"supply.lead_time_months.US": months}
        arms.append(Arm(arm_id, label, changes, _derived(base, arm_id, settings=changes)))
    return arms


ARM_IDS = (
    *(f"leakage-{_number(value)}" for value in LEAKAGES),
    *(f"act-{start}" for start in ACT_STARTS),
    "strict",
    "no-controls",
    "beijing-off",
    "origin-ban",
    "hosts-off",
    *(f"us-lead-{months}" for months in US_LEAD_TIMES),
)
"""The ids of :func:`standard_arms`, in their order (known without building a scenario)."""


def check_only(only: Sequence[str]) -> tuple[str, ...]:
    """The arm ids ``only`` names, once each, in the standard order (all of them if none).

    Raises:
        InputError: an id that is not a standard arm's, with the valid ones.
    """
    for arm_id in only:
        if arm_id not in ARM_IDS:
            raise InputError(
                f"--only {excerpt(arm_id)}: no such comparison; expected one of "
                f"{', '.join(ARM_IDS)}"
            )
    return tuple(arm_id for arm_id in ARM_IDS if not only or arm_id in only)


def outcome_month(scenario: Scenario) -> str:
    """The month (a week's first day, for a weekly run) of the scenario's last step."""
    return StepClock.of(scenario.start, scenario.step_length).label(scenario.steps - 1)


def arm_spec(arm: Arm, seeds: int, seed_root: int) -> SweepSpec:
    """The sweep of ``arm``: its scenario, with the ``baseline`` preset as its baseline arm.

    Named ``effects-ARM-HASH`` from its content, so the same arm, seeds and model find the
    same sweep again.

    Raises:
        InputError: the seeds are out of range.
    """
    fields = {
        "scenario": arm.scenario.model_dump(mode="json"),
        "seeds": seeds,
        "seed_root": seed_root,
        "baseline": baseline_scenario(BASELINE, arm.scenario).model_dump(mode="json"),
    }
    unnamed = make_spec(name="unnamed", **fields)
    return make_spec(name=default_name(unnamed.without_name(), f"effects-{arm.id}"), **fields)


@dataclass(frozen=True)
class EffectsRun:
    """What running the arms' sweeps did.

    Attributes:
        sweeps: arm id -> ``(sweep id, sweep name)``.
        planned: the runs of all the sweeps.
        already_finished: those finished before this call.
        finished, failed: the runs this call stored as finished, as failed.
    """

    sweeps: dict[str, tuple[int, str]]
    planned: int
    already_finished: int
    finished: int
    failed: int


def _finished(store: RunStore, name: str) -> set[tuple[int, int, str]]:
    """The finished tasks of the sweep called ``name``; none if there is no such sweep yet."""
    try:
        stored = get_sweep(store, name)
    except StoreError:
        return set()
    return finished_tasks(store, stored.id)


def run_arms(
    store: RunStore,
    specs: dict[str, SweepSpec],
    executor: Executor,
    on_start: Callable[[SweepStart], None] | None = None,
    on_stored: Callable[[Task, str], None] | None = None,
) -> EffectsRun:
    """Run what the arms' sweeps lack, one sweep after the other on one ``executor``.

    Args:
        store: the run store.
        specs: arm id -> its sweep (:func:`arm_spec`).
        executor: where the runs are simulated.
        on_start: called once, before any run, with the runs left in all the sweeps and an
            estimate of their time.
        on_stored: called with each task and its run's status once stored.

    Raises:
        StoreError: a sweep's name is taken by another spec, or it is running elsewhere.
        SweepInterrupted: SIGINT or SIGTERM stopped it; the same call continues it.
    """
    tasks = {arm_id: spec.tasks() for arm_id, spec in specs.items()}
    todo = []
    for arm_id, spec in specs.items():
        done = _finished(store, spec.name)
        todo += [task for task in tasks[arm_id] if task.key not in done]
    planned = sum(map(len, tasks.values()))
    if on_start:
        on_start(sweep_start("policy effects", todo, planned, executor.workers))
    sweeps, already, finished, failed = {}, 0, 0, 0
    for arm_id, spec in specs.items():
        report = run_spec(store, spec, executor, tasks[arm_id], None, on_stored)
        sweeps[arm_id] = (report.sweep.id, report.sweep.name)
        already += report.already_finished
        finished += report.finished
        failed += report.failed
    return EffectsRun(sweeps, planned, already, finished, failed)


COLUMNS = (
    "arm",
    "label",
    "outcome",
    "unit",
    "pairs",
    "baseline",
    "baseline_low",
    "baseline_high",
    "arm_level",
    "difference",
    "difference_low",
    "difference_high",
    "percent",
    "sweep_id",
)


def effects_table(
    store: RunStore, arms: Sequence[Arm], sweeps: dict[str, tuple[int, str]]
) -> pd.DataFrame:
    """Per arm and outcome, at the last step: the baseline, the arm, and their difference.

    Returns:
        One row per arm and outcome (:data:`OUTCOMES`), in order: ``arm`` (its id),
        ``label``, ``outcome``, ``unit`` (the metric's), ``pairs`` (seeds with a finished run in
        both arms), ``baseline`` with ``baseline_low`` and ``baseline_high`` (the baseline arm's
        mean and 95% t interval over its seeds), ``arm_level`` (the arm's mean),
        ``difference`` with ``difference_low`` and ``difference_high`` (arm minus baseline,
        paired by seed: the mean and 95% t interval of the per-seed differences),
        ``percent`` (the difference over the baseline's mean, in %; NaN where that is 0) and
        ``sweep_id``.
    """
    rows = []
    for arm in arms:
        sweep_id, _ = sweeps[arm.id]
        runs = sweep_outcomes(store, sweep_id, list(OUTCOMES))
        levels = point_summary(runs, 1, ("main", "baseline"), OUTCOMES).set_index(
            ["arm", "outcome"]
        )
        differences = paired_differences(runs, 1, OUTCOMES).set_index("outcome")
        for outcome in OUTCOMES:
            base, paired = levels.loc[("baseline", outcome)], differences.loc[outcome]
            mean = float(base["mean"])
            rows.append(
                {
                    "arm": arm.id,
                    "label": arm.label,
                    "outcome": outcome,
                    "unit": str(metric(outcome).unit),
                    "pairs": int(paired["pairs"]),
                    "baseline": mean,
                    "baseline_low": float(base["low"]),
                    "baseline_high": float(base["high"]),
                    "arm_level": float(levels.loc[("main", outcome), "mean"]),
                    "difference": float(paired["mean"]),
                    "difference_low": float(paired["low"]),
                    "difference_high": float(paired["high"]),
                    "percent": 100 * float(paired["mean"]) / mean if mean else float("nan"),
                    "sweep_id": sweep_id,
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))
