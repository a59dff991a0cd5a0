"""Beijing's own measures: steering Chinese providers away from foreign chips, on dated steps.

China answers US export controls with measures of its own (docs/sources.md section 12): guidance
against H20 purchases from August 2025, a ban on foreign chips in state-funded data centres from
November 2025, and H200 approvals in 2026 conditional on buying domestic chips too. Each step
refuses a share of the providers' purchases of foreign-made chips; what they then still need is
bought from the next cheapest chips they may buy, domestic output first where it is cheaper,
or left to rented compute.
"""

from policies.base import Policy
from policies.constraints import Constraints
from scenario.policy_params import BeijingMeasuresParams


class BeijingMeasures(BeijingMeasuresParams, Policy):
    """Refuses a dated share of the buyers' purchases of foreign-made chips."""

    name = "beijing_measures"
    summary = "Beijing's measures: a dated share of foreign-chip purchases steered to other chips"

    def apply(self, constraints: Constraints, month: int, intensity: float) -> None:
        """Raise each buyer's refusal of foreign chips to this month's step, scaled."""
        refused = intensity * self.refusal_at(month)
        for buyer in self.buyers:
            constraints.foreign_chip_refusal[buyer] = max(
                constraints.foreign_chip_refusal[buyer], refused
            )

    def status(self, month: int, intensity: float) -> str:
        """The share refused, so each dated step is logged as an event."""
        refused = intensity * self.refusal_at(month)
        if refused <= 0:
            return "off"
        return f"{refused:.0%} of foreign-chip purchases refused by {', '.join(self.buyers)}"
