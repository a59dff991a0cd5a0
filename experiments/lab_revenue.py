"""Each Chinese lab's API revenue by calendar year, beside what the lab reported (``sim validate``).

Issue 26 (acceptance item 6) asks for each Chinese lab's simulated API revenue in 2024 and 2025
next to its filings or reports, so that a reader sees how the model's split of China's spend
among its labs compares with the few figures that exist. The figures, each with its source and
the conversion that makes it USD in a calendar year, are data (``scenario/data/lab_revenue.toml``).
Nothing here passes or fails: the figures are few and partial (Zhipu's API revenue is a rounded
share of its revenue, MiniMax's line holds enterprise deals, DeepSeek's is an upper bound), so
the table informs a calibration rather than being one of its targets.

A lab's simulated revenue in a year is the sum of its 12 monthly ``revenue`` rows (USD a month;
weekly runs as monthly means: :class:`~experiments.run_tables.RunTables`), per seed, then the
mean over seeds with the lowest and highest seed beside it.
"""

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from experiments.run_tables import RunTables
from scenario.roster import default_providers
from scenario.settings_files import load_data_file
from vocabulary.calendar import FIRST_YEAR, LAST_YEAR

PACKAGED = "lab_revenue.toml"
"""The packaged figures' file, in ``scenario/data``."""

CHINA = "CN"
"""The jurisdiction whose labs the table shows; as a ``lab``, all of them together."""

ALL_CHINESE_TEXT = "all Chinese labs"
"""How the table names the row of all Chinese labs together."""

COLUMNS = (
    "lab",
    "lab_text",
    "year",
    "simulated",
    "simulated_low",
    "simulated_high",
    "low_usd",
    "high_usd",
    "within",
    "simulated_text",
    "reported_text",
    "within_text",
    "report_text",
    "reported",
    "conversion",
    "source",
    "reason",
)
"""The columns of :func:`lab_revenue_table`, in order."""


def _chinese_labs() -> list[str]:
    return [p.name for p in default_providers() if p.jurisdiction == CHINA]


def _known_lab(lab: str) -> None:
    """Refuse a lab that is neither a Chinese lab of the roster nor ``CN`` (all of them)."""
    labs = _chinese_labs()
    if lab not in (*labs, CHINA):
        raise ValueError(
            f"unknown lab {lab!r}; a Chinese lab of the roster ({', '.join(labs)}) or "
            f"{CHINA} (all of them)"
        )


class ReportedFigure(BaseModel):
    """One lab's API revenue in one calendar year, as its source supports it, in USD.

    ``low_usd`` equals ``high_usd`` for a figure reported as such, and is 0 for an upper bound.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    lab: str
    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    low_usd: float = Field(ge=0)
    high_usd: float = Field(ge=0)
    reported: str = Field(min_length=1)
    """What the source says, in its own terms (currency, period, what the figure covers)."""
    conversion: str = ""
    """How that became USD of API revenue in the calendar year."""
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _known_lab(self.lab)
        if self.low_usd > self.high_usd:
            raise ValueError(f"low_usd ({self.low_usd:g}) above high_usd ({self.high_usd:g})")
        return self

    @property
    def range_text(self) -> str:
        """``$5.4m to $7.6m``, ``$26.0m``, or ``at most $200.0m``."""
        if self.low_usd == self.high_usd:
            return usd_text(self.low_usd)
        if self.low_usd == 0:
            return f"at most {usd_text(self.high_usd)}"
        return f"{usd_text(self.low_usd)} to {usd_text(self.high_usd)}"


class ReportedRevenue(BaseModel):
    """The years the table shows, the figures reported, and what is known where none is."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    years: list[int] = Field(min_length=1)
    reported: list[ReportedFigure] = Field(default_factory=list)
    undisclosed: dict[str, str] = Field(default_factory=dict)
    """Lab -> what is known instead, shown for each year it has no figure."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.years)) != len(self.years):
            raise ValueError(f"years: each year once, got {self.years}")
        keys = [(figure.lab, figure.year) for figure in self.reported]
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise ValueError(f"reported: {twice[0][0]} {twice[0][1]} has two figures")
        stray = [figure for figure in self.reported if figure.year not in self.years]
        if stray:
            raise ValueError(
                f"reported: {stray[0].lab} {stray[0].year} is not one of years {self.years}"
            )
        for lab, text in self.undisclosed.items():
            _known_lab(lab)
            if not text.strip():
                raise ValueError(f"undisclosed.{lab}: say what is known instead")
        return self

    def figure(self, lab: str, year: int) -> ReportedFigure | None:
        """The lab's figure for the year, if one is reported."""
        return next((f for f in self.reported if (f.lab, f.year) == (lab, year)), None)


def load_reported_revenue(path: str | Path | None = None) -> ReportedRevenue:
    """The packaged reported figures, or those of a TOML or YAML file of the same form.

    Raises:
        InputError: one line naming the file and the setting that is wrong.
    """
    return load_data_file(ReportedRevenue, PACKAGED, path, "revenue file")


def usd_text(value: float) -> str:
    """USD as tables show them: ``$1.23bn``, ``$12.3m``, ``$0.032m``, ``$0``; ``-`` for none.

    Millions and billions whatever the size, so that a column compares at a glance; below a
    million, two significant digits of a million (a lab that sold almost nothing).
    """
    if math.isnan(value):
        return "-"
    if value == 0:
        return "$0"
    if abs(value) >= 0.9995e9:
        return f"${value / 1e9:,.2f}bn"
    if abs(value) >= 0.9995e6:
        return f"${value / 1e6:,.1f}m"
    return f"${value / 1e6:.2g}m"


def year_months(year: int) -> list[str]:
    """The 12 months of a calendar year, ``YYYY-MM``."""
    return [f"{year:04d}-{month:02d}" for month in range(1, 13)]


def annual_revenue(run: RunTables, year: int) -> pd.Series:
    """Each Chinese lab's revenue in the calendar year, USD, and ``CN``: all of them together.

    The sum of the lab's monthly ``revenue`` (USD a month) over the year's 12 months; NaN for
    every lab when the run lacks a month of the year.
    """
    chinese = run.providers[run.providers["jurisdiction"] == CHINA]
    labs = list(dict.fromkeys(chinese["provider"]))
    months = year_months(year)
    if not set(months) <= set(run.months):
        return pd.Series(float("nan"), index=[*labs, CHINA])
    rows = chinese[chinese.index.isin(months)]
    sums = rows.groupby("provider", sort=False)["revenue"].sum().reindex(labs).astype(float)
    return pd.concat([sums, pd.Series({CHINA: float(sums.sum(min_count=1))})])


def lab_revenue_table(figures: ReportedRevenue, runs: Sequence[RunTables]) -> pd.DataFrame:
    """One row per Chinese lab and year (then all of them together): simulated beside reported.

    Columns (:data:`COLUMNS`): ``lab`` (``CN`` for all Chinese labs), ``lab_text``, ``year``,
    ``simulated`` (USD in the year, mean over the runs), ``simulated_low`` and
    ``simulated_high`` (the lowest and highest run), the reported range ``low_usd`` to
    ``high_usd`` (NaN when none is reported), ``within`` (whether the mean lies in it; None
    without a range or a simulated value), the same as people read them (``simulated_text``,
    ``reported_text``, ``within_text``: yes, no or -; ``report_text``: what was reported, its
    conversion and source in one line), what was ``reported``, its ``conversion`` and
    ``source``, and ``reason`` (why nothing was simulated, else None).
    """
    per_year = {
        year: pd.DataFrame([annual_revenue(run, year) for run in runs]) for year in figures.years
    }
    labs = list(dict.fromkeys(lab for table in per_year.values() for lab in table.columns))
    labs = [lab for lab in labs if lab != CHINA] + [CHINA]
    last_month = min((run.months[-1] for run in runs), default="")
    first_month = max((run.months[0] for run in runs), default="")
    rows = []
    for lab in labs:
        for year in figures.years:
            values = per_year[year][lab].to_numpy(dtype=float) if len(runs) else np.array([])
            rows.append(_row(figures, lab, year, values, first_month, last_month))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _row(
    figures: ReportedRevenue,
    lab: str,
    year: int,
    values: np.ndarray,
    first_month: str,
    last_month: str,
) -> dict[str, Any]:
    """One lab's year: the runs' revenue, and the figure or what is known instead."""
    nan = float("nan")
    measured = len(values) > 0 and not np.isnan(values).any()
    mean, low, high = (
        (float(values.mean()), float(values.min()), float(values.max()))
        if measured
        else (nan, nan, nan)
    )
    reason = None
    if not measured:
        reason = (
            f"the runs cover {first_month} to {last_month}, not the whole of {year}"
            if last_month
            else "no runs"
        )
    simulated_text = usd_text(mean)
    if measured and usd_text(low) != usd_text(high):
        simulated_text += f" ({usd_text(low)} to {usd_text(high)})"
    figure = figures.figure(lab, year)
    row = {
        "lab": lab,
        "lab_text": ALL_CHINESE_TEXT if lab == CHINA else lab,
        "year": year,
        "simulated": mean,
        "simulated_low": low,
        "simulated_high": high,
        "low_usd": nan if figure is None else figure.low_usd,
        "high_usd": nan if figure is None else figure.high_usd,
        "within": (
            bool(figure.low_usd <= mean <= figure.high_usd)
            if figure is not None and measured
            else None
        ),
        "simulated_text": simulated_text,
        "reported_text": "-" if figure is None else figure.range_text,
        "reported": (
            figures.undisclosed.get(lab, "no figure in the revenue file")
            if figure is None
            else figure.reported
        ),
        "conversion": "" if figure is None else figure.conversion,
        "source": "" if figure is None else figure.source,
        "reason": reason,
    }
    row["within_text"] = within_text(row["within"])
    row["report_text"] = "; ".join(
        part for part in (row["reported"], row["conversion"], row["source"]) if part
    )
    return row


def within_text(within: bool | None) -> str:
    """``yes``, ``no``, or ``-`` where there is nothing to compare."""
    return "-" if within is None or within != within else ("yes" if within else "no")


def markdown(table: pd.DataFrame) -> str:
    """:func:`lab_revenue_table`'s rows as a Markdown table, for docs/model.md."""
    lines = [
        "| lab | year | simulated (lowest to highest seed) | reported | within | "
        "what was reported, conversion, source |",
        "|---|---|---|---|---|---|",
    ]
    for row in table.itertuples(index=False):
        cells = [
            row.lab_text,
            str(row.year),
            row.simulated_text,
            row.reported_text,
            row.within_text,
            row.report_text,
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
