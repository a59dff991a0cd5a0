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
        served: (P,) tokens served, at most the capacity.
        fill: (P,) served / demand (1 where nothing was asked).
        developer_served: (N,) tokens each developer got.
        congestion: (P,) latency multiplier the load leaves for the next step (queueing).
    """

    demand: np.ndarray
    served: np.ndarray
    fill: np.ndarray
    developer_served: np.ndarray
    congestion: np.ndarray


def clear(
    developer_demand: np.ndarray,
    choices: np.ndarray,
    capacity: np.ndarray,
    planned_utilisation: float,
) -> Clearing:
    """Ration each provider's demand to its capacity, pro rata across its developers.

    Demand beyond capacity is not served this step; it shows up as utilisation above one and so
    as congestion latency next step, which moves developers elsewhere (DESIGN stage 5).

    Args:
        developer_demand: (N,) tokens each developer asks for.
        choices: (N,) int each developer's provider.
        capacity: (P,) tokens each provider can serve.
        planned_utilisation: the load providers plan for, beyond which queues lengthen.
    """
    providers = len(capacity)
    demand = np.bincount(choices, weights=developer_demand, minlength=providers)
    served = np.minimum(demand, capacity)
    fill = np.divide(served, demand, out=np.ones_like(demand), where=demand > 0)
    return Clearing(
        demand=demand,
        served=served,
        fill=fill,
        developer_served=developer_demand * fill[choices],
        congestion=congestion_factor(demand, capacity, planned_utilisation),
    )


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
