"""The developer choice rule: who reconsiders, what a provider is worth to them, what they pick.

Shapes: N developers, n of them choosing, P providers, R developer regions, S segments,
W kinds of work, C = R * S * W cells, J provider jurisdictions. A developer's utility for
provider j is (DESIGN section 2, stage 4)::

    u[d, j] = - price_weight[s] * log(price[j])
              + quality_weight * quality_scale[s] * log(quality[j])
              - latency_weight * log(latency[r, j])
              - security_penalty[s] * distrust[r, jur[j]]
              - origin_penalty[s] * distrust[r, CN] * chinese_made[j]
              + product_value[g, j]
              + programming_bonus[j] * programs[d]
              + social_weight * neighbour_share[d, j]
              + stay_bonus[d] * (j == current[d])
              + gumbel[d, j]

``product_value`` is what the lab's products on sale add for the developer's buyer group g, its
segment and kind of work (the inclusive value of :mod:`simulator.product_choice`);
``chinese_made`` marks the providers in China, all of whose models are Chinese-made: the origin
penalty of a Chinese model that a host abroad serves enters that host's product value instead
(its buyers are all outside China), so each Chinese-made token carries it once;
``programming_bonus`` is what developers whose work is programming this month add for a lab.
Everything but the last three terms depends only on the developer's cell (:func:`cell_utility`);
the fused kernel of :mod:`simulator.choice_kernel` adds the rest developer by developer and draws
from the logit probabilities with one uniform number per developer (the distribution of the
Gumbel shocks). :func:`choose_reference` computes the same rule one developer at a time from the
raw terms; the tests hold both to identical choices. :class:`ChoiceRule` is the rule of one run:
its fixed terms from the scenario, and a step's reconsidering and choosing.
"""

import math
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np

from agents.developers import DeveloperPopulation
from policies.constraints import Constraints
from scenario.scenario import Scenario
from simulator.choice_kernel import Choosers, Neighbours
from simulator.choice_kernel import choose as choose_fused
from vocabulary.calendar import DatedPath
from vocabulary.clock import StepClock
from vocabulary.regions import CHINA, DEV_REGIONS, JURISDICTIONS, SEGMENTS

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
        serves: (R, P) bool, whether the provider sells in the developer's region (and has a
            product on sale).
        distrust: (R, J) float 0/1, whether developers of a region distrust a jurisdiction.
        product_value: (G, P) utility the lab's products on sale add for each buyer group
            (segment x work, group ``s * W + w``).
        programming_bonus: (P,) utility a developer whose work is programming adds.
        price_weight: (S,).
        security_penalty: (S,).
        origin_penalty: (S,) penalty developers outside China put on Chinese-made models.
        chinese_made: (P,) bool, providers in China (every model they serve is Chinese-made).
        quality_weight: scalar.
        quality_scale: (S,) multiplier on the quality weight by segment.
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
    product_value: np.ndarray
    programming_bonus: np.ndarray
    price_weight: np.ndarray
    security_penalty: np.ndarray
    origin_penalty: np.ndarray
    chinese_made: np.ndarray
    quality_weight: float
    quality_scale: np.ndarray
    latency_weight: float
    social_weight: float
    switching_cost: np.ndarray
    lock_in_open: float
    lock_in_closed: float


def cell_utility(terms: UtilityTerms) -> np.ndarray:
    """(C, P) utility of each provider for each region x segment x work cell; -inf if not sold."""
    latency = terms.provider_latency[None, :] + terms.network_latency[:, terms.jurisdiction]
    distrust = terms.distrust[:, terms.jurisdiction]  # (R, P)
    price_part = -terms.price_weight[:, None] * np.log(terms.price)[None, :]  # (S, P)
    quality_part = (
        terms.quality_weight * terms.quality_scale[:, None] * np.log(terms.quality)[None, :]
    )  # (S, P)
    latency_part = terms.latency_weight * np.log(latency)  # (R, P)
    security_part = terms.security_penalty[None, :, None] * distrust[:, None, :]  # (R, S, P)
    china = JURISDICTIONS.index("CN")
    origin_part = (
        terms.origin_penalty[None, :, None]
        * terms.distrust[:, china, None, None]
        * terms.chinese_made[None, None, :]
    )  # (R, S, P)
    providers = len(terms.price)
    products = terms.product_value.reshape(len(terms.price_weight), -1, providers)  # (S, W, P)
    utility = (
        price_part[None, :, None, :]
        + products[None, :, :, :]
        + quality_part[None, :, None, :]
        - latency_part[:, None, None, :]
        - security_part[:, :, None, :]
        - origin_part[:, :, None, :]
    )  # (R, S, W, P), summed in the order of choose_reference
    utility = utility + np.stack([np.zeros(providers), terms.programming_bonus])[None, None]
    utility = np.where(terms.serves[:, None, None, :], utility, -np.inf)
    return utility.reshape(-1, providers)


def stay_bonus(
    terms: UtilityTerms, segment: np.ndarray, tenure: np.ndarray, current: np.ndarray
) -> np.ndarray:
    """(N,) utility bonus each developer gives its current provider: switching cost + lock-in."""
    per_year = np.where(terms.open_weights[current], terms.lock_in_open, terms.lock_in_closed)
    years = np.minimum(tenure.astype(np.float64), LOCK_IN_CAP_MONTHS) / 12.0
    return terms.switching_cost[segment] + per_year * years


def choose(
    terms: UtilityTerms,
    developers: DeveloperPopulation,
    rows: np.ndarray,
    uniform: np.ndarray,
    barred: np.ndarray | None = None,
) -> np.ndarray:
    """(n,) the provider each of the developers ``rows`` picks, by the fused kernel.

    Args:
        terms: this step's utility terms.
        developers: the population (current providers, tenure, cells, network).
        rows: (n,) ids of the choosing developers.
        uniform: (n,) their uniform draws in [0, 1).
        barred: optional (n, P) bool, providers each may not use.
    """
    current = developers.provider[rows]
    choosers = Choosers(
        rows=rows,
        cells=developers.work_cell[rows],
        current=current,
        stay_bonus=stay_bonus(terms, developers.segment[rows], developers.tenure[rows], current),
        uniform=uniform,
        barred=barred,
    )
    neighbours = Neighbours(
        adjacency=developers.adjacency,
        providers=developers.provider,
        social_weight=terms.social_weight,
    )
    return choose_fused(cell_utility(terms), choosers, neighbours)


def choose_reference(
    terms: UtilityTerms,
    developers: DeveloperPopulation,
    rows: np.ndarray,
    uniform: np.ndarray,
    barred: np.ndarray | None = None,
) -> np.ndarray:
    """The same rule as :func:`choose`, one developer and one provider at a time, for the tests.

    Written as a Mesa model's per-agent ``step`` would be: each developer looks at its
    neighbours, scores each provider from the raw terms, turns the scores into logit weights
    and picks by its uniform draw.
    """
    adjacency = developers.adjacency
    providers = len(terms.price)
    china = JURISDICTIONS.index("CN")
    picks = np.empty(len(rows), dtype=np.int64)
    for row, d in enumerate(rows):
        r, s, g = int(developers.region[d]), int(developers.segment[d]), int(developers.group[d])
        cur = int(developers.provider[d])
        social = [1.0] * providers  # exp(social_weight * share), neighbour by neighbour
        for k in range(adjacency.indptr[d], adjacency.indptr[d + 1]):
            social[int(developers.provider[adjacency.indices[k]])] *= math.exp(
                terms.social_weight * adjacency.data[k]
            )
        years = min(float(developers.tenure[d]), LOCK_IN_CAP_MONTHS) / 12.0
        lock = terms.lock_in_open if terms.open_weights[cur] else terms.lock_in_closed
        bonus = terms.switching_cost[s] + lock * years
        utility = []
        for j in range(providers):
            jur = terms.jurisdiction[j]
            latency = terms.provider_latency[j] + terms.network_latency[r, jur]
            u = (
                -terms.price_weight[s] * np.log(terms.price[j])
                + terms.quality_weight * terms.quality_scale[s] * np.log(terms.quality[j])
                - terms.latency_weight * np.log(latency)
                - terms.security_penalty[s] * terms.distrust[r, jur]
                - terms.origin_penalty[s] * terms.distrust[r, china] * terms.chinese_made[j]
                + terms.product_value[g, j]
                + (terms.programming_bonus[j] if developers.programming[d] else 0.0)
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


class ChoiceRule:
    """The choice rule of one run: its fixed terms, and a step's reconsidering and choosing.

    Args:
        scenario: the run's scenario (its providers, ``choice`` weights and segments).
        clock: the run's step length, which turns monthly reconsider rates into rates per step.
        origins: for each provider, the jurisdictions of the labs whose models it sells (a ban by
            origin bars it when all are banned).

    Attributes:
        jurisdiction: (P,) int index of each provider's jurisdiction.
        serves: (R, P) bool, whether a provider sells in a developer region.
        reconsider: (S,) chance that a developer of a segment reconsiders in one step.
        programming_bonus: (P,) utility programming work adds for each lab.
    """

    def __init__(
        self, scenario: Scenario, clock: StepClock, origins: Sequence[AbstractSet[str]]
    ) -> None:
        specs, params = scenario.providers, scenario.choice
        self.params = params
        self.clock = clock
        self.jurisdiction = np.array([JURISDICTIONS.index(p.jurisdiction) for p in specs])
        self.open_weights = np.array([p.open_weights for p in specs])
        self.serves = np.array([[region in p.markets for p in specs] for region in DEV_REGIONS])
        self.distrust = np.zeros((len(DEV_REGIONS), len(JURISDICTIONS)))
        self.distrust[
            [r for r in range(len(DEV_REGIONS)) if r != CHINA], JURISDICTIONS.index("CN")
        ] = 1
        self.network_latency = np.array(
            [[params.network_latency_s[r][j] for j in JURISDICTIONS] for r in DEV_REGIONS]
        )
        self.base_latency = np.array([p.latency_s for p in specs])
        self.price_weight = np.array([params.price_weight[s] for s in SEGMENTS])
        self.quality_scale = np.array([params.quality_scale[s] for s in SEGMENTS])
        self.security_penalty = np.array([params.security_penalty[s] for s in SEGMENTS])
        self.origin_penalty = np.array([params.origin_penalty[s] for s in SEGMENTS])
        self.chinese_made = np.array([p.jurisdiction == "CN" for p in specs])
        self.origins = [frozenset(made_in) for made_in in origins]
        self.switching_cost = np.array([params.switching_cost[s] for s in SEGMENTS])
        self.reconsider = clock.chance(np.array([params.reconsider_rate[s] for s in SEGMENTS]))
        self.programming_bonus = np.array(
            [params.programming_preference.get(p.name, 0.0) for p in specs]
        )
        self._programming_share = DatedPath(params.programming_share)

    def programming_share(self, month: int) -> float:
        """Share of developers whose work is programming in ``month`` (a month index).

        Linear between the scenario's dated shares, constant before the first and after the last.
        """
        return self._programming_share.at(month)

    def terms(
        self,
        price: np.ndarray,
        quality: np.ndarray,
        congestion: np.ndarray,
        product_value: np.ndarray,
    ) -> UtilityTerms:
        """This step's utility terms.

        Args:
            price: (P,) USD per million tokens, each lab's price level.
            quality: (P,) capability relative to the frontier.
            congestion: (P,) latency multiplier from the last clearing's queueing.
            product_value: (G, P) what each lab's products on sale add for each buyer group;
                -inf where a lab has none, which the terms treat as not selling.
        """
        params = self.params
        return UtilityTerms(
            price=price,
            quality=quality,
            provider_latency=self.base_latency * congestion,
            network_latency=self.network_latency,
            jurisdiction=self.jurisdiction,
            open_weights=self.open_weights,
            serves=self.serves & np.isfinite(product_value).all(axis=0)[None, :],
            distrust=self.distrust,
            product_value=np.where(np.isfinite(product_value), product_value, 0.0),
            programming_bonus=self.programming_bonus,
            price_weight=self.price_weight,
            security_penalty=self.security_penalty,
            origin_penalty=self.origin_penalty,
            chinese_made=self.chinese_made,
            quality_weight=params.quality_weight,
            quality_scale=self.quality_scale,
            latency_weight=params.latency_weight,
            social_weight=params.social_weight,
            switching_cost=self.switching_cost,
            lock_in_open=params.lock_in_open,
            lock_in_closed=params.lock_in_closed,
        )

    def barred_mask(
        self, constraints: Constraints, developers: DeveloperPopulation, rows: np.ndarray
    ) -> np.ndarray | None:
        """(n, P) providers the given developers may not use under API restrictions, or None.

        A restriction binding a share s of a cell binds the developers whose fixed
        ``restriction_draw`` is below s: the same developers in every run with this seed.
        """
        return self._barred(self._barred_shares(constraints), developers, rows)

    def _barred_shares(self, constraints: Constraints) -> np.ndarray | None:
        """(C, P) share of each region x segment cell's developers barred from each provider.

        None without restrictions.
        """
        if not constraints.barrings:
            return None
        jurisdictions = [JURISDICTIONS[j] for j in self.jurisdiction.tolist()]
        return np.array(
            [
                [
                    constraints.barred_share(region, segment, jurisdiction, origins)
                    for jurisdiction, origins in zip(jurisdictions, self.origins, strict=True)
                ]
                for region in DEV_REGIONS
                for segment in SEGMENTS
            ]
        )

    def _barred(
        self, shares: np.ndarray | None, developers: DeveloperPopulation, rows: np.ndarray
    ) -> np.ndarray | None:
        """:meth:`barred_mask` from the step's :meth:`_barred_shares`."""
        if shares is None:
            return None
        return developers.restriction_draw[rows, None] < shares[developers.cell[rows]]

    def step(
        self,
        developers: DeveloperPopulation,
        terms: UtilityTerms,
        constraints: Constraints,
        rng: np.random.Generator,
    ) -> None:
        """Some developers reconsider and pick by utility; everyone's tenure moves on.

        Developers whose provider no longer serves them (or has nothing on sale), or who are
        barred from it, reconsider
        whatever their draw. The step's draws (two uniform numbers per developer: whether to
        reconsider, and which provider) are taken for every developer whatever the policies,
        so runs that differ only in policy share them (common random numbers). Tenure is in
        months, and grows by the step's ``dt`` months.
        """
        dev = developers
        reconsider_draw = rng.random(dev.size)
        choice_draw = rng.random(dev.size)
        providers = terms.serves.shape[1]
        stuck = ~terms.serves.ravel()[dev.region * providers + dev.provider]  # flat: 3x faster
        shares = self._barred_shares(constraints)
        if shares is not None:
            stuck |= dev.restriction_draw < shares[dev.cell, dev.provider]
        rows = np.flatnonzero((reconsider_draw < self.reconsider[dev.segment]) | stuck)

        current = dev.provider[rows]
        picks = choose(terms, dev, rows, choice_draw[rows], self._barred(shares, dev, rows))
        switched = picks != current
        dev.tenure += self.clock.months_per_step
        dev.tenure[rows[switched]] = 0.0
        dev.provider[rows] = picks
