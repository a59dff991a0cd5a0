"""A run past its inputs' horizon, or with a policy that has nothing to act on, says so."""

from scenario.notes import scenario_notes
from scenario.overrides import resolve_scenario


def test_a_run_within_its_inputs_has_only_the_catalogue_note() -> None:
    """2024-2027 is within the demand schedules and the chips' book life."""
    notes = scenario_notes(resolve_scenario())
    assert len(notes) == 1 and notes[0].startswith("no product launches after")


def test_a_run_past_every_input_says_each_rule_once() -> None:
    """Seven years: growth repeated (both schedules), chips never retired."""
    notes = scenario_notes(resolve_scenario(steps=84))
    assert sum("repeat 2027's monthly growth" in note for note in notes) == 2
    assert sum("never retired" in note for note in notes) == 1


def test_smuggling_without_a_ban_says_it_changes_nothing() -> None:
    """Nothing is banned, so nothing is smuggled: said, not silently ignored."""
    alone = scenario_notes(resolve_scenario(policies=["smuggling"]))
    with_ban = scenario_notes(resolve_scenario(policies=["export_ban", "smuggling"]))
    assert any("nothing to smuggle" in note for note in alone)
    assert not any("nothing to smuggle" in note for note in with_ban)
