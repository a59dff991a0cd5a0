"""``sim policies``: what policies there are and what their parameters mean."""

import json

import click
from rich.console import Console
from rich.table import Table

from interfaces.cli.common import json_option
from policies.registry import available


@click.command("policies")
@json_option
def policies_command(as_json: bool) -> None:
    """List the available policies with their parameters, defaults and meaning."""
    listing = []
    for name, cls in sorted(available().items()):
        params = []
        for field, info in cls.model_fields.items():
            default = info.get_default(call_default_factory=True)
            if hasattr(default, "model_dump"):
                default = default.model_dump()
            params.append(
                {"name": field, "default": default, "description": info.description or ""}
            )
        listing.append({"name": name, "summary": cls.summary, "parameters": params})
    if as_json:
        click.echo(json.dumps(listing))
        return
    out = Console()
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
                    "when it acts: start / end (YYYY-MM or months from the "
                    "start), ramp_months; e.g. --set " + entry["name"] + ".schedule.start=2025-01"
                )
            table.add_row(param["name"], json.dumps(param["default"]), description)
        out.print(table)
        out.print()
