"""``sim validate``: how close the baseline comes to what was observed."""

import json
import sys

import click
import numpy as np
import pandas as pd
from rich.markup import escape
from rich.table import Table

from interfaces import api
from interfaces.cli.common import (
    db_option,
    exit_when_interrupted,
    json_option,
    json_safe,
    progress_bar,
    shown_once_started,
)
from interfaces.cli.tables import new_console, print_table


@click.command()
@click.option(
    "--seeds",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Runs with seeds 1..N; targets are checked on their mean.",
)
@click.option(
    "--developers",
    type=click.IntRange(100, 5_000_000),
    default=None,
    help="Population size [default: the scenario's, 20000].",
)
@click.option(
    "--scenario",
    default="baseline",
    show_default=True,
    metavar="NAME|FILE",
    help="The scenario to check (normally the baseline).",
)
@click.option(
    "--targets",
    "targets_file",
    default=None,
    metavar="FILE",
    help="Check against the targets in this TOML or YAML file (a `targets` list "
    "like scenario/data/targets.toml) [default: the packaged targets].",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 4096),
    default=None,
    help="Local worker processes running the seeds in parallel [default: the "
    "number of cores, at most --seeds].",
)
@db_option
@json_option
def validate(
    seeds: int,
    developers: int | None,
    scenario: str,
    targets_file: str | None,
    workers: int | None,
    db: str | None,
    as_json: bool,
) -> None:
    """Run the baseline over seeds and compare it with the calibration targets.

    Prints, per target: what is observed, when, the simulated mean and spread over seeds, the
    target and its tolerance, and pass/fail. Exit status 0 only when every target passes. The
    seeds run in parallel; the runs are stored like any other, tagged "validation" and named
    "validation/<scenario>/seed-N". A scenario of weekly steps is measured on the means of
    the weeks of each month.

    \b
    Examples:
      sim validate
      sim validate --seeds 3 --developers 5000 --json
      sim validate --scenario mine.toml --targets my_targets.yaml
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    progress = progress_bar(f"[bold]validating[/] {seeds} seeds")
    with shown_once_started(progress) as show:
        task = progress.add_task("validate", total=seeds)
        with exit_when_interrupted(progress):
            report = api.validate(
                scenario,
                seeds=seeds,
                developers=developers,
                targets=targets_file,
                workers=workers,
                db=db,
                on_start=show,
                on_stored=lambda _seed, _status: progress.advance(task),
            )
    results, resolved = report.results, report.scenario
    if as_json:
        click.echo(
            json.dumps(
                {
                    "scenario": resolved.name,
                    "seeds": seeds,
                    "developers": resolved.developers,
                    "passed": report.passed,
                    "targets": [json_safe(row) for row in results.to_dict("records")],
                }
            )
        )
    else:
        _print_table(results, resolved.name, seeds, resolved.developers)
    sys.exit(0 if report.passed else 1)


def _print_table(results: pd.DataFrame, name: str, seeds: int, developers: int) -> None:
    """The targets as a table whose ids, numbers and results are never cut or wrapped.

    ``results`` is ``api.validate``'s table, one row per target. Only the observable wraps
    (:func:`interfaces.cli.tables.print_table`): plain aligned text when the output is not a
    terminal.
    """
    table = Table(
        title=escape(
            f"Calibration of '{name}': mean over seeds 1-{seeds}, {developers:,} developers"
        )
    )
    cells = []
    for row in results.itertuples(index=False):
        simulated = row.simulated_text
        if row.spread and not np.isnan(row.simulated):
            simulated += f" ({row.spread_text})"
        cells.append(
            {
                "id": row.id,
                "observable": row.observable,
                "population": row.population,
                "window": row.window,
                "simulated (sd)": simulated,
                "target": row.target_text,
                "band": row.band_text,
                "result": "pass" if row.passed else "FAIL",
            }
        )
    for column in cells[0]:
        table.add_column(
            column, justify="right" if column in ("simulated (sd)", "target") else "left"
        )
    for cell in cells:
        result = "[green]pass[/]" if cell["result"] == "pass" else "[red]FAIL[/]"
        table.add_row(*(escape(text) for text in list(cell.values())[:-1]), result)
    console = new_console()
    print_table(table, wrap=("observable",), console=console)
    failed = results[~results["passed"]]
    if failed.empty:
        console.print("All targets pass.")
        return
    console.print(escape(f"Failing: {', '.join(failed['id'])}."))
    for row in failed.itertuples(index=False):
        for why in (row.reason, row.note):
            if isinstance(why, str) and why:
                console.print(escape(f"{row.id}: {why}"))
