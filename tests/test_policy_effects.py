"""``sim effects``: the comparisons of docs/model.md's effects table, built, run and printed.

The arms are checked against the issue's list (leakage 0 / 0.5 / 1, the Act from 2026-07 and
2024-01, the strict and no_controls presets, Beijing's measures off, the US lead time at 12 and
36 months), each changing the baseline in that one way; an arm identical to the baseline must
differ from it by exactly 0 in every seed (common random numbers); the command prints its table,
JSON and Markdown, and refuses an unknown ``--only`` with the valid ids. Small and seeded: 300
developers, 2 seeds.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from sim_cli import sim

from experiments.policy_effects import (
    ARM_IDS,
    OUTCOMES,
    Arm,
    arm_spec,
    baseline,
    effects_table,
    run_arms,
    standard_arms,
)
from experiments.sweep_executors import open_executor
from interfaces import api
from runs.store import RunStore
from scenario.files import load_scenario
from scenario.scenario import Scenario

DEVELOPERS = 300


@pytest.fixture(scope="module")
def base() -> Scenario:
    """The baseline preset at the tests' population."""
    return baseline(DEVELOPERS)


@pytest.fixture(scope="module")
def arms(base: Scenario) -> dict[str, Arm]:
    """The standard arms, by id."""
    return {arm.id: arm for arm in standard_arms(base)}


def _policies(scenario: Scenario) -> list[dict[str, Any]]:
    return [policy.model_dump(mode="json") for policy in scenario.policies]


def _rest(scenario: Scenario) -> dict[str, Any]:
    """Everything of a scenario but its name, description and policies."""
    return scenario.model_dump(mode="json", exclude={"name", "description", "policies"})


def _param(scenario: Scenario, policy: str, name: str) -> Any:
    (config,) = [p for p in scenario.policies if p.key == policy]
    return getattr(config.params, name)


def test_the_arms_are_the_issues_comparisons_in_order(arms: dict[str, Arm]) -> None:
    """Twelve arms with the ids ``--only`` takes, in the order of the issues (26, then 27)."""
    assert tuple(arms) == ARM_IDS == api.EFFECT_ARMS
    assert len(ARM_IDS) == 12
    assert list(api.effect_arms(DEVELOPERS).index) == list(ARM_IDS)


def test_each_arm_changes_the_baseline_in_one_way(base: Scenario, arms: dict[str, Arm]) -> None:
    """Leakage values, the Act's start, the presets, Beijing removed, the US lead times."""
    base_leakage = _param(base, "smuggling", "leakage")
    for arm_id, leakage in (("leakage-0", 0), ("leakage-0.5", 0.5), ("leakage-1", 1)):
        arm = arms[arm_id].scenario
        assert _param(arm, "smuggling", "leakage") == leakage
        assert _rest(arm) == _rest(base)
        reverted = arm.model_copy(update={"policies": base.policies})
        assert _policies(reverted) == _policies(base)
        others = [p for p in _policies(arm) if p["name"] != "smuggling"]
        assert others == [p for p in _policies(base) if p["name"] != "smuggling"]
        assert f"baseline {base_leakage:g}" in arms[arm_id].label

    assert "remote_access" not in {p.name for p in base.policies}
    for arm_id, start in (("act-2026-07", "2026-07"), ("act-2024-01", "2024-01")):
        arm = arms[arm_id].scenario
        assert _param(arm, "remote_access", "schedule").start == start
        assert [p for p in _policies(arm) if p["name"] != "remote_access"] == _policies(base)
        assert _rest(arm) == _rest(base)

    for arm_id, preset in (("strict", "strict"), ("no-controls", "no_controls")):
        arm = arms[arm_id].scenario
        assert _policies(arm) == _policies(load_scenario(preset))
        assert _rest(arm) == _rest(base)  # the baseline's calendar and population

    assert "beijing_measures" in {p.name for p in base.policies}
    beijing_off = arms["beijing-off"].scenario
    assert _policies(beijing_off) == [p for p in _policies(base) if p["name"] != "beijing_measures"]
    assert _rest(beijing_off) == _rest(base)

    origin_ban = arms["origin-ban"].scenario
    assert [p for p in _policies(origin_ban) if p["name"] != "model_origin_ban"] == _policies(base)
    assert _param(origin_ban, "model_origin_ban", "segments") == {
        "government": 1.0,
        "enterprise": 1.0,
    }
    assert _rest(origin_ban) == _rest(base)

    hosts_off = arms["hosts-off"].scenario
    assert not hosts_off.hosts and not any(p.lists for p in hosts_off.providers)
    lab_only = Scenario(hosts=False).providers
    assert [p.name for p in hosts_off.providers] == [p.name for p in lab_only]
    assert _policies(hosts_off) == _policies(base)

    lead = base.supply.lead_time_months
    for arm_id, months in (("us-lead-12", 12), ("us-lead-36", 36)):
        arm = arms[arm_id].scenario
        assert arm.supply.lead_time_months == {**lead, "US": months}
        assert _policies(arm) == _policies(base)
        changed = arm.model_copy(update={"supply": base.supply})
        assert _rest(changed) == _rest(base)
        assert f"baseline {lead['US']}" in arms[arm_id].label

    for arm in arms.values():
        assert arm.scenario.developers == DEVELOPERS
        assert arm.scenario.steps == base.steps == 48


def test_an_arm_identical_to_the_baseline_differs_by_exactly_zero(
    base: Scenario, arms: dict[str, Arm], tmp_path: Path
) -> None:
    """Common random numbers: the same scenario and seed give the same history, to the bit.

    The arm that changes something (all banned chips' demand smuggled) beside it differs, so
    the zeros are not an artefact of reading one arm twice. Run again, nothing is rerun.
    """
    short = baseline(DEVELOPERS, steps=12)
    same = Arm("same", "the baseline itself", {}, short)
    leaky = next(arm for arm in standard_arms(short) if arm.id == "leakage-1")
    chosen = [same, leaky]
    specs = {arm.id: arm_spec(arm, seeds=2, seed_root=0) for arm in chosen}
    store = RunStore(str(tmp_path / "runs.db"))
    with open_executor(None, None, False, 8) as executor:
        done = run_arms(store, specs, executor)
        again = run_arms(store, specs, executor)
    assert (done.planned, done.finished, done.failed, done.already_finished) == (8, 8, 0, 0)
    assert (again.finished, again.already_finished) == (0, 8)
    assert again.sweeps == done.sweeps

    table = effects_table(store, chosen, done.sweeps).set_index(["arm", "outcome"])
    zero = table.loc["same"]
    assert list(zero.index) == list(OUTCOMES)
    assert (zero["pairs"] == 2).all()
    assert (zero[["difference", "difference_low", "difference_high"]] == 0.0).all().all()
    assert (zero["arm_level"] == zero["baseline"]).all()
    assert zero.loc["compute_cn", "baseline"] > 0
    smuggled = table.loc[("leakage-1", "compute_cn_smuggled")]
    assert smuggled["difference"] > 0
    assert smuggled["baseline"] == zero.loc["compute_cn_smuggled", "baseline"]


def test_the_command_prints_the_table_json_and_markdown(tmp_path: Path) -> None:
    """Two comparisons at 300 developers and 2 seeds, as a table, JSON and Markdown.

    The table's command runs them; JSON and Markdown come from the stored sweeps, nothing run
    again.
    """
    db = str(tmp_path / "runs.db")
    options = ["--developers", "300", "--seeds", "2", "--db", db]
    only = ["--only", "us-lead-36", "--only", "beijing-off"]
    shown = sim("effects", *only, *options)
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    assert "Policy effects in 2027-12" in text
    assert "Baseline preset (mean over seeds)" in text
    assert "Beijing's measures off" in text
    assert "US lead time 36 months (baseline 6" in text
    for words in ("(thousand H100e)", "bought legally", "rented abroad", "not served"):
        assert words in text
    assert "Policy effects: 8 runs to do for 2 comparisons" in " ".join(shown.stderr.split())

    printed = sim("effects", *only, *options, "--json")
    assert printed.exit_code == 0, printed.output
    (line,) = printed.stdout.splitlines()
    report = json.loads(line)
    assert [arm["id"] for arm in report["arms"]] == ["beijing-off", "us-lead-36"]
    assert report["runs"] == {"planned": 8, "already_finished": 8, "finished": 0, "failed": 0}
    assert report["month"] == "2027-12" and report["seeds"] == 2
    assert report["arms"][1]["changes"] == {"supply.lead_time_months.US": 36}
    assert set(report["baseline"]) == set(OUTCOMES)
    for arm in report["arms"]:
        assert set(arm["effects"]) == set(OUTCOMES)
        assert all(effect["pairs"] == 2 for effect in arm["effects"].values())

    markdown = sim("effects", *only, *options, "--markdown")
    assert markdown.exit_code == 0, markdown.output
    lines = markdown.stdout.splitlines()
    assert lines[0].startswith(
        "Made with `sim effects --only us-lead-36 --only beijing-off --seeds 2 "
        "--developers 300 --markdown`"
    )
    table = [line for line in lines if line.startswith("|")]
    assert table[0].startswith(
        "| comparison | Chinese-made models' share, developers outside China (%; effects in "
        "points) | Chinese share, developers outside China"
    )
    assert len(table) == 2 + 1 + 2  # header, rule, the baseline, two comparisons
    assert all(line.count(" | ") == len(OUTCOMES) for line in table if "---" not in line)


def test_an_unknown_comparison_is_one_line_with_the_valid_ids(tmp_path: Path) -> None:
    """``--only leakage-2``: exit status 2, the ids listed, no store made."""
    db = tmp_path / "runs.db"
    result = sim("effects", "--only", "leakage-2", "--db", str(db))
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert "leakage-2" in line
    assert all(arm_id in line for arm_id in ARM_IDS)
    assert not db.exists()


def test_the_help_names_every_comparison() -> None:
    """``sim effects --help`` lists the ids ``--only`` takes."""
    result = sim("effects", "--help")
    assert result.exit_code == 0
    assert all(arm_id in result.stdout for arm_id in ARM_IDS)
