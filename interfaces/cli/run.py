"""``sim run``: simulate one scenario and store it."""

import json
import resource
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from interfaces import api
from interfaces.cli.common import (
    db_option,
    exit_when_interrupted,
    json_option,
    json_safe,
    progress_bar,
    scenario_from_options,
    scenario_options,
)
from interfaces.cli.products import print_top_products
from interfaces.cli.tables import new_console, print_table
from interfaces.formatting import SUMMARY_ROWS, fmt
from vocabulary.errors import excerpt
from vocabulary.text import check_name

DEFAULT_SEED = api.DEFAULT_SEED
"""The seed of ``sim run`` when none is given, as of ``api.run``: the same command gives every
user the same history (the dashboard starts from the same seed)."""
MAX_SEED = api.MAX_SEED
"""The largest seed: the store keeps seeds as 64-bit signed numbers."""
RANDOM_SEED = api.RANDOM_SEED
"""What ``--seed`` takes to draw a seed instead; the summary then prints the seed drawn."""


class Seed(click.ParamType):
    """``--seed``: a whole number from 0 to 2**63-1, or ``random`` (``api.run`` draws one)."""

    name = "N|random"

    def convert(self, value: Any, param: Any, ctx: Any) -> int | str | None:
        """The seed as a number, or :data:`RANDOM_SEED` for ``random`` (any case)."""
        if value is None or isinstance(value, int):
            return value
        text = str(value).strip()
        if text.lower() == RANDOM_SEED:
            return RANDOM_SEED
        # Digits only, and no more than the largest seed has: no int() of a huge string.
        digits = text.isascii() and text.isdecimal() and len(text) <= len(str(MAX_SEED))
        if not digits or int(text) > MAX_SEED:
            self.fail(
                f"{excerpt(text)}: expected a whole number from 0 to {MAX_SEED} or {RANDOM_SEED}",
                param,
                ctx,
            )
        return int(text)


@click.command()
@scenario_options
@click.option(
    "--seed",
    type=Seed(),
    metavar="N|random",
    default=DEFAULT_SEED,
    show_default=True,
    help="Seed of all randomness; the same seed gives the same history. `random` draws "
    "one, which the summary prints so that the run can be repeated.",
)
@click.option(
    "--name", default=None, help="Name stored with the run [default: the scenario or the policies]."
)
@click.option(
    "--developer-history",
    "developer_history",
    default=None,
    metavar="all|every:K|sample:F",
    help="Also store one row per developer and step (provider, tokens): for all "
    "developers and steps, every K-th step, a fraction F of developers, or both "
    "(every:12,sample:0.01). Off by default: aggregates are stored always.",
)
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TEXT",
    help="A label stored with the run, for grouping runs later (repeatable).",
)
@db_option
@json_option
def run(
    scenario: str | None,
    policies: tuple[str, ...],
    settings: tuple[str, ...],
    steps: int | None,
    developers: int | None,
    start: str | None,
    step_length: str | None,
    seed: int | str,
    name: str | None,
    developer_history: str | None,
    tags: tuple[str, ...],
    db: str | None,
    as_json: bool,
) -> None:
    """Simulate the market month by month (or week by week) and store the run.

    Prints a summary (Chinese share, prices, compute at the first and the last step, each
    named by its month, or by its start day for weekly steps), the ten products that served
    the most tokens in the last step (when the model sells products), and the run id; with
    --json, one JSON line with run_id, status, digest, seed, steps, peak memory and the final
    metrics (with the last step's month and date). Progress goes to standard error, after a
    note for each rule the run follows past its inputs (demand growth repeated, no product
    launches after the catalogue, chips past their book life). Without --seed the seed is 1,
    so the same command gives the same history everywhere.

    \b
    Examples:
      sim run --policy export_ban
      sim run --scenario baseline --set h20_resumed.fee=0.2 --seed 7
      sim run --scenario mine.yaml --developers 50000 --seed random
      sim run --policy remote_access --set remote_access.schedule.start=2026-06 --json
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    resolved = scenario_from_options(
        scenario, policies, settings, steps, developers, start, step_length
    )
    if name is not None:
        check_name(name, "--name")
    for tag in tags:
        check_name(tag, "--tag")
    for note in api.scenario_notes(resolved):
        click.echo(f"note: {note}", err=True)
    progress = progress_bar("[bold]simulating[/] {task.fields[date]}")
    first: dict[str, Any] = {}

    with progress:
        task = progress.add_task("run", total=resolved.steps, date=resolved.start)

        def on_step(record: api.StepRecord) -> None:
            if not first:
                first.update(record.market, date=record.date)
            progress.update(task, advance=1, date=record.date)

        with exit_when_interrupted(progress):
            result = api.run(
                resolved,
                seed=seed,
                name=name,
                tags=tags,
                developer_history=developer_history,
                db=db,
                on_step=on_step,
            )

    record = result.model.last_record
    final = {"month": record.month, "date": record.date, **record.market}
    if as_json:
        click.echo(
            json.dumps(
                {
                    "run_id": result.run_id,
                    "status": result.status,
                    "digest": result.digest,
                    "steps": result.steps,
                    "seed": result.seed,
                    "db": result.db,
                    "policies": [p.key for p in resolved.policies],
                    "peak_memory_mb": round(peak_memory_mb(), 1),
                    "final": json_safe(final),
                }
            )
        )
        return
    out = new_console()
    stored_name = name or api.default_run_name(resolved)
    table = Table(title=escape(f"Run {result.run_id}: {stored_name} (seed {result.seed})"))
    table.add_column("metric")
    table.add_column(first["date"], justify="right")
    table.add_column(final["date"], justify="right")
    for label, key, kind in SUMMARY_ROWS:
        table.add_row(label, fmt(first.get(key), kind), fmt(final.get(key), kind))
    print_table(table, wrap=("metric",), console=out)
    print_top_products(api.top_products(record.products), final["date"], out)
    if seed == RANDOM_SEED:
        out.print(
            f"The seed {result.seed} was drawn at random: `--seed {result.seed}` repeats this run."
        )
    out.print(
        f"Stored as run [bold]{result.run_id}[/] in {escape(result.db)} "
        f"(status {result.status}, digest {result.digest[:12]}). "
        f"See `sim runs show {result.run_id}`."
    )


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
