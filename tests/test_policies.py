"""Each policy changes the constraints it should, on its schedule, and is validated on entry."""

import pytest

from policies.api_restriction import ApiRestriction
from policies.energy_price import EnergyPrice
from policies.engine import ActivePolicy, PolicyEngine
from policies.export_ban import ExportBan
from policies.export_licence import ExportLicence
from policies.permitting import Permitting
from policies.registry import available
from policies.remote_access import RemoteAccess
from policies.smuggling import Smuggling
from scenario.overrides import resolve_scenario, validate_scenario
from scenario.policy_params import Schedule
from vocabulary.calendar import parse_month
from vocabulary.errors import InputError

START = parse_month("2024-01")


def engine_of(*policies) -> PolicyEngine:
    """An engine over the policies, each labelled by its name."""
    return PolicyEngine([ActivePolicy(p.name, p) for p in policies], START)


def constraints(policy, month: str):
    """The constraints one policy sets for a month."""
    return engine_of(policy).constraints_at(parse_month(month))


def test_export_ban_tiers_follow_the_real_control_dates() -> None:
    """The H20 tier (Apr 2025) is not in force in 2024; the 2022 and 2023 tiers are."""
    ban = ExportBan()
    early = constraints(ban, "2024-06")
    assert early.chip_banned("CN", "X", "2022-10") and early.chip_banned("CN", "X", "2023-10")
    assert not early.chip_banned("CN", "X", "2025-04")
    assert constraints(ban, "2025-04").chip_banned("CN", "X", "2025-04")
    assert not early.chip_banned("US", "X", "2022-10"), "bans bind only the named buyers"
    assert not early.chip_banned("CN", "X", ""), "domestic chips are never banned"


def test_export_ban_without_historical_dates_bans_all_tiers_from_its_start() -> None:
    """A counterfactual: the H20 ban brought forward to the schedule's start."""
    ban = ExportBan(historical_dates=False, schedule=Schedule(start="2024-03"))
    assert not constraints(ban, "2024-02").chip_banned("CN", "X", "2025-04")
    assert constraints(ban, "2024-03").chip_banned("CN", "X", "2025-04")


def test_remote_access_cuts_rented_compute_by_enforcement_less_leakage() -> None:
    """Full enforcement with 20% leakage keeps 20% of rented foreign compute."""
    rasa = RemoteAccess(enforcement=1.0, leakage=0.2)
    assert constraints(rasa, "2024-01").remote_keep["CN"] == pytest.approx(0.2)
    assert constraints(rasa, "2024-01").remote_keep["US"] == 1.0


def test_remote_access_ramp_phases_the_cut_in() -> None:
    """A three-month ramp cuts a quarter, half, three quarters, then all of the reachable access."""
    rasa = RemoteAccess(
        enforcement=1.0, leakage=0.0, schedule=Schedule(start="2025-01", ramp_months=3)
    )
    kept = [
        constraints(rasa, m).remote_keep["CN"]
        for m in ("2024-12", "2025-01", "2025-02", "2025-03", "2025-04")
    ]
    assert kept == pytest.approx([1.0, 0.75, 0.5, 0.25, 0.0])


def test_smuggling_opens_a_capped_channel_with_premium_and_seizures() -> None:
    """Without the policy no banned chip leaks; with it, its parameters reach the constraints."""
    assert constraints(ExportBan(), "2024-06").smuggling_leakage["CN"] == 0.0
    c = constraints(
        Smuggling(leakage=0.3, premium=0.5, cap_per_year=1000, seizure_rate=0.1), "2024-06"
    )
    assert c.smuggling_leakage["CN"] == 0.3
    assert c.smuggling_cap_per_year["CN"] == 1000
    assert c.smuggling_premium == 0.5 and c.seizure_rate == 0.1


def test_schedule_end_switches_a_policy_off() -> None:
    """After its end month a policy no longer acts."""
    smuggling = Smuggling(schedule=Schedule(start="2024-01", end="2024-12"))
    assert constraints(smuggling, "2024-12").smuggling_leakage["CN"] > 0
    assert constraints(smuggling, "2025-01").smuggling_leakage["CN"] == 0


def test_schedule_accepts_step_numbers() -> None:
    """A start given as a step counts from the run's first month."""
    policy = EnergyPrice(multiplier=2.0, schedule=Schedule(start=6))
    assert constraints(policy, "2024-06").energy_multiplier["CN"] == 1.0
    assert constraints(policy, "2024-07").energy_multiplier["CN"] == 2.0


def test_api_restriction_bars_government_fully_and_enterprises_in_part() -> None:
    """Government users are fully barred from Chinese providers, half of enterprises are."""
    c = constraints(ApiRestriction(enterprise_share=0.5), "2024-01")
    assert c.barred_share("US", "government", "CN") == 1.0
    assert c.barred_share("US", "enterprise", "CN") == 0.5
    assert c.barred_share("US", "indie", "CN") == 0.0
    assert c.barred_share("CN", "government", "CN") == 0.0
    assert c.barred_share("US", "government", "US") == 0.0


def test_permitting_and_energy_price_change_lead_times_and_prices() -> None:
    """Permitting adds build months; an energy shock multiplies one jurisdiction's power price."""
    permitting = Permitting(region="US", extra_months=12)
    assert constraints(permitting, "2024-01").extra_lead_months["US"] == 12
    c = constraints(EnergyPrice(region="CN", multiplier=3.0), "2024-01")
    assert c.energy_multiplier == {"US": 1.0, "EU": 1.0, "CN": 3.0}


def test_policy_events_are_logged_when_status_changes() -> None:
    """Each new export-control tier appears once, in its month."""
    engine = engine_of(ExportBan())
    events = []
    month = START
    while month <= parse_month("2025-12"):
        events += engine.advance(month)[1]
        month += 1
    assert [e.month for e in events] == [START, parse_month("2025-04")]
    assert "2025-04" in events[-1].status


def test_policies_combine_in_one_engine() -> None:
    """Several policies act together on one Constraints."""
    engine = engine_of(ExportBan(), RemoteAccess(leakage=0.5), Smuggling(leakage=0.2))
    c, events = engine.advance(parse_month("2025-06"))
    assert c.chip_banned("CN", "X", "2025-04") and c.remote_keep["CN"] == 0.5
    assert c.smuggling_leakage["CN"] == 0.2
    assert {e.policy for e in events} == {"export_ban", "remote_access", "smuggling"}


def test_export_licence_lets_a_banned_chip_through_with_a_fee() -> None:
    """The H20 reopening: banned by its tier, yet licensed, so sold with a 15% fee."""
    c = engine_of(ExportBan(), ExportLicence(chips=["H20"], fee=0.15)).constraints_at(
        parse_month("2025-09")
    )
    assert not c.chip_banned("CN", "H20", "2025-04")
    assert c.chip_banned("CN", "H100", "2022-10")
    assert c.export_fee("CN", "H20") == 0.15 and c.export_fee("CN", "H100") == 0.0


@pytest.mark.parametrize(
    "name, params, fragment",
    [
        ("smuggling", {"leakage": 1.5}, "smuggling.leakage"),
        ("smuggling", {"leakage": "lots"}, "smuggling.leakage"),
        ("remote_access", {"enforcment": 1}, "remote_access.enforcment: unknown setting"),
        ("export_ban", {"tiers": ["2021-01"]}, "export_ban.tiers"),
        ("energy_price", {"multiplier": -1}, "energy_price.multiplier"),
        ("export_ban", {"schedule": {"start": "2024-13"}}, "export_ban.schedule"),
    ],
)
def test_bad_policy_parameters_name_the_parameter(name: str, params: dict, fragment: str) -> None:
    """Validation errors are one line naming policy and parameter, from the scenario's check."""
    with pytest.raises(InputError) as error:
        validate_scenario({"policies": [{"name": name, "params": params}]})
    assert fragment in str(error.value)
    assert "\n" not in str(error.value)


def test_registry_lists_the_built_in_policies() -> None:
    """`sim policies` and --policy see the six built-in policies."""
    assert {
        "export_ban",
        "remote_access",
        "smuggling",
        "api_restriction",
        "energy_price",
        "permitting",
    } <= set(available())


def test_third_party_policies_load_from_the_entry_point_group(monkeypatch) -> None:
    """A policy installed by another package under `token_market.policies` is found by name."""
    import policies.registry as registry
    import scenario.policy_params as policy_params

    class CarbonTax(EnergyPrice):
        name = "carbon_tax"
        summary = "test policy"

    class FakeEntryPoint:
        name = "carbon_tax"
        value = "tests:CarbonTax"

        def load(self):
            return CarbonTax

    monkeypatch.setattr(
        policy_params,
        "entry_points",
        lambda group: [FakeEntryPoint()] if group == policy_params.ENTRY_POINT_GROUP else [],
    )
    policy_params._discover.cache_clear()  # the scan is cached per process: scan the fake one
    try:
        assert registry.available()["carbon_tax"] is CarbonTax
        scenario = resolve_scenario(policies=["carbon_tax"], settings=["carbon_tax.multiplier=2"])
        [active] = registry.build_policies(scenario.policies)
        assert isinstance(active.policy, CarbonTax) and active.policy.multiplier == 2.0
    finally:
        policy_params._discover.cache_clear()
