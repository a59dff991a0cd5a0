"""``sim validate``: how close the baseline comes to what was observed."""

import json
import sys

import click
import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from experiments.runner import execute
from experiments.validation import (
    evaluate,
    first_month_needed,
    latest_month_needed,
    load_targets,
)
from interfaces.cli.common import (
    db_option,
    exit_when_interrupted,
    json_option,
    json_safe,
    progress_bar,
)
from runs.store import RunStore
from simulator.model import TokenMarket
from simulator.overrides import resolve_scenario
from simulator.scenario_files import load_scenario
from vocabulary.calendar import parse_month
from vocabulary.clock import StepClock
from vocabulary.errors import InputError

VALIDATION_TAG = "validation"


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
    "like simulator/data/targets.toml) [default: the packaged targets].",
)
@db_option
@json_option
def validate(
    seeds: int,
    developers: int | None,
    scenario: str,
    targets_file: str | None,
    db: str | None,
    as_json: bool,
) -> None:
    """Run the baseline over seeds and compare it with the calibration targets.

    Prints, per target: what is observed, when, the simulated mean and spread over seeds, the
    target and its tolerance, and pass/fail. Exit status 0 only when every target passes. The
    runs are stored like any other, tagged "validation" and named "validation/<scenario>/seed-N".
    A scenario of weekly steps is measured on the means of the weeks of each month.
    """
    targets = load_targets(targets_file)
    base = load_scenario(scenario)
    early = first_month_needed(targets)
    if parse_month(early) < parse_month(base.start):
        raise InputError(
            f"targets: {early} is before the scenario's start {base.start}; "
            "validation can only measure months the run simulates"
        )
    steps = StepClock.of(base.start, base.step_length).steps_through(
        parse_month(latest_month_needed(targets))
    )
    resolved = resolve_scenario(base, developers=developers, steps=steps)
    store = RunStore(db)
    histories = []
    progress = progress_bar("[bold]validating[/] seed {task.fields[seed]}")
    with progress:
        task = progress.add_task("validate", total=seeds * resolved.steps, seed=1)
        for seed in range(1, seeds + 1):
            progress.update(task, seed=seed)
            rows: list[dict] = []
            months: list[str] = []

            def on_step(
                model: TokenMarket, rows: list[dict] = rows, months: list[str] = months
            ) -> None:
                rows.append(model.last_record.market)
                months.append(model.last_record.month)
                progress.advance(task)

            with exit_when_interrupted(progress):
                execute(
                    resolved,
                    seed,
                    store,
                    name=f"{VALIDATION_TAG}/{resolved.name}/seed-{seed}",
                    on_step=on_step,
                    tags=(VALIDATION_TAG,),
                )
            histories.append(pd.DataFrame(rows, index=months))
    results = evaluate(targets, histories)
    passed = all(row["passed"] for row in results)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "scenario": resolved.name,
                    "seeds": seeds,
                    "developers": resolved.developers,
                    "passed": passed,
                    "targets": [json_safe(row) for row in results],
                }
            )
        )
    else:
        _print_table(results, resolved.name, seeds, resolved.developers)
    sys.exit(0 if passed else 1)


def _print_table(results: list[dict], name: str, seeds: int, developers: int) -> None:
    table = Table(
        title=f"Calibration of '{name}': mean over seeds 1-{seeds}, {developers:,} developers"
    )
    for column in ("id", "observable", "date", "simulated (sd)", "target", "tolerance", "result"):
        numeric = column in ("simulated (sd)", "target")
        table.add_column(column, justify="right" if numeric else "left")
    for row in results:
        spread = row["spread"]
        simulated = row["simulated_text"]
        if spread and not np.isnan(row["simulated"]):
            simulated += f" ({_spread_text(row, spread)})"
        table.add_row(
            row["id"],
            row["observable"],
            row["date"],
            simulated,
            row["target_text"],
            row["tolerance_text"],
            "[green]pass[/]" if row["passed"] else "[red]FAIL[/]",
        )
    console = Console()
    console.print(table)
    failed = [row for row in results if not row["passed"]]
    if not failed:
        console.print("All targets pass.")
        return
    console.print(f"Failing: {', '.join(row['id'] for row in failed)}.")
    for row in failed:
        if row["note"]:
            console.print(f"{row['id']}: {row['note']}")


def _spread_text(row: dict, spread: float) -> str:
    if row["observable"].startswith("first month"):
        return f"{spread:.1f} months"
    if row["simulated_text"].endswith("%"):
        return f"{spread:.1%}"
    return f"{spread:,.1f}"
