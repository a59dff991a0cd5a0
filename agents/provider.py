"""A provider of AI tokens: fleet, capacity, costs, prices, cash, learning.

Providers are few (tens), so each is a Mesa agent with its own state, and the model calls one
method per stage. Units: tokens per month for capacity and demand, USD for money, USD per
million tokens for prices, kWh for energy. Flows are kept as monthly rates whatever the step
length; a step adds ``dt`` months of them to cash and to cumulative tokens (see
:mod:`vocabulary.clock`).
"""

from dataclasses import dataclass, field
from typing import NamedTuple

import mesa
import numpy as np

from agents.chips import (
    HOURS_PER_MONTH,
    REMOTE,
    SECONDS_PER_MONTH,
    ChipCatalogue,
)
from scenario.roster import ProviderSpec
from scenario.sections import SupplyParams
from vocabulary.clock import StepClock
from vocabulary.regions import CHANNELS

OWNED_CHANNELS = REMOTE
"""Fleet columns: legal, domestic, smuggled. Remote compute is rented, not owned."""

FORECAST_MONTHS = 3
"""How far back a provider looks to measure the growth of its demand."""


class Delivery(NamedTuple):
    """Accelerators ordered earlier that start serving in ``month``.

    A named tuple: providers queue about a thousand a run, and a tuple is the cheapest to make.
    """

    month: int
    chip: int
    channel: int
    units: float


class FleetSums(NamedTuple):
    """What the owned accelerators add up to, whatever their efficiency.

    These change only when accelerators arrive, so :class:`ProviderAgent` keeps them until
    then (learning, which changes every step, leaves them as they are).

    Attributes:
        units: (C,) accelerators owned of each chip, over the owned channels.
        watts: rated power of the owned fleet, in watts.
        h100: the owned fleet in H100-equivalents by owned channel (legal, domestic, smuggled).
    """

    units: np.ndarray
    watts: float
    h100: tuple[float, float, float]


class FleetNumbers(NamedTuple):
    """What a provider's fleet gives, computed once per change to it rather than per question.

    Pricing, ordering, accounting and the metrics ask for the same capacities and power draws
    tens of times a step; they only change when accelerators arrive, rented units change or
    learning raises efficiency, so :class:`ProviderAgent` computes them then (with the same
    arithmetic as asking each time, so results are identical to the last bit).

    Attributes:
        supply: the supply parameters the numbers were computed for.
        per_unit: (C,) sustainable tokens per month from one accelerator of each chip.
        owned_capacity: tokens per month of the owned fleet.
        remote_chip: the index of the chip rented accelerators are.
        remote_per_unit: sustainable tokens per month from one rented accelerator.
        remote_capacity: tokens per month of the rented accelerators.
        owned_kwh: kWh a month the owned fleet draws at a power load of one (full draw).
        hall_cost: USD per month of halls and staff for the owned fleet, which scale with power.
    """

    supply: SupplyParams
    per_unit: np.ndarray
    owned_capacity: float
    remote_chip: int
    remote_per_unit: float
    remote_capacity: float
    owned_kwh: float
    hall_cost: float

    @property
    def capacity(self) -> float:
        """Tokens per month the provider can serve, owned and rented."""
        return self.owned_capacity + self.remote_capacity


@dataclass
class StepBooks:
    """What happened to a provider in one step, for accounting and the metrics.

    Demand, revenue, energy and costs are monthly rates (per month, whatever the step length);
    capex and seized units are what the step's orders spent and lost.
    """

    demand: float = 0.0
    served: float = 0.0
    served_apps: float = 0.0
    """Of ``served``, tokens of the lab's own consumer apps: no API revenue (China's apps)."""
    revenue: float = 0.0
    app_funding: float = 0.0
    """The share of the step's operating cost the apps' tokens caused, which the lab's parent
    pays (Doubao by ByteDance, Qwen by Alibaba, ...), not API customers."""
    energy_kwh: float = 0.0
    energy_cost: float = 0.0
    operating_cost: float = 0.0
    depreciation: float = 0.0
    capex: float = 0.0
    seized_units: float = 0.0
    ordered: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bought_units: np.ndarray = field(default_factory=lambda: np.zeros(OWNED_CHANNELS))
    """(3,) accelerators the step's orders paid for, by owned channel (seized ones included)."""
    bought_usd: np.ndarray = field(default_factory=lambda: np.zeros(OWNED_CHANNELS))
    """(3,) what they cost, USD, by owned channel (fees and premiums included)."""


class ProviderAgent(mesa.Agent):
    """One AI lab or API host.

    Attributes:
        spec: the roster entry (jurisdiction, open weights, energy price, ...).
        index: position among the model's providers; indexes every (P,) array.
        fleet: (C, 3) accelerators owned, by chip and channel (legal, domestic, smuggled).
        remote_units: accelerators rented abroad serving this month (what policies let it use
            of :attr:`rented`).
        rented: accelerators rented abroad under the contract running this month.
        pipeline: deliveries not yet serving.
        efficiency: tokens per accelerator relative to the reference model; grows by learning.
        price: USD per million tokens, the average over the provider's products as sold.
        markup: over average cost at planned utilisation.
        cash: USD available for investment.
        electricity_multiplier: the scenario's multiplier on the sourced electricity price
            (``supply.electricity_price_multiplier`` of the provider's jurisdiction).
    """

    def __init__(
        self,
        model: mesa.Model,
        spec: ProviderSpec,
        index: int,
        catalogue: ChipCatalogue,
        clock: StepClock,
        electricity_multiplier: float,
    ) -> None:
        super().__init__(model)
        self.spec = spec
        self.electricity_multiplier = electricity_multiplier
        self.index = index
        self.catalogue = catalogue
        self.clock = clock
        self.fleet = np.zeros((len(catalogue), OWNED_CHANNELS))
        self.fleet_value = 0.0
        self.redeployed = np.zeros((len(catalogue), OWNED_CHANNELS))
        """Accelerators moved to the lab's other uses (:meth:`redeploy_idle`), by chip and
        channel, that it can bring back."""
        self.redeployed_value = 0.0
        self.remote_units = 0.0
        self.rentals: list[tuple[int, float]] = []
        """Foreign rental contracts signed and not yet started, (first month, accelerators):
        each replaces the terms before it from its first month on."""
        self.rented = 0.0
        self.apps_share = 0.0
        """Share of the tokens it served last step that were its own apps' (China)."""
        self.pipeline: list[Delivery] = []
        self.efficiency = spec.efficiency
        self.price = spec.price_usd_per_m
        self.markup = 0.0
        self.cash = spec.backing_usd
        self.cumulative_tokens = 0.0
        self.learning_base = 1.0
        self.demand_history: list[float] = []
        self.api_demand: float | None = None
        """Tokens per month asked through its API last step (None before the first)."""
        self.share_history: list[float] = []
        self.books = StepBooks()
        self._sums: FleetSums | None = None
        self._numbers: FleetNumbers | None = None

    # ---- capacity -------------------------------------------------------------------------

    def tokens_per_unit(self, max_utilisation: float) -> np.ndarray:
        """(C,) sustainable tokens per month from one accelerator of each chip."""
        return self.catalogue.tokens_per_s * self.efficiency * max_utilisation * SECONDS_PER_MONTH

    def fleet_sums(self) -> FleetSums:
        """The owned fleet's units, power and H100-equivalents (recomputed after deliveries)."""
        sums = self._sums
        if sums is None:
            units = self.fleet.sum(axis=1)
            h100 = self.catalogue.h100_equivalents @ self.fleet
            sums = self._sums = FleetSums(
                units=units,
                watts=float(units @ self.catalogue.watts),
                h100=tuple(h100.tolist()),
            )
        return sums

    def fleet_numbers(self, supply: SupplyParams) -> FleetNumbers:
        """The fleet's capacities, power and costs now (recomputed only after they changed)."""
        numbers = self._numbers
        if numbers is None or numbers.supply is not supply:
            numbers = self._numbers = self._count_fleet(supply)
        return numbers

    def _count_fleet(self, supply: SupplyParams) -> FleetNumbers:
        """:class:`FleetNumbers` from the fleet's sums at today's efficiency and rented units."""
        sums = self.fleet_sums()
        per_unit = self.tokens_per_unit(supply.max_utilisation)
        owned_capacity = float(sums.units @ per_unit)
        remote_chip = self.catalogue.index(supply.remote_chip)
        remote_per_unit = float(per_unit[remote_chip])
        remote_capacity = self.remote_units * remote_per_unit
        owned_kw = sums.watts / 1000.0
        return FleetNumbers(
            supply=supply,
            per_unit=per_unit,
            owned_capacity=owned_capacity,
            remote_chip=remote_chip,
            remote_per_unit=remote_per_unit,
            remote_capacity=remote_capacity,
            owned_kwh=owned_kw * self.spec.pue * HOURS_PER_MONTH,
            hall_cost=owned_kw * supply.other_cost_per_kw_hour * HOURS_PER_MONTH,
        )

    def _fleet_changed(self) -> None:
        """Forget the fleet's sums and numbers: accelerators arrived (or rented units were set)."""
        self._sums = None
        self._numbers = None

    def _efficiency_changed(self) -> None:
        """Forget the fleet's numbers, not its sums: learning changed the tokens per accelerator."""
        self._numbers = None

    def capacity(self, supply: SupplyParams) -> float:
        """Tokens per month the provider can serve this step."""
        return self.fleet_numbers(supply).capacity

    def compute_h100(self, supply: SupplyParams) -> tuple[float, float, float, float]:
        """Accelerators serving, in H100-equivalents of inference throughput, by channel.

        Channels as in ``CHANNELS``: legal, domestic, smuggled (owned), remote (rented).
        """
        remote_chip = self.fleet_numbers(supply).remote_chip
        remote = self.remote_units * self.catalogue.h100_equivalents[remote_chip]
        return (*self.fleet_sums().h100, float(remote))

    def pipeline_capacity(self, numbers: FleetNumbers) -> float:
        """Tokens per month that ordered, undelivered accelerators will add."""
        per_unit = numbers.per_unit.tolist()  # floats: no numpy scalars
        return float(sum(d.units * per_unit[d.chip] for d in self.pipeline))

    def install_initial_fleet(
        self,
        monthly_demand: float,
        growth: float,
        start: int,
        supply: SupplyParams,
        lead_months: int,
        rental_lead_months: int,
        banned: np.ndarray,
    ) -> None:
        """Size the starting fleet to the starting demand, with orders already under way.

        The fleet serves ``monthly_demand`` at planned utilisation in the fleet mix of the
        roster, of which ``remote_share`` rented abroad; the months before the first new order
        (or rental) can arrive are covered by deliveries ordered (and rentals signed) before the
        start, growing at ``growth`` a month for at most ``supply.planning_horizon_months``. Orders
        for chips banned for the provider at the start (``banned``, (C,) by chip) are cancelled.
        """
        per_unit = self.tokens_per_unit(supply.max_utilisation)
        needed = monthly_demand / supply.target_utilisation
        mix = {self.catalogue.index(name): share for name, share in self.spec.fleet_mix.items()}
        total = sum(mix.values())
        own_share = 1.0 - self.spec.remote_share
        for chip, share in mix.items():
            channel = self.catalogue.starting_channel(chip, self.spec.jurisdiction, banned[chip])
            units = needed * own_share * share / total / per_unit[chip]
            self.fleet[chip, channel] += units
            self.fleet_value += units * self.catalogue.price_usd[chip]
            if banned[chip]:
                continue
            for ahead in range(1, min(lead_months, supply.planning_horizon_months) + 1):
                step_units = units * ((1 + growth) ** ahead - (1 + growth) ** (ahead - 1))
                self.pipeline.append(Delivery(start + ahead, chip, channel, step_units))
        chip = self.catalogue.index(supply.remote_chip)
        self.rented = self.remote_units = needed * self.spec.remote_share / per_unit[chip]
        for ahead in range(1, rental_lead_months + 1):
            self.rentals.append((start + ahead, self.rented * (1 + growth) ** ahead))
        self._fleet_changed()

    def receive_deliveries(self, month: int) -> None:
        """Accelerators whose lead time has passed join the fleet; rentals due start."""
        arrived = [d for d in self.pipeline if d.month <= month]
        self.pipeline = [d for d in self.pipeline if d.month > month]
        for delivery in arrived:
            self.fleet[delivery.chip, delivery.channel] += delivery.units
        if arrived:
            self._fleet_changed()
        started = [units for first, units in self.rentals if first <= month]
        if started:
            self.rented = started[-1]
            self.rentals = [(first, units) for first, units in self.rentals if first > month]

    # ---- costs and prices -----------------------------------------------------------------

    def electricity_price(self, multiplier: float) -> float:
        """USD per kWh this step: the sourced price, the scenario's multiplier, the policies'.

        ``multiplier``: what this month's policies (``energy_price``) multiply it by.
        """
        return self.spec.energy_usd_per_kwh * self.electricity_multiplier * multiplier

    def fixed_cost(self, numbers: FleetNumbers) -> float:
        """USD per month that do not depend on load: amortisation, halls and staff, rent."""
        supply = numbers.supply
        return (
            self.fleet_value / supply.amortisation_months
            + numbers.hall_cost
            + self.remote_units * supply.remote_rent_usd_per_hour * HOURS_PER_MONTH
        )

    def owned_energy_kwh(self, utilisation: float, numbers: FleetNumbers) -> float:
        """KWh the owned accelerators draw in a month, running at ``utilisation`` of capacity."""
        return numbers.owned_kwh * _power_load(utilisation, numbers.supply)

    def remote_energy_kwh(self, utilisation: float, numbers: FleetNumbers) -> float:
        """KWh the rented accelerators draw in a month, running at ``utilisation`` of capacity."""
        watts = self.remote_units * self.catalogue.watts[numbers.remote_chip]
        load = _power_load(utilisation, numbers.supply)
        return watts / 1000.0 * self.spec.pue * HOURS_PER_MONTH * load

    def marginal_cost(self, numbers: FleetNumbers, electricity: float) -> float:
        """USD per million tokens of the energy one more token costs on the owned fleet.

        ``electricity``: USD per kWh this step (:meth:`electricity_price`).
        """
        capacity = numbers.owned_capacity
        if capacity <= 0:
            return 0.0
        full_load_extra = self.owned_energy_kwh(1.0, numbers) - self.owned_energy_kwh(0.0, numbers)
        return full_load_extra * electricity / capacity * 1e6

    def average_cost(self, numbers: FleetNumbers, electricity: float) -> float:
        """USD per million tokens at planned utilisation: the base of cost-plus pricing.

        ``electricity``: USD per kWh this step (:meth:`electricity_price`).
        """
        capacity = numbers.capacity
        if capacity <= 0:
            return self.price
        planned = numbers.supply.target_utilisation
        total = self.fixed_cost(numbers) + self.owned_energy_kwh(planned, numbers) * electricity
        return total / (capacity * planned) * 1e6

    def set_initial_markup(self, supply: SupplyParams) -> None:
        """Read the markup off the sourced list price and the cost of the starting fleet."""
        cost = self.average_cost(self.fleet_numbers(supply), self.electricity_price(1.0))
        self.markup = _clamp(self.price / cost - 1.0, supply.markup_min, supply.markup_max)

    def set_price(self, supply: SupplyParams, energy_multiplier: float) -> float:
        """Move the average price per token; returns the factor it moved by.

        The provider prices all its products by this one factor (their launch prices are
        inputs; see :mod:`simulator.product_choice`). Cost-plus with utilisation and
        competitive pressure, never below marginal cost.

        The target is average cost x (1 + markup) x (last API demand / capacity / planned) ** e;
        the price closes a share of the gap to it each month. The load is the API's alone: the
        lab's own apps wait behind its API customers (:func:`simulator.clearing.clear`), so apps
        that want more than the fleet can give ration themselves and add no scarcity to the
        API's price, as they add no congestion to its latency. (Chinese labs cut their API
        prices through 2025 while their apps were short of compute: SOURCES 1.) The markup
        itself (a price over cost of 1 + markup) shrinks when the provider loses share and
        grows when it gains (see :meth:`settle`); it may be below zero, for labs that sell
        below cost. A step shorter than a month closes ``1 - (1 - price_adjustment) ** dt`` of
        the gap, so a month of steps closes ``price_adjustment`` of it.
        """
        numbers = self.fleet_numbers(supply)
        electricity = self.electricity_price(energy_multiplier)
        capacity = numbers.capacity
        demand = self.api_demand if self.api_demand is not None else capacity
        load = _clamp(
            demand / capacity / supply.target_utilisation if capacity > 0 else 2.0, 0.25, 2.0
        )
        target = (
            self.average_cost(numbers, electricity)
            * (1.0 + self.markup)
            * load**supply.utilisation_price_elasticity
        )
        adjustment = self.clock.chance(supply.price_adjustment)
        adjusted = self.price ** (1 - adjustment) * target**adjustment
        new = float(max(adjusted, self.marginal_cost(numbers, electricity)))
        factor, self.price = new / self.price, new
        return factor

    # ---- investment -------------------------------------------------------------------------

    def demand_growth(self, fallback_growth: float) -> float:
        """Monthly growth of demand, from its recent history, within [0, 0.6].

        The growth is measured over the last :data:`FORECAST_MONTHS` months of steps (3 monthly
        or 13 weekly steps), else over the last step, else it is ``fallback_growth``. The chip
        market reads it once a month for both of its forecasts.
        """
        history = self.demand_history
        dt = self.clock.months_per_step
        lag = round(FORECAST_MONTHS / dt)
        if len(history) > lag and history[-1 - lag] > 0:
            growth = (history[-1] / history[-1 - lag]) ** (1 / (lag * dt)) - 1
        elif len(history) >= 2 and history[-2] > 0:
            growth = (history[-1] / history[-2]) ** (1 / dt) - 1
        else:
            growth = fallback_growth
        return _clamp(growth, 0.0, 0.6)

    def demand_forecast(self, months_ahead: int, growth: float, supply: SupplyParams) -> float:
        """Tokens per month expected ``months_ahead`` from now at monthly ``growth``.

        ``growth`` as :meth:`demand_growth` measures it, compounded over at most
        ``supply.planning_horizon_months``: beyond it the lab plans for flat demand. No
        history, no demand.
        """
        history = self.demand_history
        if not history:
            return 0.0
        return history[-1] * (1.0 + growth) ** min(months_ahead, supply.planning_horizon_months)

    def capacity_gap(self, lead_months: int, supply: SupplyParams, growth: float) -> float:
        """Tokens per month of new owned capacity to order now, to arrive in ``lead_months``.

        ``growth``: the monthly growth of demand (:meth:`demand_growth`). The rented share of
        the need is what the last rental signed gives, at most ``remote_share`` of it: owned
        chips cover what the foreign capacity did not.
        """
        numbers = self.fleet_numbers(supply)
        owned_needed = self._owned_need(
            self.demand_forecast(lead_months, growth, supply), supply, numbers
        )
        return max(0.0, owned_needed - numbers.owned_capacity - self.pipeline_capacity(numbers))

    def _owned_need(self, tokens: float, supply: SupplyParams, numbers: FleetNumbers) -> float:
        """Owned capacity that ``tokens`` a month need at planned utilisation.

        The latest rental signed covers the rest, at most ``remote_share`` of the need.
        """
        needed = tokens / supply.target_utilisation
        return needed - min(
            self.spec.remote_share * needed, self.signed_rental() * numbers.remote_per_unit
        )

    def redeploy_idle(self, supply: SupplyParams) -> None:
        """Move owned accelerators to other uses when the fleet far exceeds today's need.

        The owned capacity needed is what today's demand needs at planned utilisation, less the
        rented share. If the owned fleet exceeds ``supply.redeploy_above`` times that, every
        chip of it is cut by the same share, down to the need; it waits in :attr:`redeployed`,
        with its book value, until the API needs it back (:meth:`recall_redeployed`). The need
        is today's, not the forecast's: a recall serves the next month, so a lab whose forecast
        wants the chips back has them then (the same month's order step recalls them), while a
        forecast extrapolating a surge (a free preview's three months of growth, clipped at
        60% a month) no longer keeps a fleet idle for months.
        """
        if not self.demand_history:
            return
        numbers = self.fleet_numbers(supply)
        needed = self._owned_need(self.demand_history[-1], supply, numbers)
        owned = numbers.owned_capacity
        if owned <= supply.redeploy_above * needed or owned <= 0:
            return
        keep = max(needed, 0.0) / owned
        self.redeployed += self.fleet * (1.0 - keep)
        self.redeployed_value += self.fleet_value * (1.0 - keep)
        self.fleet *= keep
        self.fleet_value *= keep
        self._fleet_changed()

    def recall_redeployed(self, gap: float, month: int, supply: SupplyParams) -> float:
        """Bring redeployed accelerators back to serve next month; returns the gap left.

        They cover up to ``gap`` tokens per month of capacity, every chip by the same share,
        without a new order: the lab moved them to its other uses, and moves them back.
        """
        numbers = self.fleet_numbers(supply)
        available = float(self.redeployed.sum(axis=1) @ numbers.per_unit)
        if gap <= 0 or available <= 0:
            return gap
        share = min(1.0, gap / available)
        for chip, channel in zip(*np.nonzero(self.redeployed), strict=True):
            units = float(self.redeployed[chip, channel]) * share
            self.pipeline.append(Delivery(month + 1, int(chip), int(channel), units))
        self.fleet_value += self.redeployed_value * share
        self.redeployed *= 1.0 - share
        self.redeployed_value *= 1.0 - share
        return gap - available * share

    def signed_rental(self) -> float:
        """Accelerators rented abroad under the latest contract signed, started or not."""
        return self.rentals[-1][1] if self.rentals else self.rented

    def rental_wanted(self, supply: SupplyParams, lead_months: int, growth: float) -> float:
        """Accelerators to rent abroad from ``lead_months`` on.

        The planned share of needs, or the shortfall of owned and ordered capacity then,
        whichever is more. Only providers that rent abroad at all (``remote_share`` > 0) want
        any; ``growth`` is the monthly growth of demand (:meth:`demand_growth`).
        """
        if self.spec.remote_share <= 0:
            return 0.0
        numbers = self.fleet_numbers(supply)
        needed = self.demand_forecast(lead_months, growth, supply) / supply.target_utilisation
        owned = numbers.owned_capacity + self.pipeline_capacity(numbers)
        wanted = max(self.spec.remote_share * needed, needed - owned)
        return wanted / numbers.remote_per_unit

    def sign_rental(self, units: float, first_month: int) -> None:
        """Rent ``units`` accelerators abroad from ``first_month`` on (replacing earlier terms)."""
        self.rentals = [(first, u) for first, u in self.rentals if first < first_month]
        self.rentals.append((first_month, units))

    def use_rental(self, keep: float, supply: SupplyParams) -> None:
        """Serve on the rented accelerators this month, of which policies let ``keep`` be used.

        Only the remote capacity changes with them.
        """
        numbers = self.fleet_numbers(supply)
        self.remote_units = self.rented * keep
        self._numbers = numbers._replace(
            remote_capacity=self.remote_units * numbers.remote_per_unit
        )

    def order(
        self, chip: int, channel: int, units: float, unit_price: float, seized: float, arrival: int
    ) -> None:
        """Pay for ``units`` now; all but the ``seized`` share arrive in month ``arrival``.

        The lab's parent pays its own apps' share (:attr:`apps_share`) of the cost.
        """
        cost = units * unit_price
        self.cash -= cost * (1.0 - self.apps_share)
        self.books.capex += cost
        self.books.bought_units[channel] += units
        self.books.bought_usd[channel] += cost
        delivered = units * (1.0 - seized)
        self.books.seized_units += units - delivered
        self.fleet_value += cost
        if delivered > 0:
            self.pipeline.append(Delivery(arrival, chip, channel, delivered))

    def open_books(self) -> None:
        """Start a new step's books: the chip market and :meth:`settle` fill them."""
        self.books = StepBooks()

    # ---- accounting and learning -------------------------------------------------------------

    def settle(
        self,
        demand: float,
        api_demand: float,
        served: float,
        served_apps: float,
        revenue: float,
        share: float,
        supply: SupplyParams,
        energy_multiplier: float,
    ) -> None:
        """Book revenue, energy and costs; learn; adjust the markup to the change in share.

        ``revenue`` (USD per month) is what developers paid for the served API tokens: each
        segment buys its own mix of the provider's products, so it is not ``served * price``
        exactly. ``served_apps`` of the ``served`` tokens are the lab's own consumer apps: they
        earn nothing, and the lab's parent pays their share of the operating cost (and of the
        chips, :meth:`order`), so they neither drain the cash that buys chips nor count in the
        API business's profit.

        Served tokens load owned and rented accelerators alike; the provider pays for the
        energy of its own fleet (rent covers the rest), and both count as energy used. The
        books keep monthly rates; cash and cumulative tokens gain a step's worth (``dt``
        months) of them. The markup follows the change in log share, which adds up over
        steps, so it needs no scaling.
        """
        dt = self.clock.months_per_step
        numbers = self.fleet_numbers(supply)
        capacity = numbers.capacity
        load = min(1.0, served / capacity) if capacity > 0 else 0.0
        owned_energy = self.owned_energy_kwh(load, numbers)
        books = self.books
        books.demand, books.served, books.served_apps = demand, served, served_apps
        self.api_demand = api_demand
        books.revenue = revenue
        books.energy_kwh = owned_energy + self.remote_energy_kwh(load, numbers)
        books.energy_cost = owned_energy * self.electricity_price(energy_multiplier)
        books.depreciation = self.fleet_value / supply.amortisation_months
        books.operating_cost = self.fixed_cost(numbers) - books.depreciation + books.energy_cost
        self.apps_share = served_apps / served if served > 0 else 0.0
        books.app_funding = books.operating_cost * self.apps_share
        self.cash += (books.revenue + books.app_funding - books.operating_cost) * dt
        self.demand_history.append(demand)

        if self.cumulative_tokens == 0.0:
            self.learning_base = max(served, 1.0) * supply.learning_history_months
        self.cumulative_tokens += served * dt
        self.efficiency = (
            self.spec.efficiency
            * ((self.learning_base + self.cumulative_tokens) / self.learning_base)
            ** supply.learning_exponent
        )
        self._efficiency_changed()

        if self.share_history and self.share_history[-1] > 0 and share > 0:
            change = np.log(share / self.share_history[-1])
            # the ratio of price to cost moves, so a markup below zero falls when share falls too
            self.markup = _clamp(
                (1.0 + self.markup) * np.exp(supply.markup_response * change) - 1.0,
                supply.markup_min,
                supply.markup_max,
            )
        self.share_history.append(share)

    @property
    def profit(self) -> float:
        """API revenue less the API tokens' share of operating cost and depreciation this step.

        The lab's parent pays its own apps' share, as it pays their share of the chips.
        """
        books = self.books
        api_cost = (books.operating_cost + books.depreciation) * (1.0 - self.apps_share)
        return books.revenue - api_cost


def _power_load(utilisation: float, supply: SupplyParams) -> float:
    """Power drawn at ``utilisation`` of capacity, as a share of full draw (idle power and more)."""
    return supply.idle_power_share + (1.0 - supply.idle_power_share) * utilisation


def _clamp(value: float, low: float, high: float) -> float:
    """``value`` within [low, high], as a Python float (NaN stays NaN).

    ``np.clip`` gives the same number, at a hundred times the cost for one scalar.
    """
    return float(min(max(value, low), high))


@dataclass(frozen=True)
class ProviderSnapshot:
    """The providers at the end of a step, as (P,) arrays in index order: what the metrics read.

    Money, tokens and energy are monthly rates, as in :class:`StepBooks`.

    Attributes:
        names: provider names.
        jurisdictions: jurisdiction codes (``"US"``, ``"CN"``, ...).
        price: USD per million tokens.
        markup: over average cost, after this step's change in share.
        latency_s: seconds to first token the next step starts with, congestion included.
        revenue: USD per month.
        energy_kwh: kWh per month, owned and rented accelerators.
        electricity_usd_per_kwh: the base electricity price (no policy multiplier).
        profit: USD per month, revenue less operating cost and depreciation.
        cash: USD.
        capex: USD the step's chip orders spent.
        seized_units: accelerators the step's orders lost to seizures.
        efficiency: tokens per accelerator relative to the reference model, after learning.
        capacity: tokens per month, at the efficiency after this step's learning.
        capability: AA Intelligence Index points.
        compute: (P, 4) accelerators in H100-equivalents by channel (see ``CHANNELS``).
        bought_units: (P, 3) accelerators the step's orders paid for, by owned channel.
        bought_usd: (P, 3) what they cost, USD, by owned channel.
        served_apps: (P,) tokens per month of the labs' own consumer apps in China.
    """

    names: tuple[str, ...]
    jurisdictions: tuple[str, ...]
    price: np.ndarray
    markup: np.ndarray
    latency_s: np.ndarray
    revenue: np.ndarray
    energy_kwh: np.ndarray
    electricity_usd_per_kwh: np.ndarray
    profit: np.ndarray
    cash: np.ndarray
    capex: np.ndarray
    seized_units: np.ndarray
    efficiency: np.ndarray
    capacity: np.ndarray
    capability: np.ndarray
    compute: np.ndarray
    bought_units: np.ndarray
    bought_usd: np.ndarray
    served_apps: np.ndarray

    @classmethod
    def of(
        cls,
        providers: list[ProviderAgent],
        supply: SupplyParams,
        congestion: np.ndarray,
        capability: np.ndarray,
    ) -> "ProviderSnapshot":
        """Read the providers' state and books.

        Args:
            providers: the agents, in index order.
            supply: the scenario's supply section (utilisation, remote chip).
            congestion: (P,) latency multiplier from the step's clearing.
            capability: (P,) capability of each provider.
        """
        columns = np.array(
            [
                (
                    p.price,
                    p.markup,
                    p.spec.latency_s,
                    p.books.revenue,
                    p.books.energy_kwh,
                    p.electricity_price(1.0),
                    p.profit,
                    p.cash,
                    p.books.capex,
                    p.books.seized_units,
                    p.efficiency,
                    p.capacity(supply),
                    *p.compute_h100(supply),
                )
                for p in providers
            ]
        ).T.reshape(12 + len(CHANNELS), len(providers))
        (
            price,
            markup,
            latency_s,
            revenue,
            energy_kwh,
            electricity,
            profit,
            cash,
            capex,
            seized_units,
            efficiency,
            capacity,
        ) = columns[:12]
        return cls(
            names=tuple(p.spec.name for p in providers),
            jurisdictions=tuple(p.spec.jurisdiction for p in providers),
            price=price,
            markup=markup,
            latency_s=latency_s * congestion,
            revenue=revenue,
            energy_kwh=energy_kwh,
            electricity_usd_per_kwh=electricity,
            profit=profit,
            cash=cash,
            capex=capex,
            seized_units=seized_units,
            efficiency=efficiency,
            capacity=capacity,
            capability=capability,
            compute=columns[12:].T,
            bought_units=np.array([p.books.bought_units for p in providers]),
            bought_usd=np.array([p.books.bought_usd for p in providers]),
            served_apps=np.array([p.books.served_apps for p in providers]),
        )
