"""Export licences: named chips sold to banned buyers after all, for a fee to the US government.

The H20 licence requirement of April 2025 was lifted in July 2025 with 15% of revenue going to
the US government (Nvidia CFO, Aug 2025); H200 sales were allowed on Dec 8 2025 with 25%,
Blackwell excluded (docs/sources.md section 4).
"""

from pydantic import Field

from policies.base import Policy
from policies.constraints import Constraints
from vocabulary.regions import Jurisdiction


class ExportLicence(Policy):
    """Lets the named chips be sold to the buyers despite a ban, with an export fee."""

    name = "export_licence"
    summary = "named chips licensed to banned buyers despite a ban, for a fee (H20 2025, H200)"

    chips: list[str] = Field(
        default_factory=lambda: ["H20"], min_length=1, description="chip names from the catalogue"
    )
    fee: float = Field(
        0.15,
        ge=0.0,
        le=1.0,
        description="share of the price paid as export fee "
        "(H20 15%, H200 25%; Nvidia CFO, introl.com)",
    )
    buyers: list[Jurisdiction] = Field(
        default_factory=lambda: ["CN"], min_length=1, description="jurisdictions the licence covers"
    )

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
