"""An energy price shock (or subsidy): a multiplier on one jurisdiction's electricity prices."""

from policies.base import Policy
from policies.constraints import Constraints
from scenario.policy_params import EnergyPriceParams


class EnergyPrice(EnergyPriceParams, Policy):
    """Multiplies the electricity price of one jurisdiction's providers."""

    name = "energy_price"
    summary = "multiplier on a jurisdiction's electricity price"

    def apply(self, constraints: Constraints, month: int, intensity: float) -> None:
        """Move the multiplier towards ``multiplier`` in proportion to the intensity."""
        constraints.energy_multiplier[self.region] *= 1.0 + intensity * (self.multiplier - 1.0)
