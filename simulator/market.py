"""The vectorised developer-choice kernel and market clearing: plain functions over arrays.

Shapes: N developers, P providers, R developer regions, S segments, C = R * S cells, J provider
jurisdictions. A developer's utility for provider j is (DESIGN section 2, stage 4)::

    u[d, j] = - price_weight[s] * log(price[j])
              + quality_weight * log(quality[j])
              - latency_weight * log(latency[r, j])
              - security_penalty[s] * distrust[r, jur[j]] * open_factor[j]
              + social_weight * neighbour_share[d, j]
              + stay_bonus[d] * (j == current[d])
              + gumbel[d, j]

Everything but the last three terms depends only on the developer's cell, so its logit weight
exp(u) is computed once per cell (C x P); :func:`choose` multiplies in the rest developer by
developer in one fused pass and draws from the logit probabilities with one uniform number per
developer (the same distribution as the Gumbel shocks). :func:`choose_reference` computes the
same rule one developer at a time from the raw ingredients; the tests hold both to identical
choices.
"""

import math
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp

LOCK_IN_CAP_MONTHS = 24.0
"""Tenure beyond two years adds no further lock-in (guess)."""


@dataclass(frozen=True)
class UtilityTerms:
    """The raw ingredients of this step's utility.

    Attributes:
        price: (P,) USD per million tokens.
        quality: (P,) capability relative to the frontier, in (0, 1].
        provider_latency: (P,) seconds to first token on the provider's own network, congestion
            included.
        network_latency: (R, J) seconds added from each developer region to each host jurisdiction.
        jurisdiction: (P,) int index of each provider's jurisdiction.
        open_weights: (P,) bool.
        serves: (R, P) bool, whether the provider sells in the developer's region.
        distrust: (R, J) float 0/1, whether developers of a region distrust a jurisdiction.
        price_weight: (S,).
        security_penalty: (S,).
        open_factor: multiplier on the security penalty for open-weight providers.
        quality_weight: scalar.
        latency_weight: scalar.
        social_weight: scalar.
        switching_cost: (S,) bonus for staying.
        lock_in_open: extra bonus per year with an open-weight provider.
        lock_in_closed: extra bonus per year with a closed one.
    """

    price: np.ndarray
    quality: np.ndarray
    provider_latency: np.ndarray
    network_latency: np.ndarray
    jurisdiction: np.ndarray
    open_weights: np.ndarray
    serves: np.ndarray
    distrust: np.ndarray
    price_weight: np.ndarray
    security_penalty: np.ndarray
    open_factor: float
    quality_weight: float
    latency_weight: float
    social_weight: float
    switching_cost: np.ndarray
    lock_in_open: float
    lock_in_closed: float


def cell_utility(terms: UtilityTerms) -> np.ndarray:
    """(C, P) utility of each provider for each region x segment cell; -inf where not sold."""
    latency = terms.provider_latency[None, :] + terms.network_latency[:, terms.jurisdiction]
    security_scale = np.where(terms.open_weights, terms.open_factor, 1.0)
    distrust = terms.distrust[:, terms.jurisdiction]  # (R, P)
    price_part = -terms.price_weight[:, None] * np.log(terms.price)[None, :]  # (S, P)
    quality_part = terms.quality_weight * np.log(terms.quality)  # (P,)
    latency_part = terms.latency_weight * np.log(latency)  # (R, P)
    security_part = (
        terms.security_penalty[None, :, None] * distrust[:, None, :] * security_scale[None, None, :]
    )  # (R, S, P)
    utility = (
        price_part[None, :, :]
        + quality_part[None, None, :]
        - latency_part[:, None, :]
        - security_part
    )
    utility = np.where(terms.serves[:, None, :], utility, -np.inf)
    return utility.reshape(-1, utility.shape[-1])


def stay_bonus(
    terms: UtilityTerms, segment: np.ndarray, tenure: np.ndarray, current: np.ndarray
) -> np.ndarray:
    """(N,) utility bonus each developer gives its current provider: switching cost + lock-in."""
    per_year = np.where(terms.open_weights[current], terms.lock_in_open, terms.lock_in_closed)
    years = np.minimum(tenure.astype(np.float64), LOCK_IN_CAP_MONTHS) / 12.0
    return terms.switching_cost[segment] + per_year * years


def choose(
    cell_u: np.ndarray,
    rows: np.ndarray,
    cells: np.ndarray,
    current: np.ndarray,
    bonus: np.ndarray,
    adjacency: sp.csr_array,
    all_choices: np.ndarray,
    social_weight: float,
    uniform: np.ndarray,
    barred: np.ndarray | None = None,
) -> np.ndarray:
    """(n,) the provider each of n choosing developers picks, by the multinomial logit.

    Fused over developers (numba, in parallel): for each developer it counts its neighbours'
    providers from the CSR adjacency, adds the social term and the stay bonus to its cell's
    utilities, and draws from the logit probabilities by inverting their cumulative sum with one
    uniform number. That is the distribution of "add Gumbel shocks and take the best", with one
    random number instead of P and no (n, P) temporaries.

    Args:
        cell_u: (C, P) from :func:`cell_utility`.
        rows: (n,) ids of the choosing developers (rows of ``adjacency``).
        cells: (n,) their cells.
        current: (n,) their current providers.
        bonus: (n,) their stay bonus for the current provider.
        adjacency: (N, N) row-normalised CSR adjacency.
        all_choices: (N,) every developer's provider, for the neighbour counts.
        social_weight: weight on the neighbour share.
        uniform: (n,) uniform draws in [0, 1).
        barred: optional (n, P) bool, providers a developer may not use.
    """
    has_barred = barred is not None
    return _choose_kernel(
        cell_weights(cell_u),
        rows,
        cells,
        current,
        bonus,
        adjacency.indptr,
        adjacency.indices,
        adjacency.data,
        all_choices,
        float(social_weight),
        uniform,
        barred if has_barred else np.zeros((0, 0), dtype=np.bool_),
        has_barred,
    )


def cell_weights(cell_u: np.ndarray) -> np.ndarray:
    """(C, P) exp(utility - the cell's best utility), 0 where a provider is not sold.

    These are the logit weights before the terms that differ between developers of a cell.
    """
    best = cell_u.max(axis=1, keepdims=True)
    return np.ascontiguousarray(np.exp(cell_u - best))


@numba.njit(parallel=True, cache=True)
def _choose_kernel(
    cell_w,
    rows,
    cells,
    current,
    bonus,
    indptr,
    indices,
    data,
    all_choices,
    social_weight,
    uniform,
    barred,
    has_barred,
):  # pragma: no cover - compiled
    """Pick each developer's provider by inverting its cumulative logit weights.

    Per developer: weight_j = cell_w[c, j] * prod over neighbours k on j of
    exp(social * a_dk) * exp(bonus if j is current), 0 if barred (the product is
    exp(social * share_j)); the pick inverts the cumulative weights at uniform * total.
    A row's ties have equal weight, so its neighbours cost one exp, not one each.
    """
    n, providers = rows.shape[0], cell_w.shape[1]
    picks = np.empty(n, dtype=np.int64)
    chunks = max(1, min(n, 256))
    for chunk in numba.prange(chunks):
        social = np.ones(providers)
        weight = np.empty(providers)
        for i in range(chunk * n // chunks, (chunk + 1) * n // chunks):
            d = rows[i]
            tie, factor = np.nan, 1.0
            for k in range(indptr[d], indptr[d + 1]):
                if data[k] != tie:
                    tie, factor = data[k], math.exp(social_weight * data[k])
                social[all_choices[indices[k]]] *= factor
            total = 0.0
            for j in range(providers):
                w = cell_w[cells[i], j]
                if w > 0.0:
                    w = w * social[j]
                    if j == current[i]:
                        w = w * math.exp(bonus[i])
                    if has_barred and barred[i, j]:
                        w = 0.0
                weight[j] = w
                total += w
                social[j] = 1.0
            target = uniform[i] * total
            pick, accumulated = current[i], 0.0
            for j in range(providers):
                if weight[j] > 0.0:
                    pick = j
                    accumulated += weight[j]
                    if accumulated > target:
                        break
            picks[i] = pick
    return picks


def choose_reference(
    terms: UtilityTerms,
    region: np.ndarray,
    segment: np.ndarray,
    current: np.ndarray,
    tenure: np.ndarray,
    adjacency: sp.csr_array,
    all_choices: np.ndarray,
    developers: np.ndarray,
    uniform: np.ndarray,
    barred: np.ndarray | None = None,
) -> np.ndarray:
    """The same choice rule, one developer and one provider at a time, for the tests.

    Written as a Mesa model's per-agent ``step`` would be: each developer looks at its
    neighbours, scores each provider from the raw terms, turns the scores into logit weights
    and picks by its uniform draw.
    """
    providers = len(terms.price)
    picks = np.empty(len(developers), dtype=np.int64)
    for row, d in enumerate(developers):
        r, s, cur = int(region[d]), int(segment[d]), int(current[d])
        social = [1.0] * providers  # exp(social_weight * share), neighbour by neighbour
        for k in range(adjacency.indptr[d], adjacency.indptr[d + 1]):
            social[int(all_choices[adjacency.indices[k]])] *= math.exp(
                terms.social_weight * adjacency.data[k]
            )
        years = min(float(tenure[d]), LOCK_IN_CAP_MONTHS) / 12.0
        lock = terms.lock_in_open if terms.open_weights[cur] else terms.lock_in_closed
        bonus = terms.switching_cost[s] + lock * years
        utility = []
        for j in range(providers):
            jur = terms.jurisdiction[j]
            latency = terms.provider_latency[j] + terms.network_latency[r, jur]
            scale = terms.open_factor if terms.open_weights[j] else 1.0
            u = (
                -terms.price_weight[s] * np.log(terms.price[j])
                + terms.quality_weight * np.log(terms.quality[j])
                - terms.latency_weight * np.log(latency)
                - terms.security_penalty[s] * terms.distrust[r, jur] * scale
            )
            utility.append(u if terms.serves[r, j] else -math.inf)
        best = max(utility)
        weights = []
        for j in range(providers):
            weight = float(np.exp(utility[j] - best))
            if weight > 0.0:
                weight = weight * social[j]
                if j == cur:
                    weight = weight * math.exp(bonus)
                if barred is not None and barred[row, j]:
                    weight = 0.0
            weights.append(weight)
        total = 0.0
        for weight in weights:  # in order, as the kernel adds them (not math.fsum)
            total += weight
        target = float(uniform[row]) * total
        pick, accumulated = cur, 0.0
        for j, weight in enumerate(weights):
            if weight > 0.0:
                pick = j
                accumulated += weight
                if accumulated > target:
                    break
        picks[row] = pick
    return picks


def token_demand(
    base_demand: np.ndarray,
    growth_index: np.ndarray,
    price: np.ndarray,
    reference_price: np.ndarray,
    elasticity: np.ndarray,
) -> np.ndarray:
    """(N,) tokens each developer asks for this month: constant-elasticity demand.

    Args:
        base_demand: (N,) tokens per month at the start, at the reference price.
        growth_index: (N,) underlying growth of the developer's region since the start.
        price: (N,) price the developer pays (its provider's).
        reference_price: (N,) the starting average price in the developer's region.
        elasticity: (N,) the developer's segment's price elasticity (<= 0).
    """
    return base_demand * growth_index * (price / reference_price) ** elasticity


@dataclass(frozen=True)
class Clearing:
    """The outcome of matching demand with capacity.

    Attributes:
        demand: (P,) tokens asked of each provider.
        served: (P,) tokens served, at most the capacity.
        fill: (P,) served / demand (1 where nothing was asked).
        developer_served: (N,) tokens each developer got.
    """

    demand: np.ndarray
    served: np.ndarray
    fill: np.ndarray
    developer_served: np.ndarray


def clear(developer_demand: np.ndarray, choices: np.ndarray, capacity: np.ndarray) -> Clearing:
    """Ration each provider's demand to its capacity, pro rata across its developers.

    Demand beyond capacity is not served this step; it shows up as utilisation above one and so
    as congestion latency next step, which moves developers elsewhere (DESIGN stage 5).
    """
    providers = len(capacity)
    demand = np.bincount(choices, weights=developer_demand, minlength=providers)
    served = np.minimum(demand, capacity)
    fill = np.divide(served, demand, out=np.ones_like(demand), where=demand > 0)
    return Clearing(
        demand=demand, served=served, fill=fill, developer_served=developer_demand * fill[choices]
    )


def congestion_factor(
    demand: np.ndarray, capacity: np.ndarray, planned: float, ceiling: float = 0.95
) -> np.ndarray:
    """(P,) latency multiplier from queueing: 1 up to the planned utilisation, then 1/(1-rho).

    Uses M/M/1's waiting-time shape relative to the planned load, with rho capped at
    ``ceiling`` so a provider with no capacity is slow, not infinitely slow.
    """
    rho = np.divide(demand, capacity, out=np.full_like(demand, ceiling), where=capacity > 0)
    rho = np.minimum(rho, ceiling)
    return np.maximum(1.0, (1.0 - planned) / (1.0 - rho))
