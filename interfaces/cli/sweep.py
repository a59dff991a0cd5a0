"""``sim sweep``: run a sweep of many runs; ``sim sweep list|show|sensitivity`` to read it."""

import json
import math
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import click
import pandas as pd
from click.core import ParameterSource
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from interfaces import api
from interfaces.cli.common import (
    SimGroup,
    check_one_executor,
    db_option,
    json_option,
    json_safe,
    scenario_options,
    scheduler_options,
    shown_once_started,
)
from interfaces.cli.runs import fmt_delta, iso_time
from interfaces.cli.tables import literal, new_console, print_table
from interfaces.formatting import fmt, row_label
from vocabulary.errors import InputError
from vocabulary.metrics import Unit, metric
from vocabulary.output_files import check_output_file, write_files
from vocabulary.text import spreadsheet_safe

OUTCOME_LABELS = {
    name: (row_label(name).replace(", ", ",\n", 1), metric(name).unit)
    for name in ("cn_share_global", "compute_cn", "price_cn", "price_us")
}
"""The outcomes ``sim sweep show`` summarises, each under its label in the metric list (as a
column header of two lines, so that four of them fit a terminal)."""


class GridAxis(click.ParamType):
    """``KEY=V1,V2,...``: one parameter's values on the grid."""

    name = "KEY=V1,V2,..."

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, list[Any]]:
        """Split into the key and its parsed values."""
        key, sep, values = str(value).partition("=")
        items = [item.strip() for item in values.split(",") if item.strip()]
        if not sep or not key.strip() or not items:
            self.fail(
                f"{value!r}: expected KEY=V1,V2,..., e.g. smuggling.leakage=0,0.2,0.5", param, ctx
            )
        return key.strip(), [api.setting_value(item) for item in items]


class SampleDesign(click.ParamType):
    """``METHOD:N``: a sampling method and its size."""

    name = "METHOD:N"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, int]:
        """Split into the method and the size."""
        method, _, size = str(value).partition(":")
        if (
            method not in api.SAMPLE_METHODS
            or not (size.isascii() and size.isdigit())
            or int(size) < 1
        ):
            self.fail(
                f"{value!r}: expected METHOD:N with METHOD one of "
                f"{', '.join(api.SAMPLE_METHODS)} and N a positive whole number, e.g. lhs:50",
                param,
                ctx,
            )
        return method, int(size)


class Range(click.ParamType):
    """``KEY=LOW:HIGH``: the interval a sampled parameter is drawn from."""

    name = "KEY=LOW:HIGH"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, tuple[float, float]]:
        """Split into the key and the bounds."""
        key, _, bounds = str(value).partition("=")
        low, _, high = bounds.partition(":")
        try:
            return key.strip(), (float(low), float(high))
        except ValueError:
            self.fail(
                f"{value!r}: expected KEY=LOW:HIGH with numbers, e.g. smuggling.leakage=0:0.5",
                param,
                ctx,
            )


SPEC_OPTIONS = (
    "scenario",
    "policies",
    "settings",
    "steps",
    "developers",
    "start",
    "step_length",
    "grid",
    "sample",
    "ranges",
    "seeds",
    "seed_root",
    "baseline",
    "name",
)
"""Options that say what the sweep is; ``--resume`` takes all of them from the store."""


@click.group("sweep", cls=SimGroup, invoke_without_command=True)
@scenario_options
@click.option(
    "--grid",
    "grid",
    multiple=True,
    type=GridAxis(),
    help="A parameter's values (repeatable: the points are the product of the grids).",
)
@click.option(
    "--sample",
    type=SampleDesign(),
    default=None,
    help="Sample points instead: lhs, random, sobol (Saltelli; N a power of two, "
    "N*(k+2) points) or morris (N trajectories, N*(k+1) points).",
)
@click.option(
    "--range",
    "ranges",
    multiple=True,
    type=Range(),
    help="A sampled parameter's interval (repeatable), with --sample.",
)
@click.option(
    "--seeds",
    type=click.IntRange(1, 100_000),
    default=3,
    show_default=True,
    help="Replicates per point, each with its own seed (the same at every point).",
)
@click.option(
    "--seed-root",
    type=click.IntRange(0, 2**63 - 1),
    default=0,
    show_default=True,
    help="Root of the replicates' seeds (and of the sample).",
)
@click.option(
    "--baseline",
    default=None,
    metavar="POLICY-OR-SCENARIO",
    help="Also run every point's seeds under this preset, scenario file or single "
    "policy, with the same seeds (common random numbers), for paired "
    "differences.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 4096),
    default=None,
    help="Local worker processes [default: the number of cores].",
)
@scheduler_options
@click.option(
    "--large", is_flag=True, help="Allow a sweep of more than 10,000 runs (up to 1,000,000)."
)
@click.option(
    "--name",
    default=None,
    help="The sweep's name; running the same name again runs only what is missing "
    "[default: from the spec, so the same command finds the same sweep].",
)
@click.option(
    "--resume",
    type=click.IntRange(1),
    default=None,
    metavar="ID",
    help="Run what stored sweep ID has left (failed or never finished runs).",
)
@db_option
@json_option
@click.pass_context
def sweep_group(
    ctx: click.Context,
    scenario: str | None,
    policies: tuple[str, ...],
    settings: tuple[str, ...],
    steps: int | None,
    developers: int | None,
    start: str | None,
    step_length: str | None,
    grid: tuple[tuple[str, list[Any]], ...],
    sample: tuple[str, int] | None,
    ranges: tuple[tuple[str, tuple[float, float]], ...],
    seeds: int,
    seed_root: int,
    baseline: str | None,
    workers: int | None,
    scheduler: str | None,
    insecure_scheduler: bool,
    large: bool,
    name: str | None,
    resume: int | None,
    db: str | None,
    as_json: bool,
) -> None:
    """Run a sweep: a grid or a sample of parameters, each point over several seeds.

    Every run is stored in the run database with its sweep, point, replicate and arm; running
    the same sweep again (the same options, the same --name, or --resume ID) runs only what is
    missing or failed. Runs go to local processes, or to a Dask cluster with --scheduler; a
    run's history is the same either way. Before the runs start, the number of runs to do
    and an estimate of their time go to standard error, then the progress.

    \b
    Examples:
      sim sweep --policy export_ban --policy smuggling --grid smuggling.leakage=0,0.2,0.5
      sim sweep --policy smuggling --sample sobol:64 --range smuggling.leakage=0:1 --seeds 2
      sim sweep --scenario baseline --policy remote_access --baseline baseline --seeds 10
      sim sweep list;  sim sweep show 1;  sim sweep sensitivity 2
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    if ctx.invoked_subcommand is not None:
        return
    check_one_executor(workers, scheduler)
    if resume is not None:
        given = [
            param.opts[0]
            for param in ctx.command.params
            if param.name in SPEC_OPTIONS
            and ctx.get_parameter_source(param.name)
            in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
        ]
        if given:
            raise InputError(
                f"--resume {resume} runs the stored sweep as it was specified: "
                f"leave out {', '.join(given)}"
            )
        run = partial(
            api.resume_sweep,
            resume,
            workers=workers,
            scheduler=scheduler,
            insecure_scheduler=insecure_scheduler,
            db=db,
        )
    else:
        run = partial(
            api.sweep,
            scenario,
            policies=policies,
            settings=settings,
            steps=steps,
            developers=developers,
            start=start,
            step_length=step_length,
            grid=_unique(grid, "--grid") or None,  # no --grid: one point
            sample=sample,
            ranges=_unique(ranges, "--range"),
            seeds=seeds,
            seed_root=seed_root,
            baseline=baseline,
            name=name,
            workers=workers,
            scheduler=scheduler,
            insecure_scheduler=insecure_scheduler,
            large=large,
            db=db,
        )
    try:
        report = _run_with_progress(run)
    except api.SweepInterrupted as stop:
        click.echo(f"{stop}", err=True)
        sys.exit(stop.exit_status)
    _print_report(report, as_json)
    if report.status == "failed":
        sys.exit(1)


def _unique(pairs: tuple[tuple[str, Any], ...], option: str) -> dict[str, Any]:
    """``(key, value)`` pairs as a dict; a key given twice is an error."""
    keys = [key for key, _ in pairs]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise InputError(f"{option} {twice[0]} is given twice; give each key once")
    return dict(pairs)


def _run_with_progress(run: Callable[..., api.SweepResult]) -> api.SweepResult:
    """Run the sweep (``run(on_start=..., on_stored=...)``) with a progress bar on stderr."""
    err = new_console(stderr=True)
    progress = Progress(
        TextColumn("[bold]sweep[/]"),
        TextColumn("{task.fields[name]}", style="bold", markup=False),  # the name: data
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs, {task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    with shown_once_started(progress) as show:
        bar = progress.add_task("runs", total=None, failed=0, name="")

        def on_start(start: api.SweepStart) -> None:
            show()
            progress.console.print(_plan(start))
            progress.update(bar, total=start.runs, name=start.name)

        def on_stored(_task: Any, status: str) -> None:
            failed = progress.tasks[0].fields["failed"] + (status == "failed")
            progress.update(bar, advance=1, failed=failed)

        return run(on_start=on_start, on_stored=on_stored)


def _plan(start: api.SweepStart) -> str:
    """What the sweep is about to do, and roughly how long it will take (to standard error)."""
    left = "" if start.runs == start.planned else f" (of {start.planned:,}; the rest finished)"
    sharing = (
        f"on {start.workers} worker process{'es' if start.workers > 1 else ''}"
        if start.workers
        else "of one worker's time, shared by the cluster's workers"
    )
    busy = (
        f"; this machine is busy now, so {start.slowdown:.1f} times that"
        if start.slowdown > 1.05
        else ""
    )
    return (
        f"Sweep {escape(start.name)}: {start.runs:,} runs to do{left} "
        f"({start.developer_steps:,} developer-steps), estimated {start.estimated_duration} "
        f"{sharing} (at a benchmarked {api.SECONDS_PER_STEP * 1e3:g} ms a step plus "
        f"{api.SECONDS_PER_DEVELOPER_STEP * 1e6:g} µs a developer-step per worker, "
        f"{api.SWEEP_SETUP_SECONDS:g} s to start and {api.SECONDS_PER_RUN * 1e3:g} ms a run "
        f"to hand over and store{busy})."
    )


def _print_report(report: api.SweepResult, as_json: bool) -> None:
    if as_json:
        click.echo(
            json.dumps(
                {
                    "sweep_id": report.sweep_id,
                    "name": report.name,
                    "status": report.status,
                    "planned": report.planned,
                    "already_finished": report.already_finished,
                    "finished": report.finished,
                    "failed": report.failed,
                    "executor": report.executor,
                    "db": report.db,
                }
            )
        )
        return
    out = new_console()
    done = report.already_finished + report.finished
    if report.finished + report.failed == 0:
        out.print(
            f"Sweep [bold]{report.sweep_id}[/] ({escape(report.name)}): all {report.planned} "
            "runs were already finished; nothing to run."
        )
    else:
        out.print(
            f"Sweep [bold]{report.sweep_id}[/] ({escape(report.name)}) on "
            f"{escape(report.executor)}: stored "
            f"{report.finished} finished and {report.failed} failed runs; "
            f"{done} of {report.planned} runs finished."
        )
    if report.failed:
        out.print(
            f"[red]{report.failed} runs failed[/] (their errors: `sim runs list`, "
            f"`sim runs show RUN`); `sim sweep --resume {report.sweep_id}` runs them again."
        )
    out.print(f"Stored in {escape(report.db)}. See `sim sweep show {report.sweep_id}`.")


def _sweep_ref(text: str) -> int | str:
    """A sweep named on the command line: its id, or its name."""
    return int(text) if text.isascii() and text.isdigit() else text


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts, NaN as None."""
    return [json_safe(row) for row in frame.to_dict(orient="records")]


def _setting(value: Any) -> str | Text:
    """A point's value of a parameter: a number to 4 digits; anything else as typed."""
    return f"{value:.4g}" if isinstance(value, float) else literal(value)


@sweep_group.command("list")
@click.option("--limit", type=click.IntRange(1), default=None, help="Show only the newest N.")
@db_option
@json_option
def sweep_list(limit: int | None, db: str | None, as_json: bool) -> None:
    """List stored sweeps, newest first, with their finished runs (a killed sweep: interrupted).

    \b
    Examples:
      sim sweep list --limit 5
      sim sweep list --json
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    store = api.open_store(db, existing=True)
    rows = [
        {
            "id": int(sweep_id),
            "name": row["name"],
            "status": row["status"],
            "finished_runs": int(row["finished_runs"]),
            "planned_runs": int(row["planned_runs"]),
            "created_at": iso_time(row["created_at"]),
            "finished_at": iso_time(row["finished_at"]),
        }
        for sweep_id, row in store.sweeps(limit).iterrows()
    ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    out = new_console()
    if not rows:
        out.print(
            f"No sweeps in {escape(store.url)} yet. Start one with `sim sweep --policy "
            "smuggling --grid smuggling.leakage=0,0.5`."
        )
        return
    table = Table()
    for column in ("id", "name", "status", "runs finished", "created", "finished"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["id"]),
            literal(row["name"]),
            literal(row["status"]),
            f"{row['finished_runs']}/{row['planned_runs']}",
            literal(row["created_at"]),
            literal(row["finished_at"] or "-"),
        )
    print_table(table, wrap=("name",), console=out)


@sweep_group.command("show")
@click.argument("sweep_ref", metavar="SWEEP")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the table (one row per point, arm and outcome); text that a "
    "spreadsheet would run as a formula (=, +, -, @ first) starts with '.",
)
@db_option
@json_option
def sweep_show(sweep_ref: str, csv_path: Path | None, db: str | None, as_json: bool) -> None:
    """Per point: the main outcomes at the last step, mean and 95% interval over the seeds.

    SWEEP is an id or a name. With a baseline arm, also the paired differences main minus
    baseline (by seed) with their 95% intervals, beside the interval the same difference
    would have from independent runs (Welch).

    \b
    Examples:
      sim sweep show 3
      sim sweep show leakage-vs-social --csv sweep.csv
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    if csv_path is not None:
        check_output_file(csv_path, "--csv")
    store = api.open_store(db, existing=True)
    sweep = store.sweep(_sweep_ref(sweep_ref))
    summary, differences, settings = sweep.summary, sweep.differences, sweep.settings
    if csv_path is not None:
        table = spreadsheet_safe(sweep.table())
        write_files({csv_path: lambda path: table.to_csv(path, index=False)}, "--csv")
    finished, planned = sweep.finished_runs, sweep.planned_runs
    if as_json:
        click.echo(
            json.dumps(
                {
                    "sweep": {
                        "id": sweep.id,
                        "name": sweep.name,
                        "status": sweep.status,
                        "finished_runs": finished,
                        "planned_runs": planned,
                        "created_at": iso_time(sweep.created_at),
                        "spec": sweep.spec,
                    },
                    "points": sweep.points,
                    "summary": _records(summary),
                    "differences": None if differences is None else _records(differences),
                    "db": store.url,
                }
            )
        )
        return
    out = new_console()
    policies = ", ".join(sweep.policies) or "no policies"
    design = (
        f"{sweep.sample_method} sample of {len(sweep.points)} points"
        if sweep.sample_method
        else f"{len(sweep.points)} point{'s' if len(sweep.points) != 1 else ''}"
    )
    out.print(
        f"[bold]Sweep {sweep.id}[/] "
        + escape(
            f"{sweep.name}: {sweep.status}, {finished} of "
            f"{planned} runs finished; {design} x {sweep.seeds} seeds; {policies}"
            + (f"; baseline {sweep.baseline}" if sweep.baseline is not None else "")
        )
    )
    _print_outcomes(out, summary, settings, sweep.arms, sweep.outcomes)
    if differences is not None:
        _print_differences(out, differences, settings, sweep.outcomes)
    if csv_path is not None:
        out.print(f"Wrote {escape(str(csv_path))}.")


def _cell(mean: float, low: float, high: float, kind: Unit) -> str:
    if math.isnan(mean):
        return "-"
    if math.isnan(low):
        return fmt(mean, kind)
    return f"{fmt(mean, kind)} ± {fmt((high - low) / 2, kind)}"


def _half_width(low: float, high: float, kind: Unit) -> str:
    """Half an interval's width, in the units of a difference (shares in points)."""
    return fmt_delta((high - low) / 2, kind).lstrip("+")


def _print_outcomes(
    out: Console,
    summary: pd.DataFrame,
    settings: pd.DataFrame,
    arms: tuple[str, ...],
    outcomes: tuple[str, ...],
) -> None:
    table = Table(
        title="At the last step: mean ± half-width of the 95% interval over seeds",
        title_justify="left",
    )
    table.add_column("point", justify="right")
    for key in settings.columns:
        table.add_column(literal(key), justify="right")
    if len(arms) > 1:
        table.add_column("arm")
    table.add_column("runs", justify="right")
    for outcome in outcomes:
        table.add_column(OUTCOME_LABELS[outcome][0], justify="right")
    for (point, arm), rows in summary.groupby(["point", "arm"], sort=False):
        by_outcome = rows.set_index("outcome")
        cells = [
            _cell(*by_outcome.loc[o, ["mean", "low", "high"]], OUTCOME_LABELS[o][1])
            for o in outcomes
        ]
        arm_cell = [literal(arm)] if len(arms) > 1 else []
        table.add_row(
            str(point),
            *(_setting(v) for v in settings.loc[point]),
            *arm_cell,
            str(by_outcome["runs"].iloc[0]),
            *cells,
        )
    print_table(table, console=out)


def _print_differences(
    out: Console, differences: pd.DataFrame, settings: pd.DataFrame, outcomes: tuple[str, ...]
) -> None:
    table = Table(
        title="Main minus baseline: paired by seed (95% interval) / the interval "
        "independent runs would give (Welch)",
        title_justify="left",
    )
    table.add_column("point", justify="right")
    for key in settings.columns:
        table.add_column(literal(key), justify="right")
    table.add_column("pairs", justify="right")
    for outcome in outcomes:
        table.add_column(OUTCOME_LABELS[outcome][0], justify="right")
    for point, rows in differences.groupby("point", sort=False):
        by_outcome = rows.set_index("outcome")
        cells = []
        for outcome in outcomes:
            row, kind = by_outcome.loc[outcome], OUTCOME_LABELS[outcome][1]
            paired = fmt_delta(row["mean"], kind)
            if not math.isnan(row["low"]):
                paired += " ± " + _half_width(row["low"], row["high"], kind)
            unpaired = (
                "-"
                if math.isnan(row["unpaired_low"])
                else "± " + _half_width(row["unpaired_low"], row["unpaired_high"], kind)
            )
            cells.append(f"{paired}\n[dim]independent {unpaired}[/]")
        table.add_row(
            str(point),
            *(_setting(v) for v in settings.loc[point]),
            str(by_outcome["pairs"].iloc[0]),
            *cells,
        )
    print_table(table, console=out)


@sweep_group.command("sensitivity")
@click.argument("sweep_ref", metavar="SWEEP")
@click.option(
    "--outcome",
    default="cn_share_global",
    show_default=True,
    help="The market metric at the last step to analyse (a column of market_steps; "
    "see docs/model.md).",
)
@db_option
@json_option
def sweep_sensitivity(sweep_ref: str, outcome: str, db: str | None, as_json: bool) -> None:
    """Global sensitivity of an outcome to the sampled parameters, ranked (SALib).

    Sobol indices (S1, ST with 95% confidence) for a --sample sobol sweep; Morris effects
    (mu*, its confidence, sigma) for a --sample morris sweep. SWEEP is an id or a name.

    \b
    Example:
      sim sweep sensitivity leakage-vs-social --outcome price_cn
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    found = api.sensitivity(_sweep_ref(sweep_ref), outcome, db)
    indices = found.indices
    if as_json:
        click.echo(
            json.dumps(
                {
                    "sweep_id": found.sweep_id,
                    "outcome": outcome,
                    "method": found.method,
                    "indices": _records(indices),
                    "warnings": list(found.warnings),
                }
            )
        )
        _warn(found.warnings)
        return
    table = Table(
        title=escape(
            f"Sensitivity of {outcome} at the last step, sweep {found.sweep_id} "
            f"({found.sweep_name}), most influential first"
        ),
        title_justify="left",
    )
    for column in indices.columns:
        table.add_column(column, justify="left" if column == "parameter" else "right")
    for row in indices.itertuples(index=False):
        table.add_row(literal(row[0]), *(f"{value:.3f}" for value in row[1:]))
    print_table(table, wrap=("parameter",))
    _warn(found.warnings)


def _warn(warnings: tuple[str, ...]) -> None:
    """Each reason not to trust the indices as printed, as a line on standard error."""
    for warning in warnings:
        click.echo(f"Warning: {warning}.", err=True)
