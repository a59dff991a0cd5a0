"""``--set`` reaches every input with one grammar, and a key that does not exist names the fix."""

import pytest

from scenario.files import load_scenario
from scenario.overrides import resolve_scenario
from scenario.scenario import Scenario
from vocabulary.errors import InputError


def test_a_year_of_a_schedule_changes_that_year_alone() -> None:
    """``demand.growth_global.2026=0.2`` sets 2026; the other years keep their values."""
    default = Scenario().demand.growth_global
    changed = resolve_scenario(settings=["demand.growth_global.2026=0.2"]).demand.growth_global
    assert changed == {**default, 2026: 0.2}


def test_a_table_for_a_schedule_changes_the_years_it_names() -> None:
    """``demand.growth_china={2027=0.1}`` no longer drops the years it leaves out."""
    default = Scenario().demand.growth_china
    changed = resolve_scenario(settings=["demand.growth_china={2027=0.1}"]).demand.growth_china
    assert changed == {**default, 2027: 0.1}


def test_a_month_keyed_schedule_takes_a_new_month() -> None:
    """``choice.programming_share.2026-06=0.7`` adds that month to the path."""
    share = resolve_scenario(settings=["choice.programming_share.2026-06=0.7"]).choice
    assert share.programming_share["2026-06"] == 0.7
    assert share.programming_share["2025-01"] == 0.11


@pytest.mark.parametrize(
    "key", ["products.GPT-4.1.launch_month", 'products."GPT-4.1".launch_month']
)
def test_a_product_is_reached_by_its_name_dots_and_all(key: str) -> None:
    """A product's name may hold dots: matched whole, or quoted."""
    scenario = resolve_scenario(settings={key: "2024-06"})
    assert scenario.products["GPT-4.1"].launch_month == "2024-06"
    assert scenario.products["GPT-4.1"].input_usd_per_m is None  # the rest: the catalogue's


def test_a_product_name_with_spaces_and_brackets_is_reached() -> None:
    """``products.GPT-4o (2024-08-06 / 2024-11-20).input_usd_per_m`` as typed."""
    key = "products.GPT-4o (2024-08-06 / 2024-11-20).input_usd_per_m=1.25"
    scenario = resolve_scenario(settings=[key])
    assert scenario.products["GPT-4o (2024-08-06 / 2024-11-20)"].input_usd_per_m == 1.25


@pytest.mark.parametrize(
    ("setting", "fragments"),
    [
        ("products.GPT-4.2.launch_month=2024-06", ["no product named 'GPT-4.2'", "GPT-4.1"]),
        ("demand.price_elasticity.indy=-0.1", ["no key named 'indy'", "nearest: indie"]),
        ("choice.socal_weight=1", ["no parameter named 'socal_weight'", "social_weight"]),
        ("providers.DeepSek.latency_s=1", ["no entry named 'DeepSek'", "nearest: DeepSeek"]),
        ("demand.growth_global.20x6=0.2", ["keyed by year", "demand.growth_global.2026"]),
        ("smugling.leakage=0.2", ["no policy or input named 'smugling'", "smuggling"]),
        ("h20_resumed.fees=0.2", ["no parameter named 'fees'", "nearest: fee"]),
    ],
)
def test_a_key_that_does_not_exist_lists_the_nearest_valid_keys(
    setting: str, fragments: list[str]
) -> None:
    """The error is one line naming the key and the nearest valid keys."""
    with pytest.raises(InputError) as error:
        resolve_scenario(load_scenario("baseline"), settings=[setting])
    message = str(error.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_a_ramp_on_a_policy_without_a_level_is_refused() -> None:
    """A ban is on or off: a ramp would change nothing, so it is refused, not ignored."""
    with pytest.raises(InputError, match="no level to ramp"):
        resolve_scenario(policies=["export_ban"], settings=["export_ban.schedule.ramp_months=6"])
