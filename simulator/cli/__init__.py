"""The ``sim`` command: thin click commands that parse, call and print.

Bad input of any kind (an unknown policy, a bad ``--set``, an unreachable database) is one line
on standard error and exit status 2; nothing in the database changes. Each command group lives
in its own module here and is registered below.
"""

import click

import simulator
from simulator.cli.common import SimGroup


@click.group(cls=SimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(simulator.__version__, prog_name="sim")
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


def _register() -> None:
    from simulator.cli import (
        dashboard,
        db,
        plot,
        policies,
        replay,
        run,
        runs,
        scenario,
        sweep,
        validate,
    )

    for module in (run, sweep, scenario, validate, policies, runs, replay, plot, db, dashboard):
        module.register(cli)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="sim")
