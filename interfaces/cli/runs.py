"""``sim runs ...``: list, inspect, compare, export and delete stored runs."""

import json
import math
from functools import partial
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.markup import escape
from rich.table import Table

from interfaces import api
from interfaces.cli.common import SimGroup, db_option, json_option, json_safe
from interfaces.cli.products import print_top_products, top_product_rows
from interfaces.cli.tables import literal, new_console, print_table
from interfaces.formatting import SIGNIFICANT, SUMMARY_ROWS, fmt
from vocabulary.metrics import Unit


@click.group("runs", cls=SimGroup)
def runs_group() -> None:
    """List, inspect, compare, export and delete stored runs.

    \b
    Examples:
      sim runs list --limit 10
      sim runs show 3
      sim runs compare 1 2 --at 2025-06
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace


LIST_LIMIT = 50
"""How many runs ``sim runs list`` shows unless told otherwise: a sweep stores hundreds."""


@runs_group.command("list")
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=LIST_LIMIT,
    show_default=True,
    help="Show only the newest N.",
)
@click.option("--all", "show_all", is_flag=True, help="Show every run, however many.")
@click.option("--name", metavar="TEXT", help="Only runs with exactly this name.")
@click.option(
    "--sweep", "sweep_ref", metavar="SWEEP", help="Only the runs of this sweep (id or name)."
)
@click.option("--tag", metavar="TEXT", help="Only runs with this tag (sim run --tag).")
@db_option
@json_option
def runs_list(
    limit: int,
    show_all: bool,
    name: str | None,
    sweep_ref: str | None,
    tag: str | None,
    db: str | None,
    as_json: bool,
) -> None:
    """List stored runs, newest first (a killed run shows as interrupted).

    Shows the newest 50 unless --limit or --all says otherwise; a last line (on standard
    error) says how many more there are. Policies are listed by the names the run gives them
    (the baseline's licences are h20_resumed and h200_allowed), the names --set and the
    policy events use.

    \b
    Examples:
      sim runs list --limit 5
      sim runs list --sweep leakage --all
      sim runs list --tag validation --json --db other.db
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    store = api.open_store(db, existing=True)
    filters = {"name": name, "sweep": _sweep_ref(sweep_ref), "tag": tag}
    shown = None if show_all else limit
    listed = store.runs(**filters, limit=shown)
    rows = [_listed(run_id, row) for run_id, row in listed.iterrows()]
    hidden = store.count_runs(**filters) - len(rows) if len(rows) == shown else 0
    if as_json:
        click.echo(json.dumps(rows))
    else:
        _print_runs(rows, store.url, filtered=any(v is not None for v in filters.values()))
    _say_how_many_more(hidden)


def _print_runs(rows: list[dict[str, Any]], url: str, filtered: bool) -> None:
    """The listed runs as a table, or a line saying there are none (to be made or found)."""
    out = new_console()
    if not rows:
        out.print(
            f"No runs in {escape(url)} match the filters."
            if filtered
            else f"No runs in {escape(url)} yet. Start one with `sim run --policy export_ban`."
        )
        return
    table = Table()
    for column in ("id", "name", "status", "steps", "seed", "created", "policies", "digest"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["id"]),
            literal(row["name"] or "?"),
            literal(row["status"]),
            f"{_shown_count(row['steps_done'])}/{_shown_count(row['steps_planned'])}",
            _shown_count(row["seed"]),
            literal(row["created_at"] or "-"),
            literal(", ".join(row["policies"]) or "-"),
            literal((row["digest"] or "-")[:12]),
        )
    print_table(table, wrap=("name", "policies"), console=out)


def _sweep_ref(text: str | None) -> int | str | None:
    """A sweep as ``--sweep`` names it: digits are its id, anything else its name."""
    return int(text) if text is not None and text.isascii() and text.isdigit() else text


def _say_how_many_more(hidden: int) -> None:
    """On standard error, so that a pipe gets the rows alone: how many runs were left out."""
    if hidden > 0:
        click.echo(
            f"... and {hidden} older run{'s' if hidden > 1 else ''} not shown: "
            "--limit N shows the newest N, --all every one.",
            err=True,
        )


def iso_time(value: pd.Timestamp) -> str | None:
    """A stored time as listings print it: ISO 8601 to the second; None for none."""
    return None if pd.isna(value) else value.isoformat(timespec="seconds")


def _listed(run_id: Any, row: pd.Series) -> dict[str, Any]:
    """A row of :meth:`api.Store.runs` as ``sim runs list --json`` prints it.

    A damaged row (changed outside ``sim``) has only its id, status and ``error``.
    """
    listed = {
        "id": int(run_id),
        "name": _text(row["name"]),
        "status": row["status"],
        "created_at": iso_time(row["created_at"]),
        "finished_at": iso_time(row["finished_at"]),
        "seed": _whole(row["seed"]),
        "steps_done": _whole(row["steps_done"]),
        "steps_planned": _whole(row["steps_planned"]),
        "policies": list(row["policies"]),
        "digest": _text(row["digest"]),
        "tags": row["tags"],
    }
    if row["status"] == api.DAMAGED:
        listed["error"] = _text(row["error"])
    return listed


def _text(value: Any) -> str | None:
    """A text of a listing; None where the row has none (pandas holds that as NaN)."""
    return None if value is None or pd.isna(value) else str(value)


def _whole(value: Any) -> int | None:
    """A count or seed of a listing as an int; None where the row could not be read."""
    return None if pd.isna(value) else int(value)


def _shown_count(value: int | None) -> str:
    return "?" if value is None else str(value)


def _shown(details: api.RunDetails, url: str) -> dict[str, Any]:
    """A run's details as ``sim runs show --json`` prints them."""
    return {
        "id": details.id,
        "name": details.name,
        "status": details.status,
        "created_at": iso_time(details.created_at),
        "finished_at": iso_time(details.finished_at),
        "seed": details.seed,
        "steps_done": details.steps_done,
        "steps_planned": details.steps_planned,
        "policies": details.policies,
        "digest": details.digest,
        "tags": details.tags,
        "scenario": details.scenario_data,
        "versions": details.versions,
        "error": details.error,
        **{f"{table}_rows": count for table, count in details.rows.items()},
        "events": details.events.to_dict(orient="records"),
        "last_market": details.last_market,
        "top_products": top_product_rows(api.top_products(details.last_products)),
        "db": url,
    }


@runs_group.command("show")
@click.argument("run_id", metavar="RUN", type=int)
@db_option
@json_option
def runs_show(run_id: int, db: str | None, as_json: bool) -> None:
    """Show one run: status, seed, versions, policy schedule, events, final metrics, products.

    The products table lists the ten products that served the most tokens in the last step
    (runs stored before products were recorded have none).

    Weekly runs name their last step by its start day; policy events keep their month (policies
    act by the month, from its first week).

    \b
    Examples:
      sim runs show 3
      sim runs show 3 --json
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    store = api.open_store(db, existing=True)
    details = store.details(run_id)
    record = _shown(details, store.url)
    if as_json:
        click.echo(json.dumps(record, default=str))
        return
    out = new_console()
    line = partial(out.print, soft_wrap=True)  # piped or narrow, a key stays with its value
    clock = details.clock
    unit = "weekly " if clock.weekly else ""
    line(
        f"[bold]Run {record['id']}[/] {escape(str(record['name']))}: {escape(record['status'])}, "
        f"{record['steps_done']}/{record['steps_planned']} {unit}steps, "
        f"seed {record['seed']}"
    )
    tags = f"; tags: {', '.join(record['tags'])}" if record["tags"] else ""
    line(escape(f"stored in {store.url}{tags}"))
    line(
        escape(
            f"created {record['created_at']}, finished {record['finished_at'] or '-'}; "
            f"digest {record['digest'] or '-'}"
        )
    )
    line(escape("versions: " + ", ".join(f"{k} {v}" for k, v in record["versions"].items())))
    line(
        f"rows: {record['market_steps_rows']} market, {record['provider_steps_rows']} "
        f"provider, {record['segment_steps_rows']} segment, "
        f"{record['product_steps_rows']} product, {record['policy_events_rows']} policy events, "
        f"{record['developer_steps_rows']} developer (--developer-history)"
    )
    if record["error"]:
        line(f"[red]error:[/] {escape(record['error'])}")
    policies = Table(title="Policies", title_justify="left")
    policies.add_column("policy")
    policies.add_column("parameters")
    for policy in record["policies"]:
        key = api.policy_key(policy)
        named = key if key == policy["name"] else f"{key} ({policy['name']})"
        params = {k: v for k, v in policy.items() if k not in ("name", "label")}
        policies.add_row(literal(named), literal(json.dumps(params)))
    print_table(policies, wrap=("parameters",), console=out)
    if record["events"]:
        events = Table(title="Policy events", title_justify="left")
        events.add_column("month")
        events.add_column("policy")
        events.add_column("status")
        for event in record["events"]:
            events.add_row(*(literal(event[key]) for key in ("month", "policy", "status")))
        print_table(events, console=out)
    last = record["last_market"]
    if last:
        final = Table(title=f"Last step ({clock.label(last['step'])})", title_justify="left")
        final.add_column("metric")
        final.add_column("value", justify="right")
        for label, key, kind in SUMMARY_ROWS:
            final.add_row(label, fmt(last.get(key), kind))
        print_table(final, wrap=("metric",), console=out)
        top = api.top_products(details.last_products)
        print_top_products(top, clock.label(last["step"]), out)


COUNTS = (
    Unit.TOKENS,
    Unit.H100E,
    Unit.DEVELOPERS,
    Unit.ACCELERATORS,
    Unit.USD,
    Unit.USD_PER_MONTH,
    Unit.KWH,
)
"""Units of things counted whole: a difference of less than half of one is float noise."""


def fmt_delta(value: Any, kind: Unit, between: float = 0.0) -> str:
    """A difference for a table: shares in percentage points, the rest as :func:`fmt`, signed.

    Float noise reads ``0``, not ``+1.36e-12`` or ``-0.0108`` H100e, which would pass for an
    effect: a difference below the last digit the values compared show (``between`` is the
    larger of their sizes; :data:`SIGNIFICANT` digits), or of less than half a token,
    H100-equivalent, developer or dollar.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if _noise(abs(value), kind, between):
        return "0"
    magnitude = f"{abs(value) * 100:.1f} pp" if kind == Unit.SHARE else fmt(abs(value), kind)
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
    comparison = api.compare(run_ids, [key for _, key, _ in SUMMARY_ROWS], months, db)
    runs, table, diff = comparison.runs, comparison.table, comparison.differences
    whens, ends = comparison.whens, comparison.ends
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
    out = new_console()
    reference = runs[0]
    for run in runs:
        out.print(
            f"run {run.id}: {escape(str(run.name))} (seed {run.seed})",
            highlight=False,
            soft_wrap=True,
        )
    for when in whens:
        if when == whens[-1]:
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
            view.add_column(f"run {run.id}", justify="right")
        for run in runs[1:]:
            view.add_column(f"run {run.id}\nminus {reference.id}", justify="right")
        for label, key, kind in SUMMARY_ROWS:
            view.add_row(
                label,
                *(fmt(table.loc[(when, key), r.id], kind) for r in runs),
                *(
                    fmt_delta(diff.loc[(when, key), r.id], kind, _larger(table, when, key, r.id))
                    for r in runs[1:]
                ),
            )
        print_table(view, wrap=("metric",), console=out)


def _noise(size: float, kind: Unit, between: float) -> bool:
    """Whether a difference of ``size`` is below what the values, or the unit, can show."""
    if kind in COUNTS and size < 0.5:
        return True
    return between > 0 and size < 0.5 * 10 ** (math.floor(math.log10(between)) + 1 - SIGNIFICANT)


def _larger(table: pd.DataFrame, when: str, key: str, run_id: int) -> float:
    """The larger size of run ``run_id``'s value and the reference's (the first column's)."""
    values = table.loc[(when, key), [table.columns[0], run_id]].abs()
    return float(values.max()) if values.notna().any() else 0.0


@runs_group.command("export")
@click.argument("run_id", metavar="RUN", type=int)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(api.EXPORT_FORMATS),
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
@click.option("--force", is_flag=True, help="Overwrite files of an earlier export of RUN.")
@db_option
def runs_export(run_id: int, file_format: str, folder: Path, force: bool, db: str | None) -> None:
    """Write run RUN as files: run-RUN.json and one file per history table.

    Each table file holds the run's rows as the database has them (run_id, step, month, ...),
    so other tools read the same numbers; the JSON holds the scenario, policies and versions.
    In a CSV, text that a spreadsheet would run as a formula (=, +, -, @ first) starts with '.
    An earlier export of RUN in DIR is refused unless --force.

    \b
    Example:
      sim runs export 3 --format parquet --out exports/
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    for path in api.open_store(db, existing=True).export(
        run_id, folder, file_format, overwrite=force
    ):
        click.echo(str(path))


@runs_group.command("delete")
@click.argument("run_id", metavar="RUN", type=int)
@click.option("--yes", "-y", is_flag=True, help="Delete without asking.")
@db_option
def runs_delete(run_id: int, yes: bool, db: str | None) -> None:
    """Delete run RUN and all its rows, in one transaction (asks first unless --yes).

    \b
    Example:
      sim runs delete 3 --yes
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    store = api.open_store(db, existing=True)
    record = store.deletable(run_id)
    what = (
        f"run {run_id} ({record.name}, {record.status}, {record.steps_done} steps, "
        f"{record.history_rows} history rows) from {store.url}"
    )
    if not yes:
        click.confirm(f"Delete {what}?", abort=True)
    store.delete(run_id)
    click.echo(f"Deleted {what}.")
