"""An energy price shock (or subsidy): a multiplier on one jurisdiction's electricity prices."""

from pydantic import Field

from policies.base import Policy
from policies.constraints import Constraints
from vocabulary.regions import Jurisdiction


class EnergyPrice(Policy):
    """Multiplies the electricity price of one jurisdiction's providers."""

    name = "energy_price"
    summary = "multiplier on a jurisdiction's electricity price"

    region: Jurisdiction = Field("CN", description="jurisdiction whose providers pay it")
    multiplier: float = Field(3.0, gt=0.0, le=100.0, description="price multiplier when fully on")

    def apply(self, constraints: Constraints, month: int, intensity: float) -> None:
        """Move the multiplier towards ``multiplier`` in proportion to the intensity."""
        constraints.energy_multiplier[self.region] *= 1.0 + intensity * (self.multiplier - 1.0)
