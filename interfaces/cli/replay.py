"""``sim replay``: re-run a stored run from its scenario and seed, and check it repeats."""

import json
import sys
from dataclasses import asdict

import click
from rich.markup import escape

from interfaces import api
from interfaces.cli.common import db_option, exit_when_interrupted, json_option, progress_bar
from interfaces.cli.tables import new_console


@click.command("replay")
@click.argument("run_id", metavar="RUN", type=int)
@click.option(
    "--verify",
    is_flag=True,
    help="Compare the new history with the stored one step by step; exit 1 at the "
    "first difference.",
)
@db_option
@json_option
def replay_command(run_id: int, verify: bool, db: str | None, as_json: bool) -> None:
    """Re-run stored run RUN from its stored scenario and seed, into a new run.

    With --verify, every market and provider value of every step is compared exactly with the
    stored run; the first difference is printed (step, month, table, column, both values) and
    the exit status is 1. Exit status 0 means the history was reproduced bit for bit. A run
    stored by another version of the package is flagged, since the change can explain a
    difference.

    \b
    Example:
      sim replay 3 --verify
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    store = api.open_store(db, existing=True)
    stored = store.run(run_id)
    scenario = stored.scenario
    changes = api.version_changes(stored)
    out = new_console(soft_wrap=True)
    if not as_json:
        out.print(
            f"Replaying run {stored.id} ({escape(stored.name)}, seed {stored.seed}, "
            f"{stored.steps_done}/{stored.steps_planned} steps, {stored.status}), stored by "
            f"token-market-sim {stored.package_version}."
        )
        if "package" in changes:
            out.print(
                f"[yellow]Run {stored.id} was stored by an older or other package version "
                f"({stored.package_version}; this is {api.__version__}): its history "
                "may differ because the software changed.[/]"
            )
        others = [
            f"{name} {then} -> {now}" for name, (then, now) in changes.items() if name != "package"
        ]
        if others:
            out.print(f"[yellow]Other software changed since: {', '.join(others)}.[/]")

    progress = progress_bar("[bold]replaying[/] {task.fields[month]}")
    with progress:
        task = progress.add_task("replay", total=scenario.steps, month=scenario.start)

        def on_step(record: api.StepRecord) -> None:
            progress.update(task, advance=1, month=record.month)

        with exit_when_interrupted(progress):
            replayed = store.replay(stored, verify=verify, on_step=on_step)

    result, difference = replayed.run, replayed.difference
    if as_json:
        click.echo(
            json.dumps(
                {
                    "run_id": stored.id,
                    "replay_run_id": result.run_id,
                    "stored_version": stored.package_version,
                    "package_version": api.__version__,
                    "version_changes": {k: list(v) for k, v in changes.items()},
                    "stored_digest": stored.digest,
                    "replay_digest": result.digest,
                    "verified": verify,
                    "identical": (difference is None) if verify else None,
                    "difference": asdict(difference) if difference else None,
                },
                default=str,
            )
        )
    else:
        out.print(
            f"Stored as run [bold]{result.run_id}[/] (digest {result.digest[:12]}; "
            f"run {stored.id}'s digest {(stored.digest or '-')[:12]})."
        )
        if verify and difference is None:
            out.print(
                f"[green]Identical:[/] all {result.steps} steps' market and provider rows "
                f"of run {result.run_id} match run {stored.id} exactly."
            )
        elif verify:
            out.print(f"[red]Different:[/] first difference at {escape(difference.describe())}.")
    if difference is not None:
        sys.exit(1)
