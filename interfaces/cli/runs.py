"""``sim runs ...``: list, inspect, compare, export and delete stored runs."""

import json
import math
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from interfaces.cli.common import SUMMARY_ROWS, SimGroup, db_option, fmt, json_option, json_safe
from runs.compare import END, compare_runs, differences, end_months, parse_months
from runs.delete import deletable, delete_run
from runs.export import FORMATS, export_run
from runs.load import load_run, monthly_means, step_label, stored_clock
from runs.schema import HISTORY_TABLES
from runs.store import RunStore, StoreError


@click.group("runs", cls=SimGroup)
def runs_group() -> None:
    """List, inspect, compare, export and delete stored runs."""


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
        out.print(
            f"No runs in {store.masked_url} yet. Start one with `sim run --policy export_ban`."
        )
        return
    table = Table()
    for column in ("id", "name", "status", "steps", "seed", "created", "policies", "digest"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["name"],
            row["status"],
            f"{row['steps_done']}/{row['steps_planned']}",
            str(row["seed"]),
            row["created_at"],
            ", ".join(row["policies"]) or "-",
            (row["digest"] or "-")[:12],
        )
    out.print(table)


@runs_group.command("show")
@click.argument("run_id", type=int)
@db_option
@json_option
def runs_show(run_id: int, db: str | None, as_json: bool) -> None:
    """Show one run: status, seed, versions, policy schedule, events and final metrics.

    Weekly runs name their last step by its start day; policy events keep their month (policies
    act by the month, from its first week).
    """
    store = RunStore(db, create=False)
    record = store.get_run(run_id)
    if as_json:
        click.echo(json.dumps({**record, "db": store.masked_url}, default=str))
        return
    out = Console()
    clock = stored_clock(record["scenario"])
    unit = "weekly " if clock.weekly else ""
    out.print(
        f"[bold]Run {record['id']}[/] {record['name']}: {record['status']}, "
        f"{record['steps_done']}/{record['steps_planned']} {unit}steps, "
        f"seed {record['seed']}"
    )
    tags = f"; tags: {', '.join(record['tags'])}" if record["tags"] else ""
    out.print(f"stored in {store.masked_url}{tags}")
    out.print(
        f"created {record['created_at']}, finished {record['finished_at'] or '-'}; "
        f"digest {record['digest'] or '-'}"
    )
    out.print("versions: " + ", ".join(f"{k} {v}" for k, v in record["versions"].items()))
    out.print(
        f"rows: {record['market_steps_rows']} market, {record['provider_steps_rows']} "
        f"provider, {record['segment_steps_rows']} segment, "
        f"{record['policy_events_rows']} policy events"
    )
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
        final = Table(title=f"Last step ({clock.label(last['step'])})", title_justify="left")
        final.add_column("metric")
        final.add_column("value", justify="right")
        for label, key, kind in SUMMARY_ROWS:
            final.add_row(label, fmt(last.get(key), kind))
        out.print(final)


def fmt_delta(value: Any, kind: str) -> str:
    """A difference for a table: shares in percentage points, the rest as :func:`fmt`, signed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    magnitude = f"{abs(value) * 100:.1f} pp" if kind == "share" else fmt(abs(value), kind)
    if not any(digit in magnitude for digit in "123456789"):
        return magnitude  # rounds to zero: no sign
    return ("-" if value < 0 else "+") + magnitude


@runs_group.command("compare")
@click.argument("run_ids", metavar="RUN RUN...", nargs=-1, required=True, type=int)
@click.option(
    "--at",
    "months",
    multiple=True,
    metavar="YYYY-MM",
    help="Also compare at this month (repeatable); each run's end is always shown.",
)
@db_option
@json_option
def runs_compare(
    run_ids: tuple[int, ...], months: tuple[str, ...], db: str | None, as_json: bool
) -> None:
    """Compare stored runs side by side: the main outcomes at chosen months and at the end.

    The first run is the reference: the last columns give each other run minus it (shares in
    percentage points). A weekly run shows the mean of a month's weeks at that month, and its
    last week at the end. Example: sim runs compare 1 2 3 --at 2025-06 --at 2026-04
    """
    if len(run_ids) < 2:
        raise click.BadParameter(
            "give at least two runs, e.g. `sim runs compare 1 2`", param_hint="RUN"
        )
    at = parse_months(months)
    store = RunStore(db, create=False)
    runs = [load_run(store, run_id) for run_id in run_ids]
    for month in at:
        if not any(month in monthly_means(run.market_steps).index for run in runs):
            spans = ", ".join(
                f"run {r.id} {step_label(r.market_steps.index[0])} to "
                f"{step_label(r.market_steps.index[-1])}"
                for r in runs
                if len(r.market_steps)
            )
            raise StoreError(f"--at {month}: no run simulated that month ({spans or 'no steps'})")
    table = compare_runs(runs, [key for _, key, _ in SUMMARY_ROWS], at)
    diff = differences(table)
    whens = [str(m) for m in at] + [END]
    ends = end_months(runs)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "runs": [
                        {"id": r.id, "name": r.name, "seed": r.seed, "end": ends[r.id]}
                        for r in runs
                    ],
                    "rows": [
                        {
                            "when": when,
                            "metric": key,
                            "values": json_safe(
                                {str(r.id): table.loc[(when, key), r.id] for r in runs}
                            ),
                            "difference": json_safe(
                                {str(r.id): diff.loc[(when, key), r.id] for r in runs[1:]}
                            ),
                        }
                        for when in whens
                        for _, key, _ in SUMMARY_ROWS
                    ],
                }
            )
        )
        return
    out = Console()
    reference = runs[0]
    for when in whens:
        if when == END:
            title = (
                f"End ({ends[reference.id]})"
                if len(set(ends.values())) == 1
                else "End (" + ", ".join(f"run {i}: {m}" for i, m in ends.items()) + ")"
            )
        else:
            title = when
        view = Table(title=title, title_justify="left")
        view.add_column("metric")
        for run in runs:
            view.add_column(f"run {run.id}\n{run.name}", justify="right")
        for run in runs[1:]:
            view.add_column(f"run {run.id}\nminus {reference.id}", justify="right")
        for label, key, kind in SUMMARY_ROWS:
            view.add_row(
                label,
                *(fmt(table.loc[(when, key), r.id], kind) for r in runs),
                *(fmt_delta(diff.loc[(when, key), r.id], kind) for r in runs[1:]),
            )
        out.print(view)


@runs_group.command("export")
@click.argument("run_id", metavar="RUN", type=int)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    default="csv",
    show_default=True,
    help="File format of the tables (parquet keeps exact types).",
)
@click.option(
    "--out",
    "folder",
    required=True,
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write into; created if missing.",
)
@db_option
def runs_export(run_id: int, file_format: str, folder: Path, db: str | None) -> None:
    """Write run RUN as files: run-RUN.json and one file per history table.

    Each table file holds the run's rows as the database has them (run_id, step, month, ...),
    so other tools read the same numbers; the JSON holds the scenario, policies and versions.
    """
    store = RunStore(db, create=False)
    for path in export_run(load_run(store, run_id), folder, file_format):
        click.echo(str(path))


@runs_group.command("delete")
@click.argument("run_id", metavar="RUN", type=int)
@click.option("--yes", "-y", is_flag=True, help="Delete without asking.")
@db_option
def runs_delete(run_id: int, yes: bool, db: str | None) -> None:
    """Delete run RUN and all its rows, in one transaction (asks first unless --yes)."""
    store = RunStore(db, create=False)
    record = deletable(store, run_id)
    rows = sum(record[f"{table}_rows"] for table in HISTORY_TABLES)
    what = (
        f"run {run_id} ({record['name']}, {record['status']}, {record['steps_done']} steps, "
        f"{rows} history rows) from {store.masked_url}"
    )
    if not yes:
        click.confirm(f"Delete {what}?", abort=True)
    delete_run(store, run_id)
    click.echo(f"Deleted {what}.")
