"""Host countries' permit rules: less foreign capacity for Chinese providers to rent.

The foreign clouds that Chinese labs rent sit mostly in Malaysia, Singapore and Indonesia
(docs/sources.md section 13). From 2025-07-14 Malaysia requires a Strategic Trade Permit to export
or transit US AI chips, and BIS's guidance of 2025-05-13 puts offshore clouds that knowingly
train Chinese models under licence. Such rules act on the host's side, before any US law on
remote access: they shrink the capacity the renters share, whereas the Remote Access Security
Act cuts what they may use of what they rent.
"""

from policies.base import Policy
from policies.constraints import Constraints
from scenario.policy_params import HostPermitsParams


class HostPermits(HostPermitsParams, Policy):
    """Closes a share of the foreign capacity for rent to the renters' providers."""

    name = "host_permits"
    summary = "host countries' permit rules (Malaysia, 2025-07): less foreign capacity to rent"

    def apply(self, constraints: Constraints, month: int, intensity: float) -> None:
        """Multiply the open share of foreign capacity by 1 - intensity x blocked."""
        for renter in self.renters:
            constraints.foreign_capacity_open[renter] *= 1.0 - intensity * self.blocked
