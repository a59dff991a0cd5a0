"""Data-centre permitting and grid delays: extra months before new chips can serve.

US interconnection takes ~5 years from request to operation and large loads are quoted 36-60
months (LBNL, utilities; M); EU hubs up to 5 years (M).
"""

from policies.base import Policy
from policies.constraints import Constraints
from scenario.policy_params import PermittingParams


class Permitting(PermittingParams, Policy):
    """Adds build delay to one jurisdiction's new capacity."""

    name = "permitting"
    summary = "extra data-centre build delay (permits, grid) for a jurisdiction"

    def apply(self, constraints: Constraints, month: int, intensity: float) -> None:
        """Add ``extra_months`` x intensity, rounded, to the jurisdiction's lead time."""
        constraints.extra_lead_months[self.region] += round(intensity * self.extra_months)
