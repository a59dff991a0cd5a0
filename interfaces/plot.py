"""The picture of a run's history: share, prices, compute and the policy events that moved them.

One figure, four panels sharing a date axis: the Chinese share of tokens on global platforms,
average prices by provider jurisdiction, compute by jurisdiction, and Chinese compute by
channel. Policy events are vertical lines labelled with the policies that changed. With one run
colours tell the series apart; with several, colours tell the runs apart (legend below the
panels) and line styles the series. Figures are drawn with the Agg backend and never touch
pyplot's global state, so this works the same in scripts, tests and notebooks.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter

from runs.load import StoredRun, step_label
from vocabulary.errors import InputError


def dollars(value: float, _position: int) -> str:
    """A price tick: ``$0.5``."""
    return f"${value:g}"


def compact(value: float, _position: int) -> str:
    """A count tick with a thousands suffix: ``20k``, ``1.5M``."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def dates(frame: pd.DataFrame) -> pd.DatetimeIndex:
    """A month-indexed frame's months as timestamps, for a date axis."""
    return frame.index.to_timestamp()


Series = tuple[str, str, str]
"""A plotted column: (market_steps column, legend label, colour when one run is shown)."""

JURISDICTION_COLOURS = {"CN": "#c0392b", "US": "#2166ac", "EU": "#1a9850"}
"""Provider jurisdictions' colours, shared by this figure and the dashboard's charts."""

PRICE_SERIES: tuple[Series, ...] = (
    ("price_cn", "China", JURISDICTION_COLOURS["CN"]),
    ("price_us", "United States", JURISDICTION_COLOURS["US"]),
    ("price_eu", "Europe", JURISDICTION_COLOURS["EU"]),
)
COMPUTE_SERIES: tuple[Series, ...] = (
    ("compute_cn", "China", JURISDICTION_COLOURS["CN"]),
    ("compute_us", "United States", JURISDICTION_COLOURS["US"]),
    ("compute_eu", "Europe", JURISDICTION_COLOURS["EU"]),
)
CHANNEL_SERIES: tuple[Series, ...] = (
    ("compute_cn_legal", "bought legally", "#4d4d4d"),
    ("compute_cn_domestic", "domestic chips", "#e08214"),
    ("compute_cn_smuggled", "smuggled", "#8073ac"),
    ("compute_cn_remote", "rented abroad", "#35978f"),
)
"""Chinese providers' compute by channel."""

PANELS: tuple[tuple[str, str, Callable[[float, int], str] | None, tuple[Series, ...]], ...] = (
    (
        "Chinese share of tokens on global platforms",
        "share of tokens",
        None,
        (("cn_share_global", "Chinese providers", JURISDICTION_COLOURS["CN"]),),
    ),
    (
        "Average price by provider jurisdiction",
        "USD per million tokens (log)",
        dollars,
        PRICE_SERIES,
    ),
    (
        "Inference compute by provider jurisdiction",
        "H100-equivalents (log)",
        compact,
        COMPUTE_SERIES,
    ),
    ("Chinese providers' compute by channel", "H100-equivalents (log)", compact, CHANNEL_SERIES),
)
"""Each panel: title, y-axis label, the tick format of its log scale (None: a linear share
axis), and its series."""

RUN_COLOURS = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#666666",
    "#1f78b4",
    "#b2df8a",
)
SERIES_STYLES = ("-", "--", ":", "-.")
EVENT_COLOUR = "#555555"


def _draw_series(ax: Axes, runs: Sequence[StoredRun], series: tuple[Series, ...]) -> None:
    several = len(runs) > 1
    for r, run in enumerate(runs):
        market = run.market_steps
        for s, (column, label, colour) in enumerate(series):
            ax.plot(
                dates(market),
                market[column],
                color=RUN_COLOURS[r % len(RUN_COLOURS)] if several else colour,
                linestyle=SERIES_STYLES[s % len(SERIES_STYLES)] if several else "-",
                linewidth=1.6,
                label=None if several else label,
            )
    if several and len(series) > 1:
        ax.legend(
            handles=[
                Line2D([], [], color="black", linestyle=SERIES_STYLES[s], label=label)
                for s, (_, label, _) in enumerate(series)
            ],
            fontsize=8,
            loc="best",
        )
    elif not several:
        ax.legend(fontsize=8, loc="best")


def _event_marks(runs: Sequence[StoredRun]) -> dict[pd.Timestamp, tuple[str, str]]:
    """The policy-event lines to draw: per month, its label and colour.

    The label names the policies that changed; the colour is the run's when only one of
    several runs has events that month, grey otherwise.
    """
    by_month: dict[pd.Timestamp, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for r, run in enumerate(runs):
        events = run.policy_events
        for date, policy in zip(dates(events), events["policy"], strict=True):
            by_month[date][policy].add(r)
    marks = {}
    for date, policies in sorted(by_month.items()):
        owners = set().union(*policies.values())
        colour = (
            RUN_COLOURS[next(iter(owners)) % len(RUN_COLOURS)]
            if len(runs) > 1 and len(owners) == 1
            else EVENT_COLOUR
        )
        marks[date] = (", ".join(sorted(policies)), colour)
    return marks


def _draw_events(axes: Sequence[Axes], marks: dict[pd.Timestamp, tuple[str, str]]) -> None:
    for date, (label, colour) in marks.items():
        for ax in axes:
            ax.axvline(date, color=colour, linestyle=(0, (4, 3)), linewidth=0.9, alpha=0.8)
        axes[0].text(
            date,
            0.97,
            f" {label}",
            transform=axes[0].get_xaxis_transform(),
            rotation=90,
            va="top",
            ha="right",
            fontsize=7,
            color=colour,
        )


def history_figure(runs: Sequence[StoredRun]) -> Figure:
    """The history figure of one run, or of several overlaid.

    Raises:
        InputError: if no run is given or a run has no stored steps.
    """
    if not runs:
        raise InputError("give at least one run to plot")
    for run in runs:
        if run.market_steps.empty:
            raise InputError(f"run {run.id} has no stored steps to plot (status {run.status})")
    figure = Figure(figsize=(13, 8.5), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 2, sharex=True).flatten()
    for ax, (title, ylabel, tick_format, series) in zip(axes, PANELS, strict=True):
        _draw_series(ax, runs, series)
        ax.set_title(title, fontsize=11, loc="left")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        if tick_format is not None:
            ax.set_yscale("log", nonpositive="mask")
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FuncFormatter(tick_format))
            ax.yaxis.set_minor_formatter(NullFormatter())
    axes[0].yaxis.set_major_formatter(PercentFormatter(1.0))
    axes[0].set_ylim(bottom=0)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    for ax in axes:
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.tick_params(axis="x", labelbottom=True)
    _draw_events(axes, _event_marks(runs))

    first, last = (
        min(step_label(r.market_steps.index[0]) for r in runs),
        max(step_label(r.market_steps.index[-1]) for r in runs),
    )
    if len(runs) == 1:
        heading = f"Run {runs[0].id}: {runs[0].name} (seed {runs[0].seed}), {first} to {last}"
    else:
        heading = f"Runs {', '.join(str(r.id) for r in runs)} compared, {first} to {last}"
        figure.legend(
            handles=[
                Line2D(
                    [], [], color=RUN_COLOURS[i % len(RUN_COLOURS)], linewidth=2.5, label=run.label
                )
                for i, run in enumerate(runs)
            ],
            loc="outside lower center",
            ncols=min(len(runs), 4),
            fontsize=9,
        )
    figure.suptitle(f"{heading}\n(dashed vertical lines: policy changes)", fontsize=12)
    return figure


def save_history(runs: Sequence[StoredRun], path: Path) -> Path:
    """Draw :func:`history_figure` and write it to ``path`` (format from the suffix).

    Raises:
        InputError: for a suffix matplotlib cannot write or a folder that does not exist.
    """
    formats = FigureCanvasAgg.get_supported_filetypes()
    suffix = path.suffix.lstrip(".").lower()
    if suffix not in formats:
        raise InputError(
            f"--out {path}: unknown image format {suffix or '(none)'!r}; use one of "
            f"{', '.join(sorted(formats))}, e.g. history.png"
        )
    if not path.parent.is_dir():
        raise InputError(f"--out {path}: folder {path.parent} does not exist")
    history_figure(runs).savefig(path)
    return path
