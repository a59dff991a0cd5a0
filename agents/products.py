"""The products labs sell: the sourced catalogue, when each is on sale, and how they compare.

A lab (a provider) sells several products from its own fleet: Claude Opus, Sonnet and Haiku,
Gemini Pro and Flash. The catalogue ``scenario/data/products.csv`` lists 121 of them from 15
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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from agents.data_files import read_rows
from scenario.products import ProductChange
from scenario.roster import ProviderSpec
from vocabulary.calendar import parse_month
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


def input_share(input_usd: float, output_usd: float) -> float:
    """The share of :func:`blended_price` that pays for input tokens (what a cache discounts)."""
    return INPUT_TOKENS_PER_OUTPUT * input_usd / (INPUT_TOKENS_PER_OUTPUT * input_usd + output_usd)


@dataclass(frozen=True)
class Product:
    """One product as the catalogue lists it.

    Attributes:
        lab: the provider that sells it (a roster name).
        name: the product's name.
        tier: ``frontier``, ``mid`` or ``fast`` (the line it belongs to).
        launch: month index it goes on sale.
        retired: month index the catalogue says it left the market, or None.
        input_usd: list price of input tokens at launch, USD per million.
        output_usd: list price of output tokens at launch, USD per million.
        launch_price: blended list price at launch, USD per million tokens.
        aa_index: AA Intelligence Index v4.1, NaN where AA has none.
        speed: output tokens per second, NaN where not measured.
        source: where the row's figures come from.
        confidence: H, M or L (docs/inputs.md section 7).
        open_weights: whether the catalogue says its weights are published (``yes``); hosts
            serve only these.
    """

    lab: str
    name: str
    tier: str
    launch: int
    retired: int | None
    input_usd: float
    output_usd: float
    launch_price: float
    aa_index: float
    speed: float
    source: str
    confidence: str
    open_weights: bool = False


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
        input_usd=input_usd,
        output_usd=output_usd,
        launch_price=blended_price(input_usd, output_usd),
        aa_index=_number(row, "aa_index", where),
        speed=_number(row, "output_tokens_per_s", where),
        source=row["source"].strip(),
        confidence=row["confidence"].strip(),
        open_weights=row.get("open_weights", "").strip() == "yes",
    )


def load_products(path: Path | None = None) -> list[Product]:
    """The catalogue: the packaged ``scenario/data/products.csv``, or the file at ``path``."""
    return read_rows("products.csv", path, _product)


def with_changes(
    catalogue: Sequence[Product], changes: Mapping[str, ProductChange]
) -> list[Product]:
    """The catalogue with a scenario's changes by product name (launch, retirement, prices, ...).

    A list price changed on one side only keeps the catalogue's other side: the blended price
    is recomputed from the input and output prices the product then has.
    """
    if not changes:
        return list(catalogue)
    changed = []
    for product in catalogue:
        change = changes.get(product.name)
        if change is None:
            changed.append(product)
            continue
        input_usd = change.input_usd_per_m or product.input_usd
        output_usd = change.output_usd_per_m or product.output_usd
        changed.append(
            replace(
                product,
                launch=product.launch
                if change.launch_month is None
                else parse_month(change.launch_month),
                retired=product.retired
                if change.retired_month is None
                else parse_month(change.retired_month),
                input_usd=input_usd,
                output_usd=output_usd,
                launch_price=blended_price(input_usd, output_usd),
                aa_index=product.aa_index if change.aa_index is None else change.aa_index,
                speed=product.speed
                if change.output_tokens_per_s is None
                else change.output_tokens_per_s,
            )
        )
    return changed


@dataclass(frozen=True)
class ProductLineup:
    """The products a run's labs sell, as (K,) arrays, with the months each is on sale.

    Attributes:
        names: product names (a stand-in is named after its lab).
        lab: index of the selling provider in the run's roster.
        author: index of the lab that made it: its seller, except for a host's products.
        launch: first month index on sale.
        retire: first month index no longer on sale (:data:`NEVER` if it stays).
        aa_index: capability score, gaps filled (see the module's docstring).
        speed: output tokens per second, gaps filled.
        launch_price: blended list price at launch, USD per million tokens (a stand-in's is its
            lab's roster price).
        input_share: the share of the blended list price that pays for input tokens (a
            stand-in's, which has no split, is the catalogue's median).
    """

    names: tuple[str, ...]
    lab: np.ndarray
    author: np.ndarray
    launch: np.ndarray
    retire: np.ndarray
    aa_index: np.ndarray
    speed: np.ndarray
    launch_price: np.ndarray
    input_share: np.ndarray

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
        stand_in_input_share = float(
            np.median([input_share(p.input_usd, p.output_usd) for p in catalogue] or [0.5])
        )
        names: list[str] = []
        rows: list[tuple[int, int, int, int, float, float, float, float]] = []
        for i, spec in enumerate(specs):
            own = [k for k, p in enumerate(sold) if p.lab == spec.name]
            first = min((sold[k].launch for k in own), default=None)
            held = spec.initial_share_global > 0 or spec.initial_share_china > 0
            if (first is None and not spec.is_host) or (
                first is not None and first > start and held
            ):
                ends = NEVER if first is None else first + RETIREMENT_LAG_MONTHS
                score = (
                    lab_score(spec, start)
                    if first is None
                    else STAND_IN_QUALITY * max(scores[k] for k in own if sold[k].launch == first)
                )
                names.append(f"{spec.name} (stand-in)")
                rows.append(
                    (
                        i,
                        i,
                        -NEVER,
                        ends,
                        score,
                        speed_by_tier["frontier"],
                        spec.price_usd_per_m,
                        stand_in_input_share,
                    )
                )
            for k in own:
                product = sold[k]
                names.append(product.name)
                rows.append(
                    (
                        i,
                        i,
                        product.launch,
                        retire[k],
                        scores[k],
                        _speed(product, speed_by_tier),
                        product.launch_price,
                        input_share(product.input_usd, product.output_usd),
                    )
                )
            for k in _listed(spec, sold, index, retire):
                product = sold[k]
                names.append(product.name)
                rows.append(
                    (
                        i,
                        index[product.lab],
                        _listing_month(spec, product),
                        retire[k],
                        scores[k],
                        _speed(product, speed_by_tier),
                        product.launch_price * spec.list_price_ratio,
                        input_share(product.input_usd, product.output_usd),
                    )
                )
        lab, author, launch, ends, score, speed, price, inputs = zip(*rows, strict=True)
        return cls(
            names=tuple(names),
            lab=np.array(lab),
            author=np.array(author),
            launch=np.array(launch),
            retire=np.array(ends),
            aa_index=np.array(score, dtype=float),
            speed=np.array(speed, dtype=float),
            launch_price=np.array(price, dtype=float),
            input_share=np.array(inputs, dtype=float),
        )

    def __len__(self) -> int:
        return len(self.names)

    def origins(self, specs: Sequence[ProviderSpec]) -> list[frozenset[str]]:
        """For each provider of ``specs``, the jurisdictions of the labs whose products it sells.

        A lab's own jurisdiction, with its listed labs' for one that also hosts; a host's listed
        labs' alone.
        """
        made: list[set[str]] = [set() for _ in specs]
        for lab, author in zip(self.lab.tolist(), self.author.tolist(), strict=True):
            made[lab].add(specs[author].jurisdiction)
        return [frozenset(jurisdictions) for jurisdictions in made]

    def hosted_cn(self, specs: Sequence[ProviderSpec]) -> np.ndarray:
        """(K,) bool: Chinese-made products that a provider outside China sells (a host's)."""
        is_cn = np.array([spec.jurisdiction == "CN" for spec in specs])
        return (self.lab != self.author) & is_cn[self.author] & ~is_cn[self.lab]

    def best_on_sale(self, on_sale: np.ndarray, labs: int) -> np.ndarray:
        """(P,) index of each lab's most capable product among ``on_sale`` ((K,) bool).

        -1 for a lab with none; ties go to the product listed first.
        """
        sold = np.flatnonzero(on_sale)
        order = sold[np.lexsort((sold, -self.aa_index[sold], self.lab[sold]))]
        first = np.flatnonzero(np.diff(self.lab[order], prepend=-1))
        best = np.full(labs, -1)
        best[self.lab[order[first]]] = order[first]
        return best

    def best_score(self, month: int, labs: int) -> np.ndarray:
        """(P,) capability of each lab's best product on sale in ``month``; NaN with none."""
        best = self.best_on_sale(self.on_sale(month), labs)
        return np.where(best >= 0, self.aa_index[best], np.nan)

    def on_sale(self, month: int) -> np.ndarray:
        """(K,) bool: launched and not yet retired in ``month``."""
        return (self.launch <= month) & (month < self.retire)


def _speed(product: Product, speed_by_tier: Mapping[str, float]) -> float:
    """A product's output speed, its tier's median where the catalogue has none."""
    return product.speed if not np.isnan(product.speed) else speed_by_tier[product.tier]


def _listed(
    host: ProviderSpec, sold: Sequence[Product], index: Mapping[str, int], retire: np.ndarray
) -> list[int]:
    """Indices into ``sold`` of the open-weight products ``host`` lists before they retire.

    A product is listed ``listing_lag_months`` after its launch, and not before the host's first
    listing of its lab; one its lab retires before then is never listed.
    """
    return [
        k
        for k, product in enumerate(sold)
        if product.open_weights
        and product.lab in host.lists
        and product.lab in index
        and _listing_month(host, product) < retire[k]
    ]


def _listing_month(host: ProviderSpec, product: Product) -> int:
    """The month index ``host`` starts selling ``product``.

    Its listing lag after the launch, and no earlier than the host's first listing of its lab.
    """
    return max(product.launch + host.listing_lag_months, parse_month(host.lists[product.lab]))


def _retirements(products: Sequence[Product], scores: Sequence[float]) -> np.ndarray:
    """(K,) each product's first month off sale: recorded, else the dominance rule, else never.

    Product j dominates product k when it is of the same lab and tier, listed later (by launch,
    then by catalogue order), at least as capable and no dearer at launch; k retires
    :data:`RETIREMENT_LAG_MONTHS` after the first launch of a product dominating it.

    Args:
        products: the catalogued products of the run's labs.
        scores: their capability scores, gaps filled.
    """
    lab = np.array([p.lab for p in products])
    tier = np.array([p.tier for p in products])
    launch = np.array([p.launch for p in products])
    price = np.array([p.launch_price for p in products])
    score = np.asarray(scores, dtype=float)
    order = np.arange(len(products))
    later = (launch[None, :] > launch[:, None]) | (
        (launch[None, :] == launch[:, None]) & (order[None, :] > order[:, None])
    )
    dominates = (  # [k, j]: j dominates k
        (lab[None, :] == lab[:, None])
        & (tier[None, :] == tier[:, None])
        & later
        & (score[None, :] >= score[:, None])
        & (price[None, :] <= price[:, None])
    )
    successor = np.where(dominates, launch[None, :], NEVER).min(axis=1, initial=NEVER)
    ends = np.where(successor < NEVER, successor + RETIREMENT_LAG_MONTHS, NEVER)
    recorded = np.array([p.retired if p.retired is not None else -1 for p in products])
    return np.where(recorded >= 0, recorded, ends)
