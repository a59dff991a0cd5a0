"""``sim calibrate``: search the tuned parameters for the best fit to the targets."""

import json
import sys
import time
from pathlib import Path

import click
from click.core import ParameterSource
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from interfaces import api
from interfaces.cli.common import (
    check_one_executor,
    db_option,
    json_option,
    json_safe,
    scheduler_options,
    shown_once_started,
)
from interfaces.cli.tables import literal, new_console, print_table
from vocabulary.output_files import check_output_file, write_files

DEFAULT_OUT = "calibrated.toml"


@click.command()
@click.option(
    "--scenario",
    default="baseline",
    show_default=True,
    metavar="NAME|FILE",
    help="The scenario to calibrate: a preset or a TOML or YAML scenario file.",
)
@click.option(
    "--trials",
    type=click.IntRange(1, 100_000),
    default=200,
    show_default=True,
    help="Trials in all; a rerun of the same calibration continues up to this many.",
)
@click.option(
    "--seeds",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Each trial runs seeds 1..N; the targets are measured on their mean.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=1,
    show_default=True,
    help="Seed of the optimiser's own draws.",
)
@click.option(
    "--developers",
    type=click.IntRange(100, 5_000_000),
    default=None,
    help="Population size [default: the scenario's, 20000].",
)
@click.option(
    "--targets",
    "targets_file",
    default=None,
    metavar="FILE",
    help="Fit the targets in this TOML or YAML file [default: the packaged targets].",
)
@click.option(
    "--space",
    "space_file",
    default=None,
    metavar="FILE",
    help="Search the parameters and ranges in this TOML or YAML file (a `parameters` list "
    "like scenario/data/tuning.toml) [default: the packaged tuning space].",
)
@click.option(
    "--out",
    default=DEFAULT_OUT,
    show_default=True,
    metavar="FILE",
    help="Write the calibrated scenario here (TOML), with what moved and why in comments.",
)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@click.option(
    "--name",
    default=None,
    help="The calibration's name; the same name continues it [default: from its spec, so "
    "the same command finds the same calibration].",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 4096),
    default=None,
    help="Local worker processes; also the trials run at once [default: the number of cores].",
)
@click.option(
    "--posterior",
    is_flag=True,
    help="Instead of one best point, the distribution of the tuned parameters given the "
    "targets (neural posterior estimation, sbi): their 90% intervals, stored draws and a "
    "predictive check. --trials, --seeds, --out and --force do not apply.",
)
@click.option(
    "--simulations",
    type=click.IntRange(20, 1_000_000),
    default=2000,
    show_default=True,
    help="With --posterior: runs of each round (one seed each); a rerun continues up to this "
    "many. About 100 per tuned parameter is the usual floor.",
)
@click.option(
    "--rounds",
    type=click.IntRange(1, 10),
    default=1,
    show_default=True,
    help="With --posterior: rounds of --simulations runs. The first draws from the prior, "
    "each later one from the prior cut to where the last round's posterior has its mass "
    "(truncated sequential NPE): more runs near the record.",
)
@click.option(
    "--draws",
    type=click.IntRange(1, 1_000_000),
    default=1000,
    show_default=True,
    help="With --posterior: draws stored from the posterior.",
)
@click.option(
    "--check",
    type=click.IntRange(0, 1_000_000),
    default=50,
    show_default=True,
    help="With --posterior: draws simulated for the posterior predictive check (0: none).",
)
@scheduler_options
@db_option
@json_option
def calibrate(
    scenario: str,
    trials: int,
    seeds: int,
    seed: int,
    developers: int | None,
    targets_file: str | None,
    space_file: str | None,
    out: str,
    force: bool,
    name: str | None,
    workers: int | None,
    posterior: bool,
    simulations: int,
    rounds: int,
    draws: int,
    check: int,
    scheduler: str | None,
    insecure_scheduler: bool,
    db: str | None,
    as_json: bool,
) -> None:
    """Search the tuned parameters, within their sourced ranges, for the best fit to targets.

    Each trial sets the tuned parameters (scenario/data/tuning.toml: each with the range its
    source allows) to values chosen by Optuna's TPE sampler, runs the scenario with seeds
    1..N and measures the targets as `sim validate` does. Its loss adds, for each failing
    target, 1 plus its squared distance outside the band in band widths (0 when every target
    passes). The first trial is the scenario's own values, so the result is never worse than
    them. Trials are stored in the run database: the same command
    continues a stopped calibration. The best trial is written as a scenario file.

    \b
    Examples:
      sim calibrate --seed 1                      # 200 trials of seeds 1-5, baseline
      sim calibrate --trials 20 --seeds 2 --developers 5000 --out quick.toml
      sim calibrate --targets my_targets.toml --space my_ranges.toml
      sim run --scenario calibrated.toml          # run the result
      sim calibrate --posterior --simulations 3000 --check 50
      sim calibrate --posterior --simulations 3000 --rounds 2 --check 50

    With --posterior, each of --simulations runs draws the tuned parameters from their
    ranges (uniform, or log-uniform where the tuning file says log = true) and is measured on
    the targets; a neural network (sbi's NPE) learns the parameters given the targets and is
    asked for them given the record, each band read as its centre measured with an error of
    a quarter of its width. Prints each parameter's prior and posterior 90% interval, and the
    targets' distribution over --check runs of the posterior's draws against their bands.
    Simulations are stored as they finish: the same command continues a stopped posterior.
    With --rounds, each round after the first spends its --simulations where the posterior
    so far puts its mass, and the network is trained on every round.
    """
    check_one_executor(workers, scheduler)
    if posterior:
        _refuse_point_options()
        _posterior(
            scenario,
            simulations,
            rounds,
            draws,
            check,
            seed,
            developers,
            targets_file,
            space_file,
            name,
            workers,
            scheduler,
            insecure_scheduler,
            db,
            as_json,
        )
        return
    out_path = Path(out)
    check_output_file(out_path, "--out", force=force)
    progress = Progress(
        TextColumn("[bold]calibrating[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeRemainingColumn(),
        console=new_console(stderr=True),
        transient=True,
    )
    piped = None if progress.console.is_terminal else PlainProgress(trials)
    with shown_once_started(progress) as show:
        bar = progress.add_task("first trials", total=trials)

        def opened(_name: str, done: int) -> None:
            show()
            progress.update(bar, completed=done)
            if piped:
                piped.started(done)

        def finished(_trial: api.StoredTrial, best: api.StoredTrial) -> None:
            text = "no trial measured yet" if best.loss is None else f"best loss {best.loss:,.3f}"
            if best.loss == 0 and best.margin is not None:
                text += f", nearest target {best.margin:.3f} of a band inside"
            progress.update(bar, advance=1, description=text)
            if piped:
                piped.trial_done(text)

        result = api.calibrate(
            scenario,
            trials=trials,
            seeds=seeds,
            seed=seed,
            developers=developers,
            targets=targets_file,
            space=space_file,
            name=name,
            workers=workers,
            scheduler=scheduler,
            insecure_scheduler=insecure_scheduler,
            db=db,
            on_open=opened,
            on_trial=finished,
            on_start=lambda start: progress.console.print(_plan(start, seeds), soft_wrap=True),
        )
    report = result.report
    if result.scenario is not None:
        text = _scenario_file(result)
        write_files({out_path: lambda path: path.write_text(text)}, "--out")
    if as_json:
        click.echo(json.dumps(_as_json(result, out if result.scenario else None)))
    else:
        _print_report(result, out if result.scenario else None)
    if report.stopped_by is not None:
        sys.exit(128 + report.stopped_by.value)


def _refuse_point_options() -> None:
    """--posterior with an option of the point calibration is a usage error (exit status 2)."""
    context = click.get_current_context()
    for option in ("trials", "seeds", "out", "force"):
        if context.get_parameter_source(option) == ParameterSource.COMMANDLINE:
            raise click.UsageError(
                f"--{option} is for the point calibration; with --posterior the budget is "
                "--simulations, each run has one seed, and the draws stay in the store"
            )


def _posterior(
    scenario: str,
    simulations: int,
    rounds: int,
    draws: int,
    check: int,
    seed: int,
    developers: int | None,
    targets_file: str | None,
    space_file: str | None,
    name: str | None,
    workers: int | None,
    scheduler: str | None,
    insecure_scheduler: bool,
    db: str | None,
    as_json: bool,
) -> None:
    """``sim calibrate --posterior``: simulate, train, draw, check, and print the result."""
    progress = Progress(
        TextColumn("[bold]{task.fields[stage]}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=new_console(stderr=True),
        transient=True,
    )
    with shown_once_started(progress) as show:
        total = simulations * rounds
        bar = progress.add_task("", total=total, stage="simulating")

        def opened(_name: str, done: int) -> None:
            show()
            progress.update(bar, completed=min(done, total))

        def training(used: int) -> None:
            progress.update(bar, stage=f"training on {used:,} simulations")

        def simulated(_trial: api.StoredTrial) -> None:
            progress.update(bar, advance=1, stage="simulating")

        def checking() -> None:
            if progress.tasks[bar].fields["stage"] != "checking":
                progress.reset(bar, total=check, stage="checking")
            progress.advance(bar)

        started = time.perf_counter()
        result = api.posterior(
            scenario,
            simulations=simulations,
            rounds=rounds,
            draws=draws,
            check=check,
            seed=seed,
            developers=developers,
            targets=targets_file,
            space=space_file,
            name=name,
            workers=workers,
            scheduler=scheduler,
            insecure_scheduler=insecure_scheduler,
            db=db,
            on_open=opened,
            on_simulation=simulated,
            on_training=training,
            on_check=checking,
        )
        wall = time.perf_counter() - started
    if as_json:
        click.echo(json.dumps(_posterior_json(result, wall)))
    else:
        _print_posterior(result, wall)
    if result.report.stopped_by is not None:
        sys.exit(128 + result.report.stopped_by.value)


def _posterior_json(result: api.PosteriorResult, wall: float) -> dict[str, object]:
    report, fit = result.report, result.report.fit
    return {
        "calibration_id": report.calibration_id,
        "name": report.spec.name,
        "simulations": len(report.simulations),
        "interrupted": report.stopped_by is not None,
        "wall_seconds": wall,
        "fit": None
        if fit is None
        else {
            "simulations": fit.simulations,
            "failed": fit.failed,
            "epochs": fit.epochs,
            "train_seconds": fit.train_seconds,
            "method": fit.method,
            "validation_loss": fit.validation_loss,
            "draws": len(fit.draws),
        },
        "parameters": [json_safe(row) for row in report.intervals().to_dict("records")],
        "check": None
        if result.check is None
        else [json_safe(row) for row in result.check.to_dict("records")],
        "db": result.db,
    }


def _print_posterior(result: api.PosteriorResult, wall: float) -> None:
    report, fit = result.report, result.report.fit
    console = new_console()
    stopped = f", stopped by {report.stopped_by.name}" if report.stopped_by else ""
    console.print(
        f"Posterior {report.calibration_id} ({escape(report.spec.name)}): "
        f"{len(report.simulations):,} simulations stored{stopped}, {api.duration(wall)} "
        "this session."
    )
    if fit is None:
        console.print("Not trained yet: the same command continues it.")
        return
    console.print(
        f"Trained ({fit.method}) on {fit.simulations:,} simulations ({fit.failed} failed) in "
        f"{fit.epochs} epochs, {fit.train_seconds:,.1f} s, validation loss "
        f"{fit.validation_loss:.3f}; {len(fit.draws):,} draws stored."
    )
    params = Table(
        title="Tuned parameters: prior and posterior (narrowed: the 90% interval's width "
        "over the range's; 0.9 means the targets say nothing)"
    )
    for column in ("parameter", "prior", "default", "median", "90% interval", "narrowed"):
        params.add_column(column, justify="left" if column == "parameter" else "right")
    for row in report.intervals().itertuples():
        params.add_row(
            literal(row.parameter),
            f"{row.prior} {row.low:g} to {row.high:g}",
            f"{row.default:.4g}",
            f"{row.median:.4g}",
            f"{row.p05:.4g} to {row.p95:.4g}",
            f"{row.narrowed:.2f}",
        )
    print_table(params, console=console)
    if result.check is not None:
        runs = int(result.check["runs"].max()) if len(result.check) else 0
        checked = Table(
            title=f"Posterior predictive check: the targets over {runs} runs of the draws"
        )
        for column in ("id", "observable", "median", "90% of runs", "band"):
            checked.add_column(column, justify="right" if column == "median" else "left")
        for row in result.check.itertuples():
            checked.add_row(
                literal(row.id),
                literal(row.observable),
                _mark(row.median_text, row.median_in_band),
                literal(row.interval_text),
                literal(row.band),
            )
        print_table(checked, wrap=("observable",), console=console)
    console.print(
        f"Stored in {escape(result.db)}: api.load_posterior({report.calibration_id}) reads the "
        "draws; the same command continues it, and a larger --simulations adds to it."
    )


def _plan(start: api.SweepStart, seeds: int) -> str:
    """One line before the first trial: the trials and runs left, and roughly how long."""
    trials, planned = start.runs // seeds, start.planned // seeds
    left = "" if trials == planned else f" (of {planned:,}; the rest were done before)"
    busy = f", {start.slowdown:.1f} times slower while this machine is busy" * (
        start.slowdown > 1.05
    )
    sharing = f"{start.workers} worker processes" if start.workers else "the cluster"
    return escape(
        f"Calibration {start.name}: {trials:,} trial{'s' * (trials != 1)} to do{left}, "
        f"{start.runs:,} run{'s' * (start.runs != 1)} of "
        f"{seeds} seed{'s' * (seeds > 1)} each, estimated {start.estimated_duration} on "
        f"{sharing} (as a sweep of as many runs{busy})."
    )


class PlainProgress:
    """Progress as occasional lines on standard error, for when it is not a terminal.

    A live bar draws nothing into a log file, so a calibration left running under ``nohup``
    or in CI would say nothing for hours: this writes one line each time another tenth of
    the trials is done, and at least every :data:`EVERY_SECONDS`.
    """

    EVERY_SECONDS = 60.0

    def __init__(self, trials: int) -> None:
        self.trials = trials
        self.done = 0
        self.first = 0
        self.began = self.last = time.monotonic()

    def started(self, done: int) -> None:
        """The calibration is open with ``done`` trials stored by earlier sessions."""
        self.done = self.first = done
        self.began = self.last = time.monotonic()

    def trial_done(self, best: str) -> None:
        """Another trial finished; ``best`` says the best loss so far."""
        self.done += 1
        now = time.monotonic()
        tenth = max(1, self.trials // 10)
        if self.done % tenth and self.done < self.trials and now - self.last < self.EVERY_SECONDS:
            return
        self.last = now
        rate = (now - self.began) / (self.done - self.first)
        left = self.trials - self.done
        when = f"{api.duration(rate * left)} left" if left else "all done"
        click.echo(f"calibrating: {self.done:,}/{self.trials:,} trials, {best}, {when}", err=True)


def _scenario_file(result: api.CalibrationResult) -> str:
    """The calibrated scenario as TOML, headed by what moved, how far, and what it changed."""
    report = result.report
    lines = [
        f"# Calibrated by `sim calibrate` (calibration {report.calibration_id}, "
        f"{report.spec.name!r}, {len(report.trials)} trials, seeds 1-{report.spec.seeds},",
        f"# {report.spec.scenario.developers:,} developers).",
        f"# Loss: defaults {_loss_text(report.default)}, calibrated {_loss_text(report.best)}.",
        "# Parameters (range and its source; default -> calibrated):",
    ]
    for row in report.moves().itertuples():
        lines.append(
            f"#   {row.parameter}: {row.default:.4g} -> {row.calibrated:.4g} "
            f"(range {row.low:g}-{row.high:g}, moved {row.moved:+.0%} of it; {row.source})"
        )
    lines.append("# Why: targets (defaults -> calibrated; band):")
    for row in report.target_changes().itertuples():
        lines.append(
            f"#   {row.id} {row.observable}: {row.default} -> {row.calibrated}; {row.band}"
        )
    return "\n".join(lines) + "\n\n" + api.scenario_text(result.scenario, "toml")


def _loss_text(trial: api.StoredTrial | None) -> str:
    """The trial's loss; once it passes every target, also how far inside their bands."""
    if trial is None or trial.loss is None:
        return "-"
    if trial.loss > 0 or trial.margin is None:
        return f"{trial.loss:,.3f}"
    return f"{trial.loss:,.3f} (nearest target {trial.margin:.3f} of its band's width inside it)"


def _as_json(result: api.CalibrationResult, out: str | None) -> dict[str, object]:
    report = result.report
    return {
        "calibration_id": report.calibration_id,
        "name": report.spec.name,
        "trials": len(report.trials),
        "interrupted": report.stopped_by is not None,
        "default_loss": report.default.loss if report.default else None,
        "best_loss": report.best.loss if report.best else None,
        "parameters": [json_safe(row) for row in report.moves().to_dict("records")],
        "targets": [json_safe(row) for row in report.target_changes().to_dict("records")],
        "scenario_file": out,
        "db": result.db,
    }


def _print_report(result: api.CalibrationResult, out: str | None) -> None:
    report = result.report
    console = new_console()
    stopped = f", stopped by {report.stopped_by.name}" if report.stopped_by else ""
    console.print(
        f"Calibration {report.calibration_id} ({escape(report.spec.name)}): "
        f"{len(report.trials)} trials"
        f"{stopped}. Loss: defaults {_loss_text(report.default)}, best "
        f"{_loss_text(report.best)}."
    )
    params = Table(title="Tuned parameters (moved: share of the range)")
    for column in ("parameter", "range", "default", "calibrated", "moved"):
        params.add_column(column, justify="left" if column == "parameter" else "right")
    for row in report.moves().itertuples():
        params.add_row(
            literal(row.parameter),
            f"{row.low:g} to {row.high:g}",
            f"{row.default:.4g}",
            f"{row.calibrated:.4g}",
            f"{row.moved:+.0%}",
        )
    print_table(params, console=console)
    targets = Table(title="Targets: the defaults and the best trial (mean over seeds)")
    for column in ("id", "observable", "defaults", "calibrated", "band"):
        targets.add_column(
            column, justify="right" if column in ("defaults", "calibrated") else "left"
        )
    for row in report.target_changes().itertuples():
        targets.add_row(
            literal(row.id),
            literal(row.observable),
            _mark(row.default, row.default_passed),
            _mark(row.calibrated, row.calibrated_passed),
            literal(row.band),
        )
    print_table(targets, wrap=("observable",), console=console)
    if out:
        shown = escape(out)
        console.print(f"Wrote the calibrated scenario to {shown}: `sim run --scenario {shown}`.")
    console.print(f"Trials are stored in {escape(result.db)}; the same command continues it.")


def _mark(text: str, passed: bool | None) -> str:
    """A measured value (text of the targets file's units) and whether it passes, in colour."""
    if passed is None:
        return escape(text)
    return f"{escape(text)} [green]pass[/]" if passed else f"{escape(text)} [red]FAIL[/]"
