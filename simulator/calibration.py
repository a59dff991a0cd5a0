"""Calibration targets and how close a set of runs comes to them (``sim validate``).

The targets (``simulator/data/targets.toml``, from docs/targets.md) are observations the baseline
must reproduce from its mechanisms. Each is measured on every run's market history, by month
(a run of weekly steps on the means of each month's weeks); the mean over seeds must fall
within the target's tolerance.
"""

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from simulator.calendar import format_month, parse_month


@dataclass(frozen=True)
class Target:
    """One stylised fact: what to measure, the observed value and the tolerance band."""

    id: str
    observable: str
    kind: str
    metric: str
    source: str
    month: str | None = None
    from_month: str | None = None
    denominator: str | None = None
    threshold: float | None = None
    target: float | None = None
    low: float | None = None
    high: float | None = None
    target_month: str | None = None
    low_month: str | None = None
    high_month: str | None = None
    note: str | None = None
    """What a user should know when the target fails (e.g. a known conflict in the data)."""

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
            return value / float(history.at[self.month, self.denominator])
        if self.kind == "growth":
            return value / float(history.at[self.from_month, self.metric])
        return value

    def bounds(self) -> tuple[float, float, float]:
        """(target, low, high), months as month indices for ``first_month`` targets."""
        if self.kind == "first_month":
            return (parse_month(self.target_month), parse_month(self.low_month),
                    parse_month(self.high_month))
        return self.target, self.low, self.high

    def format_value(self, value: float) -> str:
        """A measured or target value as people read it."""
        if np.isnan(value):
            return "never" if self.kind == "first_month" else "-"
        if self.kind == "first_month":
            return format_month(int(round(value)))
        if self.metric.startswith("cn_share"):
            return f"{value:.1%}"
        return f"{value:,.1f}x" if self.kind in ("ratio", "growth") or value > 2 else f"{value:.3f}"


def load_targets() -> list[Target]:
    """The packaged targets."""
    with resources.files("simulator.data").joinpath("targets.toml").open("rb") as handle:
        return [Target(**row) for row in tomllib.load(handle)["targets"]]


def latest_month_needed(targets: list[Target]) -> str:
    """The last month any target looks at: validation runs need not go further."""
    months = [t.month or t.high_month for t in targets]
    return max(months, key=parse_month)


def monthly_means(history: pd.DataFrame) -> pd.DataFrame:
    """A market history indexed by ``YYYY-MM`` with one row per month.

    Each month's row is the mean of the steps that start in it (a monthly run's history stays
    as it is).
    """
    return history.groupby(level=0, sort=False).mean()


def evaluate(targets: list[Target], histories: list[pd.DataFrame]) -> list[dict[str, Any]]:
    """One row per target: simulated mean and spread over the runs, target, band, pass/fail.

    ``histories`` are market histories indexed by ``YYYY-MM``, one row per step; the steps of
    weekly runs are averaged by month first.
    """
    histories = [monthly_means(history) for history in histories]
    rows = []
    for target in targets:
        values = np.array([target.measure(h) for h in histories], dtype=float)
        goal, low, high = target.bounds()
        mean = float(np.mean(values)) if not np.isnan(values).any() else float("nan")
        spread = float(np.std(values)) if len(values) > 1 and not np.isnan(mean) else 0.0
        passed = bool(not np.isnan(mean) and low <= mean <= high)
        if target.kind == "first_month" and not np.isnan(mean):
            mean = float(np.round(mean))
        rows.append({
            "id": target.id, "observable": target.observable, "date": target.date,
            "simulated": mean, "spread": spread, "target": goal, "low": low, "high": high,
            "passed": passed,
            "simulated_text": target.format_value(mean), "target_text": target.format_value(goal),
            "tolerance_text": f"{target.format_value(low)} to {target.format_value(high)}",
            "source": target.source, "note": target.note,
        })
    return rows
