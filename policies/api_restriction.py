"""API restrictions: governments and a share of enterprises may not use some jurisdictions' APIs.

Pentagon and Navy bans of DeepSeek; ~70% of Armis customers asked to block it and 52% of Netskope
clients did (Bloomberg, Feb 2025, M).
"""

from policies.base import Policy
from policies.constraints import Barring, Constraints
from scenario.policy_params import ApiRestrictionParams


class ApiRestriction(ApiRestrictionParams, Policy):
    """Bars government users, and a share of enterprises, from chosen jurisdictions' providers."""

    name = "api_restriction"
    summary = "government (and some enterprise) users barred from chosen jurisdictions' APIs"

    def apply(self, constraints: Constraints, month: int, intensity: float) -> None:
        """Add a barring for government users and the bound share of enterprises."""
        level = intensity * self.compliance
        constraints.barrings.append(
            Barring(
                developer_regions=frozenset(self.developer_regions),
                jurisdictions=frozenset(self.jurisdictions),
                share_by_segment={"government": level, "enterprise": level * self.enterprise_share},
            )
        )
