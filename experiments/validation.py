"""How close a set of runs comes to the calibration targets (``sim validate``, ``sim calibrate``).

Each target (:mod:`experiments.targets`) is measured on every run's tables
(:class:`experiments.run_tables.RunTables`: from a stored run, or from a simulation held in
memory, weekly runs averaged into months), then averaged over the runs; a first-month target is
read on the mean-over-runs monthly series, as docs/targets.md says. :func:`evaluate` gives one
row per target; :func:`loss` sums how far the rows are outside their bands.
"""

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from experiments.run_tables import RunTables, Unmeasurable
from experiments.targets import Target
from vocabulary.calendar import parse_month

FAILURE_PENALTY = 1.0
"""What :func:`loss` adds for each target outside its band, on top of the squared distance: a
target missed by a hair counts as one band width missed, so a calibration does not trade a
target that passes for a smaller miss elsewhere (without it, a search found a lower loss with
three targets fewer passing)."""

UNMEASURABLE_PENALTY = 100.0
"""What :func:`loss` adds for a target that cannot be measured (NaN: a run stored before what
it needs was recorded, a ratio over zero, a crossing that never happens): as much as a value ten
band widths outside its band, more than any plausible miss, so an optimiser avoids it."""


def _crossing(series: pd.DataFrame) -> float:
    """The month index of the first month ``providers`` exceeds ``versus``; NaN if none."""
    crossed = series.index[(series["providers"] > series["versus"]).to_numpy()]
    return float(parse_month(crossed[0])) if len(crossed) else float("nan")


def _first_month(target: Target, runs: Sequence[RunTables]) -> tuple[float, float, str]:
    """A first-month target's crossing, the spread of the runs' own, the last month searched.

    The crossing is read on the mean-over-runs monthly series (docs/targets.md).
    """
    series = [target.crossing_series(run) for run in runs]
    mean = pd.concat(series).groupby(level=0, sort=False).mean()
    if target.dates:
        mean = mean.loc[[m for m in mean.index if m in set(target.dates.months)]]
    if mean.empty:
        raise Unmeasurable(f"the runs do not reach {target.window_text}")
    own = np.array([_crossing(s.loc[s.index.isin(mean.index)]) for s in series])
    spread = float(np.std(own)) if len(own) > 1 and not np.isnan(own).any() else 0.0
    return _crossing(mean), spread, str(mean.index[-1])


RESULT_COLUMNS = (
    "id",
    "observable",
    "population",
    "measure",
    "providers",
    "window",
    "kind",
    "simulated",
    "spread",
    "target",
    "low",
    "high",
    "scale",
    "passed",
    "simulated_text",
    "spread_text",
    "target_text",
    "band_text",
    "source",
    "note",
    "reason",
)
"""The keys of each :func:`evaluate` row, in order: the columns of a validation's results."""


def evaluate(targets: Sequence[Target], runs: Sequence[RunTables]) -> list[dict[str, Any]]:
    """One row per target: the mean over the runs, its spread, the band, pass or fail.

    Each row has ``id``, ``observable``, ``population``, ``measure``, ``providers`` (the group,
    ``US / CN`` for two), ``window`` (text), ``kind``, ``simulated`` (the mean; a first-month
    target's month index), ``spread`` (standard deviation over runs), ``target``, ``low``,
    ``high`` (NaN what the kind leaves open: an ``at_most`` target has no ``low``), ``scale``
    (what :func:`loss` divides a miss by), ``passed``, the same as people read them
    (``simulated_text``, ``spread_text``, ``target_text``, ``band_text``), ``source``, ``note``
    and ``reason`` (why it could not be measured, else None). All numbers are floats.
    """
    rows = []
    for target in targets:
        goal, low, high = target.bounds()
        reason, searched_to, spread = None, None, 0.0
        try:
            if target.kind == "first_month":
                mean, spread, searched_to = _first_month(target, runs)
            else:
                values = np.array([target.measure_run(run) for run in runs], dtype=float)
                mean = float(np.mean(values))
                spread = float(np.std(values)) if len(values) > 1 and not np.isnan(mean) else 0.0
        except Unmeasurable as why:
            mean, reason = float("nan"), str(why)
        passed = target.holds(mean)
        rows.append(
            {
                "id": target.id,
                "observable": target.observable,
                "population": target.population,
                "measure": target.measure,
                "providers": target.group_text,
                "window": target.window_text,
                "kind": target.kind,
                "simulated": mean,
                "spread": spread,
                "target": goal,
                "low": low,
                "high": high,
                "scale": target.scale(),
                "passed": passed,
                "simulated_text": target.format_value(mean, searched_to),
                "spread_text": target.format_spread(spread),
                "target_text": target.format_value(goal),
                "band_text": target.band_text(),
                "source": target.source,
                "note": target.note,
                "reason": reason,
            }
        )
    return rows


def margin(row: dict[str, Any]) -> float | None:
    """How far inside its band a :func:`evaluate` row is, in band widths (its ``scale``).

    The distance from the simulated value to the nearer edge of the band (the one edge an
    ``at_most`` band has), over the scale: at most 0.5 for a two-sided band, 0 on an edge,
    below 0 outside. None for an unmeasurable row (NaN).
    """
    value, low, high = row["simulated"], row["low"], row["high"]
    if math.isnan(value):
        return None
    inside = high - value if math.isnan(low) else min(value - low, high - value)
    return inside / row["scale"]


def loss(rows: Sequence[dict[str, Any]]) -> float:
    """How far a set of :func:`evaluate` rows is from passing: 0 when every target passes.

    Each failing target adds :data:`FAILURE_PENALTY` plus its squared distance outside the
    band, divided by the row's ``scale`` (the band's width; months for a first-month target).
    A row whose ``simulated`` is NaN (unmeasurable, or a crossing that never happens) adds
    :data:`UNMEASURABLE_PENALTY`.
    """
    total = 0.0
    for row in rows:
        value, low, high = row["simulated"], row["low"], row["high"]
        if math.isnan(value):
            total += UNMEASURABLE_PENALTY
            continue
        if row["passed"]:
            continue
        below = low - value if not math.isnan(low) and value < low else 0.0
        above = value - high if value > high else 0.0
        total += FAILURE_PENALTY + ((below + above) / row["scale"]) ** 2
    return total
