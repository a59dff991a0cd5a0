"""The Remote Access Security Act (H.R. 2683): closing the cloud loophole.

Chinese providers rent accelerators in foreign clouds that they could not buy. The act brings
such "remote access" under export licensing. Enforcement is imperfect: proxies and shell
companies keep part of the access (``leakage``).
"""

from policies.base import Policy
from policies.constraints import Constraints
from scenario.policy_params import RemoteAccessParams


class RemoteAccess(RemoteAccessParams, Policy):
    """Cuts the rented foreign compute of the chosen jurisdictions' providers."""

    name = "remote_access"
    summary = "Remote Access Security Act: cuts rented foreign compute, with proxy leakage"

    def apply(self, constraints: Constraints, month: int, intensity: float) -> None:
        """Multiply the kept share of remote compute by 1 - enforcement x (1 - leakage)."""
        cut = intensity * self.enforcement * (1.0 - self.leakage)
        for target in self.targets:
            constraints.remote_keep[target] *= 1.0 - cut
