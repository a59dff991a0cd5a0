"""``sim run``: simulate one scenario and store it."""

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from runs.store import RunStore
from simulator.cli.common import SUMMARY_ROWS, db_option, fmt, json_option, json_safe
from simulator.model import TokenMarket
from simulator.overrides import resolve_scenario
from simulator.runner import RunInterrupted, execute


@click.command()
@click.option("--policy", "policies", multiple=True, metavar="NAME",
              help="Enable a policy (repeatable); see `sim policies`.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="Override a parameter by dotted path, e.g. smuggling.leakage=0.3 or "
                   "choice.social_weight=2 (repeatable).")
@click.option("--steps", type=click.IntRange(1, 600), default=None,
              help="Number of monthly steps [default 48].")
@click.option("--developers", type=click.IntRange(100, 5_000_000), default=None,
              help="Size of the developer population [default 20000].")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None,
              help="Seed of all randomness; the same seed gives the same history.")
@click.option("--start", default=None, metavar="YYYY-MM", help="First month [default 2024-01].")
@click.option("--name", default=None, help="Name stored with the run [default: the policies].")
@db_option
@json_option
def run(policies: tuple[str, ...], settings: tuple[str, ...], steps: int | None,
        developers: int | None, seed: int | None, start: str | None, name: str | None,
        db: str | None, as_json: bool) -> None:
    """Simulate the market month by month and store the run.

    Prints a summary (Chinese share, prices, compute at the start and the end) and the run id;
    with --json, one JSON line with run_id, status, digest, steps and the final metrics.
    Progress goes to standard error.
    """
    scenario = resolve_scenario(policies=policies, settings=settings, developers=developers,
                                steps=steps, start=start)
    store = RunStore(db)
    err = Console(stderr=True)
    progress = Progress(TextColumn("[bold]simulating[/] {task.fields[month]}"), BarColumn(),
                        MofNCompleteColumn(), TimeRemainingColumn(), console=err, transient=True)
    first: dict[str, Any] = {}

    with progress:
        task = progress.add_task("run", total=scenario.steps, month=scenario.start)

        def on_step(model: TokenMarket) -> None:
            if not first:
                first.update(model.last_record.market, month=model.last_record.month)
            progress.update(task, advance=1, month=model.last_record.month)

        try:
            result = execute(scenario, seed, store, name=name or "+".join(policies) or "no_policy",
                             on_step=on_step)
        except RunInterrupted as stop:
            progress.stop()
            err.print(f"[yellow]{stop}[/]")
            sys.exit(130)

    record = result.model.last_record
    final = {"month": record.month, **record.market}
    if as_json:
        click.echo(json.dumps({
            "run_id": result.run_id, "status": result.status, "digest": result.digest,
            "steps": result.steps, "seed": result.model.seed, "db": store.masked_url,
            "policies": [p.name for p in scenario.policies], "final": json_safe(final)}))
        return
    out = Console()
    table = Table(title=f"Run {result.run_id}: {', '.join(p.name for p in scenario.policies) or 'no policy'}"
                        f" (seed {result.model.seed})")
    table.add_column("metric")
    table.add_column(first["month"], justify="right")
    table.add_column(final["month"], justify="right")
    for label, key, kind in SUMMARY_ROWS:
        table.add_row(label, fmt(first.get(key), kind), fmt(final.get(key), kind))
    out.print(table)
    out.print(f"Stored as run [bold]{result.run_id}[/] in {store.masked_url} "
              f"(status {result.status}, digest {result.digest[:12]}). "
              f"See `sim runs show {result.run_id}`.")


def register(group: click.Group) -> None:
    """Add ``run`` to the ``sim`` group."""
    group.add_command(run)
