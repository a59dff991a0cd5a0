"""The policy effects over a posterior: each answer with the uncertainty the record leaves.

:mod:`experiments.policy_effects` measures each standard question at the calibrated defaults,
so its intervals are chance alone (seeds). Here every draw of a posterior
(:mod:`experiments.posterior`) is a baseline of its own: for draw ``d`` the baseline preset
takes the draw's values of the tuned inputs, each standard question is made from that baseline
(:func:`experiments.policy_effects.standard_arms`, so a question that sets a tuned input, such
as smuggling's leakage, sets it against the draw's value), and both run with seeds ``1..S``.
The effect ``D[d, s]`` is the question's outcome minus the baseline's, paired by draw and seed.

Reported per question and outcome: the mean effect over draws and seeds, its 90% interval (the
5th to 95th percentile of ``D`` over every draw and seed: what the record and chance leave), and
the share of its variance that comes from the inputs rather than chance: the variance of the
draws' mean effects, less the part chance puts there (the within-draw variance over ``S``),
over that plus the within-draw variance (a one-way random-effects split; 0 when chance explains
all the spread between draws).

The runs are simulated in memory and not stored: every one is re-made exactly from the
posterior's stored draws, the seeds and the preset.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from experiments.policy_effects import OUTCOMES, Arm, baseline, standard_arms
from experiments.run_tables import RunTables
from experiments.sweep import Task
from experiments.sweep_executors import Executor
from scenario.overrides import resolve_scenario
from vocabulary.errors import InputError
from vocabulary.metrics import metric

BASELINE_ARM = "baseline"
"""The arm name of each draw's baseline runs."""


@dataclass(frozen=True)
class Planned:
    """The runs of a posterior effects table: each draw's baseline and questions, by seed."""

    tasks: list[Task]
    arms: list[Arm]
    """The questions as made from the defaults' baseline: their ids and labels (a label that
    names the baseline's value of a tuned input names the defaults')."""


def plan(
    draws: pd.DataFrame,
    seeds: int,
    only: Sequence[str],
    developers: int,
    steps: int | None = None,
) -> Planned:
    """Every run: for each draw, its baseline and the questions ``only`` names, seeds 1..S.

    A task's ``point`` is the draw's row, ``index`` the seed's, ``arm`` the question's id (or
    ``baseline``).

    Raises:
        InputError: no draws, fewer than 2 seeds, or a draw's value the scenario refuses.
    """
    if draws.empty or seeds < 2:
        raise InputError("--draws and --seeds: at least 1 draw and 2 seeds, for an interval")
    tasks: list[Task] = []
    defaults = baseline(developers, steps)
    for row, draw in enumerate(draws.to_dict("records")):
        base = resolve_scenario(defaults, settings=draw, name="baseline")
        arms = [arm for arm in standard_arms(base) if arm.id in only]
        for seed in range(1, seeds + 1):
            tasks.append(Task(row, seed - 1, BASELINE_ARM, seed, base))
            tasks += [Task(row, seed - 1, arm.id, seed, arm.scenario) for arm in arms]
    return Planned(tasks, [arm for arm in standard_arms(defaults) if arm.id in only])


def simulate(
    planned: Planned, executor: Executor, on_run: Callable[[], None] | None = None
) -> pd.DataFrame:
    """Run ``planned``: one row per run with ``arm``, ``draw``, ``seed`` and :data:`OUTCOMES`.

    Raises:
        InputError: a run failed (its error is named).
    """
    rows = []
    for result in executor.run(planned.tasks, lambda: False):
        if result.error is not None:
            task = result.task
            raise InputError(
                f"draw {task.point}, seed {task.seed}, {task.arm}: the run failed: {result.error}"
            )
        market = RunTables.from_result(result).market
        last = market.iloc[-1]
        rows.append(
            {
                "arm": result.task.arm,
                "draw": result.task.point,
                "seed": result.task.seed,
                **{outcome: float(last[outcome]) for outcome in OUTCOMES},
            }
        )
        if on_run:
            on_run()
    return pd.DataFrame(rows).sort_values(["arm", "draw", "seed"], ignore_index=True)


def summarise(runs: pd.DataFrame, arms: Sequence[Arm]) -> pd.DataFrame:
    """Per question and outcome: baseline and effect over the posterior, and the variance split.

    Returns:
        One row per question and outcome: ``arm``, ``label``, ``outcome``, ``unit``,
        ``draws``, ``seeds``, ``baseline`` (mean over draws and seeds) with ``baseline_low``
        and ``baseline_high``, ``difference`` (mean of the paired differences) with
        ``difference_low`` and ``difference_high`` (their 5th and 95th percentiles over draws
        and seeds), ``parameter_share`` (the share of the effect's variance from the inputs,
        0-1).
    """
    base = runs[runs["arm"] == BASELINE_ARM].set_index(["draw", "seed"])
    rows = []
    for arm in arms:
        own = runs[runs["arm"] == arm.id].set_index(["draw", "seed"])
        for outcome in OUTCOMES:
            paired = (own[outcome] - base[outcome]).dropna()
            levels = base[outcome].dropna()
            rows.append(
                {
                    "arm": arm.id,
                    "label": arm.label,
                    "outcome": outcome,
                    "unit": str(metric(outcome).unit),
                    "draws": int(paired.index.get_level_values("draw").nunique()),
                    "seeds": int(paired.index.get_level_values("seed").nunique()),
                    "baseline": float(levels.mean()),
                    "baseline_low": float(levels.quantile(0.05)),
                    "baseline_high": float(levels.quantile(0.95)),
                    "difference": float(paired.mean()),
                    "difference_low": float(paired.quantile(0.05)),
                    "difference_high": float(paired.quantile(0.95)),
                    "parameter_share": parameter_share(paired),
                }
            )
    return pd.DataFrame(rows)


def parameter_share(values: pd.Series) -> float:
    """The share of ``values``' variance between draws (level ``draw``) beyond what chance puts.

    One-way random effects: between-draw variance of the draws' means less the within-draw
    variance over the seeds per draw, floored at 0, over itself plus the within-draw variance.
    NaN with fewer than 2 draws or 2 seeds per draw.
    """
    groups = values.groupby(level="draw")
    counts = groups.size()
    if len(counts) < 2 or counts.min() < 2:
        return float("nan")
    within = float(groups.var(ddof=1).mean())
    between = max(0.0, float(groups.mean().var(ddof=1)) - within / float(counts.mean()))
    total = between + within
    return between / total if total > 0 else 0.0


def posterior_draws(draws: pd.DataFrame, count: int) -> pd.DataFrame:
    """The first ``count`` of a posterior's stored draws (they are in random order already).

    Raises:
        InputError: the posterior has fewer draws.
    """
    if count > len(draws):
        raise InputError(f"--draws {count}: the posterior has {len(draws)} draws")
    return draws.iloc[:count].reset_index(drop=True)
