"""The ``sim`` command: thin click commands that parse, call and print.

Bad input of any kind (an unknown policy, a bad ``--set``, an unreachable database) is one line
on standard error and exit status 2; nothing in the database changes. Each command (group)
lives in its own module here, imported only when it is invoked, so that ``sim run`` does not
pay for the plotting, sweep or dashboard libraries.
"""

import importlib
from typing import Any

import click

from interfaces import api
from interfaces.cli.common import SimGroup

COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("run", "run", "Simulate the market month by month (or week by week); store the run."),
    "sweep": ("sweep", "sweep_group", "Run and analyse parameter sweeps over many runs."),
    "effects": (
        "effects",
        "effects_command",
        "The policy-effects table: ten comparisons with the baseline, paired by seed.",
    ),
    "scenario": ("scenario", "scenario_group", "Show scenario presets and files."),
    "validate": ("validate", "validate", "Compare the baseline with the calibration targets."),
    "calibrate": (
        "calibrate",
        "calibrate",
        "Search the tuned parameters for the best fit to the targets.",
    ),
    "policies": ("policies", "policies_command", "List the policies and their parameters."),
    "runs": ("runs", "runs_group", "List, inspect, compare, export and delete stored runs."),
    "replay": ("replay", "replay_command", "Re-run a stored run and check it is reproduced."),
    "plot": ("plot", "plot_command", "Draw stored runs' histories to a PNG file."),
    "db": ("db", "db_group", "Manage the run database (schema upgrades)."),
    "dashboard": ("dashboard", "dashboard", "Serve the live dashboard in the browser."),
}
"""Command name -> (module under interfaces.cli, attribute, one-line help for `sim --help`)."""


class LazyGroup(SimGroup):
    """The ``sim`` group: commands are imported on first use (click's lazy-loading recipe)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The command names, in the order `sim --help` shows them."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """Import the command's module and return the command, or None if there is none."""
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        return getattr(importlib.import_module(f"interfaces.cli.{module}"), attribute)

    def format_commands(self, ctx: click.Context, formatter: Any) -> None:
        """List the commands with their one-line help without importing any of them."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, _, short) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(api.__version__, prog_name="sim")
def cli() -> None:
    """Simulate the global AI token market under chip export controls.

    Chinese and Western providers, limited by chip access and energy costs, compete for
    developers; policies (export bans, the Remote Access Security Act, smuggling, ...) change
    the market's constraints month by month. Every run is stored with its full history.

    \b
    Examples:
      sim run --policy export_ban
      sim run --policy export_ban --policy smuggling --set smuggling.leakage=0.3 --seed 7
      sim policies
      sim runs list
      sim runs show 1
    """


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="sim")
