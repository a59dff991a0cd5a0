"""Everything a run needs, as validated, printable configuration.

A :class:`Scenario` holds the start month, the horizon and its step length, the population
size, every behavioural parameter, the provider roster, the chip catalogue and the policies with
their schedules. It is validated once, on construction (pydantic), with errors that name the
field and the allowed values; the model itself never re-checks its inputs.

Each default carries its source in its description, or says "guess". "SOURCES n" is section n
of ``docs/sources.md``, "INPUTS n" of ``docs/inputs.md``.
"""

import math
import tomllib
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from vocabulary.calendar import parse_month
from vocabulary.clock import STEP_LENGTHS
from vocabulary.errors import excerpt
from vocabulary.regions import (
    CONTROL_TIERS,
    DEV_REGIONS,
    JURISDICTIONS,
    SEGMENTS,
    DevRegion,
    Jurisdiction,
)
from vocabulary.text import NAME_LENGTH, TEXT_LENGTH, text_problem

MAX_NUMBER = 1e15
"""The largest magnitude of any number in a scenario: 25 times the default monthly demand.

Larger inputs (or ``inf``, ``nan``) only overflow the model's arithmetic, so they are refused.
"""
LABEL_LENGTH = 100
"""The longest provider name or policy label: what the history tables keep of them."""


def _check_month(text: str) -> str:
    parse_month(text)
    return text


Month = Annotated[str, AfterValidator(_check_month)]


def _text(max_length: int, lines: bool = False) -> AfterValidator:
    """A validator that a string is printable text of at most ``max_length`` characters."""

    def check(value: str) -> str:
        problem = text_problem(value, max_length, lines)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


Name = Annotated[str, Field(min_length=1), _text(NAME_LENGTH)]
Label = Annotated[str, Field(min_length=1), _text(LABEL_LENGTH)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


def _keys_exactly(allowed: tuple[str, ...]):
    """A validator that a mapping has exactly the given keys (regions, segments, ...)."""

    def check(mapping: dict[str, Any]) -> dict[str, Any]:
        if set(mapping) != set(allowed):
            raise ValueError(f"keys must be exactly {', '.join(allowed)}; got {', '.join(mapping)}")
        return {key: mapping[key] for key in allowed}

    return AfterValidator(check)


BySegment = Annotated[dict[str, float], _keys_exactly(SEGMENTS)]
BySegmentShare = Annotated[dict[str, Share], _keys_exactly(SEGMENTS)]
ByYear = dict[int, Annotated[float, Field(ge=-0.5, le=2.0)]]


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )


CALIBRATED = (
    "calibrated by `sim calibrate` (seeds 1-5, targets v2; the chain of calibrations in "
    "docs/model.md, Calibration) within "
)
"""How a description says that a default came out of the calibration, and within which range."""


class DemandParams(_Section):
    """How much token demand there is, who has it, how fast it grows and how it answers price."""

    tokens_per_month_global: float = Field(
        40e12,
        gt=0,
        description="tokens/month of API demand outside China, Jan 2024; guess "
        "(OpenAI API 8.6T/day in Oct 2025, a16z, scaled back by the growth rates below)",
    )
    tokens_per_month_china: float = Field(
        3.0e12,
        gt=0,
        description="tokens/month in China, Jan 2024: ~100B/day "
        "(National Data Administration, SOURCES 9, H)",
    )
    region_spend_share: dict[str, Share] = Field(
        {"US": 0.47, "EU": 0.20, "ROW": 0.33},
        description="split of the global demand by "
        "developer region: OpenRouter tokens by continent (INPUTS 4, M); ROW is the rest",
    )
    segment_spend_share_global: BySegmentShare = Field(
        {"indie": 0.09925, "startup": 0.06353, "enterprise": 0.82, "government": 0.03},
        description="split of demand outside China by segment. Indies and startups (the routed "
        "population) 15%: in spring 2026 OpenRouter served ~4T tokens/day against ~21.6T/day "
        "through OpenAI's API and ~23T/day through Google's (SOURCES 9, M), so routing carried "
        "5-10% of non-Chinese API tokens, and startups calling labs directly widen that to "
        "5-25% (docs/targets.md, high end guess); government 3% (INPUTS suggestion 7, guess); "
        "the indie and startup shares " + CALIBRATED + "0.02-0.10 and 0.03-0.15 "
        "(simulator/data/tuning.toml), i.e. routed ~13% of non-Chinese tokens",
    )
    segment_spend_share_china: BySegmentShare = Field(
        {"indie": 0.10, "startup": 0.15, "enterprise": 0.55, "government": 0.20},
        description="split in China, tilted to government and SOEs (ChinAI #275, qualitative; "
        "numbers guess)",
    )
    growth_global: ByYear = Field(
        {2024: 0.15, 2025: 0.12, 2026: 0.09, 2027: 0.06},
        description="underlying monthly "
        "growth of demand outside China by year (Google, OpenRouter series, SOURCES 9, M; "
        "API-only rates below the all-surface ones: guess); later years repeat the last",
    )
    growth_china: ByYear = Field(
        {2024: 0.21, 2025: 0.47, 2026: 0.12, 2027: 0.06},
        description="underlying monthly "
        "growth in China: 100B/day early 2024 -> 1T early 2025 -> 100T end 2025 -> 140T Mar 2026 "
        "(NDA, SOURCES 9, H, derived); 2027 guess",
    )
    price_elasticity: Annotated[
        dict[str, Annotated[float, Field(le=0.0)]], _keys_exactly(SEGMENTS)
    ] = Field(
        {"indie": -0.07, "startup": -0.06, "enterprise": -0.05, "government": -0.05},
        description="constant elasticity of a developer's demand to its price: a 10% price cut "
        "raises usage 0.5-0.7% on OpenRouter, i.e. -0.05 to -0.07 (a16z/OpenRouter Dec 2025, "
        "SOURCES 9, M); indies at the elastic end, enterprise and government at the other "
        "(guess)",
    )
    demand_dispersion: float = Field(
        1.0,
        ge=0.0,
        le=3.0,
        description="sigma of the lognormal spread of demand between "
        "developers of one region and segment; guess",
    )
    developer_region_share: Annotated[dict[str, Share], _keys_exactly(DEV_REGIONS)] = Field(
        {"US": 0.18, "EU": 0.14, "CN": 0.15, "ROW": 0.53},
        description="share of developers "
        "by region: GitHub 2024Q1 (INPUTS 4, H), China raised to 0.15 for domestic platforms "
        "(INPUTS suggestion 5, guess)",
    )
    developer_segment_share: BySegmentShare = Field(
        {"indie": 0.60, "startup": 0.25, "enterprise": 0.13, "government": 0.02},
        description="share of developers by segment; guess",
    )

    @model_validator(mode="after")
    def _regions_cover_global(self) -> "DemandParams":
        if set(self.region_spend_share) != {r for r in DEV_REGIONS if r != "CN"}:
            raise ValueError("region_spend_share must have keys US, EU, ROW")
        return self


class ChoiceParams(_Section):
    """The developer's multinomial-logit utility and how often it is reconsidered."""

    price_weight: BySegment = Field(
        {"indie": 1.109, "startup": 1.561, "enterprise": 1.071, "government": 0.4},
        description="weight on -log(price); within-model elasticity across providers -1.1 "
        "(NBER, SOURCES 9, M) sets the scale; indie, startup and enterprise "
        + CALIBRATED
        + "0.8-2.0, 0.6-1.6 and 0.3-1.1; government guess",
    )
    quality_weight: float = Field(
        10.33,
        ge=0,
        description="weight on log(capability / frontier capability): like price, "
        "quality counts in ratios. " + CALIBRATED + "the guess range 4-12",
    )
    quality_scale: BySegmentShare = Field(
        {"indie": 1.0, "startup": 1.0, "enterprise": 0.2639, "government": 1.0},
        description="multiplier on the quality weight by segment: enterprises spread their "
        "spend over labs whose AA scores differ widely (Menlo: Anthropic 40%, OpenAI 27%, "
        "Google 21% in Dec 2025; 81% of enterprises use three or more model families, SOURCES "
        "10, M), so their workloads may value the index less; indie, startup and government "
        "guess; enterprise " + CALIBRATED + "the guess range 0.1-1.0",
    )
    latency_weight: float = Field(
        0.3296,
        ge=0,
        description="weight on -log(latency in s); no survey ranks latency against price "
        "(SOURCES 10): " + CALIBRATED + "the guess range 0.2-1.0",
    )
    security_penalty: BySegment = Field(
        {"indie": 0.7174, "startup": 0.4068, "enterprise": 3.853, "government": 6.0},
        description="utility penalty for a provider of a distrusted jurisdiction (CN for "
        "developers outside China): ~70% of Armis customers asked to block DeepSeek, government "
        "bans (SOURCES 10, M); indie, startup and enterprise " + CALIBRATED + "the guess "
        "ranges 0-1, 0.3-1.5 and 1-4; government guess",
    )
    product_nest_scale: float = Field(
        0.456,
        gt=0,
        le=1,
        description="nested-logit scale of the choice among one lab's products (1: products "
        "of a lab are as different as products of two labs; towards 0: a lab's products are "
        "near substitutes, so a lab gains little from adding products); no source measures it "
        "for AI APIs: " + CALIBRATED + "the guess range 0.3-1.0",
    )
    product_quality_scale: float = Field(
        0.3701,
        gt=0,
        le=1,
        description="multiplier on the quality weight in the choice among one lab's products, "
        "for general work (1: the AA index counts within a lab as between labs; lower: a lab's "
        "tiers split more by price and speed, as when developers send each task to the "
        "cheapest product that does it). No source measures it (docs/model.md 4b): "
        + CALIBRATED
        + "the guess range 0.1-1.0",
    )
    programming_product_quality_scale: float = Field(
        1.0,
        gt=0,
        le=1,
        description="the same multiplier for developers whose work is programming: 1, in a "
        "guess range of 0.5-1 (coding tools default to a lab's frontier model, and a weaker "
        "model's mistakes cost the programmer's time, so the index's gaps count within a lab "
        "as between labs; docs/model.md 4b)",
    )
    free_share: Annotated[
        dict[str, Annotated[float, Field(ge=0, le=0.95)]], _keys_exactly(SEGMENTS)
    ] = Field(
        {"indie": 0.8189, "startup": 0.8645, "enterprise": 0.0, "government": 0.0},
        description="share of a developer's tokens at a lab that the lab's free variant serves "
        "in the months it has one (simulator/data/free_previews.csv; rate limits cap the rest): "
        "in the weekly top-10 data free variants carried 9-100% of a lab's tokens in those months "
        "(DeepSeek 44-100%, Google 13-34%, xAI 9-20%, Xiaomi 100%; SOURCES 2, M); indie and "
        "startup " + CALIBRATED + "the guess range 0.2-0.9; enterprises and governments 0 "
        "(guess: free variants are rate-limited and may train on prompts)",
    )
    programming_share: Annotated[dict[Month, Share], Field(min_length=1)] = Field(
        {"2025-01": 0.11, "2025-11": 0.5},
        description="share of developers whose work is programming, by month (linear between "
        "the months given, constant before the first and after the last): programming grew "
        "from 11% to over 50% of OpenRouter's tokens during 2025 (a16z/OpenRouter, SOURCES 10, "
        "H); the same path for enterprises and governments is a guess",
    )
    programming_preference: dict[Name, Annotated[float, Field(ge=0, le=10)]] = Field(
        {"Anthropic": 1.798},
        description="utility bonus a developer whose work is programming gives a lab, by lab "
        "(labs not named: 0). Claude took over 60% of OpenRouter's programming tokens in 2025 "
        "(a16z/OpenRouter, SOURCES 10, H), yet no capability score the model uses puts Anthropic "
        "ahead in coding (AA's coding index ranks GPT-5.4 and Gemini 3.1 Pro above Claude "
        "Sonnet 4.6, docs/inputs.md 7), so the lead is a preference (coding tools and their "
        "defaults): " + CALIBRATED + "the guess range 0-3",
    )
    open_weights_security_factor: Share = Field(
        0.4,
        description="penalty multiplier when the distrusted provider's weights are open "
        "(self-hostable): ban odds 0.2-0.3 vs 0.5-0.7 (SOURCES suggested defaults, guess)",
    )
    switching_cost: BySegment = Field(
        {"indie": 0.5, "startup": 1.0, "enterprise": 2.0, "government": 2.5},
        description="utility bonus for staying with the current provider; guess",
    )
    lock_in_open: float = Field(
        0.6,
        ge=0,
        description="extra stay bonus per year of use of an open-weight ecosystem "
        "('token debt'), up to two years; guess",
    )
    lock_in_closed: float = Field(
        0.3, ge=0, description="extra stay bonus per year of use of a closed API; guess"
    )
    social_weight: float = Field(
        0.6632,
        ge=0,
        description="weight on the share of network neighbours using a provider: apps "
        "multihome (SOURCES 10, M), so peers matter less than price; "
        + CALIBRATED
        + "the guess range 0.3-1.5",
    )
    reconsider_rate: BySegmentShare = Field(
        {"indie": 0.6602, "startup": 0.2809, "enterprise": 0.06, "government": 0.03},
        description="share of developers reconsidering their provider each month: adoption of "
        "a new model plateaus within weeks (arXiv 2504.15440, SOURCES 10, M), so indie and "
        "startup " + CALIBRATED + "the guess ranges 0.2-0.8 and 0.1-0.6; ~11% of enterprise "
        "teams switched vendor in a year (Menlo, SOURCES 10, M); government guess",
    )
    network_latency_s: Annotated[dict[str, dict[str, float]], _keys_exactly(DEV_REGIONS)] = Field(
        {
            "US": {"US": 0.0, "EU": 0.08, "CN": 0.15},
            "EU": {"US": 0.06, "EU": 0.0, "CN": 0.06},
            "CN": {"US": 0.5, "EU": 0.5, "CN": 0.0},
            "ROW": {"US": 0.3, "EU": 0.3, "CN": 0.0},
        },
        description="seconds added to time-to-first-token by developer region (outer) and "
        "host jurisdiction (inner): +0.1-0.17 s US->China, +0.05 s EU->China, -0.3 s for Asia "
        "(apibenchmarks, INPUTS 5, L); China's cross-border links (SIGMETRICS 2020, H, old)",
    )


class SupplyParams(_Section):
    """Costs, lead times, pricing, investment and learning on the providers' side."""

    max_utilisation: Share = Field(
        0.82,
        description="sustainable share of peak throughput: DeepSeek's average 226.75 of "
        "peak 278 nodes (Day-6, SOURCES 5, H, derived)",
    )
    target_utilisation: Share = Field(
        0.7, description="utilisation providers plan capacity for; guess"
    )
    other_cost_per_kw_hour: float = Field(
        0.62,
        ge=0,
        description="USD per hour per kW of accelerator power besides amortisation "
        "and energy (hall, cooling, network, staff scale with power): $2/GPU-h all-in for a "
        "1.45 kW H800 (DeepSeek, SOURCES 5, H) minus ~$0.85 amortisation and ~$0.15 energy, "
        "per kW (derived; scaling with power is a guess)",
    )
    amortisation_months: int = Field(48, ge=6, description="accelerator book life; guess")
    lead_time_months: Annotated[dict[str, int], _keys_exactly(JURISDICTIONS)] = Field(
        {"US": 6, "EU": 6, "CN": 4},
        description="months from order to serving, in existing "
        "halls; new builds take 24-36 months and grid hook-ups up to 60 (SOURCES 8, M/L); guess",
    )
    smuggling_extra_months: int = Field(
        2, ge=0, description="extra months for smuggled chips; guess"
    )
    remote_rent_usd_per_hour: float = Field(
        2.35, gt=0, description="rent of a foreign H100-hour: $2.35 (Mar 2026 index, SOURCES 5, M)"
    )
    remote_chip: str = Field("H100", description="what rented foreign compute runs on")
    spend_share_per_month: Share = Field(
        0.5, description="share of its cash a provider may commit to new chips in a month; guess"
    )
    price_adjustment: Share = Field(
        0.1,
        description="share of the gap to the target price closed each month: list prices "
        "move every few months (SOURCES 1); " + CALIBRATED + "the guess range 0.1-0.4",
    )
    utilisation_price_elasticity: float = Field(
        0.5, ge=0, description="target price multiplier (utilisation / target) ** this; guess"
    )
    markup_response: float = Field(
        0.05816,
        ge=0,
        description="markup multiplier exp(this x change in log share): losing share "
        "cuts margins, though US flagships' list prices barely moved (SOURCES 1); "
        + CALIBRATED
        + "the guess range 0.05-0.5",
    )
    markup_min: float = Field(0.05, ge=0, description="floor of the markup over unit cost; guess")
    markup_max: float = Field(30.0, gt=0, description="ceiling of the markup; guess")
    learning_exponent: float = Field(
        0.05384,
        ge=0,
        le=1,
        description="efficiency ~ cumulative tokens ** this (Wright's law: 6% per doubling "
        "at 0.082); prices at equal capability fall ~10x/yr (a16z, SOURCES 9, H), of which "
        "learning is part; " + CALIBRATED + "the guess range 0.05-0.3",
    )
    learning_history_months: float = Field(
        12.0,
        gt=0,
        description="cumulative tokens before the start, in months of the first "
        "month's volume; guess",
    )
    capability_catch_up: Share = Field(
        0.12,
        description="monthly share of the gap to the frontier a provider closes beyond the "
        "capability timeline: lag ~7 months (Epoch, INPUTS 1d, M)",
    )
    open_weights_catch_up_bonus: Share = Field(
        0.04, description="extra catch-up for open-weight ecosystems (distillation); guess"
    )
    frontier_growth_per_month: float = Field(
        1.6,
        ge=0,
        description="AA index points per month the frontier gains after the timeline "
        "ends: 11.8 -> 55.7 over 2024Q1-2026Q2 (INPUTS 1a, derived)",
    )
    national_supply_share: Share = Field(
        0.5,
        description="share of a country's domestic chip output and smuggled inflow that "
        "reaches API inference (the rest trains models or serves other uses); guess",
    )
    idle_power_share: Share = Field(
        0.3, description="share of full power an idle accelerator still draws; guess"
    )
    electricity_price_multiplier: Annotated[dict[str, float], _keys_exactly(JURISDICTIONS)] = Field(
        {"US": 1.0, "EU": 1.0, "CN": 1.0},
        description="multiplier on every provider's "
        "electricity price by jurisdiction, for scenario studies; 1 = sourced prices",
    )

    @model_validator(mode="after")
    def _positive_multipliers(self) -> "SupplyParams":
        for region, value in self.electricity_price_multiplier.items():
            if value <= 0:
                raise ValueError(f"electricity_price_multiplier.{region} must be > 0, got {value}")
        if self.target_utilisation > self.max_utilisation:
            raise ValueError("target_utilisation must not exceed max_utilisation")
        return self


class NetworkParams(_Section):
    """The developer network: who sees whose choices."""

    degree: int = Field(
        8,
        ge=2,
        le=100,
        description="neighbours per developer (even); guess, "
        "the figure the project's reference benchmarks use",
    )
    rewire: Share = Field(
        0.1,
        description="share of ties rewired at random, so across regions; "
        "the rest stay within the region (homophily); guess",
    )


class ProviderSpec(_Section):
    """One provider of the roster; see ``simulator/data/roster.toml`` for sources."""

    name: Label
    jurisdiction: Jurisdiction
    open_weights: bool
    efficiency: float = Field(gt=0)
    price_usd_per_m: float = Field(gt=0)
    latency_s: float = Field(gt=0)
    energy_usd_per_kwh: float = Field(gt=0)
    pue: float = Field(ge=1.0, le=3.0)
    markets: list[DevRegion] = Field(min_length=1)
    initial_share_global: Share
    initial_share_china: Share
    standby_fleet_share: Share = 0.0
    fleet_mix: dict[str, Annotated[float, Field(gt=0)]] = Field(min_length=1)
    remote_share: Share
    backing_usd: float = Field(ge=0)
    capability_key: str
    capability_proxy: str | None = None
    capability_proxy_factor: float = Field(1.0, gt=0)


class ChipSpec(_Section):
    """One accelerator of the catalogue; see ``simulator/data/chips.toml`` for sources."""

    name: str = Field(min_length=1)
    tokens_per_s: float = Field(gt=0)
    watts: float = Field(gt=0)
    price_usd: float = Field(gt=0)
    control_tier: Literal[("",) + CONTROL_TIERS]  # type: ignore[valid-type]
    made_in: Jurisdiction
    available_from: Month


class PolicyConfig(_Section):
    """A policy as the scenario stores it: registered name, optional label and parameters.

    The label is needed when a scenario uses the same policy twice, and ``--set LABEL.param``
    addresses the policy by it.
    """

    name: Label
    label: Label | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """How the run refers to this policy: its label, else its name."""
        return self.label or self.name


def _load_data(filename: str) -> dict[str, Any]:
    with resources.files("simulator.data").joinpath(filename).open("rb") as handle:
        return tomllib.load(handle)


def default_providers() -> list[ProviderSpec]:
    """The default roster, from ``simulator/data/roster.toml``."""
    return [ProviderSpec(**row) for row in _load_data("roster.toml")["providers"]]


def default_chips() -> list[ChipSpec]:
    """The default chip catalogue, from ``simulator/data/chips.toml``."""
    return [ChipSpec(**row) for row in _load_data("chips.toml")["chips"]]


def default_domestic_output() -> dict[str, dict[int, float]]:
    """Domestic accelerator output per year, from ``simulator/data/chips.toml``."""
    table = _load_data("chips.toml")["domestic_output"]
    return {
        chip: {int(year): float(units) for year, units in years.items()}
        for chip, years in table.items()
    }


class Scenario(_Section):
    """A complete, validated description of one run except its seed."""

    name: Name = "default"
    description: Annotated[str, _text(TEXT_LENGTH, lines=True)] = ""
    start: Month = Field("2024-01", description="first simulated month")
    steps: int = Field(
        48,
        ge=1,
        le=2600,
        description="number of steps, each of "
        "step_length: 48 months cover 2024-2027 from the default start, as do "
        "209 weeks",
    )
    step_length: Literal[STEP_LENGTHS] = Field(  # type: ignore[valid-type]
        "month",
        description="what one step simulates: a calendar month, or a week of 7 days "
        "counted from the 1st of the start month, with monthly rates scaled to the week "
        "(docs/model.md, 'Step length')",
    )
    developers: int = Field(
        20_000,
        ge=100,
        le=5_000_000,
        description="size of the simulated developer population; "
        "each row stands for an equal slice of its region and segment's demand",
    )
    demand: DemandParams = DemandParams()
    choice: ChoiceParams = ChoiceParams()
    supply: SupplyParams = SupplyParams()
    network: NetworkParams = NetworkParams()
    providers: list[ProviderSpec] = Field(default_factory=default_providers, min_length=2)
    chips: list[ChipSpec] = Field(default_factory=default_chips, min_length=1)
    domestic_output: dict[str, dict[int, Annotated[float, Field(ge=0)]]] = Field(
        default_factory=default_domestic_output,
        description="accelerators made per year by domestic chip (Huawei, SOURCES 4)",
    )
    policies: list[PolicyConfig] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _plain_values(cls, data: Any) -> Any:
        """Refuse numbers that are not finite or too large, and text with control characters.

        Wherever they are (policy parameters included): numbers beyond :data:`MAX_NUMBER`.
        """
        problem = _first_bad_value(data)
        if problem:
            raise ValueError(problem)
        return data

    @model_validator(mode="after")
    def _cross_references(self) -> "Scenario":
        chips = {chip.name for chip in self.chips}
        names = [p.name for p in self.providers]
        if len(set(names)) != len(names):
            raise ValueError("providers: names must be unique")
        for provider in self.providers:
            unknown = set(provider.fleet_mix) - chips
            if unknown:
                raise ValueError(
                    f"providers.{provider.name}.fleet_mix: unknown chip "
                    f"{', '.join(sorted(unknown))}; "
                    f"allowed: {', '.join(sorted(chips))}"
                )
        for region in DEV_REGIONS:
            if not any(region in p.markets for p in self.providers):
                raise ValueError(f"providers: no provider serves developer region {region}")
        if self.supply.remote_chip not in chips:
            raise ValueError(
                f"supply.remote_chip: unknown chip {self.supply.remote_chip!r}; "
                f"allowed: {', '.join(sorted(chips))}"
            )
        unknown = set(self.choice.programming_preference) - set(names)
        if unknown:
            raise ValueError(
                f"choice.programming_preference: unknown provider {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(names)}"
            )
        keys = [p.key for p in self.policies]
        if len(set(keys)) != len(keys):
            raise ValueError("policies: a policy used twice needs a distinct label on each use")
        unknown = set(self.domestic_output) - chips
        if unknown:
            raise ValueError(f"domestic_output: unknown chip {', '.join(sorted(unknown))}")
        return self


def _first_bad_value(data: Any) -> str | None:
    """Where ``data`` holds a number or text no scenario may hold, and why; None if nowhere.

    Walks plain mappings and lists without recursion (a settings file has few values, see
    :mod:`vocabulary.settings_files`); validated sections are checked by their own fields.
    """
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            pending.extend((f"{path}.{key}".lstrip("."), item) for key, item in value.items())
        elif isinstance(value, list | tuple):
            pending.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if (isinstance(value, float) and not math.isfinite(value)) or abs(value) > MAX_NUMBER:
                return (
                    f"{path}: expected a finite number from {-MAX_NUMBER:g} to "
                    f"{MAX_NUMBER:g} (got {excerpt(value)})"
                )
        elif isinstance(value, str):
            problem = text_problem(value, TEXT_LENGTH, lines=True)
            if problem:
                return f"{path}: {problem}"
    return None
