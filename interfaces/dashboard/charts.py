"""The dashboard's charts: one matplotlib figure per question, for one run or several overlaid.

Every chart takes a list of :class:`~interfaces.dashboard.history.History` objects: on the live
page the run being simulated and the baseline, on the stored-runs page the runs picked. One rule
tells them apart everywhere: each run has a line style (solid, dashed, dotted, dash-dot, in
order), colours tell the series apart (on the Chinese-share chart, which has one series, colours
tell the runs apart too). Policy events are dashed vertical lines, labelled and marked with a
triangle on the share chart; an event every run shares is grey, one only some runs have takes
the first such run's colour. Run names, provider names and policy labels are drawn as written,
never as mathtext. Figures use the Agg canvas and never pyplot, so pages in several threads
can draw at once.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator, PercentFormatter

from interfaces.dashboard.history import History
from interfaces.plot import (
    CHANNEL_SERIES,
    COMPACT_NOTE,
    PRICE_SERIES,
    SHARE_TITLE,
    Series,
    compact,
    dates,
    dollars,
    literal_legend,
    shown_literally,
)
from interfaces.plot import COMPUTE_SERIES as JURISDICTION_COMPUTE_SERIES

RUN_STYLES = ("-", "--", ":", "-.")
RUN_COLOURS = (
    "#c0392b",
    "#555555",
    "#2166ac",
    "#1a9850",
    "#7570b3",
    "#e6ab02",
    "#a6761d",
    "#e7298a",
)
"""Colours of the runs on the share chart: the first run red, the second (the baseline on the
live page) grey."""
EVENT_GREY = "#777777"

PROVIDER_PALETTES = {
    "CN": ("#b2182b", "#e08214", "#d6604d", "#8c510a", "#f4a582", "#fdb863"),
    "US": ("#2166ac", "#542788", "#4393c3", "#8073ac", "#053061", "#92c5de"),
    "EU": ("#1a9850", "#66bd63", "#a6d96a"),
}
"""Provider colours by jurisdiction: reds and oranges for China, blues and purples for the US,
greens for Europe, so the network and the share chart read at a glance."""

COMPUTE_SERIES: tuple[Series, ...] = (
    *((column, f"China: {label}", colour) for column, label, colour in CHANNEL_SERIES),
    *(series for series in JURISDICTION_COMPUTE_SERIES if series[0] != "compute_cn"),
)
"""Chinese compute by channel, then the US and European totals, on one chart."""

TOP_PROVIDERS = 7
"""Providers drawn on the market-share chart (the largest at their peak)."""

FIGSIZE = (5.4, 3.9)
DPI = 90


def provider_colours(providers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A colour for each ``(name, jurisdiction)``, in the jurisdiction's palette, in order."""
    used: dict[str, int] = defaultdict(int)
    colours = {}
    for name, jurisdiction in providers:
        palette = PROVIDER_PALETTES.get(jurisdiction, ("#666666",))
        colours[name] = palette[used[jurisdiction] % len(palette)]
        used[jurisdiction] += 1
    return colours


def _style(i: int) -> str:
    return RUN_STYLES[i % len(RUN_STYLES)]


def _run_colour(i: int) -> str:
    return RUN_COLOURS[i % len(RUN_COLOURS)]


def _figure(title: str, ylabel: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=FIGSIZE, dpi=DPI)
    figure.subplots_adjust(left=0.14, right=0.97, top=0.92, bottom=0.09)
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    ax.set_title(title, fontsize=10, loc="left", y=1.0)  # a fixed y skips a costly layout pass
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=8)
    ax.grid(True, alpha=0.3)
    return figure, ax


def _date_axis(ax: Axes, histories: Sequence[History]) -> None:
    months = [h.market.index for h in histories if len(h.market)]
    if months:
        first = min(index[0] for index in months).to_timestamp()
        last = max(index[-1] for index in months).to_timestamp()
        ax.set_xlim(first, max(last, first + pd.DateOffset(months=1)))
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _log_axis(ax: Axes) -> None:
    """A log y axis labelled 1-2-5 within each power of ten when the data span few of them."""
    ax.set_yscale("log", nonpositive="mask")
    low, high = ax.get_ylim()
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0,) if high > 300 * low else (1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(compact))
    ax.yaxis.set_minor_locator(NullLocator())  # unlabelled minor ticks only cost drawing time


def event_marks(histories: Sequence[History]) -> list[tuple[pd.Timestamp, str, str]]:
    """The policy events to mark: ``(month, label, colour)``, in month order.

    The label names the policies that changed that month; the colour is grey when every run
    has the same changes that month, else the colour of the first run that has them.
    """
    owners: dict[pd.Timestamp, dict[tuple[str, str], set[int]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for i, history in enumerate(histories):
        events = history.events
        for date, policy, status in zip(
            dates(events), events["policy"], events["status"], strict=True
        ):
            owners[date][(policy, status)].add(i)
    runs = set(range(len(histories)))
    marks = []
    for date, changes in sorted(owners.items()):
        apart = [who for who in changes.values() if who != runs]
        label = ", ".join(sorted({policy for policy, _ in changes}))
        marks.append(
            (date, label, _run_colour(min(min(who) for who in apart)) if apart else EVENT_GREY)
        )
    return marks


def _draw_events(ax: Axes, histories: Sequence[History], labelled: bool) -> None:
    for date, label, colour in event_marks(histories):
        ax.axvline(date, color=colour, linestyle=(0, (4, 3)), linewidth=0.8, alpha=0.7, zorder=0)
        if labelled:
            ax.plot(
                [date],
                [1.0],
                marker="v",
                color=colour,
                markersize=6,
                clip_on=False,
                transform=ax.get_xaxis_transform(),
            )
            ax.text(
                date,
                0.96,
                f"{label} ",
                transform=ax.get_xaxis_transform(),
                rotation=90,
                va="top",
                ha="left",
                fontsize=6,
                color=colour,
                usetex=False,
                parse_math=False,  # policy labels, drawn as written
            )


def _short(label: str, most: int = 42) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"


def _legend(ax: Axes, histories: Sequence[History], series: Sequence[tuple[str, str]] = ()) -> None:
    """Series by colour, then runs by line style (when more than one run has data)."""
    handles = [Line2D([], [], color=colour, linewidth=2, label=label) for label, colour in series]
    shown = [(i, h) for i, h in enumerate(histories) if len(h.market)]
    if len(shown) > 1 or not series:
        handles += [
            Line2D(
                [],
                [],
                color="black" if series else _run_colour(i),
                linestyle=_style(i),
                label=_short(h.label),
            )
            for i, h in shown
        ]
    if handles:
        literal_legend(ax.legend(handles=handles, fontsize=7, loc="upper left", framealpha=0.8))


SHARE_LINES = (
    ("cn_share_global", "served by Chinese providers", 2.0),
    ("cn_model_share_global", "Chinese-made models, any host", 1.0),
)
"""The share chart's two counts of the same tokens (column, legend text, line width): by who
serves them, and by who made the model; without hosts abroad the thin line lies on the thick."""


def share_figure(histories: Sequence[History]) -> Figure:
    """The Chinese share of the tokens served to developers outside China, per run.

    Two lines a run: by who serves the tokens, and by who made the model (hosts abroad serve
    Chinese-made models; runs stored before schema version 10 have only the first).
    """
    figure, ax = _figure(SHARE_TITLE, "share of tokens")
    top = 0.0
    for i, history in enumerate(histories):
        if not len(history.market):
            continue
        for column, _, width in SHARE_LINES:
            if column not in history.market or history.market[column].isna().all():
                continue
            values = history.market[column]
            ax.plot(
                dates(history.market),
                values,
                color=_run_colour(i),
                linestyle=_style(i),
                linewidth=width + (0.4 if i == 0 else 0.0),
            )
            top = max(top, float(values.max()))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, min(1.0, max(0.05, top * 1.15)))
    _date_axis(ax, histories)
    _draw_events(ax, histories, labelled=True)
    _legend(ax, histories)
    widths = [
        Line2D([], [], color="black", linewidth=width, label=label)
        for _, label, width in SHARE_LINES
    ]
    runs = ax.get_legend()
    if runs is not None:
        ax.add_artist(runs)
    literal_legend(ax.legend(handles=widths, fontsize=7, loc="lower right", framealpha=0.8))
    return figure


def _series_figure(
    histories: Sequence[History], title: str, ylabel: str, series: Sequence[Series]
) -> Figure:
    figure, ax = _figure(title, ylabel)
    for i, history in enumerate(histories):
        if not len(history.market):
            continue
        for column, _, colour in series:
            ax.plot(
                dates(history.market),
                history.market[column],
                color=colour,
                linestyle=_style(i),
                linewidth=1.5,
            )
    _log_axis(ax)
    _date_axis(ax, histories)
    _draw_events(ax, histories, labelled=False)
    _legend(ax, histories, [(label, colour) for _, label, colour in series])
    return figure


def price_figure(histories: Sequence[History]) -> Figure:
    """Token-weighted average price by provider jurisdiction, per run (log scale)."""
    figure = _series_figure(
        histories,
        "Average price by provider jurisdiction, all developers",
        "USD per million tokens (log)",
        PRICE_SERIES,
    )
    figure.axes[0].yaxis.set_major_formatter(FuncFormatter(dollars))
    return figure


COMPUTE_TITLE = "Compute by jurisdiction and channel"
COMPUTE_UNIT = f"H100-equivalents (log; {COMPACT_NOTE})"
PANELS_FROM = 3
"""From this many runs the compute chart gives each run a panel of its own: its six series of
four runs in one panel were 24 lines no one could follow."""


def compute_figure(histories: Sequence[History]) -> Figure:
    """Inference compute: Chinese providers' by channel, US and European totals (log scale).

    One or two runs (the live page: this run and the baseline) share one panel, told apart by
    line style; from :data:`PANELS_FROM` runs each has its own panel, on one shared scale.
    """
    if len([h for h in histories if len(h.market)]) < PANELS_FROM:
        return _series_figure(histories, COMPUTE_TITLE, COMPUTE_UNIT, COMPUTE_SERIES)
    return _panel_per_run(histories, COMPUTE_TITLE, COMPUTE_UNIT, COMPUTE_SERIES)


def _panel_per_run(
    histories: Sequence[History], title: str, ylabel: str, series: Sequence[Series]
) -> Figure:
    """One small log-scale panel per run with data, two abreast, the same scales for all.

    The series' colours are explained once, under the panels.
    """
    shown = [h for h in histories if len(h.market)]
    rows = -(-len(shown) // 2)
    height = 0.45 + 1.9 * rows + 0.65  # title, panels, legend (inches)
    figure = Figure(figsize=(FIGSIZE[0], height), dpi=DPI)
    figure.subplots_adjust(
        left=0.13, right=0.98, top=1 - 0.45 / height, bottom=0.65 / height + 0.04, hspace=0.4
    )
    FigureCanvasAgg(figure)
    figure.suptitle(f"{title}, one panel per run", x=0.02, ha="left", fontsize=10)
    figure.supylabel(ylabel, fontsize=7)
    axes = figure.subplots(rows, 2, sharex=True, sharey=True, squeeze=False).flatten()
    for ax, history in zip(axes, shown, strict=False):
        for column, _, colour in series:
            ax.plot(dates(history.market), history.market[column], color=colour, linewidth=1.3)
        shown_literally(ax.set_title(_short(history.label, 34), fontsize=8, loc="left"))
        ax.tick_params(labelsize=7)
        ax.grid(True, alpha=0.3)
        _date_axis(ax, histories)
        _draw_events(ax, [history], labelled=False)
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    _log_axis(axes[0])  # shared: every panel on this scale
    handles = [
        Line2D([], [], color=colour, linewidth=2, label=label) for _, label, colour in series
    ]
    figure.legend(handles=handles, loc="lower center", ncols=3, fontsize=7, frameon=False)
    return figure


def provider_share_figure(histories: Sequence[History], colours: Mapping[str, str]) -> Figure:
    """Each large provider's share of the tokens of developers outside China, per run."""
    figure, ax = _figure("Provider shares of tokens, developers outside China", "share of tokens")
    tables = [
        h.providers.pivot_table(
            index=h.providers.index, columns="provider", values="share_global", sort=False
        )
        if len(h.providers)
        else pd.DataFrame()
        for h in histories
    ]
    peaks = (
        pd.concat([t.max() for t in tables if len(t)])
        if any(len(t) for t in tables)
        else (pd.Series(dtype=float))
    )
    top = list(peaks.groupby(level=0).max().sort_values(ascending=False).index[:TOP_PROVIDERS])
    for i, table in enumerate(tables):
        for name in top:
            if name in table:
                ax.plot(
                    table.index.to_timestamp(),
                    table[name],
                    color=colours.get(name, "#666"),
                    linestyle=_style(i),
                    linewidth=1.5,
                )
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(bottom=0)
    _date_axis(ax, histories)
    _draw_events(ax, histories, labelled=False)
    _legend(ax, histories, [(name, colours.get(name, "#666")) for name in top])
    return figure
