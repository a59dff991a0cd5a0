"""Developers' token demand: underlying growth by region, and the answer to price.

Demand per developer grows over time and responds to its provider's price with a constant
elasticity (DESIGN section 2, stage 4). Shapes: N developers, P providers, R developer regions,
S segments, G buyer groups (segment x work, :mod:`simulator.product_choice`).
"""

from collections.abc import Mapping

import numpy as np

from agents.developers import DeveloperPopulation
from scenario.sections import DemandParams
from simulator.product_choice import by_group
from vocabulary.calendar import DatedPath, year_of
from vocabulary.clock import StepClock
from vocabulary.regions import CHINA, DEV_REGIONS, SEGMENTS


def price_response(
    prices: np.ndarray, reference_price: np.ndarray, elasticity: np.ndarray
) -> np.ndarray:
    """(R, G, P) factor on a developer's demand from the price it pays: constant elasticity.

    It depends only on the developer's region, buyer group and provider, so it is computed per
    cell and provider and then looked up, not raised to a power developer by developer.

    Args:
        prices: (G, P) USD per million tokens each buyer group pays at each provider.
        reference_price: (R,) the starting average price in each developer region.
        elasticity: (G,) each group's price elasticity (<= 0): its segment's.
    """
    ratio = prices[None, :, :] / reference_price[:, None, None]
    return ratio ** elasticity[None, :, None]


class TokenDemand:
    """The demand side of a run: how much each developer asks for, step by step.

    Args:
        params: the scenario's demand section (growth by year, price elasticities).
        clock: the run's step length, which turns monthly growth into growth per step.
        developers: the population at the start.
        prices: (G, P) the starting price each buyer group pays at each provider.

    Attributes:
        index: (R,) underlying growth of each developer region since the start.
        reference_price: (R,) demand-weighted starting price in each developer region: the
            anchor of the price response.
        elasticity: (G,) price elasticity of each buyer group: its segment's.
    """

    def __init__(
        self,
        params: DemandParams,
        clock: StepClock,
        developers: DeveloperPopulation,
        prices: np.ndarray,
    ) -> None:
        self.params = params
        self.clock = clock
        self.index = np.ones(len(DEV_REGIONS))
        self.reference_price = _reference_prices(developers, prices)
        self.elasticity = by_group([params.price_elasticity[s] for s in SEGMENTS])
        self._api_share_china = DatedPath(params.api_share_china)

    def api_share_china(self, month: int) -> float:
        """Share of the tokens served in China in ``month`` that are sold through APIs.

        The National Data Administration's count, which the demand in China is sized by,
        includes the labs' own consumer apps; those tokens load the same fleets but earn no API
        revenue (``demand.api_share_china``).
        """
        return self._api_share_china.at(month)

    def grow(self, month: int) -> None:
        """Add one step of underlying growth, at the monthly rates of ``month``'s year."""
        year = year_of(month)
        growth = np.array(
            [
                by_year(self.params.growth_china if r == CHINA else self.params.growth_global, year)
                for r in range(len(DEV_REGIONS))
            ]
        )
        self.index *= self.clock.growth(growth)

    def tokens(self, developers: DeveloperPopulation, prices: np.ndarray) -> np.ndarray:
        """(N,) tokens per month each developer asks of its provider at the providers' prices.

        Args:
            developers: the population, on this step's providers.
            prices: (G, P) USD per million tokens each buyer group pays at each provider (a
                group buys its own mix of the provider's products).
        """
        dev = developers
        response = price_response(prices, self.reference_price, self.elasticity).reshape(-1)
        return (
            dev.base_demand
            * self.index[dev.region]
            * response[dev.work_cell * prices.shape[1] + dev.provider]
        )


def by_year(table: Mapping[int, float], year: int) -> float:
    """A by-year input for ``year``: the latest year at or before it, else the first."""
    known = sorted(table)
    earlier = [y for y in known if y <= year]
    return table[earlier[-1] if earlier else known[0]]


def _reference_prices(developers: DeveloperPopulation, prices: np.ndarray) -> np.ndarray:
    """(R,) demand-weighted price in each developer region at the given (G, P) prices."""
    dev = developers
    paid = prices[dev.group, dev.provider]
    weighted = np.bincount(dev.region, weights=dev.base_demand * paid, minlength=len(DEV_REGIONS))
    total = np.bincount(dev.region, weights=dev.base_demand, minlength=len(DEV_REGIONS))
    return np.divide(weighted, total, out=np.ones_like(total), where=total > 0)
