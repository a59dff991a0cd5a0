"""A ban on models by where they were made, whoever serves them.

API restrictions (:mod:`policies.api_restriction`) bar a jurisdiction's providers; the bans of
2025 on Chinese models by origin reach further: the FY2026 NDAA (Sec. 1532, signed 2025-12-18)
bars the Department of Defense and its contractors from AI developed by DeepSeek whoever hosts
it, and the No Adversarial AI Act (introduced 2025-06) would bar federal agencies from any
adversary-developed AI (docs/sources.md section 16). Such a ban also closes the hosts abroad that
serve only the banned labs' models, which an API restriction leaves open.
"""

from policies.base import Policy
from policies.constraints import Barring, Constraints
from scenario.policy_params import ModelOriginBanParams


class ModelOriginBan(ModelOriginBanParams, Policy):
    """Bars the named segments' developers from models made in the named jurisdictions."""

    name = "model_origin_ban"
    summary = "models made in chosen jurisdictions barred for chosen segments, on any host"

    def apply(self, constraints: Constraints, month: int, intensity: float) -> None:
        """Add a barring by origin for each named segment's bound share."""
        level = intensity * self.compliance
        constraints.barrings.append(
            Barring(
                developer_regions=frozenset(self.developer_regions),
                jurisdictions=frozenset(),
                share_by_segment={
                    segment: level * share for segment, share in self.segments.items()
                },
                made_in=frozenset(self.made_in),
            )
        )
