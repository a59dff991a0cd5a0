"""The behavioural parameters: demand, the developers' choice, supply, the network.

Each default carries its source in its description, or says "guess". "SOURCES n" is section n
of ``docs/sources.md``, "INPUTS n" of ``docs/inputs.md``. :mod:`scenario.parameter_docs` prints
them as docs/model.md's parameter tables.
"""

from typing import Annotated

from pydantic import Field, model_validator

from scenario.fields import (
    BySegment,
    BySegmentShare,
    ByYear,
    Month,
    Name,
    Section,
    Share,
    keys_exactly,
)
from vocabulary.regions import DEV_REGIONS, JURISDICTIONS, SEGMENTS

CALIBRATED = (
    "calibrated by `sim calibrate` (targets v3, seeds 1-5; the chain of calibrations in "
    "docs/model.md, Calibration) within "
)
"""How a description says that a default came out of the calibration, and within which range."""


class DemandParams(Section):
    """How much token demand there is, who has it, how fast it grows and how it answers price."""

    tokens_per_month_global: float = Field(
        9.428e13,
        gt=0,
        description="tokens/month of API demand outside China, Jan 2024; guess "
        "(OpenAI API 8.6T/day in Oct 2025, a16z, scaled back by the growth rates below), "
        "with the US labs' API revenue of ~$12-19bn a year at end 2025 (SOURCES 14, derived: "
        "T13), " + CALIBRATED + "30e12-100e12 (40e12 before left US API revenue at $8bn)",
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
        {"indie": 0.08473, "startup": 0.04982, "enterprise": 0.82, "government": 0.03},
        description="split of demand outside China by segment. Indies and startups (the routed "
        "population) 15%: in spring 2026 OpenRouter served ~4T tokens/day against ~21.6T/day "
        "through OpenAI's API and ~23T/day through Google's (SOURCES 9, M), so routing carried "
        "5-10% of non-Chinese API tokens, and startups calling labs directly widen that to "
        "5-25% (docs/targets.md, high end guess); government 3% (INPUTS suggestion 7, guess); "
        "the indie and startup shares " + CALIBRATED + "0.02-0.10 and 0.03-0.15 "
        "(scenario/data/tuning.toml), i.e. routed ~13% of non-Chinese tokens",
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
    api_share_china: Annotated[dict[Month, Share], Field(min_length=1)] = Field(
        {"2025-06": 0.10, "2025-12": 0.09926},
        description="share of China's tokens sold through APIs, by month (linear between the "
        "months given, constant before the first and after the last); the rest are the labs' "
        "own consumer apps (Doubao, Qwen, Yuanbao, DeepSeek, Kimi), served on the same fleets "
        "and electricity without API revenue. IDC counts ~3T external API tokens/day in H1 "
        "2025 against the NDA's ~30T/day (~10%), Frost & Sullivan 37T/day of enterprise calls "
        "in H2 2025 against ~100T/day (~35%) (SOURCES 15, L, derived; range 8-40%). The two "
        "disagree with the Chinese labs' API revenue (~$0.3-2bn a year in 2025, SOURCES 14): "
        "35% of ~100T/day at the labs' list prices would earn ~$4bn a year, IDC's ~10% about "
        "$1bn, so the path follows IDC, rising to 12% by Dec 2025 ("
        + CALIBRATED
        + "0.08-0.40). Before mid-2025 the "
        "sources cannot split the count (IDC's 2024 API tokens exceed the NDA's early-2024 "
        "total), so the first share is held: guess",
    )
    cache_hit_share: Share = Field(
        0.56,
        description="share of input tokens read from a cache and billed at the lab's cache "
        "price (the providers' cache_price_ratio), once the lab prices cache hits: DeepSeek's "
        "342B of 608B input tokens a day (Day 6, SOURCES 5, H); the same share for every lab is "
        "a guess (range 0.3-0.8)",
    )
    price_elasticity: Annotated[
        dict[str, Annotated[float, Field(le=0.0)]], keys_exactly(SEGMENTS)
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
    developer_region_share: Annotated[dict[str, Share], keys_exactly(DEV_REGIONS)] = Field(
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


class ChoiceParams(Section):
    """The developer's multinomial-logit utility and how often it is reconsidered."""

    price_weight: BySegment = Field(
        {"indie": 1.069, "startup": 1.414, "enterprise": 1.035, "government": 0.4},
        description="weight on -log(price); within-model elasticity across providers -1.1 "
        "(NBER, SOURCES 9, M) sets the scale; indie, startup and enterprise "
        + CALIBRATED
        + "0.8-2.0, 0.6-1.6 and 0.3-1.1; government guess",
    )
    quality_weight: float = Field(
        11.18,
        ge=0,
        description="weight on log(capability / frontier capability): like price, "
        "quality counts in ratios. " + CALIBRATED + "the guess range 4-12",
    )
    quality_scale: BySegmentShare = Field(
        {"indie": 1.0, "startup": 1.0, "enterprise": 0.1738, "government": 1.0},
        description="multiplier on the quality weight by segment: enterprises spread their "
        "spend over labs whose AA scores differ widely (Menlo: Anthropic 40%, OpenAI 27%, "
        "Google 21% in Dec 2025; 81% of enterprises use three or more model families, SOURCES "
        "10, M), so their workloads may value the index less; indie, startup and government "
        "guess; enterprise " + CALIBRATED + "the guess range 0.1-1.0",
    )
    latency_weight: float = Field(
        0.2245,
        ge=0,
        description="weight on -log(latency in s); no survey ranks latency against price "
        "(SOURCES 10): " + CALIBRATED + "the guess range 0.2-1.0",
    )
    security_penalty: BySegment = Field(
        {"indie": 0.3175, "startup": 0.7645, "enterprise": 2.273, "government": 2.4},
        description="utility penalty for a provider of a distrusted jurisdiction (CN for "
        "developers outside China): ~70% of Armis customers asked to block DeepSeek, government "
        "bans (SOURCES 10, M); indie, startup and enterprise " + CALIBRATED + "the guess "
        "ranges 0-1, 0.3-1.5 and 1-4; government 2.4 (guess, range 1-6: the 6 x 0.4 it put on "
        "the open-weight labs in China, most of them, before the open-weight discount went in "
        "December 2026)",
    )
    origin_penalty: BySegment = Field(
        {"indie": 0.235, "startup": 0.3641, "enterprise": 1.318, "government": 1.0},
        description="utility penalty developers outside China put on a Chinese-made model "
        "whoever serves it, on top of security_penalty for a provider in China: 29% of US and "
        "13% of EU respondents would not adopt Chinese LLMs at all, 58-59% only hosted outside "
        "China (Artificial Analysis survey, SOURCES 16, M); the FY2026 NDAA bars DoD and its "
        "contractors from DeepSeek-made AI on any host (SOURCES 16, M); indie, startup and "
        "enterprise " + CALIBRATED + "the guess ranges 0-0.5, 0-1 and 0-3; government 1 (guess, "
        "range 0.5-3: the bans by origin bind only defence buyers, the other governments' bans "
        "are on the labs' services, the security penalty)",
    )
    product_nest_scale: float = Field(
        0.5222,
        gt=0,
        le=1,
        description="nested-logit scale of the choice among one lab's products (1: products "
        "of a lab are as different as products of two labs; towards 0: a lab's products are "
        "near substitutes, so a lab gains little from adding products); no source measures it "
        "for AI APIs: " + CALIBRATED + "the guess range 0.3-1.0",
    )
    product_quality_scale: float = Field(
        0.5171,
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
        dict[str, Annotated[float, Field(ge=0, le=0.95)]], keys_exactly(SEGMENTS)
    ] = Field(
        {"indie": 0.8599, "startup": 0.7529, "enterprise": 0.0, "government": 0.0},
        description="share of a developer's tokens at a lab that the lab's free variant serves "
        "in the months it has one (scenario/data/free_previews.csv; rate limits cap the rest): "
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
        {"Anthropic": 1.103},
        description="utility bonus a developer whose work is programming gives a lab, by lab "
        "(labs not named: 0). Claude took over 60% of OpenRouter's programming tokens in 2025 "
        "(a16z/OpenRouter, SOURCES 10, H), yet no capability score the model uses puts Anthropic "
        "ahead in coding (AA's coding index ranks GPT-5.4 and Gemini 3.1 Pro above Claude "
        "Sonnet 4.6, docs/inputs.md 7), so the lead is a preference (coding tools and their "
        "defaults): " + CALIBRATED + "the guess range 0-3",
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
        0.659,
        ge=0,
        description="weight on the share of network neighbours using a provider: apps "
        "multihome (SOURCES 10, M), so peers matter less than price; "
        + CALIBRATED
        + "the guess range 0.3-1.5",
    )
    reconsider_rate: BySegmentShare = Field(
        {"indie": 0.2724, "startup": 0.3987, "enterprise": 0.06, "government": 0.03},
        description="share of developers reconsidering their provider each month: adoption of "
        "a new model plateaus within weeks (arXiv 2504.15440, SOURCES 10, M), so indie and "
        "startup " + CALIBRATED + "the guess ranges 0.2-0.8 and 0.1-0.6; ~11% of enterprise "
        "teams switched vendor in a year (Menlo, SOURCES 10, M); government guess",
    )
    network_latency_s: Annotated[dict[str, dict[str, float]], keys_exactly(DEV_REGIONS)] = Field(
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


class SupplyParams(Section):
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
    lead_time_months: Annotated[dict[str, int], keys_exactly(JURISDICTIONS)] = Field(
        {"US": 6, "EU": 6, "CN": 4},
        description="months from order to serving, in existing "
        "halls; new builds take 24-36 months and grid hook-ups up to 60 (SOURCES 8, M/L); guess",
    )
    planning_horizon_months: int = Field(
        12,
        ge=1,
        le=120,
        description="months of demand growth a provider plans capacity for: an order arriving "
        "later than this is sized for the demand forecast this far ahead, not for growth "
        "compounded over the whole lead time (a 36-month build at 15% a month would be ordered "
        "for 150 times today's demand); guess, range 6-24",
    )
    smuggling_extra_months: int = Field(
        2, ge=0, description="extra months for smuggled chips; guess"
    )
    remote_rent_usd_per_hour: float = Field(
        2.35, gt=0, description="rent of a foreign H100-hour: $2.35 (Mar 2026 index, SOURCES 5, M)"
    )
    remote_chip: str = Field("H100", description="what rented foreign compute runs on")
    rental_capacity_abroad_h100e: Annotated[
        dict[int, Annotated[float, Field(ge=0)]], Field(min_length=1)
    ] = Field(
        {2024: 10_000, 2025: 40_000, 2026: 100_000, 2027: 150_000},
        description="H100-equivalents of foreign cloud capacity that providers renting abroad "
        "(remote_share > 0) can rent between them, by year (later years repeat the last); "
        "``national_supply_share`` of it serves API inference, the rest trains. Reported "
        "rentals add up to tens of thousands of GPUs: ByteDance ~36k B200 (~80-100k H100e) "
        "via Malaysia (WSJ, Mar 2026), one firm ~2,400 GPUs (Mar 2025), Megaspeed ~136k GPUs "
        "imported into Malaysia and Indonesia by Nov 2025 (SOURCES 13, M, derived); 2024 and "
        "2027 guess; range half to twice these",
    )
    rental_lead_months: int = Field(
        2,
        ge=0,
        le=24,
        description="months from signing a foreign rental to serving on it (data flown in, "
        "clusters set up; SOURCES 13 reports rentals a few months after deals); guess, range 1-6",
    )
    redeploy_above: float = Field(
        2.0,
        gt=1.0,
        le=100.0,
        description="a provider whose owned capacity exceeds this multiple of the "
        "capacity today's demand needs at planned utilisation moves the excess "
        "accelerators to its other uses (training, its own products, its cloud) at book value: "
        "labs' API fleets are part of larger fleets, so a free preview's end or a lost launch "
        "does not leave them idle for years; guess, range 1.5-4 (at 2 a fleet sits idle below "
        "35% utilisation, the planned 70% over 2, for one month at most)",
    )
    spend_share_per_month: Share = Field(
        0.5, description="share of its cash a provider may commit to new chips in a month; guess"
    )
    price_adjustment: Share = Field(
        0.1008,
        description="share of the gap to the target price closed each month: list prices "
        "move every few months (SOURCES 1); " + CALIBRATED + "the guess range 0.1-0.4",
    )
    utilisation_price_elasticity: float = Field(
        0.5, ge=0, description="target price multiplier (utilisation / target) ** this; guess"
    )
    markup_response: float = Field(
        0.06902,
        ge=0,
        description="markup multiplier exp(this x change in log share): losing share "
        "cuts margins, though US flagships' list prices barely moved (SOURCES 1); "
        + CALIBRATED
        + "the guess range 0.05-0.5",
    )
    markup_min: float = Field(
        -0.6,
        ge=-0.95,
        description="floor of the markup over average cost at planned utilisation (the price "
        "never falls below the marginal energy cost): Chinese labs sell below cost - Zhipu's "
        "cloud gross margin fell from 76% (2022) to 3.4% (2024) and below zero in H1 2025 "
        "(HKEX prospectus, SOURCES 14, H), DeepSeek, ByteDance and Tencent list below the "
        "model's average cost (SOURCES 1); -0.6 is a guess, range -0.8 to 0",
    )
    markup_max: float = Field(
        50.0,
        gt=0,
        description="ceiling of the markup: above the highest starting ratio of list price to "
        "cost in the roster (Zhipu's GLM-4 at 100 CNY per million tokens, ~34x; SOURCES 1), "
        "so no lab starts at it; guess",
    )
    learning_exponent: float = Field(
        0.1091,
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
    frontier_growth_per_month: float = Field(
        1.6,
        ge=0,
        description="AA index points per month every lab gains after the timeline ends, so "
        "each keeps the gap to the frontier it had then: 11.8 -> 55.7 over 2024Q1-2026Q2 "
        "(INPUTS 1a, derived); that followers keep their gaps is a guess (no source forecasts "
        "who gains on whom; Epoch's ~7-month lag of Chinese models, INPUTS 1d, is an average "
        "over labs, not a rule that each converges to it)",
    )
    national_supply_share: Share = Field(
        0.2,
        description="share of a country's domestic chip output, smuggled inflow and the "
        "foreign capacity its providers may rent that reaches the roster's API inference (the "
        "rest trains models or serves state, telecom and other buyers); guess, "
        + CALIBRATED
        + "0.2-0.75 (set with the Chinese-made share of the roster's 2025 purchases, T14)",
    )
    idle_power_share: Share = Field(
        0.3, description="share of full power an idle accelerator still draws; guess"
    )
    electricity_price_multiplier: Annotated[dict[str, float], keys_exactly(JURISDICTIONS)] = Field(
        {"US": 1.0, "EU": 1.0, "CN": 1.0},
        description="multiplier on every provider's "
        "electricity price by jurisdiction for the whole run, for scenario studies; 1 = "
        "sourced prices (the energy_price policy multiplies on top, on a schedule)",
    )

    @model_validator(mode="after")
    def _positive_multipliers(self) -> "SupplyParams":
        for region, value in self.electricity_price_multiplier.items():
            if value <= 0:
                raise ValueError(f"electricity_price_multiplier.{region} must be > 0, got {value}")
        if self.target_utilisation > self.max_utilisation:
            raise ValueError("target_utilisation must not exceed max_utilisation")
        if self.markup_min >= self.markup_max:
            raise ValueError(
                f"markup_min ({self.markup_min:g}) must be below markup_max ({self.markup_max:g})"
            )
        return self


class NetworkParams(Section):
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
