"""Every command's help shows how it is used, with the same names for the same things.

A researcher reads ``--help`` before the README: each command has an example there, a run is
``RUN`` everywhere, and a command that prints a table can print JSON instead.
"""

import json

import click
import pytest
from sim_cli import sim

from interfaces.cli import cli
from vocabulary.metrics import Level, names


def commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under ``group``, as the words that invoke it."""
    found = [path]
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            found += commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


ALL_COMMANDS = commands()
TABLE_COMMANDS = [
    ("run",),
    ("scenario", "list"),
    ("policies",),
    ("validate",),
    ("runs", "list"),
    ("runs", "show"),
    ("runs", "compare"),
    ("replay",),
    ("sweep",),
    ("sweep", "list"),
    ("sweep", "show"),
    ("sweep", "sensitivity"),
    ("effects",),
]


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda path: " ".join(path) or "sim")
def test_every_command_has_an_example_in_its_help(path: tuple[str, ...]) -> None:
    """``sim ... --help`` shows at least one example command line."""
    result = sim(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout
    assert "\n    sim " in result.stdout or "Example: sim " in result.stdout


@pytest.mark.parametrize("path", TABLE_COMMANDS, ids=" ".join)
def test_every_command_that_prints_a_table_has_json(path: tuple[str, ...]) -> None:
    """A table is for people; ``--json`` gives scripts the same content."""
    assert "--json" in sim(*path, "--help").stdout


def test_a_run_is_run_in_every_commands_usage() -> None:
    """The argument naming a stored run is ``RUN`` everywhere, never ``RUN_ID``."""
    for path in ALL_COMMANDS:
        usage = sim(*path, "--help").stdout.splitlines()[0]
        assert "RUN_ID" not in usage, usage
    assert sim("runs", "show", "--help").stdout.startswith("Usage: sim runs show [OPTIONS] RUN")


def test_scenario_help_says_toml_or_yaml() -> None:
    """``--scenario`` takes YAML files as well as TOML: its help says both."""
    text = " ".join(sim("run", "--help").stdout.split())
    assert "TOML or YAML" in text


def test_scenario_list_json_names_each_policy_instance_and_its_policy() -> None:
    """``sim scenario list --json``: the baseline's licences by their names, with their policy."""
    presets = {p["name"]: p for p in json.loads(sim("scenario", "list", "--json").stdout)}
    assert {"name": "h20_resumed", "policy": "export_licence"} in presets["baseline"]["policies"]
    assert presets["no_controls"]["policies"] == []


def test_sweep_list_takes_a_limit() -> None:
    """``sim sweep list --limit N``, like ``sim runs list --limit N``."""
    assert "--limit" in sim("sweep", "list", "--help").stdout


def test_an_unknown_outcome_lists_every_allowed_metric() -> None:
    """``--outcome`` typo: the error names every market metric, not only a few."""
    result = sim("sweep", "sensitivity", "1", "--outcome", "cn_shar")
    assert result.exit_code == 2
    for name in names(Level.MARKET):
        assert name in result.stderr
