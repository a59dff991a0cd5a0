"""A policy used twice goes by its own name everywhere: --set, listings, events and errors.

The baseline preset has two ``export_licence`` instances, ``h20_resumed`` and
``h200_allowed``. A user reads those names in ``sim scenario list`` and must be able to set,
list and find them by the same names; an error must never advise something (``--policy
export_licence``) that would quietly add a third licence.
"""

import json
from pathlib import Path

import pytest
from backends import Backend
from sim_cli import hostile_scenario, sim

from runs.load import policy_key
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario
from vocabulary.errors import InputError

BASELINE = load_scenario("baseline")

# Two months from 2025-07: the H20 licence starts in the second, so its event is stored.
AROUND_H20 = ("--scenario", "baseline", "--start", "2025-07", "--steps", "2")
TINY = ("--developers", "200")


def baseline_keys(h20_licence: str = "h20_resumed") -> list[str]:
    """The baseline preset's policies as a run lists them, its H20 licence under that name."""
    return [h20_licence if p.key == "h20_resumed" else p.key for p in BASELINE.policies]


def licences(settings: list[str]) -> dict[str, float]:
    """The baseline's export licences with ``settings``: instance name -> fee."""
    scenario = resolve_scenario(load_scenario("baseline"), settings=settings)
    return {p.key: p.params.fee for p in scenario.policies if p.name == "export_licence"}


def test_a_licence_fee_is_set_by_the_instance_name_and_only_on_that_instance() -> None:
    """``h20_resumed.fee=0.2`` changes the H20 licence's fee, not the H200's; none is added."""
    assert licences(["h20_resumed.fee=0.2"]) == {"h20_resumed": 0.2, "h200_allowed": 0.25}


def test_setting_by_the_policy_name_names_the_instances_and_adds_no_licence() -> None:
    """``export_licence.fee`` on the baseline: the error names both licences by their names.

    Its advice is to set one of them; ``--policy export_licence`` would add a third licence
    (H20, from the run's start) that the user never asked for.
    """
    with pytest.raises(InputError) as raised:
        licences(["export_licence.fee=0.2"])
    message = str(raised.value)
    assert "h20_resumed" in message and "h200_allowed" in message
    assert "--set h20_resumed.fee" in message
    assert "--policy" not in message


def test_an_unknown_key_lists_the_runs_policies_with_their_names() -> None:
    """A misspelt instance name: the error lists each instance with its policy."""
    with pytest.raises(InputError) as raised:
        licences(["h20_resumd.fee=0.2"])
    message = str(raised.value)
    assert "h20_resumed (export_licence), h200_allowed (export_licence)" in message
    assert "export_ban" in message and "smuggling" in message


def test_an_unknown_parameter_of_an_instance_names_it_and_its_policy() -> None:
    """``h20_resumed.fees``: the parameters listed are those of ``h20_resumed (export_licence)``."""
    expected = r"no parameter named 'fees' in h20_resumed \(export_licence\); nearest: fee; valid: "
    with pytest.raises(InputError, match=expected):
        licences(["h20_resumed.fees=0.2"])


def test_naming_an_instance_with_policy_adds_nothing() -> None:
    """``--policy h20_resumed`` on the baseline is the licence already there, not an error."""
    base = load_scenario("baseline")
    assert resolve_scenario(base, policies=["h20_resumed"]).policies == base.policies


def test_run_set_by_instance_name_is_listed_shown_and_logged_by_that_name(db: Backend) -> None:
    """`sim run --set h20_resumed.fee=0.2`: listings, details and events say h20_resumed."""
    ran = sim("run", *AROUND_H20, *TINY, "--set", "h20_resumed.fee=0.2", "--db", db.url)
    assert ran.exit_code == 0, ran.output
    listed = json.loads(sim("runs", "list", "--json", "--db", db.url).stdout)
    assert listed[0]["policies"] == baseline_keys()
    shown = sim("runs", "show", "1", "--db", db.url)
    assert "h20_resumed (export_licence)" in shown.stdout
    details = json.loads(sim("runs", "show", "1", "--json", "--db", db.url).stdout)
    (event,) = [e for e in details["events"] if e["policy"] == "h20_resumed"]
    assert event["month"] == "2025-08" and "20% fee" in event["status"]


def test_runs_are_found_by_policy_name_and_by_instance_name(db: Backend) -> None:
    """The store's ``policy`` filter takes ``export_licence`` as well as ``h20_resumed``."""
    from interfaces import api

    ran = sim("run", *AROUND_H20, *TINY, "--db", db.url)
    assert ran.exit_code == 0, ran.output
    store = api.open_store(db.url)
    for policy in ("export_licence", "h20_resumed", "smuggling"):
        assert list(store.runs(policy=policy).index) == [1], policy
    assert store.runs(policy="remote_access").empty


def test_a_label_holding_a_plus_is_one_policy_in_listings_and_filters(
    db: Backend, tmp_path: Path
) -> None:
    """``@SUM(1+1)`` was listed as two policies (``@SUM(1`` and ``1)``) and found by neither."""
    from interfaces import api

    label = "@SUM(1+1)"
    scenario = hostile_scenario(tmp_path, "plus", "Provider", label)
    ran = sim("run", "--scenario", str(scenario), *TINY, "--steps", "2", "--db", db.url)
    assert ran.exit_code == 0, ran.output
    listed = json.loads(sim("runs", "list", "--json", "--db", db.url).stdout)
    assert listed[0]["policies"] == baseline_keys(label)
    table = sim("runs", "list", "--db", db.url).stdout
    assert label in table  # not "@SUM(1, 1)"
    store = api.open_store(db.url)
    assert list(store.runs(policy=label).index) == [1]
    assert store.runs(policy="@SUM(1").empty
    assert store.runs().loc[1, "policies"] == baseline_keys(label)


def test_a_policy_stored_without_a_label_goes_by_its_name() -> None:
    """Runs stored before labels were kept still read: the policy's name stands in."""
    assert policy_key({"name": "export_ban"}) == "export_ban"
    assert policy_key({"name": "export_licence", "label": "h20_resumed"}) == "h20_resumed"


@pytest.fixture
def db(tmp_path: Path) -> Backend:
    """A SQLite store in the test's folder (created by the first run)."""
    return Backend("sqlite", str(tmp_path / "runs.db"), tmp_path)
