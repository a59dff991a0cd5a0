"""Smuggling: a share of the demand for banned chips still arrives, dearer and partly seized.

CNAS (Grunewald & Fist, Jun 2025) put 2024 smuggling at 10k to several hundred thousand chips
(median ~140k), about 6% of China's inference compute; the FT reported >= $1B in three months
after April 2025; DOJ seized $50M of >= $160M in one operation. Black-market racks sell at about
+50%. Without this policy nothing banned gets through.
"""

from pydantic import Field

from policies.base import Policy
from policies.constraints import Constraints
from vocabulary.regions import Jurisdiction


class Smuggling(Policy):
    """Lets a share of banned-chip demand through, at a premium, capped, with seizures."""

    name = "smuggling"
    summary = "smuggled banned chips: a leakage share of demand, at a premium, capped, seized"

    leakage: float = Field(
        0.15,
        ge=0.0,
        le=1.0,
        description="share of demand for banned chips "
        "that is smuggled in; guess within CNAS's 1-30% of inference compute",
    )
    premium: float = Field(
        0.5, ge=0.0, le=10.0, description="price premium over list (+50%, FT / SemiAnalysis, M)"
    )
    cap_per_year: float = Field(
        300_000,
        ge=0.0,
        description="most chips smuggled in a year (CNAS: 10k to several hundred thousand, M)",
    )
    seizure_rate: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="share of paid-for smuggled chips "
        "seized; guess (DOJ seized $50M of >= $160M in one case)",
    )
    buyers: list[Jurisdiction] = Field(
        default_factory=lambda: ["CN"],
        min_length=1,
        description="jurisdictions whose buyers smuggle",
    )

    def apply(self, constraints: Constraints, month: int, intensity: float) -> None:
        """Open the smuggling channel, scaled by the schedule's intensity."""
        for buyer in self.buyers:
            constraints.smuggling_leakage[buyer] = max(
                constraints.smuggling_leakage[buyer], intensity * self.leakage
            )
            constraints.smuggling_cap_per_year[buyer] += intensity * self.cap_per_year
        constraints.smuggling_premium = max(constraints.smuggling_premium, self.premium)
        constraints.seizure_rate = max(constraints.seizure_rate, self.seizure_rate)
