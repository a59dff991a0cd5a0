"""Market clearing (DESIGN section 2, stage 5): demand meets capacity, and queues form.

Shapes: N developers, P providers.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Clearing:
    """The outcome of matching demand with capacity.

    Attributes:
        demand: (P,) tokens asked of each provider.
        api_demand: (P,) of those, the tokens asked through its API.
        served: (P,) tokens served, at most the capacity.
        fill: (P,) served / demand (1 where nothing was asked).
        developer_served: (N,) tokens each developer got.
        developer_api_served: (N,) of those, the tokens sold through the API (the rest are the
            provider's own apps' tokens, in China).
        apps_served: (P,) tokens each provider served to its own apps.
        congestion: (P,) latency multiplier the load leaves for the next step (queueing).
    """

    demand: np.ndarray
    api_demand: np.ndarray
    served: np.ndarray
    fill: np.ndarray
    developer_served: np.ndarray
    developer_api_served: np.ndarray
    apps_served: np.ndarray
    congestion: np.ndarray


def clear(
    developer_demand: np.ndarray,
    choices: np.ndarray,
    capacity: np.ndarray,
    planned_utilisation: float,
    api_fraction: np.ndarray | float = 1.0,
) -> Clearing:
    """Ration each provider's capacity: its API customers first, then its own apps.

    A lab throttles its free consumer apps before its paying API customers, so a shortage falls
    on the apps (China's Doubao, Qwen, Kimi...) first; within each class demand is rationed pro
    rata across developers. API demand beyond capacity is not served this step; it shows up as
    API utilisation above one and so as congestion latency next step, which moves developers
    elsewhere (DESIGN stage 5). The apps' queue waits behind the API's (a priority queue), so
    congestion follows the API load alone.

    Args:
        developer_demand: (N,) tokens each developer asks for.
        choices: (N,) int each developer's provider.
        capacity: (P,) tokens each provider can serve.
        planned_utilisation: the load providers plan for, beyond which queues lengthen.
        api_fraction: (N,) or one share of each developer's tokens sold through the API; the
            rest are its provider's own apps' tokens.
    """
    providers = len(capacity)
    api_demand_dev = developer_demand * api_fraction
    demand = np.bincount(choices, weights=developer_demand, minlength=providers)
    api_demand = np.minimum(
        demand, np.bincount(choices, weights=api_demand_dev, minlength=providers)
    )
    api_served = np.minimum(api_demand, capacity)
    apps_served = np.minimum(demand - api_demand, capacity - api_served)
    served = api_served + apps_served
    api_fill = _fill(api_served, api_demand)
    apps_fill = _fill(apps_served, demand - api_demand)
    developer_api_served = api_demand_dev * api_fill[choices]
    return Clearing(
        demand=demand,
        api_demand=api_demand,
        served=served,
        fill=_fill(served, demand),
        developer_served=developer_api_served
        + (developer_demand - api_demand_dev) * apps_fill[choices],
        developer_api_served=developer_api_served,
        apps_served=apps_served,
        congestion=congestion_factor(api_demand, capacity, planned_utilisation),
    )


def _fill(served: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """(P,) served / demand, 1 where nothing was asked."""
    return np.divide(served, demand, out=np.ones_like(demand), where=demand > 0)


def congestion_factor(
    demand: np.ndarray, capacity: np.ndarray, planned: float, ceiling: float = 0.95
) -> np.ndarray:
    """(P,) latency multiplier from queueing: 1 up to the planned utilisation, then 1/(1-rho).

    Uses M/M/1's waiting-time shape relative to the planned load, with rho capped at
    ``ceiling`` so a provider with no capacity is slow, not infinitely slow.
    """
    with np.errstate(over="ignore"):  # a tiny capacity overflows rho to inf: the ceiling caps it
        rho = np.divide(demand, capacity, out=np.full_like(demand, ceiling), where=capacity > 0)
    rho = np.minimum(rho, ceiling)
    return np.maximum(1.0, (1.0 - planned) / (1.0 - rho))
