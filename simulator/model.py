"""TokenMarket: the Mesa model of the global AI token market.

One step is one month, or one week (``Scenario.step_length``; :mod:`vocabulary.clock` says how
monthly rates become rates per step); :meth:`TokenMarket.step` reads as the stage list of DESIGN
section 2. Providers are Mesa agents; developers are a vectorised population. All randomness
comes from one seed: a ``SeedSequence`` whose children drive the network, the population and
each step's choices, so the same scenario and seed give a bit-identical history, and two
scenarios that differ only in policy draw the same shocks (common random numbers).
"""

from collections.abc import Mapping, Sequence
from typing import Any

import mesa
import networkx as nx
import numpy as np

from agents.chips import ChipCatalogue
from agents.developers import DeveloperPopulation
from agents.provider import ProviderAgent, StepBooks
from policies.engine import PolicyEngine, PolicyEvent
from simulator.capability import CapabilityTimeline
from simulator.chip_market import run_chip_market
from simulator.market import (
    Clearing,
    UtilityTerms,
    cell_utility,
    choose,
    clear,
    congestion_factor,
    stay_bonus,
    token_demand,
)
from simulator.metrics import StepRecord, record_step
from simulator.network import homophily_adjacency, row_normalised_adjacency
from simulator.overrides import build_policies, resolve_scenario
from simulator.scenario import Scenario
from vocabulary.calendar import year_of
from vocabulary.clock import StepClock
from vocabulary.errors import InputError
from vocabulary.regions import CHINA, DEV_REGIONS, JURISDICTIONS, SEGMENTS


class TokenMarket(mesa.Model):
    """The token market: providers compete for developers under policy constraints.

    Every argument has a default, so ``mesa.batch_run`` can drive the model by keyword.

    Args:
        scenario: the full configuration; the default scenario when omitted.
        policies: policy names to enable, as a list or a comma-separated string.
        settings: dotted-path overrides, e.g. ``{"smuggling.leakage": 0.3}``.
        developers: population size (overrides the scenario's).
        steps: number of steps (overrides the scenario's).
        start: first month, ``YYYY-MM`` (overrides the scenario's).
        step_length: ``"month"`` or ``"week"`` (overrides the scenario's).
        seed: the one seed of the run; a fresh one is drawn (and kept in ``self.seed``) if None.
        graph: a networkx graph on nodes ``0..developers-1`` to use as the developer network.

    Notes:
        After each step ``last_record`` holds that step's metrics, provider rows, segment rows
        and policy events, which the run store writes as the run goes, and
        ``developer_tokens`` the (N,) tokens each developer was served.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        policies: str | Sequence[str] = (),
        settings: Mapping[str, Any] | None = None,
        developers: int | None = None,
        steps: int | None = None,
        start: str | None = None,
        step_length: str | None = None,
        seed: int | None = None,
        graph: nx.Graph | None = None,
    ) -> None:
        if isinstance(policies, str):
            policies = [p.strip() for p in policies.split(",") if p.strip()]
        self.scenario = resolve_scenario(
            scenario,
            policies=policies,
            settings=settings,
            developers=developers,
            steps=steps,
            start=start,
            step_length=step_length,
        )
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**63)
        super().__init__(seed=seed)
        self.seed = seed
        network_seq, population_seq, choice_seq = np.random.SeedSequence(seed).spawn(3)
        self.choice_rng = np.random.default_rng(choice_seq)

        sc = self.scenario
        self.clock = StepClock.of(sc.start, sc.step_length)
        self.start_month = self.clock.start
        self.month = self.start_month
        self.horizon = sc.steps
        self.policy_engine = PolicyEngine(build_policies(sc), self.start_month)
        self.catalogue = ChipCatalogue.from_specs(sc.chips, sc.domestic_output)
        self.timeline = CapabilityTimeline.load()
        try:
            self.timeline.check_keys(sc.providers)
        except KeyError as error:
            raise InputError(error.args[0]) from None

        population_rng = np.random.default_rng(population_seq)
        region, segment = DeveloperPopulation.draw_attributes(
            sc.developers, sc.demand, population_rng
        )
        if graph is None:
            adjacency = homophily_adjacency(
                region, sc.network.degree, sc.network.rewire, np.random.default_rng(network_seq)
            )
        else:
            adjacency = row_normalised_adjacency(graph, sc.developers)
        self.developers = DeveloperPopulation.generate(
            region, segment, sc.demand, sc.providers, adjacency, population_rng
        )

        self.providers: list[ProviderAgent] = [
            ProviderAgent(self, spec, i, self.catalogue, self.clock)
            for i, spec in enumerate(sc.providers)
        ]
        self._static = self._static_terms()
        self._demand_index = np.ones(len(DEV_REGIONS))
        self.reference_price = self._reference_prices()
        self.capability = np.zeros(len(self.providers))
        self.capability, self.frontier = self.timeline.advance(
            sc.providers, self.capability, 0.0, self.start_month, sc.supply
        )
        self._install_initial_fleets()
        self.last_record: StepRecord | None = None
        self.developer_tokens = np.zeros(sc.developers)
        self.events: list[PolicyEvent] = []
        self.datacollector = mesa.DataCollector(
            model_reporters={
                key: (lambda m, key=key: m.last_record.market[key] if m.last_record else None)
                for key in (
                    "cn_share",
                    "cn_share_global",
                    "tokens_total",
                    "tokens_global",
                    "tokens_demanded",
                    "price_cn",
                    "price_us",
                    "compute_cn",
                )
            }
        )

    # ---- set-up --------------------------------------------------------------------------------

    def _static_terms(self) -> dict[str, np.ndarray]:
        """Per-provider and per-region facts that do not change during the run."""
        specs = self.scenario.providers
        choice = self.scenario.choice
        jurisdiction = np.array([JURISDICTIONS.index(p.jurisdiction) for p in specs])
        distrust = np.zeros((len(DEV_REGIONS), len(JURISDICTIONS)))
        distrust[[r for r in range(len(DEV_REGIONS)) if r != CHINA], JURISDICTIONS.index("CN")] = 1
        return {
            "jurisdiction": jurisdiction,
            "open_weights": np.array([p.open_weights for p in specs]),
            "serves": np.array([[region in p.markets for p in specs] for region in DEV_REGIONS]),
            "distrust": distrust,
            "network_latency": np.array(
                [[choice.network_latency_s[r][j] for j in JURISDICTIONS] for r in DEV_REGIONS]
            ),
            "base_latency": np.array([p.latency_s for p in specs]),
            "price_weight": np.array([choice.price_weight[s] for s in SEGMENTS]),
            "security_penalty": np.array([choice.security_penalty[s] for s in SEGMENTS]),
            "switching_cost": np.array([choice.switching_cost[s] for s in SEGMENTS]),
            "reconsider": self.clock.chance(
                np.array([choice.reconsider_rate[s] for s in SEGMENTS])
            ),
            "elasticity": np.array([self.scenario.demand.price_elasticity[s] for s in SEGMENTS]),
        }

    def _reference_prices(self) -> np.ndarray:
        """(R,) demand-weighted starting price in each developer region: demand's price anchor."""
        prices = np.array([p.price for p in self.providers])
        dev = self.developers
        weighted = np.bincount(
            dev.region, weights=dev.base_demand * prices[dev.provider], minlength=len(DEV_REGIONS)
        )
        total = np.bincount(dev.region, weights=dev.base_demand, minlength=len(DEV_REGIONS))
        return np.divide(weighted, total, out=np.ones_like(total), where=total > 0)

    def _install_initial_fleets(self) -> None:
        """Fleets sized to the starting demand, pre-ordered deliveries, and starting markups."""
        dev = self.developers
        demand = np.bincount(dev.provider, weights=dev.base_demand, minlength=len(self.providers))
        china_demand = np.bincount(
            dev.provider,
            weights=dev.base_demand * (dev.region == CHINA),
            minlength=len(self.providers),
        )
        constraints = self.policy_engine.constraints_at(self.start_month)
        supply = self.scenario.supply
        for provider in self.providers:
            jurisdiction = provider.spec.jurisdiction
            growth = self._underlying_growth(provider.index, china_demand, demand)
            provider.install_initial_fleet(
                demand[provider.index],
                growth,
                self.start_month,
                supply,
                supply.lead_time_months[jurisdiction],
                self.catalogue.banned_for(constraints, jurisdiction),
            )
            provider.set_initial_markup(supply)
        self._initial_growth = {
            p.index: self._underlying_growth(p.index, china_demand, demand) for p in self.providers
        }

    def _underlying_growth(
        self, provider: int, china_demand: np.ndarray, demand: np.ndarray
    ) -> float:
        """Monthly demand growth a provider expects before it has its own history."""
        year = year_of(self.start_month)
        china_share = china_demand[provider] / demand[provider] if demand[provider] > 0 else 0.0
        return china_share * _by_year(self.scenario.demand.growth_china, year) + (
            1 - china_share
        ) * _by_year(self.scenario.demand.growth_global, year)

    # ---- the step --------------------------------------------------------------------------

    def step(self) -> None:
        """Advance the market by one step: DESIGN section 2's stages in order.

        Policies, the chip market and capabilities act by the month: in a weekly run the
        policies' constraints hold for every week of their month (so their events are logged in
        its first week), the chip market runs in the month's first week, and capabilities move
        to the next month's level after its last week.
        """
        step = self.steps - 1
        for provider in self.providers:
            provider.books = StepBooks()
        constraints, events = self.policy_engine.advance(self.month)  # 1
        if self.clock.opens_month(step):  # 2
            run_chip_market(
                self.providers,
                self.catalogue,
                constraints,
                self.month,
                self.scenario.supply,
                self._initial_growth,
            )
        self._set_prices(constraints)  # 3
        choices, developer_demand = self._developers_choose(constraints)  # 4
        clearing = clear(developer_demand, choices, self._capacities())  # 5
        self.developer_tokens = clearing.developer_served
        self._account_and_learn(clearing, constraints)  # 6
        self.events.extend(events)  # 7
        self.last_record = record_step(self, clearing, developer_demand, events)
        self.datacollector.collect(self)
        self.month = self.clock.month(step + 1)
        if self.steps >= self.horizon:
            self.running = False

    def _capacities(self) -> np.ndarray:
        return np.array([p.capacity(self.scenario.supply) for p in self.providers])

    def _set_prices(self, constraints) -> None:
        for provider in self.providers:
            provider.set_price(
                self.scenario.supply, constraints.energy_multiplier[provider.spec.jurisdiction]
            )

    def utility_terms(self) -> UtilityTerms:
        """This step's ingredients of developer utility (also used by the reference tests)."""
        static, choice = self._static, self.scenario.choice
        congestion = np.array([p.congestion for p in self.providers])
        return UtilityTerms(
            price=np.array([p.price for p in self.providers]),
            quality=self.capability / self.frontier,
            provider_latency=static["base_latency"] * congestion,
            network_latency=static["network_latency"],
            jurisdiction=static["jurisdiction"],
            open_weights=static["open_weights"],
            serves=static["serves"],
            distrust=static["distrust"],
            price_weight=static["price_weight"],
            security_penalty=static["security_penalty"],
            open_factor=choice.open_weights_security_factor,
            quality_weight=choice.quality_weight,
            latency_weight=choice.latency_weight,
            social_weight=choice.social_weight,
            switching_cost=static["switching_cost"],
            lock_in_open=choice.lock_in_open,
            lock_in_closed=choice.lock_in_closed,
        )

    def _barred_shares(self, constraints) -> np.ndarray | None:
        """(C, J) share of each cell's developers barred from each jurisdiction, or None."""
        if not constraints.barrings:
            return None
        return np.array(
            [
                [
                    constraints.barred_share(region, segment, jurisdiction)
                    for jurisdiction in JURISDICTIONS
                ]
                for region in DEV_REGIONS
                for segment in SEGMENTS
            ]
        )

    def barred_mask(self, constraints, rows: np.ndarray) -> np.ndarray | None:
        """(n, P) providers the given developers may not use under API restrictions, or None.

        A restriction binding a share s of a cell binds the developers whose fixed
        ``restriction_draw`` is below s: the same developers in every run with this seed.
        """
        return self._barred(self._barred_shares(constraints), rows)

    def _barred(self, shares: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
        """:meth:`barred_mask` from the step's :meth:`_barred_shares`."""
        if shares is None:
            return None
        dev = self.developers
        threshold = shares[dev.cell[rows]][:, self._static["jurisdiction"]]
        return dev.restriction_draw[rows, None] < threshold

    def _developers_choose(self, constraints) -> tuple[np.ndarray, np.ndarray]:
        """Stage 4: some developers reconsider and pick by utility; demand follows price.

        The step's draws (two uniform numbers per developer: whether to reconsider, and which
        provider) are taken for every developer whatever the policies, so runs that differ only
        in policy share them (common random numbers). Reconsidering, tenure and demand growth
        are monthly rates, taken for the step's ``dt`` months.
        """
        dev, static = self.developers, self._static
        reconsider_draw = self.choice_rng.random(dev.size)
        choice_draw = self.choice_rng.random(dev.size)
        terms = self.utility_terms()
        stuck = ~static["serves"][dev.region, dev.provider]
        shares = self._barred_shares(constraints)
        if shares is not None:
            current_jurisdiction = static["jurisdiction"][dev.provider]
            stuck |= dev.restriction_draw < shares[dev.cell, current_jurisdiction]
        rows = np.flatnonzero((reconsider_draw < static["reconsider"][dev.segment]) | stuck)

        current = dev.provider[rows]
        bonus = stay_bonus(terms, dev.segment[rows], dev.tenure[rows], current)
        picks = choose(
            cell_utility(terms),
            rows,
            dev.cell[rows],
            current,
            bonus,
            dev.adjacency,
            dev.provider,
            terms.social_weight,
            choice_draw[rows],
            self._barred(shares, rows),
        )
        switched = picks != current
        dev.tenure += self.clock.months_per_step
        dev.tenure[rows[switched]] = 0.0
        dev.provider[rows] = picks

        year = year_of(self.month)
        if self.steps > 1:
            growth = np.array(
                [
                    _by_year(
                        self.scenario.demand.growth_china
                        if r == CHINA
                        else self.scenario.demand.growth_global,
                        year,
                    )
                    for r in range(len(DEV_REGIONS))
                ]
            )
            self._demand_index *= self.clock.growth(growth)
        demand = token_demand(
            dev.base_demand,
            self._demand_index[dev.region],
            terms.price[dev.provider],
            self.reference_price[dev.region],
            static["elasticity"][dev.segment],
        )
        return dev.provider, demand

    def _account_and_learn(self, clearing: Clearing, constraints) -> None:
        """Stage 6: books, learning, markups, congestion for the next step, capabilities.

        Capabilities move when the next step opens a month.
        """
        supply = self.scenario.supply
        capacity = self._capacities()
        total_served = clearing.served.sum()
        for provider in self.providers:
            i = provider.index
            provider.settle(
                clearing.demand[i],
                clearing.served[i],
                clearing.served[i] / total_served if total_served > 0 else 0.0,
                supply,
                constraints.energy_multiplier[provider.spec.jurisdiction],
            )
        congestion = congestion_factor(clearing.demand, capacity, supply.target_utilisation)
        for provider, factor in zip(self.providers, congestion, strict=True):
            provider.congestion = float(factor)
        step = self.steps - 1
        if self.clock.opens_month(step + 1):
            self.capability, self.frontier = self.timeline.advance(
                self.scenario.providers,
                self.capability,
                self.frontier,
                self.clock.month(step + 1),
                supply,
            )

    # ---- conveniences ------------------------------------------------------------------------

    @property
    def date(self) -> str:
        """When the next step starts: ``YYYY-MM``, or ``YYYY-MM-DD`` for weekly steps."""
        return self.clock.label(self.steps)

    def run(self, steps: int | None = None) -> None:
        """Step until the horizon (or ``steps`` more steps)."""
        for _ in range(steps if steps is not None else self.horizon - self.steps):
            if not self.running:
                break
            self.step()

    @property
    def provider_names(self) -> list[str]:
        """Provider names in index order."""
        return [p.spec.name for p in self.providers]


def _by_year(table: Mapping[int, float], year: int) -> float:
    """A by-year input for ``year``: the latest year at or before it, else the first."""
    known = sorted(table)
    earlier = [y for y in known if y <= year]
    return table[earlier[-1] if earlier else known[0]]
