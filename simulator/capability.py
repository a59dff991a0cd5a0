"""Capability over time: the sourced timeline while it lasts, then catch-up to a moving frontier.

Capability levels per provider are a scenario input (the Artificial Analysis Intelligence Index
v4.1, best model per provider at each quarter's end; INPUTS 1a). Within a quarter the level moves
linearly from the previous quarter's end to this quarter's end. After the timeline ends the
frontier grows at a fixed rate and every provider closes a share of its gap to it each month,
faster with open weights (distillation).
"""

import csv
from dataclasses import dataclass
from importlib import resources

import numpy as np

from scenario.roster import ProviderSpec
from scenario.sections import SupplyParams
from vocabulary.calendar import parse_month


def _quarter_end(label: str) -> int:
    year, quarter = int(label[:4]), int(label[5])
    return parse_month(f"{year}-{quarter * 3:02d}")


@dataclass(frozen=True)
class CapabilityTimeline:
    """Scores by timeline column (provider key) at each quarter-end month."""

    quarter_ends: np.ndarray
    scores: dict[str, np.ndarray]

    @classmethod
    def load(cls) -> "CapabilityTimeline":
        """The packaged table ``scenario/data/capability.csv``."""
        path = resources.files("scenario.data").joinpath("capability.csv")
        with path.open() as handle:
            rows = list(csv.DictReader(handle))
        ends = np.array([_quarter_end(row["quarter"]) for row in rows])
        keys = [k for k in rows[0] if k != "quarter"]
        scores = {
            key: np.array([float(row[key]) if row[key] else np.nan for row in rows]) for key in keys
        }
        return cls(quarter_ends=ends, scores=scores)

    @property
    def last_month(self) -> int:
        """The last month the timeline covers."""
        return int(self.quarter_ends[-1])

    def score(self, key: str, month: int) -> float:
        """A column's score in ``month`` (NaN before its first listed model or beyond the end)."""
        if key not in self.scores:
            raise KeyError(key)
        values = self.scores[key]
        if month > self.last_month:
            return float("nan")
        after = int(np.searchsorted(self.quarter_ends, month))
        if after == 0:
            return float(values[0])
        before_value, after_value = values[after - 1], values[after]
        if np.isnan(before_value):
            return float(after_value) if month == self.quarter_ends[after] else float("nan")
        weight = (month - self.quarter_ends[after - 1]) / 3.0
        return float(before_value + weight * (after_value - before_value))

    def provider_score(self, spec: ProviderSpec, month: int) -> float:
        """A provider's score, through its proxy column while it has no listed model."""
        value = self.score(spec.capability_key, month)
        if np.isnan(value) and spec.capability_proxy:
            value = self.score(spec.capability_proxy, month) * spec.capability_proxy_factor
        return value

    def advance(
        self,
        specs: list[ProviderSpec],
        current: np.ndarray,
        frontier: float,
        month: int,
        supply: SupplyParams,
    ) -> tuple[np.ndarray, float]:
        """(P,) capabilities and the frontier for ``month``.

        Within the timeline: the sourced scores, the frontier being the best of them. After it,
        every lab gains ``supply.frontier_growth_per_month`` a month, the frontier with it, so
        each keeps the gap it had when the timeline ended: a lab's lag is its own, not one lag
        all followers converge to (which made every open-weight follower overtake the closed
        ones within 18 months).
        """
        if month <= self.last_month:
            scores = np.array([self.provider_score(spec, month) for spec in specs])
            scores = np.where(np.isnan(scores), current, scores)
            return scores, float(np.nanmax(scores))
        growth = supply.frontier_growth_per_month
        return current + growth, frontier + growth

    def check_keys(self, specs: list[ProviderSpec]) -> None:
        """Every provider's timeline columns exist (else ``KeyError`` names the first missing)."""
        for spec in specs:
            for key in filter(None, (spec.capability_key, spec.capability_proxy)):
                if key not in self.scores:
                    raise KeyError(
                        f"providers.{spec.name}.capability_key: unknown timeline "
                        f"column {key!r}; allowed: {', '.join(self.scores)}"
                    )
