"""``sim scenario ...``: the presets, and any scenario printed in full as editable TOML or YAML."""

import click
from rich.table import Table

from interfaces import api
from interfaces.cli.common import SimGroup, scenario_from_options, scenario_options
from interfaces.cli.tables import print_table


@click.group("scenario", cls=SimGroup)
def scenario_group() -> None:
    """Show scenario presets and files."""


@scenario_group.command("list")
def scenario_list() -> None:
    """List the packaged presets with what each one models."""
    table = Table()
    table.add_column("preset")
    table.add_column("policies")
    table.add_column("what it models")
    for name, preset in api.presets().items():
        table.add_row(name, ", ".join(p.key for p in preset.policies) or "-", preset.description)
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
