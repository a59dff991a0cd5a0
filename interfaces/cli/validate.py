"""``sim validate``: how close the baseline comes to what was observed."""

import json
import sys

import click
import numpy as np
import pandas as pd
from rich.console import Console
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
from interfaces.cli.tables import literal, new_console, print_table


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
    "--checks",
    "checks_file",
    default=None,
    metavar="FILE",
    help="The dynamics checks' window, thresholds and exemptions from this TOML or YAML "
    "file (in the form of scenario/data/dynamics_checks.toml) [default: that file].",
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
    checks_file: str | None,
    workers: int | None,
    db: str | None,
    as_json: bool,
) -> None:
    """Run the baseline over seeds and compare it with the calibration targets.

    Prints, per target: what is observed, when, the simulated mean and spread over seeds, the
    target and its tolerance, and pass/fail. Then the dynamics checks, each with its worst
    lab and seed and pass/fail: D1, no lab with at least 1% of the tokens runs below 30%
    utilisation for more than 3 months in a row; D2, no such lab's markup sits at a bound
    for more than 6 months in a row, unless a source puts it there (2024-07 to 2027-12; the
    packaged checks, scenario/data/dynamics_checks.toml, or --checks FILE). Then each Chinese
    lab's API revenue in 2024 and 2025 beside what it reported (scenario/data/lab_revenue.toml;
    informational, never a failure). Exit status 0 only when every target and every check
    passes. The seeds run in parallel, to the later of the targets' last month and the
    checks' last; the runs are stored like any other, tagged "validation" and named
    "validation/<scenario>/seed-N". A scenario of weekly steps is measured on the means of
    the weeks of each month. From Python, api.lab_revenue_markdown(api.validate()) gives
    the revenue table as Markdown, for docs/model.md.

    \b
    Examples:
      sim validate
      sim validate --seeds 3 --developers 5000 --json
      sim validate --scenario mine.toml --targets my_targets.yaml
      sim validate --checks my_checks.toml
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
                checks=checks_file,
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
                    "targets": _records(results),
                    "dynamics": _records(report.dynamics),
                    "dynamics_detail": _records(report.dynamics_detail),
                    "lab_revenue": _records(report.lab_revenue),
                }
            )
        )
    else:
        console = new_console()
        _print_table(results, resolved.name, seeds, resolved.developers, console)
        _print_dynamics(report.dynamics, console)
        _print_revenue(report.lab_revenue, seeds, console)
    sys.exit(0 if report.passed else 1)


def _records(frame: pd.DataFrame) -> list[dict]:
    """A report's table as JSON-ready rows (NaN as null)."""
    return [json_safe(row) for row in frame.to_dict("records")]


def _print_table(
    results: pd.DataFrame, name: str, seeds: int, developers: int, console: Console
) -> None:
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


def _print_dynamics(dynamics: pd.DataFrame, console: Console) -> None:
    """The dynamics checks: what each checks, its worst lab and seed, the run of months, result.

    ``dynamics`` is ``api.validate``'s ``.dynamics``, one row per check; only the words of the
    check wrap.
    """
    table = Table(title="Dynamics: the worst lab and seed of each check")
    for column in ("id", "check", "window", "worst", "longest run", "limit", "result"):
        table.add_column(column)
    for row in dynamics.itertuples(index=False):
        worst = f"{row.lab}, seed {row.seed}" if isinstance(row.lab, str) else "-"
        if isinstance(row.reason, str):
            longest = "-"
        else:
            longest = _months(row.months) + (f", {row.first}..{row.last}" if row.months else "")
        table.add_row(
            escape(row.id),
            escape(row.check),
            escape(row.window),
            literal(worst),
            escape(longest),
            escape(f"at most {_months(row.limit)}"),
            "[green]pass[/]" if row.passed else "[red]FAIL[/]",
        )
    print_table(table, wrap=("check",), console=console)
    failed = dynamics[~dynamics["passed"]]
    if failed.empty:
        console.print("All dynamics checks pass.")
    else:
        console.print(escape(f"Dynamics failing: {', '.join(failed['id'])}."))
    for row in dynamics.itertuples(index=False):
        for label, why in (("not measured", row.reason), ("exempt", row.exempt)):
            if isinstance(why, str) and why:
                console.print(escape(f"{row.id} {label}: {why}"))


def _months(count: int) -> str:
    """``1 month``, ``27 months``."""
    return f"{count} month" + ("" if count == 1 else "s")


def _print_revenue(revenue: pd.DataFrame, seeds: int, console: Console) -> None:
    """Each Chinese lab's API revenue by year beside what it reported; informational.

    ``revenue`` is ``api.validate``'s ``.lab_revenue``; only the report's words wrap.
    """
    spread = " (lowest to highest)" if seeds > 1 else ""
    table = Table(
        title=f"Chinese labs' API revenue in the calendar year, USD: mean over seeds 1-{seeds}"
        f"{spread}, beside what was reported (informational, not a check)"
    )
    for column in ("lab", "year", "simulated", "reported", "within", "what was reported"):
        table.add_column(column, justify="right" if column in ("simulated", "reported") else "left")
    for row in revenue.itertuples(index=False):
        table.add_row(
            literal(row.lab_text),
            str(row.year),
            escape(row.simulated_text),
            escape(row.reported_text),
            escape(row.within_text),
            literal(row.report_text),
        )
    print_table(table, wrap=("what was reported",), console=console)
    reasons = sorted({row.reason for row in revenue.itertuples(index=False) if row.reason})
    for reason in reasons:
        console.print(escape(f"Not simulated: {reason}."))
