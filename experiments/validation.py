"""Calibration targets and how close a set of runs comes to them (``sim validate``).

The targets (``simulator/data/targets.toml``, from docs/targets.md) are observations the baseline
must reproduce from its mechanisms. Each is measured on every run's market history, by month
(a run of weekly steps on the means of each month's weeks); the mean over seeds must fall
within the target's tolerance. Users may check a scenario against targets of their own, in a
TOML or YAML file of the same form (``sim validate --targets FILE``).
"""

from importlib import resources
from pathlib import Path
from typing import Any, Literal, Self

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from simulator.scenario import Month
from vocabulary.calendar import format_month, parse_month
from vocabulary.errors import InputError, describe_validation_error
from vocabulary.metrics import Level, Unit, metric, names
from vocabulary.settings_files import parse_settings, read_settings_file

TargetKind = Literal["value", "ratio", "growth", "first_month"]

_REQUIRED: dict[str, tuple[str, ...]] = {
    "value": ("month", "target", "low", "high"),
    "ratio": ("month", "denominator", "target", "low", "high"),
    "growth": ("from_month", "month", "target", "low", "high"),
    "first_month": ("threshold", "target_month", "low_month", "high_month"),
}
"""What each kind of target needs besides its id, observable, kind and metric."""


class Target(BaseModel):
    """One stylised fact: what to measure, the observed value and the tolerance band.

    ``metric`` (and ``denominator``) name market metrics (the columns of ``market_steps``, listed
    in :data:`vocabulary.metrics.MARKET_METRICS`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    id: str
    observable: str
    kind: TargetKind
    metric: str
    source: str = ""
    month: Month | None = None
    from_month: Month | None = None
    denominator: str | None = None
    threshold: float | None = None
    target: float | None = None
    low: float | None = None
    high: float | None = None
    target_month: Month | None = None
    low_month: Month | None = None
    high_month: Month | None = None
    note: str | None = None
    """What a user should know when the target fails (e.g. a known conflict in the data)."""

    @field_validator("metric", "denominator")
    @classmethod
    def _known_metric(cls, name: str | None) -> str | None:
        allowed = names(Level.MARKET)
        if name is not None and name not in allowed:
            raise ValueError(f"unknown metric {name!r}; allowed: {', '.join(allowed)}")
        return name

    @model_validator(mode="after")
    def _complete_and_ordered(self) -> Self:
        missing = [name for name in _REQUIRED[self.kind] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} target needs {', '.join(missing)}")
        goal, low, high = self.bounds()
        if not low <= goal <= high:
            raise ValueError(
                "the band must hold the target: low <= target <= high "
                "(low_month <= target_month <= high_month)"
            )
        return self

    @property
    def date(self) -> str:
        """The month (or span) the target is about, for tables."""
        if self.kind == "growth":
            return f"{self.from_month}..{self.month}"
        return self.month or "-"

    def measure(self, history: pd.DataFrame) -> float:
        """The target's observable in one run's market history (indexed by ``YYYY-MM``).

        ``first_month`` targets are measured as a month index (see :func:`format_value`); a
        run that never crosses the threshold gives NaN.
        """
        if self.kind == "first_month":
            crossed = history.index[history[self.metric] > self.threshold]
            return float(parse_month(crossed[0])) if len(crossed) else float("nan")
        if self.month not in history.index:
            return float("nan")
        value = float(history.at[self.month, self.metric])
        if self.kind == "ratio":
            return _ratio(value, float(history.at[self.month, self.denominator]))
        if self.kind == "growth":
            return _ratio(value, float(history.at[self.from_month, self.metric]))
        return value

    def bounds(self) -> tuple[float, float, float]:
        """(target, low, high), months as month indices for ``first_month`` targets."""
        if self.kind == "first_month":
            return (
                parse_month(self.target_month),
                parse_month(self.low_month),
                parse_month(self.high_month),
            )
        return self.target, self.low, self.high

    def format_value(self, value: float) -> str:
        """A measured or target value as people read it."""
        if np.isnan(value):
            return "never" if self.kind == "first_month" else "-"
        if self.kind == "first_month":
            return format_month(int(round(value)))
        if self._in_percent:
            return f"{value:.1%}"
        return f"{value:,.1f}x" if self.kind in ("ratio", "growth") or value > 2 else f"{value:.3f}"

    def format_spread(self, spread: float) -> str:
        """A spread over seeds in the unit of the measured value: months, percent or a number."""
        if self.kind == "first_month":
            return f"{spread:.1f} months"
        if self._in_percent:
            return f"{spread:.1%}"
        return f"{spread:,.1f}"

    @property
    def _in_percent(self) -> bool:
        """A share measured as it is (not a ratio or growth of shares) reads as a percentage."""
        return self.kind == "value" and metric(self.metric).unit is Unit.SHARE


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN (nothing to measure) when the denominator is 0.

    A ratio or growth target over a quantity that is zero in a run (smuggled compute without
    smuggling) cannot be measured there: the target fails with "-" instead of the command.
    """
    return numerator / denominator if denominator else float("nan")


def load_targets(path: str | Path | None = None) -> list[Target]:
    """The packaged targets, or those of a TOML or YAML file with a ``targets`` list.

    Raises:
        InputError: naming the file, the target and the key that is wrong.
    """
    if path is None:
        origin = "targets file simulator/data/targets.toml (packaged)"
        text = resources.files("simulator.data").joinpath("targets.toml").read_text()
        data = parse_settings(text, origin, "toml")
    else:
        origin = f"targets file {path}"
        data = read_settings_file(Path(path), "targets file")
    rows = data.get("targets")
    if not isinstance(rows, list) or not rows:
        raise InputError(f"{origin}: expected a non-empty list `targets` of tables, one per target")
    targets = [_target(row, origin, f"targets[{i}]") for i, row in enumerate(rows)]
    ids = [t.id for t in targets]
    if len(set(ids)) != len(ids):
        raise InputError(f"{origin}: target ids must be unique, got {', '.join(ids)}")
    return targets


def _target(row: Any, origin: str, where: str) -> Target:
    if not isinstance(row, dict):
        raise InputError(
            f"{origin}: {where}: expected a table of settings, got {type(row).__name__}"
        )
    if isinstance(row.get("id"), str):
        where += f" ({row['id']})"
    try:
        return Target.model_validate(row)
    except ValidationError as error:
        raise InputError(f"{origin}: {describe_validation_error(error, where)}") from None


def first_month_needed(targets: list[Target]) -> str:
    """The earliest month any target looks at: a run must start no later."""
    months = [m for t in targets for m in (t.from_month, t.month, t.low_month) if m]
    return min(months, key=parse_month)


def latest_month_needed(targets: list[Target]) -> str:
    """The last month any target looks at: validation runs need not go further."""
    months = [t.month or t.high_month for t in targets]
    return max(months, key=parse_month)


def evaluate(targets: list[Target], histories: list[pd.DataFrame]) -> list[dict[str, Any]]:
    """One row per target: simulated mean and spread over the runs, target, band, pass/fail.

    ``histories`` are market histories indexed by ``YYYY-MM``, one row per step; the steps of
    weekly runs are averaged by month first (a monthly run's rows stay as they are).
    """
    histories = [history.groupby(level=0, sort=False).mean() for history in histories]
    rows = []
    for target in targets:
        values = np.array([target.measure(h) for h in histories], dtype=float)
        goal, low, high = target.bounds()
        mean = float(np.mean(values)) if not np.isnan(values).any() else float("nan")
        spread = float(np.std(values)) if len(values) > 1 and not np.isnan(mean) else 0.0
        passed = bool(not np.isnan(mean) and low <= mean <= high)
        if target.kind == "first_month" and not np.isnan(mean):
            mean = float(np.round(mean))
        rows.append(
            {
                "id": target.id,
                "observable": target.observable,
                "date": target.date,
                "simulated": mean,
                "spread": spread,
                "target": goal,
                "low": low,
                "high": high,
                "passed": passed,
                "simulated_text": target.format_value(mean),
                "spread_text": target.format_spread(spread),
                "target_text": target.format_value(goal),
                "tolerance_text": f"{target.format_value(low)} to {target.format_value(high)}",
                "source": target.source,
                "note": target.note,
            }
        )
    return rows
