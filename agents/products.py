"""The products labs sell: the sourced catalogue, when each is on sale, and how they compare.

A lab (a provider) sells several products from its own fleet: Claude Opus, Sonnet and Haiku,
Gemini Pro and Flash. The catalogue ``simulator/data/products.csv`` lists 121 of them from 15
labs, 2024-01 to 2026-05, each with its launch month, list price at launch, capability
(Artificial Analysis Intelligence Index v4.1) and output speed, and its source and confidence
(docs/inputs.md section 7). A product goes on sale at its list price; what happens to its price
after launch is an outcome (the lab's pricing, :mod:`agents.provider`), so the catalogue's
recorded price changes are observations to compare with, not inputs.

Three rules fill what the catalogue does not say; each is a guess with its reason:

- **Retirement.** A product leaves the market :data:`RETIREMENT_LAG_MONTHS` after the lab
  launches a product of the same tier that is at least as capable and no dearer: labs stop
  selling what their own line-up dominates, after a deprecation notice. Retirement months the
  catalogue records are used as they are.
- **Stand-ins.** The catalogue starts in 2024; a lab that already served developers at the
  start, but whose first catalogued product launches later (Claude 2.1 and Gemini 1.0 Pro have no
  row), sells a stand-in product at its roster price until that first product has been on sale
  for :data:`RETIREMENT_LAG_MONTHS`, at :data:`STAND_IN_QUALITY` of that product's capability.
  A lab with no catalogued product at all (one a scenario adds) sells its stand-in throughout,
  at its capability-timeline score.
- **Gaps.** A product without an AA score takes its lab's capability-timeline score at launch
  times its tier's median ratio to the lab's frontier product (:data:`TIER_QUALITY`); one without
  a measured speed, its tier's median speed in the catalogue.
"""

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from simulator.scenario import ProviderSpec
from vocabulary.calendar import format_month, parse_month
from vocabulary.errors import InputError

TIERS = ("frontier", "mid", "fast")

RETIREMENT_LAG_MONTHS = 6
"""Months a dominated product stays on sale (guess, range 3-12: OpenAI and Anthropic give
three to twelve months' notice before a model leaves the API)."""

TIER_QUALITY = {"frontier": 1.0, "mid": 0.85, "fast": 0.75}
"""Capability of a lab's mid and fast products relative to its frontier product, used only
where AA gives no score (guess, from the catalogue: the median ratio of scored mid and fast
products to the same lab's best product on sale at their launch is 0.8-0.9 and 0.7-0.8)."""

STAND_IN_QUALITY = 0.6
"""Capability of a stand-in relative to the best of its lab's first catalogued products (guess,
range 0.5-0.8: Claude 2.1 and Gemini 1.0 Pro, the products stand-ins replace, trailed GPT-4 Turbo on
LMArena by 100+ Elo points (docs/inputs.md 1c), while Claude 3 Opus led it)."""

INPUT_TOKENS_PER_OUTPUT = 3.6
"""Input tokens per output token, for blended prices: DeepSeek's Day-6 mix (SOURCES 5, H),
as the roster's prices use."""

NEVER = 10**6
"""Retirement month index of a product that never retires."""


def blended_price(input_usd: float, output_usd: float) -> float:
    """USD per million tokens at the input:output mix of :data:`INPUT_TOKENS_PER_OUTPUT`."""
    return (INPUT_TOKENS_PER_OUTPUT * input_usd + output_usd) / (INPUT_TOKENS_PER_OUTPUT + 1)


@dataclass(frozen=True)
class Product:
    """One product as the catalogue lists it.

    Attributes:
        lab: the provider that sells it (a roster name).
        name: the product's name.
        tier: ``frontier``, ``mid`` or ``fast`` (the line it belongs to).
        launch: month index it goes on sale.
        retired: month index the catalogue says it left the market, or None.
        launch_price: blended list price at launch, USD per million tokens.
        aa_index: AA Intelligence Index v4.1, NaN where AA has none.
        speed: output tokens per second, NaN where not measured.
        source: where the row's figures come from.
        confidence: H, M or L (docs/inputs.md section 7).
    """

    lab: str
    name: str
    tier: str
    launch: int
    retired: int | None
    launch_price: float
    aa_index: float
    speed: float
    source: str
    confidence: str


def _number(row: dict[str, str], column: str, where: str) -> float:
    text = row[column].strip()
    if not text:
        return float("nan")
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}.{column}: {text!r} is not a number") from None
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"{where}.{column}: {text!r} must be a positive finite number")
    return value


def _month(text: str, field: str) -> int:
    try:
        return parse_month(text.strip())
    except (ValueError, InputError):
        raise InputError(f"{field}: {text!r} is not a month; expected YYYY-MM") from None


def _product(row: dict[str, str], line: int) -> Product:
    """One catalogue row, checked."""
    where = f"products.csv line {line}"
    tier = row["tier"].strip()
    if tier not in TIERS:
        raise InputError(f"{where}.tier: {tier!r}; allowed: {', '.join(TIERS)}")
    launch = _month(row["launch_month"], f"{where}.launch_month")
    retired = (
        _month(row["retired_month"], f"{where}.retired_month") if row["retired_month"] else None
    )
    input_usd, output_usd = (
        _number(row, "input_usd_per_m", where),
        _number(row, "output_usd_per_m", where),
    )
    if np.isnan(input_usd) or np.isnan(output_usd):
        raise InputError(f"{where}: a product needs both input_usd_per_m and output_usd_per_m")
    return Product(
        lab=row["lab"].strip(),
        name=row["product"].strip(),
        tier=tier,
        launch=launch,
        retired=retired,
        launch_price=blended_price(input_usd, output_usd),
        aa_index=_number(row, "aa_index", where),
        speed=_number(row, "output_tokens_per_s", where),
        source=row["source"].strip(),
        confidence=row["confidence"].strip(),
    )


def load_products(path: Path | None = None) -> list[Product]:
    """The catalogue: the packaged ``simulator/data/products.csv``, or the file at ``path``."""
    if path is None:
        handle = resources.files("simulator.data").joinpath("products.csv").open()
    else:
        handle = path.open()
    with handle:
        return [_product(row, line) for line, row in enumerate(csv.DictReader(handle), start=2)]


@dataclass(frozen=True)
class ProductLineup:
    """The products a run's labs sell, as (K,) arrays, with the months each is on sale.

    Attributes:
        names: product names (a stand-in is named after its lab).
        lab: index of the selling provider in the run's roster.
        tier: index into :data:`TIERS`.
        launch: first month index on sale.
        retire: first month index no longer on sale (:data:`NEVER` if it stays).
        aa_index: capability score, gaps filled (see the module's docstring).
        speed: output tokens per second, gaps filled.
        products: the catalogue rows, None for stand-ins.
        stand_in_price: the roster price of each product's lab, the price of a stand-in.
    """

    names: tuple[str, ...]
    lab: np.ndarray
    tier: np.ndarray
    launch: np.ndarray
    retire: np.ndarray
    aa_index: np.ndarray
    speed: np.ndarray
    products: tuple[Product | None, ...]
    stand_in_price: np.ndarray

    @classmethod
    def build(
        cls,
        specs: Sequence[ProviderSpec],
        catalogue: Sequence[Product],
        start: int,
        lab_score: Callable[[ProviderSpec, int], float],
    ) -> "ProductLineup":
        """The line-up of a roster from the catalogue, with stand-ins, retirements and gaps.

        Args:
            specs: the roster, in provider index order.
            catalogue: every catalogued product (labs outside the roster are left out).
            start: the run's first month index.
            lab_score: a lab's capability-timeline score in a month (NaN where unknown).
        """
        index = {spec.name: i for i, spec in enumerate(specs)}
        sold = [p for p in catalogue if p.lab in index]
        speed_by_tier = {
            tier: float(np.nanmedian([p.speed for p in catalogue if p.tier == tier] or [np.nan]))
            for tier in TIERS
        }
        scores = [
            p.aa_index
            if not np.isnan(p.aa_index)
            else lab_score(specs[index[p.lab]], p.launch) * TIER_QUALITY[p.tier]
            for p in sold
        ]
        retire = _retirements(sold, scores)
        names: list[str] = []
        rows: list[tuple[int, int, int, int, float, float, Product | None]] = []
        for i, spec in enumerate(specs):
            own = [k for k, p in enumerate(sold) if p.lab == spec.name]
            first = min((sold[k].launch for k in own), default=None)
            held = spec.initial_share_global > 0 or spec.initial_share_china > 0
            if first is None or (first > start and held):
                ends = NEVER if first is None else first + RETIREMENT_LAG_MONTHS
                score = (
                    lab_score(spec, start)
                    if first is None
                    else STAND_IN_QUALITY * max(scores[k] for k in own if sold[k].launch == first)
                )
                names.append(f"{spec.name} (stand-in)")
                rows.append((i, 0, -NEVER, ends, score, speed_by_tier["frontier"], None))
            for k in own:
                product = sold[k]
                speed = (
                    product.speed if not np.isnan(product.speed) else speed_by_tier[product.tier]
                )
                names.append(product.name)
                tier = TIERS.index(product.tier)
                rows.append((i, tier, product.launch, retire[k], scores[k], speed, product))
        lab, tier, launch, ends, score, speed, products = zip(*rows, strict=True)
        return cls(
            names=tuple(names),
            lab=np.array(lab),
            tier=np.array(tier),
            launch=np.array(launch),
            retire=np.array(ends),
            aa_index=np.array(score, dtype=float),
            speed=np.array(speed, dtype=float),
            products=tuple(products),
            stand_in_price=np.array([specs[i].price_usd_per_m for i in lab]),
        )

    def __len__(self) -> int:
        return len(self.names)

    def best_score(self, month: int, labs: int) -> np.ndarray:
        """(P,) capability of each lab's best product on sale in ``month``; NaN with none."""
        best = np.full(labs, -np.inf)
        sold = self.on_sale(month)
        np.maximum.at(best, self.lab[sold], self.aa_index[sold])
        return np.where(np.isfinite(best), best, np.nan)

    def on_sale(self, month: int) -> np.ndarray:
        """(K,) bool: launched and not yet retired in ``month``."""
        return (self.launch <= month) & (month < self.retire)

    @property
    def launch_price(self) -> np.ndarray:
        """(K,) blended list price at launch, USD per million tokens (stand-ins: the roster's)."""
        return np.array(
            [
                product.launch_price if product is not None else self.stand_in_price[k]
                for k, product in enumerate(self.products)
            ]
        )

    def describe(self, k: int) -> str:
        """A product's name and dates, for error messages and docs."""
        retire = "" if self.retire[k] >= NEVER else f" to {format_month(int(self.retire[k]))}"
        launch = "the start" if self.launch[k] < 0 else format_month(int(self.launch[k]))
        return f"{self.names[k]} (from {launch}{retire})"


def _retirements(products: Sequence[Product], scores: Sequence[float]) -> list[int]:
    """Each product's first month off sale: recorded, else the dominance rule, else never.

    Args:
        products: the catalogued products of the run's labs.
        scores: their capability scores, gaps filled.
    """
    ends: list[int] = []
    for k, product in enumerate(products):
        if product.retired is not None:
            ends.append(product.retired)
            continue
        successors = [
            other.launch
            for j, other in enumerate(products)
            if j != k
            and other.lab == product.lab
            and other.tier == product.tier
            and (other.launch, j) > (product.launch, k)
            and scores[j] >= scores[k]
            and other.launch_price <= product.launch_price
        ]
        ends.append(min(successors) + RETIREMENT_LAG_MONTHS if successors else NEVER)
    return ends
