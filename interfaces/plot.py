"""The picture of runs' histories: share, prices, compute and the policy events that moved them.

One run: four panels sharing a date axis (the Chinese share of tokens of developers outside
China, average prices by provider jurisdiction, compute by jurisdiction, Chinese compute by
channel), colours telling the series apart. Several runs: one panel per quantity and one colour
per run, so four runs still draw four lines a panel. Policy events are dashed vertical lines,
numbered at the top of the panels and listed in words below them with the run they belong to.
Every axis names its unit; large counts are scaled by a word in the axis label ("thousand
H100-equivalents"), and a seed appears only in the legend. Run names and policy labels are
drawn as written (:func:`shown_literally`), never as mathtext. Figures are drawn with the Agg
backend and never touch pyplot's global state, so this works the same in scripts, tests and
notebooks.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter

from interfaces.formatting import SCALES
from interfaces.public.stored_runs import StoredRun, step_label
from vocabulary.errors import InputError
from vocabulary.metrics import metric
from vocabulary.output_files import check_output_file, write_files


def shown_literally(*texts: Text) -> None:
    r"""Draw ``texts`` exactly as written: names and labels in them are data, not markup.

    Matplotlib reads text between two ``$`` as mathtext, so a run named ``cost $5 to $6``
    would read "cost 5to6" in italics and one named ``$\nosuchmacro{$`` would fail to draw;
    with ``text.usetex`` set in a matplotlibrc, TeX would read every name.
    """
    for text in texts:
        text.set_usetex(False)
        text.set_parse_math(False)


def literal_legend(legend: Legend) -> Legend:
    """``legend`` with its title and labels :func:`shown_literally`; returned for chaining."""
    shown_literally(legend.get_title(), *legend.get_texts())
    return legend


def dollars(value: float, _position: int) -> str:
    """A price tick: ``$0.5``."""
    return f"${value:g}"


def compact(value: float, _position: int) -> str:
    """A count tick with a suffix the axis label defines: ``20k``, ``1.5M``, ``3bn``."""
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


COMPACT_NOTE = "k = thousand, M = million"
"""What :func:`compact`'s suffixes mean, for the axis labels that use it."""


def scale_axis(ax: Axes, unit: str, largest: float) -> None:
    """Label the y axis ``"<scale> <unit>"`` and its ticks in that scale (no suffixes).

    The scale is the largest word of :data:`~interfaces.formatting.SCALES` that ``largest``
    reaches, so a compute axis up to 600,000 reads "thousand H100-equivalents", 0 to 600.
    """
    size, word = next(((s, w) for s, w in SCALES if largest >= s), (1.0, ""))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / size:g}"))
    ax.set_ylabel(f"{word} {unit}".strip())


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

SHARE_TITLE = metric("cn_share_global").label
"""The share panel's title: the metric's label, as every table and chart names it."""
PRICE_UNIT = "USD per million tokens"
COMPUTE_UNIT = "H100-equivalents"

PANELS: tuple[tuple[str, str, Callable[[float, int], str] | None, tuple[Series, ...]], ...] = (
    (
        SHARE_TITLE,
        "share of tokens",
        None,
        (
            # by who made the model, drawn first: without hosts abroad it equals the share
            # served by Chinese providers, drawn over it (NULL, so no line, in runs stored
            # before schema version 10)
            ("cn_model_share_global", "Chinese-made models, any host", "#f39c12"),
            ("cn_share_global", "served by Chinese providers", JURISDICTION_COLOURS["CN"]),
        ),
    ),
    (
        "Average price by provider jurisdiction",
        f"{PRICE_UNIT} (log)",
        dollars,
        PRICE_SERIES,
    ),
    (
        "Inference compute by provider jurisdiction",
        f"{COMPUTE_UNIT} (log; {COMPACT_NOTE})",
        compact,
        COMPUTE_SERIES,
    ),
    (
        "Chinese providers' compute by channel",
        f"{COMPUTE_UNIT} (log; {COMPACT_NOTE})",
        compact,
        CHANNEL_SERIES,
    ),
)
"""The panels of one run: title, y-axis label, the tick format of its log scale (None: a
linear share axis), and its series."""


@dataclass(frozen=True)
class Quantity:
    """One panel of the several-runs figure: a market column, its title and unit."""

    column: str
    title: str
    unit: str


QUANTITIES: tuple[Quantity, ...] = tuple(
    Quantity(column, metric(column).label, unit)
    for column, unit in (
        ("cn_share_global", "share"),
        ("price_cn", PRICE_UNIT),
        ("price_us", PRICE_UNIT),
        ("compute_cn", COMPUTE_UNIT),
        ("compute_us", COMPUTE_UNIT),
        ("compute_cn_legal", COMPUTE_UNIT),
        ("compute_cn_domestic", COMPUTE_UNIT),
        ("compute_cn_smuggled", COMPUTE_UNIT),
        ("compute_cn_remote", COMPUTE_UNIT),
    )
)
"""The panels of several runs, one quantity each, three by three, on linear axes, each titled
with the quantity's label in the metric list."""

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
EVENT_COLOUR = "#555555"


@dataclass(frozen=True)
class EventMark:
    """A policy change to mark: when, which policy and its new state, in which runs.

    Attributes:
        date: the month (or week) it happened.
        policy: the policy's name as the run stores it.
        status: what it does from then on, in words (``H20 licensed to CN with a 15% fee``).
        runs: the positions, in the runs drawn, of the runs that have this change then.
    """

    date: pd.Timestamp
    policy: str
    status: str
    runs: tuple[int, ...]


def event_marks(runs: Sequence[StoredRun]) -> list[EventMark]:
    """Every policy change of ``runs`` in date order; the same change in several runs once."""
    owners: dict[tuple[pd.Timestamp, str, str], list[int]] = defaultdict(list)
    for r, run in enumerate(runs):
        events = run.policy_events
        for date, policy, status in zip(
            dates(events), events["policy"], events["status"], strict=True
        ):
            owners[(date, policy, str(status))].append(r)
    marks = [EventMark(date, p, status, tuple(rs)) for (date, p, status), rs in owners.items()]
    return sorted(marks, key=lambda mark: (mark.date, mark.runs, mark.policy))


def _run_colour(r: int) -> str:
    return RUN_COLOURS[r % len(RUN_COLOURS)]


def _event_colour(marks: Sequence[EventMark], several: bool) -> str:
    """A run's colour for changes of that run alone (among several runs), else grey."""
    owners = {r for mark in marks for r in mark.runs}
    return _run_colour(owners.pop()) if several and len(owners) == 1 else EVENT_COLOUR


def _event_text(number: int, mark: EventMark, runs: Sequence[StoredRun]) -> str:
    """``3  2025-08  run 2: h20_resumed: H20 licensed to CN with a 15% fee``."""
    if len(runs) == 1:
        who = ""
    elif len(mark.runs) == 1:
        who = f"run {runs[mark.runs[0]].id}: "
    else:
        who = "runs " + ", ".join(str(runs[r].id) for r in mark.runs) + ": "
    month = step_label(mark.date.to_period("M"))
    return f"{number}  {month}  {who}{mark.policy}: {mark.status}"


def _draw_events(figure: Figure, axes: Sequence[Axes], runs: Sequence[StoredRun]) -> None:
    """Dashed lines at each change, numbered on the top panels, listed in words below."""
    marks = event_marks(runs)
    several = len(runs) > 1
    by_date: dict[pd.Timestamp, list[int]] = defaultdict(list)
    for number, mark in enumerate(marks, start=1):
        by_date[mark.date].append(number)
    top_row = [ax for ax in axes if ax.get_subplotspec().is_first_row()]
    for date, numbers in by_date.items():
        colour = _event_colour([marks[n - 1] for n in numbers], several)
        for ax in axes:
            ax.axvline(date, color=colour, linestyle=(0, (4, 3)), linewidth=0.9, alpha=0.8)
        for ax in top_row:
            ax.text(
                date,
                0.985,
                " " + ",".join(map(str, numbers)),
                transform=ax.get_xaxis_transform(),
                va="top",
                ha="left",
                fontsize=7,
                color=colour,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.8},
            )
    if not marks:
        return
    events = figure.legend(
        handles=[
            Line2D([], [], color=_event_colour([mark], several), linestyle=(0, (4, 3)))
            for mark in marks
        ],
        labels=[_event_text(n, mark, runs) for n, mark in enumerate(marks, start=1)],
        loc="outside lower center",
        ncols=2 if len(marks) > 4 else 1,
        fontsize=8,
        title="Policy changes (dashed lines; numbers at the top of the panels)",
        title_fontsize=9,
        frameon=False,
    )
    literal_legend(events)  # policy labels


def _present(values: pd.Series, log: bool) -> bool:
    """Whether a series draws any line (on a log axis only positive values do)."""
    shown = values.dropna()
    return bool((shown > 0).any() if log else len(shown))


def _draw_one_run(figure: Figure, run: StoredRun) -> list[Axes]:
    """The four panels of one run, colours telling the series apart."""
    axes = figure.subplots(2, 2, sharex=True).flatten()
    market = run.market_steps
    for ax, (title, ylabel, tick_format, series) in zip(axes, PANELS, strict=True):
        log = tick_format is not None
        for column, label, colour in series:
            shown = _present(market[column], log)
            ax.plot(
                dates(market),
                market[column],
                color=colour,
                linewidth=1.6,
                label=label if shown else None,  # a legend lists only lines that are there
            )
        ax.set_title(title, fontsize=11, loc="left")
        ax.set_ylabel(ylabel)
        if log:
            ax.set_yscale("log", nonpositive="mask")
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FuncFormatter(tick_format))
            ax.yaxis.set_minor_formatter(NullFormatter())
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize=8, loc="best")
    axes[0].yaxis.set_major_formatter(PercentFormatter(1.0))
    axes[0].set_ylim(bottom=0)
    return list(axes)


def _draw_runs(figure: Figure, runs: Sequence[StoredRun]) -> list[Axes]:
    """One panel per quantity, one colour per run, linear axes in the quantity's unit."""
    axes = figure.subplots(3, 3, sharex=True).flatten()
    for ax, quantity in zip(axes, QUANTITIES, strict=True):
        largest = 0.0
        for r, run in enumerate(runs):
            values = run.market_steps[quantity.column]
            ax.plot(dates(run.market_steps), values, color=_run_colour(r), linewidth=1.6)
            if values.notna().any():
                largest = max(largest, float(values.max()))
        ax.set_title(quantity.title, fontsize=10, loc="left")
        ax.set_ylim(bottom=0)
        if quantity.unit == "share":
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_ylabel("share of tokens")
        elif quantity.unit == PRICE_UNIT:
            ax.yaxis.set_major_formatter(FuncFormatter(dollars))
            ax.set_ylabel(PRICE_UNIT)
        else:
            scale_axis(ax, quantity.unit, largest)
    return list(axes)


def history_figure(runs: Sequence[StoredRun]) -> Figure:
    """The history figure of one run, or of several side by side in the same panels.

    Raises:
        InputError: if no run is given or a run has no stored steps.
    """
    if not runs:
        raise InputError("give at least one run to plot")
    for run in runs:
        if run.market_steps.empty:
            raise InputError(f"run {run.id} has no stored steps to plot (status {run.status})")
    several = len(runs) > 1
    figure = Figure(figsize=(15, 12) if several else (13, 9.5), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = _draw_runs(figure, runs) if several else _draw_one_run(figure, runs[0])
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.tick_params(axis="x", labelbottom=True)
    _draw_events(figure, axes, runs)

    first, last = (
        min(step_label(r.market_steps.index[0]) for r in runs),
        max(step_label(r.market_steps.index[-1]) for r in runs),
    )
    if several:
        heading = f"Runs {', '.join(str(r.id) for r in runs)} compared, {first} to {last}"
    else:
        heading = f"Run {runs[0].id}: {runs[0].name}, {first} to {last}"
    heads = figure.legend(  # heads the figure: the runs, each with its seed (seeds can be long)
        handles=[
            Line2D([], [], color=_run_colour(r), linewidth=2.5, linestyle="-" if several else "")
            for r in range(len(runs))
        ],
        labels=[run.label for run in runs] if several else [f"seed {runs[0].seed}"],
        loc="outside upper center",
        ncols=min(len(runs), 2),
        fontsize=9,
        frameon=False,
        title=heading,
        title_fontsize=13,
    )
    literal_legend(heads)  # run names
    return figure


def save_history(runs: Sequence[StoredRun], path: Path) -> Path:
    """Draw :func:`history_figure` and write it to ``path`` (format from the suffix).

    The path is checked before drawing, and the image written whole or not at all.

    Raises:
        InputError: for a suffix matplotlib cannot write, a path that cannot be written (see
            :func:`~vocabulary.output_files.check_output_file`), or a write the system refuses.
    """
    return save_figure(lambda: history_figure(runs), path, "--out")


def save_figure(draw: Callable[[], Figure], path: Path, option: str) -> Path:
    """Write the figure ``draw()`` makes to ``path``, the format from its suffix.

    The suffix and the path are checked before drawing (:func:`check_image_path`), and the
    image is written whole or not at all.

    Raises:
        InputError: for a suffix matplotlib cannot write, a path that cannot be written (see
            :func:`~vocabulary.output_files.check_output_file`), or a write the system refuses.
    """
    suffix = check_image_path(path, option)
    figure = draw()
    write_files({path: lambda temporary: figure.savefig(temporary, format=suffix)}, option)
    return path


def check_image_path(path: Path, option: str) -> str:
    """The image format of ``path`` (its suffix), checked writable with it.

    Checked before long work, so that a bad ``option`` costs nothing.

    Raises:
        InputError: an unknown format, or a path that cannot be written.
    """
    formats = FigureCanvasAgg.get_supported_filetypes()
    suffix = path.suffix.lstrip(".").lower()
    if suffix not in formats:
        raise InputError(
            f"{option} {path}: unknown image format {suffix or '(none)'!r}; use one of "
            f"{', '.join(sorted(formats))}, e.g. history.png"
        )
    check_output_file(path, option)
    return suffix
