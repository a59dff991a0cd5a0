"""API restrictions: governments and a share of enterprises may not use some jurisdictions' APIs.

Pentagon and Navy bans of DeepSeek; ~70% of Armis customers asked to block it and 52% of Netskope
clients did (Bloomberg, Feb 2025, M).
"""

from pydantic import Field

from policies.base import Policy
from policies.constraints import Barring, Constraints
from vocabulary.regions import DevRegion, Jurisdiction


class ApiRestriction(Policy):
    """Bars government users, and a share of enterprises, from chosen jurisdictions' providers."""

    name = "api_restriction"
    summary = "government (and some enterprise) users barred from chosen jurisdictions' APIs"

    developer_regions: list[DevRegion] = Field(
        default_factory=lambda: ["US", "EU"],
        min_length=1,
        description="regions whose developers are bound",
    )
    jurisdictions: list[Jurisdiction] = Field(
        default_factory=lambda: ["CN"], min_length=1, description="provider jurisdictions barred"
    )
    enterprise_share: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="share of enterprises bound (52% of Netskope clients blocked DeepSeek, M)",
    )
    compliance: float = Field(1.0, ge=0.0, le=1.0, description="share of bound users that comply")

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
