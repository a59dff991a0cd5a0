"""Smuggling: a share of the demand for banned chips still arrives, dearer and partly seized.

CNAS (Grunewald & Fist, Jun 2025) put 2024 smuggling at 10k to several hundred thousand chips
(median ~140k), about 6% of China's inference compute; the FT reported >= $1B in three months
after April 2025; DOJ seized $50M of >= $160M in one operation. Black-market racks sell at about
+50%. Without this policy nothing banned gets through.
"""

from policies.base import Policy
from policies.constraints import Constraints
from scenario.policy_params import SmugglingParams


class Smuggling(SmugglingParams, Policy):
    """Lets a share of banned-chip demand through, at a premium, capped, with seizures."""

    name = "smuggling"
    summary = "smuggled banned chips: a leakage share of demand, at a premium, capped, seized"

    def apply(self, constraints: Constraints, month: int, intensity: float) -> None:
        """Open the smuggling channel, scaled by the schedule's intensity."""
        for buyer in self.buyers:
            constraints.smuggling_leakage[buyer] = max(
                constraints.smuggling_leakage[buyer], intensity * self.leakage
            )
            constraints.smuggling_cap_per_year[buyer] += intensity * self.cap_per_year
        constraints.smuggling_premium = max(constraints.smuggling_premium, self.premium)
        constraints.seizure_rate = max(constraints.seizure_rate, self.seizure_rate)
