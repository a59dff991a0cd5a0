"""The policy-effects table of docs/model.md: standard comparisons with the baseline, by seed.

Each comparison ("arm": smuggling's leakage at 0, 0.5 and 1, the Remote Access Security Act
from 2026-07 and from 2024-01, the ``strict`` and ``no_controls`` presets' policies, Beijing's
measures off, the US lead time at its sources' low and high ends) is a sweep whose baseline arm
is the ``baseline`` preset, with the same seeds, so that its differences are paired by seed.
The sweeps are stored and named from their content: calling again runs only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from interfaces.public.arguments import texts, whole_number
from runs.store import RunStore

if TYPE_CHECKING:
    from experiments.sweep_cost import SweepStart

__all__ = [  # what interfaces.api offers from here
    "effect_arms",
    "policy_effects",
    "posterior_effects",
]


def effect_arms(developers: int = 20_000, steps: int | None = None) -> pd.DataFrame:
    """The standard comparisons :func:`policy_effects` runs, in order, without running them.

    Args:
        developers: the population they would run with.
        steps: their horizon [default: the baseline's 48 months].

    Returns:
        Indexed by ``arm`` (the id ``only`` takes): ``label`` (what it asks) and ``changes``
        (what it changes in the baseline preset, key -> value).

    Raises:
        InputError: a population or horizon out of range.
    """
    from experiments.policy_effects import baseline, standard_arms

    arms = standard_arms(baseline(whole_number(developers, "developers", 100), steps))
    return pd.DataFrame(
        {"label": [arm.label for arm in arms], "changes": [arm.changes for arm in arms]},
        index=pd.Index([arm.id for arm in arms], name="arm"),
    )


def policy_effects(
    *,
    only: Sequence[str] | None = None,
    seeds: int = 10,
    seed_root: int = 0,
    developers: int = 20_000,
    steps: int | None = None,
    workers: int | None = None,
    db: str | None = None,
    on_start: Callable[[SweepStart], None] | None = None,
    on_stored: Callable[[Any, str], None] | None = None,
) -> pd.DataFrame:
    """Run the standard policy comparisons (or what they lack) and measure their effects.

    Each comparison is the ``baseline`` preset changed in one way (see :func:`effect_arms`),
    run over ``seeds`` seeds beside the baseline preset with the same seeds (common random
    numbers), as one stored sweep of two arms; the effect is the arm minus the baseline at
    the last month (December 2027 for the baseline's 48 months), paired by seed. The sweeps
    are named from their content (``effects-ARM-HASH``), so the same call finds them again
    and runs only what is missing. 200 runs at the defaults: about a minute on two cores.

    Args:
        only: the ids of the comparisons to run [default: all], e.g. ``["leakage-0"]``.
        seeds: seeds per comparison (replicate ``r`` has the ``r``-th seed spawned from
            ``seed_root``, in every comparison); at least 2, for an interval.
        seed_root: the root of the seeds.
        developers: the population of every run.
        steps: the horizon [default: the baseline's 48 months].
        workers: local worker processes [default: the number of cores].
        db: the run store (created if missing).
        on_start: called before the runs start with a ``SweepStart``: the runs left in all
            the comparisons' sweeps, their ``developer_steps`` and an ``estimated_duration``.
        on_stored: called with each task and its run's status once stored.

    Returns:
        One row per comparison and outcome (``api.EFFECT_OUTCOMES``: the Chinese share outside
        China, Chinese compute in all and by channel, the Chinese and US prices, the tokens not
        served), in the units of the metric list (shares 0-1, H100-equivalents, USD per million
        tokens, tokens per month): ``arm``, ``label``, ``outcome``, ``unit``, ``pairs``,
        ``baseline``, ``baseline_low``, ``baseline_high`` (the baseline's mean and 95% t
        interval over seeds), ``arm_level`` (the arm's mean), ``difference``,
        ``difference_low``, ``difference_high`` (arm minus baseline paired by seed, with its
        95% t interval), ``percent`` (the difference over the baseline's mean, %) and
        ``sweep_id``. ``attrs`` holds ``month`` (the last step's), ``seeds``, ``seed_root``,
        ``developers``, ``steps``, ``sweeps`` (arm id -> ``{"id", "name"}``), ``changes`` (arm
        id -> what it changes in the baseline, as :func:`effect_arms` says), ``planned``,
        ``already_finished``, ``finished``, ``failed`` (runs), ``executor`` and ``db``.

    Raises:
        InputError: an unknown comparison in ``only`` (the message lists the valid ones), too
            few seeds, a population or horizon out of range; nothing is run or stored.
        StoreError: the store cannot be opened or written.
        SweepInterrupted: SIGINT or SIGTERM stopped it; the same call continues it.
    """
    from experiments.memory import check_memory
    from experiments.policy_effects import (
        arm_spec,
        baseline,
        check_only,
        effects_table,
        outcome_month,
        run_arms,
        standard_arms,
    )
    from experiments.sweep_executors import open_executor

    chosen = check_only(texts(only or (), "only", '["leakage-0", "strict"]'))
    seeds = whole_number(seeds, "seeds", 2, 5_000)
    seed_root = whole_number(seed_root, "seed_root", 0, 2**63 - 1)
    base = baseline(whole_number(developers, "developers", 100), steps)
    arms = [arm for arm in standard_arms(base) if arm.id in chosen]
    specs = {arm.id: arm_spec(arm, seeds, seed_root) for arm in arms}
    runs = sum(spec.planned_runs for spec in specs.values())
    with open_executor(workers, None, False, runs) as executor:
        check_memory((arm.scenario for arm in arms), executor.workers)
        store = RunStore(db)
        done = run_arms(store, specs, executor, on_start, on_stored)
    table = effects_table(store, arms, done.sweeps)
    table.attrs.update(
        {
            "month": outcome_month(base),
            "seeds": seeds,
            "seed_root": seed_root,
            "developers": base.developers,
            "steps": base.steps,
            "sweeps": {arm: {"id": id_, "name": name} for arm, (id_, name) in done.sweeps.items()},
            "changes": {arm.id: arm.changes for arm in arms},
            "planned": done.planned,
            "already_finished": done.already_finished,
            "finished": done.finished,
            "failed": done.failed,
            "executor": executor.description,
            "db": store.masked_url,
        }
    )
    return table


def posterior_effects(
    posterior: int | str,
    *,
    draws: int = 20,
    seeds: int = 2,
    only: Sequence[str] | None = None,
    developers: int = 20_000,
    steps: int | None = None,
    by_month: bool = False,
    workers: int | None = None,
    db: str | None = None,
    on_start: Callable[[int], None] | None = None,
    on_run: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """The standard comparisons over a posterior's draws: effects with the record's uncertainty.

    For each of the first ``draws`` draws of stored posterior ``posterior`` (``sim calibrate
    --posterior``), the baseline preset takes the draw's values, each comparison is made from
    it (as :func:`effect_arms` says), and both run with seeds 1..``seeds``; each effect is
    paired by draw and seed (:mod:`experiments.posterior_effects`). The runs are simulated in
    memory, not stored. ``draws x seeds x (comparisons + 1)`` runs: 20 x 2 x 13 = 520 at the
    defaults, a few minutes on two cores.

    Args:
        posterior: the posterior's id or name in the store.
        draws: its draws to use (its first ones), at least 1.
        seeds: seeds per draw, at least 2.
        only: the comparisons to run [default: all] (ids as :func:`effect_arms` gives them).
        developers: the population of every run.
        steps: the horizon [default: the baseline's 48 months].
        workers: local worker processes [default: the number of cores].
        by_month: every month's effects, not only the last's (for ``api.fan_figure``).
        db: the run store holding the posterior.
        on_start: called with the number of runs before they start.
        on_run: called after each run.

    Returns:
        One row per comparison and outcome (``api.EFFECT_OUTCOMES``), in the metric list's
        units: ``arm``, ``label``, ``outcome``, ``unit``, ``month`` (the last), ``draws``,
        ``seeds``, ``baseline`` with ``baseline_low`` and ``baseline_high`` (its 90% interval
        over draws and seeds), ``difference``
        (mean paired difference) with ``difference_low`` and ``difference_high`` (its 90%
        interval over draws and seeds), ``parameter_share`` (the share of the effect's
        variance that comes from the posterior's inputs rather than chance, 0-1). ``attrs``
        holds ``posterior``, ``draws``, ``seeds``, ``developers``, ``steps``, ``month``,
        ``runs``, ``executor``. With ``by_month``, the same rows for every month: what
        ``api.fan_figure`` draws.

    Raises:
        InputError: an unknown comparison, too few draws or seeds, more draws than stored,
            ``posterior`` a point calibration, or a run that failed.
        StoreError: no such posterior in the store.
    """
    from experiments.memory import check_memory
    from experiments.policy_effects import baseline, check_only, outcome_month
    from experiments.posterior import load_posterior
    from experiments.posterior_effects import plan, posterior_draws, simulate, summarise
    from experiments.sweep_executors import open_executor
    from vocabulary.errors import InputError

    chosen = check_only(texts(only or (), "only", '["leakage-0", "strict"]'))
    draws = whole_number(draws, "draws", 1, 100_000)
    seeds = whole_number(seeds, "seeds", 2, 5_000)
    developers = whole_number(developers, "developers", 100)
    report = load_posterior(RunStore(db), posterior)
    if report.fit is None:
        raise InputError(
            f"posterior {report.spec.name!r} has no draws yet: `sim calibrate --posterior` "
            "with its options continues it"
        )
    planned = plan(posterior_draws(report.fit.draws, draws), seeds, chosen, developers, steps)
    with open_executor(workers, None, False, len(planned.tasks)) as executor:
        check_memory((arm.scenario for arm in planned.arms), executor.workers)
        if on_start:
            on_start(len(planned.tasks))
        runs = simulate(planned, executor, on_run)
    table = summarise(runs, planned.arms, by_month)
    base = baseline(developers, steps)
    table.attrs.update(
        {
            "posterior": report.spec.name,
            "posterior_id": report.calibration_id,
            "draws": draws,
            "seeds": seeds,
            "developers": developers,
            "steps": base.steps,
            "month": outcome_month(base),
            "runs": len(planned.tasks),
            "executor": executor.description,
        }
    )
    return table
