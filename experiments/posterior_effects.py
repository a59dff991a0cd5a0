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
    """Run ``planned``: one row per run and month, with the outcomes over the whole horizon.

    Columns ``arm``, ``draw``, ``seed``, ``month`` (``YYYY-MM``) and :data:`OUTCOMES`; the
    effects table reads the last month, the fan charts every month.

    Raises:
        InputError: a run failed (its error is named).
    """
    frames = []
    for result in executor.run(planned.tasks, lambda: False):
        task = result.task
        if result.error is not None:
            raise InputError(
                f"draw {task.point}, seed {task.seed}, {task.arm}: the run failed: {result.error}"
            )
        market = RunTables.from_result(result).market[list(OUTCOMES)].astype(float)
        frames.append(
            market.rename_axis("month")
            .reset_index()
            .assign(arm=task.arm, draw=task.point, seed=task.seed)
        )
        if on_run:
            on_run()
    runs = pd.concat(frames, ignore_index=True)
    columns = ["arm", "draw", "seed", "month", *OUTCOMES]
    return runs[columns].sort_values(["arm", "draw", "seed", "month"], ignore_index=True)


def summarise(runs: pd.DataFrame, arms: Sequence[Arm], by_month: bool = False) -> pd.DataFrame:
    """Per question and outcome: baseline and effect over the posterior, and the variance split.

    Measured in the runs' last month, or with ``by_month`` in every month (the fan charts);
    ``runs`` as :func:`simulate` gives them.

    Returns:
        One row per question, outcome (and month): ``arm``, ``label``, ``outcome``, ``unit``,
        ``month``, ``draws``, ``seeds``, ``baseline`` (mean over draws and seeds) with
        ``baseline_low`` and ``baseline_high``, ``difference`` (mean of the paired differences)
        with ``difference_low`` and ``difference_high`` (the 5th and 95th percentiles, over
        draws and seeds, of the baseline's values and of the differences), ``parameter_share``
        (the share of the effect's variance from the inputs, 0-1).
    """
    months = sorted(runs["month"].unique()) if by_month else [runs["month"].max()]
    indexed = runs.set_index(["arm", "month", "draw", "seed"]).sort_index()[list(OUTCOMES)]
    rows = []
    for month in months:
        base = indexed.loc[(BASELINE_ARM, month)]
        levels, level_mean = base.quantile([0.05, 0.95]), base.mean()
        for arm in arms:
            paired = indexed.loc[(arm.id, month)] - base
            spread, shares, counted = (
                paired.quantile([0.05, 0.95]),
                parameter_shares(paired),
                paired.notna(),
            )
            draws = counted.groupby(level="draw").any().sum()
            seeds = counted.groupby(level="seed").any().sum()
            rows += [
                {
                    "arm": arm.id,
                    "label": arm.label,
                    "outcome": outcome,
                    "unit": str(metric(outcome).unit),
                    "month": month,
                    "draws": int(draws[outcome]),
                    "seeds": int(seeds[outcome]),
                    "baseline": float(level_mean[outcome]),
                    "baseline_low": float(levels.loc[0.05, outcome]),
                    "baseline_high": float(levels.loc[0.95, outcome]),
                    "difference": float(paired[outcome].mean()),
                    "difference_low": float(spread.loc[0.05, outcome]),
                    "difference_high": float(spread.loc[0.95, outcome]),
                    "parameter_share": float(shares[outcome]),
                }
                for outcome in OUTCOMES
            ]
    return pd.DataFrame(rows)


def parameter_share(values: pd.Series) -> float:
    """The share of ``values``' variance between draws (level ``draw``) beyond what chance puts.

    One-way random effects: between-draw variance of the draws' means less the within-draw
    variance over the seeds per draw, floored at 0, over itself plus the within-draw variance.
    NaN with fewer than 2 draws or 2 seeds per draw.
    """
    return float(parameter_shares(values.to_frame()).iloc[0])


def parameter_shares(values: pd.DataFrame) -> pd.Series:
    """:func:`parameter_share` of each column at once (NaN values left out, column by column)."""
    groups = values.groupby(level="draw")
    counts = groups.count()
    within = groups.var(ddof=1).mean()
    between = (groups.mean().var(ddof=1) - within / counts.where(counts > 0).mean()).clip(lower=0.0)
    total = between + within
    share = (between / total).where(total > 0, 0.0)
    enough = ((counts > 0).sum() >= 2) & (counts.where(counts > 0).min() >= 2)
    return share.where(enough)


def posterior_draws(draws: pd.DataFrame, count: int) -> pd.DataFrame:
    """The first ``count`` of a posterior's stored draws (they are in random order already).

    Raises:
        InputError: the posterior has fewer draws.
    """
    if count > len(draws):
        raise InputError(f"--draws {count}: the posterior has {len(draws)} draws")
    return draws.iloc[:count].reset_index(drop=True)
