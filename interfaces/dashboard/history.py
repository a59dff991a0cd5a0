"""One shape for a run's history, whether it is being simulated now or was stored long ago.

The charts draw :class:`History` objects only, so the live page and the stored-runs page show
exactly the same pictures: a live model's step records and a stored run's tables become the same
three DataFrames, indexed by month (a monthly ``pandas.Period``; a stored weekly run by week),
with the columns of the ``market_steps``, ``provider_steps`` and ``policy_events`` tables.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from runs.load import StoredRun, step_label
from simulator.metrics import StepRecord


def _by_month(rows: list[dict], months: list[str]) -> pd.DataFrame:
    index = pd.PeriodIndex(months, freq="M", name="month")
    return pd.DataFrame(rows, index=index)


@dataclass(frozen=True)
class History:
    """A run's metrics month by month.

    Attributes:
        label: how legends name the run.
        market: one row per month (``cn_share_global``, ``price_cn``, ``compute_cn_smuggled``...).
        providers: one row per provider and month (``provider``, ``jurisdiction``,
            ``share_global``...); the index repeats.
        events: one row per policy change (``policy``, ``status``).
    """

    label: str
    market: pd.DataFrame
    providers: pd.DataFrame
    events: pd.DataFrame

    @classmethod
    def from_records(cls, label: str, records: Sequence[StepRecord]) -> "History":
        """The history of a model's steps so far (an empty one before the first step)."""
        market = _by_month([r.market for r in records], [r.month for r in records])
        providers = _by_month(
            [row for r in records for row in r.providers],
            [r.month for r in records for _ in r.providers],
        )
        events = _by_month(
            [{"policy": e.policy, "status": e.status} for r in records for e in r.events],
            [r.month for r in records for _ in r.events],
        )
        return cls(label, market, providers, events.reindex(columns=["policy", "status"]))

    @classmethod
    def from_stored(cls, run: StoredRun) -> "History":
        """A stored run's history, as the store holds it (nothing is re-simulated)."""
        return cls(run.label, run.market_steps, run.provider_steps, run.policy_events)

    @property
    def last_month(self) -> str | None:
        """The last step simulated (``YYYY-MM``, or a week's start day); None before any."""
        return step_label(self.market.index[-1]) if len(self.market) else None

    def last(self, column: str) -> float | None:
        """A market metric in the last month simulated, or None before the first step."""
        return float(self.market[column].iloc[-1]) if len(self.market) else None
