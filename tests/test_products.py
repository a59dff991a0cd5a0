"""Products: the catalogue, when each product is on sale, and how a lab's tokens split over them."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.cache_pricing import CachePricing
from agents.free_previews import FreePreviewCalendar
from agents.products import (
    NEVER,
    RETIREMENT_LAG_MONTHS,
    ProductLineup,
    load_products,
)
from scenario.roster import default_providers
from scenario.sections import ChoiceParams
from simulator.model import TokenMarket
from simulator.product_choice import ProductNest
from vocabulary.calendar import parse_month
from vocabulary.errors import InputError
from vocabulary.regions import GROUPS, WORK


@pytest.fixture(scope="module")
def lineup() -> ProductLineup:
    """The default roster's line-up, with every lab's timeline score at 10 where needed."""
    specs = default_providers()
    return ProductLineup.build(specs, load_products(), parse_month("2024-01"), lambda s, m: 10.0)


def _index(lineup: ProductLineup, name: str) -> int:
    return lineup.names.index(name)


def _opened_nest(lineup: ProductLineup, params: ChoiceParams, month: str) -> ProductNest:
    """The line-up's nest, with no free variants and no cache discount, opened for ``month``."""
    labs = int(lineup.lab.max()) + 1
    no_cache = CachePricing.of(default_providers(), hit_share=0.0)
    nest = ProductNest(
        lineup,
        labs,
        params,
        FreePreviewCalendar([], [""] * labs),
        no_cache,
        np.zeros(len(lineup), bool),
    )
    nest.open_month(parse_month(month))
    return nest


def test_the_catalogue_lists_every_sourced_product_with_its_provenance() -> None:
    """122 products of 15 labs, each with a source and a confidence grade."""
    products = load_products()
    assert len(products) == 122
    assert len({p.lab for p in products}) == 15
    assert all(p.source and p.confidence in ("H", "M", "L") for p in products)


def test_every_lab_of_the_roster_sells_catalogued_products() -> None:
    """The roster's labs, the three late entrants included, all have catalogue rows."""
    labs = {p.lab for p in load_products()}
    assert {spec.name for spec in default_providers()} <= labs


def test_a_dominated_product_retires_some_months_after_its_successor(
    lineup: ProductLineup,
) -> None:
    """o3 (2025-04) is better and cheaper than o1: o1 leaves six months later."""
    o1 = _index(lineup, "o1")
    assert lineup.retire[o1] == parse_month("2025-04") + RETIREMENT_LAG_MONTHS
    assert not lineup.on_sale(parse_month("2025-10"))[o1]
    assert lineup.on_sale(parse_month("2025-09"))[o1]


def test_a_cheaper_older_product_stays_on_sale(lineup: ProductLineup) -> None:
    """Claude 3 Haiku is cheaper than every later Haiku, so nothing dominates it."""
    assert lineup.retire[_index(lineup, "Claude 3 Haiku")] == NEVER


def test_recorded_retirements_are_kept(lineup: ProductLineup) -> None:
    """The catalogue's own retirement months win over the rule."""
    assert lineup.retire[_index(lineup, "Mistral Large 2 (24.07 / 24.11)")] == parse_month(
        "2025-03"
    )


def test_labs_serving_at_the_start_sell_a_stand_in_until_their_first_product_is_established(
    lineup: ProductLineup,
) -> None:
    """Anthropic's first row is Claude 3 (2024-03); Xiaomi held nobody and gets no stand-in."""
    stand_in = _index(lineup, "Anthropic (stand-in)")
    assert lineup.on_sale(parse_month("2024-01"))[stand_in]
    assert lineup.retire[stand_in] == parse_month("2024-03") + RETIREMENT_LAG_MONTHS
    assert "Xiaomi (stand-in)" not in lineup.names


def test_a_lab_has_no_developers_before_its_first_product() -> None:
    """Xiaomi's first product launches 2025-12: nobody uses Xiaomi before, somebody after."""
    model = TokenMarket(developers=4_000, start="2025-06", steps=12, seed=3)
    xiaomi = model.provider_names.index("Xiaomi")
    users_by_month = {}
    while model.running:
        model.step()
        users_by_month[model.last_record.month] = int((model.developers.provider == xiaomi).sum())
    assert all(users_by_month[m] == 0 for m in users_by_month if m < "2025-12")
    assert users_by_month["2026-05"] > 0


def test_product_rows_only_name_products_on_sale() -> None:
    """GPT-4o mini launched 2024-07: the 2024-06 step sells none of it, the 2024-07 step does."""
    model = TokenMarket(developers=2_000, steps=7, seed=1)
    sold = {}
    while model.running:
        model.step()
        sold[model.last_record.month] = {row["product"] for row in model.last_record.products}
    assert "GPT-4o mini" not in sold["2024-06"]
    assert "GPT-4o mini" in sold["2024-07"]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    scale=st.floats(0.05, 1.0),
    price_weight=st.floats(0.0, 3.0),
    quality_weight=st.floats(0.0, 15.0),
    product_quality=st.floats(0.05, 1.0),
    programming_quality=st.floats(0.05, 1.0),
    month=st.sampled_from(["2024-01", "2024-09", "2025-06", "2026-05", "2027-06"]),
)
def test_each_groups_tokens_at_a_lab_split_over_its_products_in_full(
    lineup: ProductLineup,
    scale: float,
    price_weight: float,
    quality_weight: float,
    product_quality: float,
    programming_quality: float,
    month: str,
) -> None:
    """Within every lab with something on sale, each buyer group's product shares sum to one.

    None is negative or off sale, and the lab's inclusive value is at least its best product's
    within-lab utility (0).
    """
    params = ChoiceParams(
        product_nest_scale=scale,
        quality_weight=quality_weight,
        product_quality_scale=product_quality,
        programming_product_quality_scale=programming_quality,
        price_weight=dict.fromkeys(("indie", "startup", "enterprise", "government"), price_weight),
    )
    nest = _opened_nest(lineup, params, month)
    labs = nest.labs
    sums = np.zeros((nest.share.shape[0], labs))
    np.add.at(sums.T, lineup.lab, nest.share.T)
    on = nest.lab_on_sale
    np.testing.assert_allclose(sums[:, on], 1.0, rtol=1e-12)
    assert np.all(nest.share >= 0) and np.all(nest.share[:, ~nest.on_sale] == 0)
    assert np.all(nest.value[:, on] >= -1e-12)
    assert np.all(np.isneginf(nest.value[:, ~on]))


@pytest.mark.parametrize("month", ["2024-12", "2025-06"])
@pytest.mark.parametrize(
    ("work", "scale_field"),
    [("general", "product_quality_scale"), ("programming", "programming_product_quality_scale")],
)
def test_weighing_the_index_less_within_a_lab_moves_that_work_down_the_price_ladder(
    lineup: ProductLineup, month: str, work: str, scale_field: str
) -> None:
    """As a kind of work's within-lab scale falls, that work moves down the lab's price ladder.

    OpenAI's most capable product (o1, then o3) loses that work's tokens in every segment, and
    the mean list price that work pays at OpenAI falls (which cheaper product gains depends on
    the speeds too); the other kind of work, with its own scale, keeps its split.
    """
    best = {"2024-12": "o1", "2025-06": "o3"}[month]
    openai = lineup.lab[_index(lineup, best)]
    moved = np.arange(GROUPS) % len(WORK) == WORK.index(work)

    def split(scale: float) -> tuple[np.ndarray, np.ndarray]:
        nest = _opened_nest(lineup, ChoiceParams(**{scale_field: scale}), month)
        sold = np.flatnonzero(nest.on_sale & (lineup.lab == openai))
        return nest.share[:, _index(lineup, best)], nest.share[:, sold] @ nest.price[sold]

    top_full, paid_full = split(1.0)
    top_low, paid_low = split(0.2)
    assert np.all(top_low[moved] < top_full[moved])
    assert np.all(paid_low[moved] < paid_full[moved])
    np.testing.assert_array_equal(top_low[~moved], top_full[~moved])


def test_a_bad_catalogue_row_is_one_clear_error(tmp_path: Path) -> None:
    """A wrong tier names the line, the column and the allowed values."""
    good = (Path(__file__).parents[1] / "scenario" / "data" / "products.csv").read_text()
    header, first, *_ = good.splitlines()
    path = tmp_path / "products.csv"
    path.write_text(header + "\n" + first.replace(",frontier,", ",huge,", 1) + "\n")
    with pytest.raises(InputError, match=r"line 2\.tier: 'huge'; allowed: frontier, mid, fast"):
        load_products(path)


def test_a_labs_capability_counts_a_product_from_its_launch_month() -> None:
    """A product's capability counts from its launch month, not from its quarter's start.

    Claude 3 Opus (AA 11.8) launches 2024-03: Anthropic has its stand-in's 0.6 x 11.8 before,
    and 11.8 from March; GPT-4o (8.6) lifts OpenAI in May, not in April.
    """
    model = TokenMarket(developers=1_000, steps=5, seed=1)
    anthropic = model.provider_names.index("Anthropic")
    openai = model.provider_names.index("OpenAI")
    by_month = {}
    while model.running:  # the capability developers see when they choose in each month
        by_month[model.date] = (model.capability[anthropic], model.capability[openai])
        model.step()
    assert by_month["2024-02"][0] == pytest.approx(0.6 * 11.8)
    assert by_month["2024-03"][0] == pytest.approx(11.8)
    assert by_month["2024-04"][1] == pytest.approx(7.9)
    assert by_month["2024-05"][1] == pytest.approx(8.6)
