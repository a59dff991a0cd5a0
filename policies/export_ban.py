"""US export bans on AI accelerators, in the tiers of the real control steps.

Each chip in the catalogue names the first control step that caught it (``control_tier``):
Oct 2022 (A100/H100 and everything above), Oct 2023 (the TPP >= 4800 rule that caught H800),
Apr 2025 (the H20 licence requirement). A tier bans every chip it caught for the buyers.
"""

from policies.base import Policy
from policies.constraints import Constraints
from scenario.policy_params import ExportBanParams
from vocabulary.calendar import parse_month


class ExportBan(ExportBanParams, Policy):
    """Chips of the chosen control tiers may not be sold to the chosen buyers."""

    name = "export_ban"
    summary = "US chip export bans by control tier (Oct 2022, Oct 2023, Apr 2025)"

    def _tiers_in_force(self, month: int) -> list[str]:
        if not self.historical_dates:
            return list(self.tiers)
        return [tier for tier in self.tiers if parse_month(tier) <= month]

    def apply(self, constraints: Constraints, month: int, intensity: float) -> None:
        """Ban, for each buyer, every chip caught by a tier in force."""
        tiers = set(self._tiers_in_force(month))
        for buyer in self.buyers:
            constraints.banned_tiers[buyer] |= tiers

    def status(self, month: int, intensity: float) -> str:
        """Which tiers are in force, so each new tier is logged as an event."""
        tiers = self._tiers_in_force(month) if intensity > 0 else []
        if not tiers:
            return "off"
        return f"chips of tiers {', '.join(tiers)} banned for {', '.join(self.buyers)}"
