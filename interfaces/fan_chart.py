"""Fan charts: the policy effects over a posterior, month by month, as bands.

``sim effects --posterior`` gives each effect in the last month with its 90% interval; the fan
chart shows how it builds up over the whole horizon. One column per outcome: the top row is the
baseline's level, each row below one comparison's effect (its value minus the baseline's, paired
by draw and seed), each a mean line inside the band holding 90% of the runs over the
posterior's draws and the seeds (what the record leaves and chance together), around a zero
line. Drawn with the Agg backend, never through pyplot, as :mod:`interfaces.plot`.
"""

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from interfaces.plot import save_figure, scale_axis, shown_literally
from vocabulary.errors import InputError
from vocabulary.metrics import Unit, metric

FAN_OUTCOMES = ("cn_model_share_global", "cn_share_global")
"""What a fan chart shows by default: the two Chinese shares outside China (by maker, served)."""

TITLE_WIDTH = 80
"""Characters a panel's title line holds before it wraps (a comparison's label can be long)."""

BASELINE_COLOUR = "#7f7f7f"
ARM_COLOUR = "#c0392b"


def fan_figure(effects: pd.DataFrame, outcomes: Sequence[str] = FAN_OUTCOMES) -> Figure:
    """The baseline's fan, then each comparison's effect as a fan, one column per outcome.

    Args:
        effects: ``api.posterior_effects(..., by_month=True)``: one row per comparison,
            outcome and month.
        outcomes: the metrics to show [default: the two Chinese shares of the tokens of
            developers outside China, by maker and served from China].

    Raises:
        InputError: a table of one month (not ``by_month``), or one without every outcome.
    """
    if effects.empty or effects["month"].nunique() < 2:
        raise InputError("no months to draw: fan charts need api.posterior_effects(by_month=True)")
    missing = sorted(set(outcomes) - set(effects["outcome"]))
    if missing:
        raise InputError(f"nothing to draw: no outcome {', '.join(missing)} in the table")
    labels = dict(zip(effects["arm"], effects["label"], strict=False))
    figure = Figure(
        figsize=(6.5 * len(outcomes), 2.6 * (len(labels) + 1) + 1.2), dpi=100, layout="constrained"
    )
    FigureCanvasAgg(figure)
    grid = figure.subplots(len(labels) + 1, len(outcomes), squeeze=False, sharex=True)
    first = next(iter(labels))
    for column, outcome in enumerate(outcomes):
        name = metric(outcome).label
        rows = _rows(effects, first, outcome)
        _fan(grid[0][column], rows, "baseline", BASELINE_COLOUR, f"Baseline\n{name}", outcome)
        for row, (arm, label) in enumerate(labels.items(), start=1):
            rows = _rows(effects, arm, outcome)
            title = f"{textwrap.fill(f'{label}: effect', TITLE_WIDTH)}\n{name}"
            _fan(grid[row][column], rows, "difference", ARM_COLOUR, title, outcome)
            grid[row][column].axhline(0.0, color="black", linewidth=0.8)
    attrs = effects.attrs
    heading = figure.suptitle(
        f"Over posterior {attrs.get('posterior', '?')!r}: {attrs.get('draws', '?')} draws x "
        f"{attrs.get('seeds', '?')} seeds, {attrs.get('developers', 0):,} developers. Lines: the "
        "mean over draws and seeds; bands: 90% of them (the record's uncertainty and chance)",
        fontsize=11,
        wrap=True,
    )
    shown_literally(heading)
    return figure


def _rows(effects: pd.DataFrame, arm: str, outcome: str) -> pd.DataFrame:
    rows = effects[(effects["arm"] == arm) & (effects["outcome"] == outcome)]
    return rows.sort_values("month")


def _fan(ax: Axes, rows: pd.DataFrame, column: str, colour: str, title: str, outcome: str) -> None:
    """``column``'s mean and its ``_low``-``_high`` band over the months, on ``outcome``'s axis."""
    months = pd.PeriodIndex(rows["month"], freq="M").to_timestamp()
    low, high = rows[f"{column}_low"], rows[f"{column}_high"]
    ax.fill_between(months, low, high, color=colour, alpha=0.25, linewidth=0)
    ax.plot(months, rows[column], color=colour, linewidth=1.8)
    shown_literally(ax.set_title(title, fontsize=9, loc="left"))
    ax.grid(True, alpha=0.3)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    unit = metric(outcome).unit
    if unit == Unit.SHARE and column == "baseline":
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylabel("share of tokens")
    elif unit == Unit.SHARE:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{100 * value:+g}"))
        ax.set_ylabel("points")
    else:
        scale_axis(ax, str(unit), float(max(low.abs().max(), high.abs().max())))


def save_fan(effects: pd.DataFrame, path: Path, option: str = "--plot") -> Path:
    """Draw :func:`fan_figure` and write it to ``path``, whole or not at all (as ``sim plot``).

    Raises:
        InputError: an image format matplotlib cannot write, a path that cannot be written, or
            nothing to draw.
    """
    return save_figure(lambda: fan_figure(effects), path, option)
