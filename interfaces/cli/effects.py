"""``sim effects``: the policy-effects table of docs/model.md, remade by one command."""

import json
import math
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from interfaces import api
from interfaces.cli.common import db_option, json_option, json_safe, progress_bar
from interfaces.cli.tables import literal, new_console, print_table
from interfaces.formatting import SCALES
from vocabulary.errors import InputError
from vocabulary.metrics import Unit, metric

DEFAULT_SEEDS = 10
DEFAULT_POSTERIOR_SEEDS = 2
"""Seeds per draw over a posterior: the draws carry the spread, two seeds split it from chance."""
DEFAULT_DEVELOPERS = 20_000
COMPARISON = "comparison"
"""The header of the column of what each row compares (the only column that wraps)."""
NOISE = 1e-9
"""An effect below this share of its baseline (or below this, for a baseline under 1) is float
noise, and reads 0."""
HEADER_WIDTH = 18
"""The widest line of an outcome's header in the terminal's table (its figures are narrower)."""
DEFAULT_DECIMALS = {Unit.SHARE: 1, Unit.H100E: 1, Unit.PRICE: 3}
"""Decimals of a figure whose interval has no width (one seed's, or an effect of exactly 0)."""


@click.command("effects")
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="ID",
    help="Run only this comparison (repeatable): " + ", ".join(api.EFFECT_ARMS) + ".",
)
@click.option(
    "--seeds",
    type=click.IntRange(2, 5_000),
    default=None,
    help=f"Seeds per comparison, the same in each (spawned from seed root 0) [default: "
    f"{DEFAULT_SEEDS}; with --posterior, {DEFAULT_POSTERIOR_SEEDS} per draw, seeds 1-2].",
)
@click.option(
    "--posterior",
    default=None,
    metavar="ID|NAME",
    help="Over a stored posterior's draws (`sim calibrate --posterior`): each draw is a "
    "baseline of its own, and each effect gets a 90% interval over draws and seeds and the "
    "share of its variance that comes from the inputs rather than chance. Not stored.",
)
@click.option(
    "--draws",
    type=click.IntRange(1, 100_000),
    default=20,
    show_default=True,
    help="With --posterior: how many of its draws (its first ones).",
)
@click.option(
    "--developers",
    type=click.IntRange(100, 5_000_000),
    default=DEFAULT_DEVELOPERS,
    show_default=True,
    help="Size of every run's developer population.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 4096),
    default=None,
    help="Local worker processes [default: the number of cores].",
)
@click.option(
    "--markdown",
    is_flag=True,
    help="Print the table as Markdown for docs/model.md, under a sentence naming the "
    "command that made it.",
)
@click.option(
    "--plot",
    metavar="FILE.png",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --posterior: also draw fan charts into FILE: the two Chinese shares month by "
    "month, each comparison's band against the baseline's (the suffix picks the format).",
)
@db_option
@json_option
def effects_command(
    only: tuple[str, ...],
    seeds: int | None,
    posterior: str | None,
    draws: int,
    developers: int,
    workers: int | None,
    markdown: bool,
    plot: Path | None,
    db: str | None,
    as_json: bool,
) -> None:
    """The policy effects of docs/model.md: twelve comparisons with the baseline, paired by seed.

    Each comparison is the baseline preset changed one way, run over --seeds seeds beside the
    baseline preset with the same seeds (common random numbers); its effect on each outcome
    in the last month (Dec 2027) is its value minus the baseline's, seed by seed, with a 95%
    t interval. The comparisons (IDs for --only):

    \b
      leakage-0, leakage-0.5, leakage-1   smuggling.leakage at 0, 0.5, 1
      act-2026-07, act-2024-01            the Remote Access Security Act from its real
                                          date, and from the first month
      strict, no-controls                 those presets' policies instead of the baseline's
      beijing-off                         the baseline without Beijing's measures
      origin-ban                          Chinese-made models banned for governments and
                                          enterprises outside China, on any host, from 2026-01
      hosts-off                           no hosts: each model served by the lab that made it
      us-lead-12, us-lead-36              supply.lead_time_months.US at 12 and 36 (new
                                          builds, docs/sources.md section 8)

    The outcomes: the Chinese shares of the tokens of developers outside China (of
    Chinese-made models whoever serves them, and of the tokens Chinese providers serve),
    Chinese providers' compute in all and by channel, the prices of Chinese and US providers,
    and the tokens demanded but not served. Each comparison is stored as a sweep of its own,
    named from its content, so running the command again runs only what is missing (and `sim
    sweep show NAME` prints a comparison on its own). At the defaults that is 240 runs of 20,000
    developers (twelve comparisons x ten seeds x two arms): about a minute on the project's
    2-core machine (68 s on 2026-12-07); an estimate goes to standard error before the runs
    start, then a progress bar.

    \b
    Examples:
      sim effects
      sim effects --only leakage-0 --only act-2026-07 --seeds 5
      sim effects --markdown > effects.md
      sim effects --developers 2000 --seeds 2 --json
      sim effects --posterior 1 --draws 20 --markdown
      sim effects --posterior 1 --draws 20 --plot fan.png

    With --posterior, every draw of the posterior is a baseline of its own: the baseline
    preset with the draw's values, each comparison made from it, both run with seeds 1..N.
    Each effect is the mean over draws and seeds of the paired differences, with the 5th to
    95th percentile of them, and the share of their variance that comes from the inputs
    (between draws, beyond chance) rather than from chance (between seeds). --plot draws
    the two Chinese shares over the months as fan charts: each comparison's median and 90%
    band beside the baseline's.
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    if as_json and markdown:
        raise InputError("--json and --markdown exclude each other: choose one")
    if plot is not None and posterior is None:
        raise click.UsageError("--plot draws fan charts over a posterior: add --posterior")
    if posterior is not None:
        _over_posterior(
            posterior, only, draws, seeds or DEFAULT_POSTERIOR_SEEDS, developers, workers,
            markdown, plot, db, as_json,
        )  # fmt: skip
        return
    seeds = seeds or DEFAULT_SEEDS
    progress = progress_bar("[bold]effects[/]")
    with _shown_once_started(progress) as show:
        bar = progress.add_task("runs", total=None)

        def on_start(start: api.SweepStart) -> None:
            show()
            progress.console.print(_plan(start, len(set(only)) or len(api.EFFECT_ARMS)))
            progress.update(bar, total=start.runs)

        def on_stored(_task: Any, _status: str) -> None:
            progress.update(bar, advance=1)

        try:
            table = api.policy_effects(
                only=only,
                seeds=seeds,
                developers=developers,
                workers=workers,
                db=db,
                on_start=on_start,
                on_stored=on_stored,
            )
        except api.SweepInterrupted as stop:
            progress.stop()
            click.echo(f"{stop}, or run the same `sim effects` command again to continue", err=True)
            sys.exit(stop.exit_status)
    command = _command_line(only, seeds, developers, markdown)
    if as_json:
        click.echo(json.dumps(_json(table, command)))
    elif markdown:
        click.echo(_markdown(table, command))
    else:
        _print(table)
    failed = table.attrs["failed"]
    if failed:
        click.echo(
            f"{failed} runs failed (their errors: `sim runs list`, `sim runs show RUN`); "
            "their comparisons have fewer pairs. Running the same command again runs them again.",
            err=True,
        )
        sys.exit(1)


@contextmanager
def _shown_once_started(progress: Progress) -> Iterator[Callable[..., None]]:
    """As ``interfaces.cli.common.shown_once_started``, stopped only if it was started.

    A bar never started (bad input, found before any run) writes nothing: a Rich progress
    stopped on a pipe writes an empty line, which would precede the one-line error.
    """
    try:
        yield lambda *_: progress.start()
    finally:
        if progress.live.is_started:
            progress.stop()


def _plan(start: api.SweepStart, comparisons: int) -> str:
    """What the command is about to run, and roughly how long it will take (standard error)."""
    if start.runs == 0:
        return f"Policy effects: all {start.planned:,} runs were stored before; nothing to run."
    left = "" if start.runs == start.planned else f" (of {start.planned:,}; the rest were stored)"
    busy = (
        f"; this machine is busy now, so {start.slowdown:.1f} times that"
        if start.slowdown > 1.05
        else ""
    )
    processes = f"{start.workers} worker process{'es' if start.workers != 1 else ''}"
    return (
        f"Policy effects: {start.runs:,} runs to do{left} for {comparisons} "
        f"comparison{'s' if comparisons != 1 else ''} with the baseline "
        f"({start.developer_steps:,} developer-steps), estimated {start.estimated_duration} "
        f"on {processes} (at `sim sweep`'s benchmarked costs{busy})."
    )


def _over_posterior(
    posterior: str,
    only: tuple[str, ...],
    draws: int,
    seeds: int,
    developers: int,
    workers: int | None,
    markdown: bool,
    plot: Path | None,
    db: str | None,
    as_json: bool,
) -> None:
    """``sim effects --posterior``: run, then print the table (or Markdown, or JSON).

    With ``plot``, the fan charts are written there first (the path is checked before the
    runs start, so a bad one costs nothing).
    """
    if plot is not None:
        api.check_image_path(plot, "--plot")
    progress = progress_bar("[bold]effects over the posterior[/]")
    with _shown_once_started(progress) as show:
        bar = progress.add_task("runs", total=None)

        def on_start(runs: int) -> None:
            show()
            progress.update(bar, total=runs)

        table = api.posterior_effects(
            int(posterior) if posterior.isascii() and posterior.isdigit() else posterior,
            draws=draws,
            seeds=seeds,
            only=only,
            developers=developers,
            by_month=plot is not None,
            workers=workers,
            db=db,
            on_start=on_start,
            on_run=lambda: progress.update(bar, advance=1),
        )
    if plot is not None:
        click.echo(f"Wrote {api.save_fan(table, plot)}", err=True)
        table = table[table["month"] == table["month"].max()]
    command = _command_line(
        only, seeds, developers, False, over=("--posterior", posterior, "--draws", str(draws))
    )
    if as_json:
        records = [json_safe(row) for row in table.to_dict("records")]
        click.echo(json.dumps({"command": command, **table.attrs, "effects": records}))
        return
    rows = _posterior_rows(table)
    attrs = table.attrs
    title = (
        f"Policy effects in {attrs['month']} over posterior {attrs['posterior']!r}: "
        f"{attrs['draws']} draws x {attrs['seeds']} seeds, {attrs['developers']:,} developers; "
        "mean, then the 5th to 95th percentile over draws and seeds; 'from inputs' is the share "
        "of the effect's variance that comes from the posterior's inputs rather than chance"
    )
    headers = ["comparison", "outcome", "baseline", "effect", "from inputs"]
    if markdown:
        click.echo(
            f"Made with `{command} --markdown` (token-market-sim {api.__version__}). {title}.\n"
        )
        click.echo("| " + " | ".join(headers) + " |")
        click.echo("|" + "---|" * len(headers))
        for row in rows:
            click.echo("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        return
    shown = Table(title=escape(title), title_justify="left")
    for header in headers:
        shown.add_column(header, justify="left" if header in headers[:2] else "right")
    for row in rows:
        shown.add_row(*map(literal, row))
    print_table(shown, wrap=("comparison",), console=new_console())


def _posterior_rows(table: pd.DataFrame) -> list[list[str]]:
    """One row per comparison and outcome: figures in the outcome's scale, with intervals."""
    rows = []
    for row in table.itertuples():
        size, unit_text = _scale(row.outcome, table)
        unit = metric(row.outcome).unit
        base, base_range = _figure(row.baseline, row.baseline_low, row.baseline_high, size, unit)
        effect, effect_range = _figure(
            row.difference, row.difference_low, row.difference_high, size, unit,
            _noise(row.baseline),
        )  # fmt: skip
        share = "-" if math.isnan(row.parameter_share) else f"{row.parameter_share:.0%}"
        rows.append(
            [
                f"{row.label} ({row.arm})",
                f"{metric(row.outcome).label} ({unit_text})",
                f"{base} [{base_range}]",
                f"{effect} [{effect_range}]",
                share,
            ]
        )
    return rows


def _command_line(
    only: tuple[str, ...],
    seeds: int,
    developers: int,
    markdown: bool,
    over: tuple[str, ...] = (),
) -> str:
    """The command that makes this table again (the store and the workers change nothing).

    ``over``: the options that name a posterior and its draws, for ``--posterior``.
    """
    words = ["sim", "effects", *over]
    for arm in dict.fromkeys(only):
        words += ["--only", arm]
    words += ["--seeds", str(seeds), "--developers", str(developers)]
    return " ".join([*words, "--markdown"] if markdown else words)


def _scale(outcome: str, table: pd.DataFrame) -> tuple[float, str]:
    """What an outcome's figures are divided by, and its unit as a header says it.

    Shares in % (their effects in points), compute in thousands of H100e, prices in USD per
    million tokens, tokens in the largest word their column reaches (``trillion``).
    """
    unit = metric(outcome).unit
    if unit == Unit.SHARE:
        return 0.01, "%; effects in points"
    if unit == Unit.H100E:
        return 1e3, "thousand H100e"
    if unit == Unit.PRICE:
        return 1.0, "$ per million tokens"
    rows = table[table["outcome"] == outcome]
    largest = pd.concat([rows["baseline"], rows["difference"]]).abs().max()
    size, word = next(((s, w) for s, w in SCALES if largest >= s), (1.0, ""))
    return size, f"{word} {unit}".strip()


def _decimals(half_width: float, mean: float, unit: Unit) -> int:
    """Decimals that show an interval's half-width to two significant digits (0 to 4).

    An interval without width (float noise about ``mean`` counts as none) gets the unit's
    :data:`DEFAULT_DECIMALS`.
    """
    if math.isnan(half_width) or half_width <= NOISE * max(1.0, abs(mean)):
        return DEFAULT_DECIMALS.get(unit, 2)
    return min(4, max(0, 1 - math.floor(math.log10(half_width))))


def _number(value: float, decimals: int, signed: bool) -> str:
    """``value`` with ``decimals`` and thousands commas; ``+`` before an effect above 0.

    An effect of exactly 0 (an arm that changes nothing) reads ``0``.
    """
    if math.isnan(value):
        return "-"
    if signed and value == 0:
        return "0"
    text = f"{value:,.{decimals}f}"
    if float(text.replace(",", "")) == 0:
        return text.lstrip("-")
    return f"+{text}" if signed and value > 0 else text


def _figure(
    mean: float, low: float, high: float, size: float, unit: Unit, noise: float = 0.0
) -> tuple[str, str]:
    """A mean and its interval in a column's scale: ``("-12.0", "-12.6 to -11.3")``.

    ``noise`` > 0 marks an effect (signed), whose values below it in size are float noise
    (the arms agree to the bit but for the order of a sum) and read ``0``.
    """
    signed = noise > 0
    mean, low, high = (0.0 if abs(v) < noise else v / size for v in (mean, low, high))
    decimals = _decimals((high - low) / 2, mean, unit)
    interval = (
        ""
        if math.isnan(low)
        else f"{_number(low, decimals, signed)} to {_number(high, decimals, signed)}"
    )
    return _number(mean, decimals, signed), interval


def _noise(baseline: float) -> float:
    """Effects smaller than this are float noise about a baseline of ``baseline``."""
    return NOISE * max(1.0, abs(baseline)) if not math.isnan(baseline) else NOISE


def _percent(value: float, unit: Unit, zero: bool = False) -> str:
    """The effect in % of the baseline, for what is not a share; ``""`` where there is none.

    ``zero``: the effect is float noise, so ``0%``.
    """
    if unit == Unit.SHARE or math.isnan(value):
        return ""
    if value == 0 or zero:
        return "0%"
    return _number(value, 1 if abs(value) < 10 else 0, signed=True) + "%"


def _changes(changes: dict[str, Any]) -> str:
    """What a comparison changes in the baseline: ``smuggling.leakage=0``."""
    return ", ".join(
        f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
        for key, value in changes.items()
    )


def _cells(
    table: pd.DataFrame, comparison: str, between: str, separator: str
) -> tuple[list[str], list[list[str]]]:
    """Each outcome's header, and the rows: the baseline's first, then one per comparison.

    A comparison is named by ``comparison`` filled in with its ``label``, ``id`` and
    ``changes``. Each figure is the mean, then (after ``between``) its 95% interval in
    brackets and, for effects on what is not a share, (after ``separator``) the effect in % of
    the baseline's mean.
    """
    outcomes = list(dict.fromkeys(table["outcome"]))
    scales = {outcome: _scale(outcome, table) for outcome in outcomes}
    headers = [f"{metric(o).label} ({scales[o][1]})" for o in outcomes]
    first = table[table["arm"] == table["arm"].iloc[0]].set_index("outcome")
    rows = [["Baseline preset (mean over seeds)"]]
    for outcome in outcomes:
        row = first.loc[outcome]
        size, unit = scales[outcome][0], metric(outcome).unit
        values = row[["baseline", "baseline_low", "baseline_high"]]
        mean, interval = _figure(*values, size, unit)
        rows[0].append(f"{mean}{between}({interval})" if interval else mean)
    for arm, by_arm in table.groupby("arm", sort=False):
        by_outcome = by_arm.set_index("outcome")
        changes = _changes(table.attrs["changes"][arm])
        rows.append([comparison.format(label=by_arm["label"].iloc[0], id=arm, changes=changes)])
        for outcome in outcomes:
            row = by_outcome.loc[outcome]
            size, unit = scales[outcome][0], metric(outcome).unit
            values = row[["difference", "difference_low", "difference_high"]]
            noise = _noise(row["baseline"])
            mean, interval = _figure(*values, size, unit, noise)
            figure = f"{mean}{between}({interval})" if interval else mean
            percent = _percent(row["percent"], unit, abs(row["difference"]) < noise)
            rows[-1].append(separator.join([figure, percent]) if percent else figure)
    return headers, rows


def _title(table: pd.DataFrame) -> str:
    attrs = table.attrs
    return (
        f"Policy effects in {attrs['month']}: the baseline preset's mean, then each comparison "
        f"minus the baseline, paired by seed ({attrs['seeds']} seeds, seed root "
        f"{attrs['seed_root']}, {attrs['developers']:,} developers); 95% t intervals in "
        "brackets, effects on what is not a share also in % of the baseline"
    )


def _print(table: pd.DataFrame) -> None:
    out = new_console()
    headers, rows = _cells(table, "{label}\n{id}: {changes}", "\n", "\n")
    shown = Table(title=escape(_title(table)), title_justify="left", show_lines=True)
    shown.add_column(COMPARISON)
    for header in headers:
        label, _, unit = header.rpartition(" (")
        parts = [*label.replace(", ", ",\n", 1).replace(": ", ":\n").split("\n"), f"({unit}"]
        lines = [line for part in parts for line in textwrap.wrap(part, HEADER_WIDTH)]
        shown.add_column("\n".join(lines), justify="right")
    for row in rows:
        shown.add_row(literal(row[0]), *row[1:])
    print_table(shown, wrap=(COMPARISON,), console=out)
    sweeps = table.attrs["sweeps"]
    ids = sorted(sweep["id"] for sweep in sweeps.values())
    out.print(
        escape(
            f"Stored in {table.attrs['db']} as sweep{'s' if len(ids) > 1 else ''} "
            f"{', '.join(map(str, ids))}; `sim sweep show ID` prints one comparison with "
            "the interval independent runs would give."
        ),
        soft_wrap=True,
    )


def _markdown(table: pd.DataFrame, command: str) -> str:
    """The table in Markdown, under a sentence naming the command that made it."""
    attrs = table.attrs
    headers, rows = _cells(table, "{label}; `{id}`: `{changes}`", " ", ", ")
    sentence = (
        f"Made with `{command}` (token-market-sim {api.__version__}): in {attrs['month']}, "
        f"the baseline preset's mean over {attrs['seeds']} seeds (seed root "
        f"{attrs['seed_root']}, {attrs['developers']:,} developers), then each comparison minus "
        "the baseline, paired by seed; 95% t intervals in brackets, effects on what is not a "
        "share also in % of the baseline's mean."
    )
    lines = [
        sentence,
        "",
        "| " + " | ".join([COMPARISON, *headers]) + " |",
        "|" + "---|" * (len(headers) + 1),
        *("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows),
    ]
    return "\n".join(lines)


def _json(table: pd.DataFrame, command: str) -> dict[str, Any]:
    """The table as one JSON object, in the metric list's units (shares 0-1)."""
    attrs = table.attrs
    outcomes = list(dict.fromkeys(table["outcome"]))
    first = table[table["arm"] == table["arm"].iloc[0]].set_index("outcome")
    arms = []
    for arm, by_arm in table.groupby("arm", sort=False):
        by_outcome = by_arm.set_index("outcome")
        arms.append(
            {
                "id": arm,
                "label": by_arm["label"].iloc[0],
                "changes": attrs["changes"][arm],
                "sweep_id": int(by_arm["sweep_id"].iloc[0]),
                "sweep_name": attrs["sweeps"][arm]["name"],
                "effects": {
                    outcome: json_safe(
                        {
                            "pairs": int(by_outcome.loc[outcome, "pairs"]),
                            "arm_level": float(by_outcome.loc[outcome, "arm_level"]),
                            "difference": float(by_outcome.loc[outcome, "difference"]),
                            "low": float(by_outcome.loc[outcome, "difference_low"]),
                            "high": float(by_outcome.loc[outcome, "difference_high"]),
                            "percent": float(by_outcome.loc[outcome, "percent"]),
                        }
                    )
                    for outcome in outcomes
                },
            }
        )
    return {
        "command": command,
        "month": attrs["month"],
        "seeds": attrs["seeds"],
        "seed_root": attrs["seed_root"],
        "developers": attrs["developers"],
        "steps": attrs["steps"],
        "outcomes": {o: {"label": metric(o).label, "unit": str(metric(o).unit)} for o in outcomes},
        "baseline": {
            outcome: json_safe(
                {
                    "mean": float(first.loc[outcome, "baseline"]),
                    "low": float(first.loc[outcome, "baseline_low"]),
                    "high": float(first.loc[outcome, "baseline_high"]),
                }
            )
            for outcome in outcomes
        },
        "arms": arms,
        "runs": {key: attrs[key] for key in ("planned", "already_finished", "finished", "failed")},
        "executor": attrs["executor"],
        "db": attrs["db"],
    }
