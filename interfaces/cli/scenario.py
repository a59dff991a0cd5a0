"""``sim scenario ...``: the presets, and any scenario printed in full as editable TOML or YAML."""

import json

import click
from rich.table import Table

from interfaces import api
from interfaces.cli.common import SimGroup, json_option, scenario_from_options, scenario_options
from interfaces.cli.tables import print_table


@click.group("scenario", cls=SimGroup)
def scenario_group() -> None:
    """Show scenario presets and files.

    \b
    Examples:
      sim scenario list
      sim scenario show baseline > mine.toml
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace


@scenario_group.command("list")
@json_option
def scenario_list(as_json: bool) -> None:
    """List the packaged presets with what each one models.

    A preset's policies are listed by the names the preset gives them: those are the names
    --set takes (sim run --scenario baseline --set h20_resumed.fee=0.2).

    \b
    Examples:
      sim scenario list
      sim scenario list --json
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    presets = [
        {
            "name": name,
            "policies": [{"name": config.key, "policy": config.name} for config in preset.policies],
            "description": preset.description,
        }
        for name, preset in api.presets().items()
    ]
    if as_json:
        click.echo(json.dumps(presets))
        return
    table = Table()
    table.add_column("preset")
    table.add_column("policies")
    table.add_column("what it models")
    for preset in presets:
        policies = [
            p["name"] if p["name"] == p["policy"] else f"{p['name']} ({p['policy']})"
            for p in preset["policies"]
        ]
        table.add_row(preset["name"], ", ".join(policies) or "-", preset["description"])
    print_table(table, wrap=("policies", "what it models"))


@scenario_group.command("show")
@click.argument("name_or_file", required=False, metavar="[NAME|FILE]")
@click.option(
    "--format",
    "syntax",
    type=click.Choice(["toml", "yaml"]),
    default="toml",
    show_default=True,
    help="Syntax to print; a file ending .yaml/.yml is read as YAML.",
)
@scenario_options
def scenario_show(
    name_or_file: str | None,
    syntax: str,
    scenario: str | None,
    policies: tuple[str, ...],
    settings: tuple[str, ...],
    steps: int | None,
    developers: int | None,
    start: str | None,
    step_length: str | None,
) -> None:
    """Print a scenario in full as TOML or YAML: save it, edit it, run it with --scenario FILE.

    Takes the scenario as the first argument or with --scenario, plus any --policy and --set.

    \b
    Example:
      sim scenario show baseline > b.toml
      sim run --scenario b.toml --seed 1
      sim scenario show baseline --format yaml > b.yaml
    """
    resolved = scenario_from_options(
        name_or_file or scenario, policies, settings, steps, developers, start, step_length
    )
    click.echo(api.scenario_text(resolved, syntax), nl=False)
