"""``sim policies``: what policies there are and what their parameters mean."""

import json
from dataclasses import asdict

import click
from rich.table import Table

from interfaces import api
from interfaces.cli.common import json_option
from interfaces.cli.tables import new_console, print_table

CONFIDENCE_NOTE = (
    "H, M or L after a source is its confidence: H an official page or two sources that "
    "agree, M one reputable secondary source, L a weak one (docs/sources.md)."
)
"""What the letters that end a cited source mean, said once under the list."""


@click.command("policies")
@json_option
def policies_command(as_json: bool) -> None:
    """List the available policies with their parameters, defaults and meaning.

    A meaning that cites a source ends with its confidence: H (an official page, or two sources
    that agree), M (one reputable secondary source) or L (a weak one). A run may use a policy
    more than once under names of its own (the baseline preset's export_licence policies are
    h20_resumed and h200_allowed): --set goes by those names.

    \b
    Examples:
      sim policies
      sim run --policy smuggling --set smuggling.leakage=0.3
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    listing = [asdict(policy) for policy in api.policies()]
    if as_json:
        click.echo(json.dumps(listing))
        return
    out = new_console()
    for entry in listing:
        table = Table(
            title=f"[bold]{entry['name']}[/]: {entry['summary']}",
            title_justify="left",
            show_edge=False,
        )
        table.add_column("parameter")
        table.add_column("default")
        table.add_column("meaning")
        for param in entry["parameters"]:
            description = param["description"]
            if param["name"] == "schedule":
                description = (
                    "when it acts: start / end (YYYY-MM or months from the start), "
                    f"ramp_months; e.g.\n--set {entry['name']}.schedule.start=2025-01"
                )
            table.add_row(param["name"], json.dumps(param["default"]), description)
        print_table(table, wrap=("default", "meaning"), console=out)
        out.print()
    out.print(CONFIDENCE_NOTE, soft_wrap=True)
