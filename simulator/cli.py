"""The ``sim`` command: thin click commands that parse, call and print.

Bad input of any kind (an unknown policy, a bad ``--set``, an unreachable database) is one line
on standard error and exit status 2; nothing in the database changes.
"""

import json
import math
import sys
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

import simulator
from policies.registry import available
from runs.store import ENV_VAR, RunStore
from simulator.errors import InputError
from simulator.model import TokenMarket
from simulator.overrides import resolve_scenario
from simulator.runner import RunInterrupted, execute


class BadInput(click.ClickException):
    """A user error: printed as ``Error: ...`` on one line, exit status 2."""

    exit_code = 2


class SimGroup(click.Group):
    """Turns every :class:`InputError` raised below it into a one-line error with status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as error:
            raise BadInput(str(error)) from None


db_option = click.option(
    "--db", envvar=ENV_VAR, default=None, metavar="URL",
    help=f"SQLAlchemy URL or SQLite file of the run store [env {ENV_VAR}; default runs.db].")
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print one JSON object on one line instead of tables.")


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


def _fmt(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kind == "share":
        return f"{value:.1%}"
    if kind == "price":
        return f"${value:,.3f}"
    if kind == "tokens":
        return f"{value / 1e12:,.1f}T"
    if kind == "compute":
        return f"{value / 1e3:,.1f}k"
    return f"{value:,.2f}"


SUMMARY_ROWS = (
    ("Chinese share of all tokens", "cn_share", "share"),
    ("Chinese share, global platforms", "cn_share_global", "share"),
    ("Chinese share, in China", "cn_share_china", "share"),
    ("Tokens served per month", "tokens_total", "tokens"),
    ("Price, Chinese providers ($/M tokens)", "price_cn", "price"),
    ("Price, US providers ($/M tokens)", "price_us", "price"),
    ("Compute, Chinese providers (H100e)", "compute_cn", "compute"),
    ("  of which smuggled", "compute_cn_smuggled", "compute"),
    ("  of which domestic chips", "compute_cn_domestic", "compute"),
    ("  of which rented abroad", "compute_cn_remote", "compute"),
    ("Compute, US providers (H100e)", "compute_us", "compute"),
    ("Compute, EU providers (H100e)", "compute_eu", "compute"),
    ("Value added per kWh, Chinese providers", "value_added_per_kwh_cn", "ratio"),
)


@cli.command()
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
            "policies": [p.name for p in scenario.policies], "final": _json_safe(final)}))
        return
    out = Console()
    table = Table(title=f"Run {result.run_id}: {', '.join(p.name for p in scenario.policies) or 'no policy'}"
                        f" (seed {result.model.seed})")
    table.add_column("metric")
    table.add_column(first["month"], justify="right")
    table.add_column(final["month"], justify="right")
    for label, key, kind in SUMMARY_ROWS:
        table.add_row(label, _fmt(first.get(key), kind), _fmt(final.get(key), kind))
    out.print(table)
    out.print(f"Stored as run [bold]{result.run_id}[/] in {store.masked_url} "
              f"(status {result.status}, digest {result.digest[:12]}). "
              f"See `sim runs show {result.run_id}`.")


def _json_safe(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}


@cli.command("policies")
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
            params.append({"name": field, "default": default,
                           "description": info.description or ""})
        listing.append({"name": name, "summary": cls.summary, "parameters": params})
    if as_json:
        click.echo(json.dumps(listing))
        return
    out = Console()
    for entry in listing:
        table = Table(title=f"[bold]{entry['name']}[/]: {entry['summary']}", title_justify="left",
                      show_edge=False)
        table.add_column("parameter")
        table.add_column("default")
        table.add_column("meaning")
        for param in entry["parameters"]:
            description = param["description"]
            if param["name"] == "schedule":
                description = ("when it acts: start / end (YYYY-MM or step), ramp_months; "
                               "e.g. --set " + entry["name"] + ".schedule.start=2025-01")
            table.add_row(param["name"], json.dumps(param["default"]), description)
        out.print(table)
        out.print()


@cli.group("runs", cls=SimGroup)
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
            final.add_row(label, _fmt(last.get(key), kind))
        out.print(final)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="sim")
