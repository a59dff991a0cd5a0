"""Export licences: named chips sold to banned buyers after all, for a fee to the US government.

The H20 licence requirement of April 2025 was lifted in July 2025 with 15% of revenue going to
the US government (Nvidia CFO, Aug 2025); H200 sales were allowed on Dec 8 2025 with 25%,
Blackwell excluded (docs/sources.md section 4).
"""

from policies.base import Policy
from policies.constraints import Constraints
from scenario.policy_params import ExportLicenceParams


class ExportLicence(ExportLicenceParams, Policy):
    """Lets the named chips be sold to the buyers despite a ban, with an export fee."""

    name = "export_licence"
    summary = "named chips licensed to banned buyers despite a ban, for a fee (H20 2025, H200)"

    def apply(self, constraints: Constraints, month: int, intensity: float) -> None:
        """License each chip to each buyer at the fee."""
        for buyer in self.buyers:
            for chip in self.chips:
                constraints.licensed_chips[buyer][chip] = self.fee

    def status(self, month: int, intensity: float) -> str:
        """Which chips are licensed, so the licence's start is logged."""
        if intensity <= 0:
            return "off"
        return (
            f"{', '.join(self.chips)} licensed to {', '.join(self.buyers)} "
            f"with a {self.fee:.0%} fee"
        )
