"""The fused numba kernel that draws developers' picks under the rule of :mod:`simulator.choice`.

Shapes: N developers, n of them choosing, P providers, C region x segment cells.

The utility terms shared by a cell come in as (C, P) utilities; :func:`choose` turns them into
logit weights once per cell and then, developer by developer in one fused numba pass, multiplies
in the terms particular to each developer (the social pull of its neighbours, the stay bonus for
its current provider, the providers it is barred from) and draws from the logit probabilities
with one uniform number. The per-developer reference in :mod:`simulator.choice` computes the same
picks from the raw terms; the tests hold the two to identical choices.
"""

import math
from typing import NamedTuple

import numba
import numpy as np
import scipy.sparse as sp


class Choosers(NamedTuple):
    """The n developers choosing this step, and what is particular to each of them.

    Attributes:
        rows: (n,) int ids of the choosing developers (rows of the adjacency).
        cells: (n,) int64 their region x segment cells.
        current: (n,) int their current providers.
        stay_bonus: (n,) float64 utility bonus each gives its current provider.
        uniform: (n,) float64 draws in [0, 1), one per developer.
        barred: (n, P) bool providers each may not use, or None when none are barred.
    """

    rows: np.ndarray
    cells: np.ndarray
    current: np.ndarray
    stay_bonus: np.ndarray
    uniform: np.ndarray
    barred: np.ndarray | None = None


class Neighbours(NamedTuple):
    """The developer network, and the providers the choosers' neighbours use.

    Attributes:
        adjacency: (N, N) row-normalised CSR adjacency of all developers.
        providers: (N,) int every developer's provider, for the neighbour shares.
        social_weight: utility weight on the share of neighbours using a provider.
    """

    adjacency: sp.csr_array
    providers: np.ndarray
    social_weight: float


def choose(cell_utility: np.ndarray, choosers: Choosers, neighbours: Neighbours) -> np.ndarray:
    """(n,) int64 the provider each chooser picks, by the multinomial logit.

    Fused over developers (numba, in parallel): for each developer it counts its neighbours'
    providers from the CSR adjacency, adds the social term and the stay bonus to its cell's
    utilities, and draws from the logit probabilities by inverting their cumulative sum with one
    uniform number. That is the distribution of "add Gumbel shocks and take the best", with one
    random number instead of P and no (n, P) temporaries.

    Args:
        cell_utility: (C, P) utility of each provider in each cell; -inf where not sold.
        choosers: the developers choosing.
        neighbours: the network they look at.
    """
    barred = choosers.barred
    has_barred = barred is not None
    adjacency = neighbours.adjacency
    return _choose_kernel(
        cell_weights(cell_utility),
        choosers.rows,
        choosers.cells,
        choosers.current,
        choosers.stay_bonus,
        adjacency.indptr,
        adjacency.indices,
        adjacency.data,
        neighbours.providers,
        float(neighbours.social_weight),
        choosers.uniform,
        barred if has_barred else np.zeros((0, 0), dtype=np.bool_),
        has_barred,
    )


def cell_weights(cell_utility: np.ndarray) -> np.ndarray:
    """(C, P) exp(utility - the cell's best utility), 0 where a provider is not sold.

    These are the logit weights before the terms that differ between developers of a cell.
    """
    best = cell_utility.max(axis=1, keepdims=True)
    return np.ascontiguousarray(np.exp(cell_utility - best))


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
    A row's ties have equal weight, so its neighbours cost one exp, not one each. The
    weights are formed for all providers in one branch-free loop (a provider not sold has
    cell weight 0, so its weight is 0 whatever its social term), then the current
    provider's bonus and the bars are applied, and the total is summed in provider order:
    the same numbers, in the same order, as provider by provider.
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
            cell, stay = cells[i], current[i]
            for j in range(providers):
                weight[j] = cell_w[cell, j] * social[j]
                social[j] = 1.0
            if weight[stay] > 0.0:
                weight[stay] = weight[stay] * math.exp(bonus[i])
            if has_barred:
                for j in range(providers):
                    if barred[i, j]:
                        weight[j] = 0.0
            total = 0.0
            for j in range(providers):
                total += weight[j]
            target = uniform[i] * total
            pick, accumulated = stay, 0.0
            for j in range(providers):
                if weight[j] > 0.0:
                    pick = j
                    accumulated += weight[j]
                    if accumulated > target:
                        break
            picks[i] = pick
    return picks
