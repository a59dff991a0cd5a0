"""``sim runs ...``: list and inspect stored runs."""

import json

import click
from rich.console import Console
from rich.table import Table

from runs.store import RunStore
from simulator.cli.common import SUMMARY_ROWS, SimGroup, db_option, fmt, json_option


@click.group("runs", cls=SimGroup)
def runs_group() -> None:
    """List and inspect stored runs."""


@runs_group.command("list")
@click.option("--limit", type=click.IntRange(1), default=None, help="Show only the newest N.")
@db_option
@json_option
def runs_list(limit: int | None, db: str | None, as_json: bool) -> None:
    """List stored runs, newest first (a killed run shows as interrupted)."""
    store = RunStore(db, create=False)
    rows = store.list_runs(limit)
    if as_json:
        click.echo(json.dumps(rows))
        return
    out = Console()
    if not rows:
        out.print(f"No runs in {store.masked_url} yet. Start one with `sim run --policy export_ban`.")
        return
    table = Table()
    for column in ("id", "name", "status", "steps", "seed", "created", "policies", "digest"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["id"]), row["name"], row["status"],
                      f"{row['steps_done']}/{row['steps_planned']}", str(row["seed"]),
                      row["created_at"], ", ".join(row["policies"]) or "-",
                      (row["digest"] or "-")[:12])
    out.print(table)


@runs_group.command("show")
@click.argument("run_id", type=int)
@db_option
@json_option
def runs_show(run_id: int, db: str | None, as_json: bool) -> None:
    """Show one run: status, seed, versions, policy schedule, events and final metrics."""
    store = RunStore(db, create=False)
    record = store.get_run(run_id)
    if as_json:
        click.echo(json.dumps(record, default=str))
        return
    out = Console()
    out.print(f"[bold]Run {record['id']}[/] {record['name']}: {record['status']}, "
              f"{record['steps_done']}/{record['steps_planned']} steps, seed {record['seed']}")
    out.print(f"created {record['created_at']}, finished {record['finished_at'] or '-'}; "
              f"digest {record['digest'] or '-'}")
    out.print("versions: " + ", ".join(f"{k} {v}" for k, v in record["versions"].items()))
    out.print(f"rows: {record['market_steps_rows']} market, {record['provider_steps_rows']} "
              f"provider, {record['segment_steps_rows']} segment, "
              f"{record['policy_events_rows']} policy events")
    if record["error"]:
        out.print(f"[red]error:[/] {record['error']}")
    policies = Table(title="Policies", title_justify="left")
    policies.add_column("policy")
    policies.add_column("parameters")
    for policy in record["policies"]:
        params = {k: v for k, v in policy.items() if k != "name"}
        policies.add_row(policy["name"], json.dumps(params))
    out.print(policies)
    if record["events"]:
        events = Table(title="Policy events", title_justify="left")
        events.add_column("month")
        events.add_column("policy")
        events.add_column("status")
        for event in record["events"]:
            events.add_row(event["month"], event["policy"], event["status"])
        out.print(events)
    last = record["last_market"]
    if last:
        final = Table(title=f"Last step ({last['month']})", title_justify="left")
        final.add_column("metric")
        final.add_column("value", justify="right")
        for label, key, kind in SUMMARY_ROWS:
            final.add_row(label, fmt(last.get(key), kind))
        out.print(final)


def register(group: click.Group) -> None:
    """Add ``runs`` to the ``sim`` group."""
    group.add_command(runs_group)
