"""TokenMarket: the Mesa model of the global AI token market.

One step is one month, or one week (``Scenario.step_length``; :mod:`vocabulary.clock` says how
monthly rates become rates per step); :meth:`TokenMarket.step` reads as the stage list of DESIGN
section 2, one call per stage, and each stage's rules live in a module of their own: policies in
:mod:`policies.engine`, the chip market in :mod:`simulator.chip_market`, providers in
:mod:`agents.provider`, the developer choice rule in :mod:`simulator.choice` (among labs) and
:mod:`simulator.product_choice` (among a lab's products), demand in
:mod:`simulator.demand`, clearing in :mod:`simulator.clearing`, metrics in
:mod:`simulator.metrics`. Providers are Mesa agents; developers are a vectorised population.

All randomness comes from one seed: a ``SeedSequence`` whose children drive the network, the
population and each step's choices, so the same scenario and seed give a bit-identical history,
and two scenarios that differ only in policy draw the same shocks (common random numbers).
"""

from collections.abc import Mapping, Sequence
from typing import Any

import mesa
import networkx as nx
import numpy as np

from agents.cache_pricing import CachePricing
from agents.chips import ChipCatalogue
from agents.developers import DeveloperPopulation
from agents.free_previews import FreePreviewCalendar, load_free_previews
from agents.products import ProductLineup, load_products, with_changes
from agents.provider import ProviderAgent, ProviderSnapshot
from policies.constraints import Constraints
from policies.engine import PolicyEngine, PolicyEvent
from policies.registry import build_policies
from scenario.overrides import resolve_scenario
from scenario.scenario import Scenario
from simulator.capability import CapabilityTimeline
from simulator.chip_market import run_chip_market
from simulator.choice import ChoiceRule, UtilityTerms
from simulator.clearing import Clearing, clear
from simulator.demand import TokenDemand, by_year
from simulator.metrics import StepRecord, record_step, table_rows
from simulator.network import homophily_adjacency, row_normalised_adjacency
from simulator.product_choice import ProductNest
from vocabulary.calendar import year_of
from vocabulary.clock import StepClock
from vocabulary.errors import InputError
from vocabulary.regions import CHINA, GROUPS


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

        ``rng`` (Mesa's) is the model's random source during a run: each step's developer draws
        come from it. It is seeded with a child of ``seed``'s ``SeedSequence``; the set-up draws
        (network, population) come from its sibling children, so that passing a ``graph``
        leaves the population and the step's draws as they were. Mesa's stdlib ``random`` is
        seeded with ``seed`` as well, but nothing in the model draws from it.
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
        self.reset_rng(choice_seq)

        sc = self.scenario
        self.clock = StepClock.of(sc.start, sc.step_length)
        self.start_month = self.clock.start
        self.month = self.start_month
        self.horizon = sc.steps
        self.policy_engine = PolicyEngine(build_policies(sc.policies), self.start_month)
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
            ProviderAgent(
                self,
                spec,
                i,
                self.catalogue,
                self.clock,
                sc.supply.electricity_price_multiplier[spec.jurisdiction],
            )
            for i, spec in enumerate(sc.providers)
        ]
        lineup = ProductLineup.build(
            sc.providers,
            with_changes(load_products(), sc.products),
            self.start_month,
            self.timeline.provider_score,
        )
        self.choice = ChoiceRule(sc, self.clock, lineup.origins(sc.providers))
        self.products = ProductNest(
            lineup,
            len(self.providers),
            sc.choice,
            FreePreviewCalendar(load_free_previews(), self.provider_names),
            CachePricing.of(sc.providers, sc.demand.cache_hit_share),
            lineup.hosted_cn(sc.providers),
        )
        self.capability = np.zeros(len(self.providers))
        self.frontier = 0.0
        self._advance_capability(self.start_month)
        self.products.open_month(self.start_month)
        self.product_served = self._tokens_by_group(self.developers.base_demand)[0]
        self._average_prices(self.product_served)
        self.demand = TokenDemand(
            sc.demand, self.clock, self.developers, self.products.group_paid()
        )
        self.congestion = np.ones(len(self.providers))
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

    def _install_initial_fleets(self) -> None:
        """Fleets sized to the starting demand, pre-ordered deliveries, and starting markups."""
        dev = self.developers
        demand = np.bincount(dev.provider, weights=dev.base_demand, minlength=len(self.providers))
        standby = np.array([p.spec.standby_fleet_share for p in self.providers]) * demand.sum()
        demand = np.maximum(demand, standby)
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
                supply.rental_lead_months,
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
        return china_share * by_year(self.scenario.demand.growth_china, year) + (
            1 - china_share
        ) * by_year(self.scenario.demand.growth_global, year)

    # ---- the step --------------------------------------------------------------------------

    def step(self) -> None:
        """Advance the market by one step: DESIGN section 2's stages in order.

        Policies, the chip market and capabilities act by the month: in a weekly run the
        policies' constraints hold for every week of their month (so their events are logged in
        its first week), the chip market runs and products launch and retire in the month's
        first week, and capabilities move to the next month's level after its last week.
        """
        step = self.steps - 1
        if self.clock.opens_month(step):
            self.products.open_month(self.month)
            self._average_prices(self.product_served)
            self.developers.assign_work(self.choice.programming_share(self.month))
        self._open_books()
        constraints, events = self._apply_policies()  # 1. policies
        self._trade_chips(constraints, step)  # 2. chip market
        capacity = self._providers_offer(constraints)  # 3. providers
        developer_demand = self._developers_choose(constraints, step)  # 4. developers
        clearing = self._clear(developer_demand, capacity)  # 5. clearing
        self._account_and_learn(clearing, constraints, step)  # 6. accounting
        self._record(step, clearing, developer_demand, events)  # 7. metrics
        self.month = self.clock.month(step + 1)
        if self.steps >= self.horizon:
            self.running = False

    def _open_books(self) -> None:
        """Each provider starts the step's books, which the chip market and accounting fill."""
        for provider in self.providers:
            provider.open_books()

    def _apply_policies(self) -> tuple[Constraints, list[PolicyEvent]]:
        """Stage 1: the step's constraints; every policy change is logged as an event."""
        constraints, events = self.policy_engine.advance(self.month)
        self.events.extend(events)
        return constraints, events

    def _trade_chips(self, constraints: Constraints, step: int) -> None:
        """Stage 2: deliveries arrive and providers order accelerators, in a month's first step."""
        if self.clock.opens_month(step):
            run_chip_market(
                self.providers,
                self.catalogue,
                constraints,
                self.month,
                self.scenario.supply,
                self._initial_growth,
            )

    def _providers_offer(self, constraints: Constraints) -> np.ndarray:
        """Stage 3: providers set their prices; (P,) the tokens per month each can serve."""
        supply = self.scenario.supply
        factor = np.array(
            [
                provider.set_price(
                    supply, constraints.energy_multiplier[provider.spec.jurisdiction]
                )
                for provider in self.providers
            ]
        )
        self.products.reprice(factor)
        return np.array([p.capacity(supply) for p in self.providers])

    def _developers_choose(self, constraints: Constraints, step: int) -> np.ndarray:
        """Stage 4: developers choose providers; (N,) the tokens each then asks for.

        Demand grows by the step's share of the month's growth from the second step on.
        """
        terms = self.utility_terms()
        self.choice.step(self.developers, terms, constraints, self.rng)
        if step > 0:
            self.demand.grow(self.month)
        self.group_price = self.products.group_paid()
        return self.demand.tokens(self.developers, self.group_price)

    def _clear(self, developer_demand: np.ndarray, capacity: np.ndarray) -> Clearing:
        """Stage 5: demand is rationed to capacity; the load sets next step's congestion."""
        in_china = self.developers.region == CHINA
        clearing = clear(
            developer_demand,
            self.developers.provider,
            capacity,
            self.scenario.supply.target_utilisation,
            np.where(in_china, self.demand.api_share_china(self.month), 1.0),
        )
        self.developer_tokens = clearing.developer_served
        self.congestion = clearing.congestion
        return clearing

    def _account_and_learn(self, clearing: Clearing, constraints: Constraints, step: int) -> None:
        """Stage 6: books, learning and markups; capabilities when the next step opens a month."""
        supply = self.scenario.supply
        total_served = clearing.served.sum()
        served, self.served_global = self._tokens_by_group(clearing.developer_served)
        self.api_served = self._tokens_by_group(clearing.developer_api_served)[0]
        paid = np.where(np.isnan(self.group_price), 0.0, self.group_price)  # NaN: nothing on sale
        revenue = (self.api_served * paid).sum(axis=0) / 1e6
        for provider in self.providers:
            i = provider.index
            provider.settle(
                clearing.demand[i],
                clearing.api_demand[i],
                clearing.served[i],
                clearing.apps_served[i],
                revenue[i],
                clearing.served[i] / total_served if total_served > 0 else 0.0,
                supply,
                constraints.energy_multiplier[provider.spec.jurisdiction],
            )
        self.product_served = served
        self._average_prices(served)
        if self.clock.opens_month(step + 1):
            self._advance_capability(self.clock.month(step + 1))

    def _advance_capability(self, month: int) -> None:
        """Capabilities and the frontier for ``month``.

        While the catalogue lasts, a lab's capability is its best product on sale that month
        (monthly, where the timeline has quarter ends); labs with none on sale, and every lab
        after the timeline ends, follow :meth:`CapabilityTimeline.advance`.
        """
        capability, frontier = self.timeline.advance(
            self.scenario.providers, self.capability, self.frontier, month, self.scenario.supply
        )
        if month <= self.timeline.last_month:
            products = self.products.lineup.best_score(month, len(self.providers))
            capability = np.where(np.isnan(products), capability, products)
            frontier = float(capability.max())
        self.capability, self.frontier = capability, frontier

    def _record(
        self, step: int, clearing: Clearing, developer_demand: np.ndarray, events: list[PolicyEvent]
    ) -> None:
        """Stage 7: the step's metrics, for the run store and Mesa's data collector."""
        providers = ProviderSnapshot.of(
            self.providers, self.scenario.supply, self.congestion, self.capability
        )
        self.last_record = record_step(
            step=step,
            month=self.month,
            date=self.clock.label(step),
            providers=providers,
            frontier=self.frontier,
            developers=self.developers,
            clearing=clearing,
            developer_demand=developer_demand,
            events=events,
            group_price=self.group_price,
            products=self._product_rows(),
            hosted_cn=(
                self.products.share_of(self.products.hosted_cn)
                if self.products.hosted_cn.any()
                else None
            ),
        )
        self.datacollector.collect(self)

    def _product_rows(self) -> list[dict[str, Any]]:
        """One row per product sold this step (tokens and spend per month, price per M)."""
        nest, lineup = self.products, self.products.lineup
        price = nest.price  # the list price they sold at: prices move in the next step's stage 3
        tokens = nest.product_tokens(self.product_served)
        tokens_global = nest.product_tokens(self.served_global)
        sold = np.flatnonzero(nest.on_sale)
        return table_rows(
            {
                "product": [lineup.names[k] for k in sold.tolist()],
                "author": [self.providers[lab].spec.name for lab in lineup.author[sold].tolist()],
                "provider": [self.providers[lab].spec.name for lab in lineup.lab[sold].tolist()],
                "tokens": tokens[sold],
                "tokens_global": tokens_global[sold],
                "spend_usd": nest.product_spend(self.api_served)[sold],
                "price": price[sold],
            }
        )

    # ---- conveniences ------------------------------------------------------------------------

    def _tokens_by_group(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(G, P) of developers' ``tokens`` by buyer group and provider: everyone, outside China."""
        dev, labs = self.developers, len(self.providers)
        key = ((dev.region == CHINA) * GROUPS + dev.group) * labs + dev.provider
        bins = np.bincount(key, weights=tokens, minlength=2 * GROUPS * labs)
        by_market = bins.reshape(2, GROUPS, labs)
        return by_market.sum(axis=0), by_market[0]

    def _average_prices(self, tokens: np.ndarray) -> None:
        """Each provider's average price becomes its products' mean at the (G, P) token mix.

        Providers with nothing on sale keep theirs.
        """
        average = self.products.average_price(tokens)
        for provider, price, on_sale in zip(
            self.providers, average.tolist(), np.isfinite(average).tolist(), strict=True
        ):
            if on_sale:
                provider.price = price

    def utility_terms(self) -> UtilityTerms:
        """The ingredients of developer utility at the products' current prices and load.

        A lab's price is its best product's; what its other products add is the inclusive value.
        """
        on_sale = self.products.lab_on_sale
        own = np.array([p.price for p in self.providers])
        return self.choice.terms(
            np.where(on_sale, self.products.lab_price(), own),
            self.capability / self.frontier,
            self.congestion,
            self.products.value,
        )

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
