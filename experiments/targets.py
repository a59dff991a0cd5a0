"""Calibration targets: what each observes, and the form of a targets file (TOML or YAML).

A target names the population of developers it observes (``routed``, ``enterprise``,
``outside_china``, ``china``, ``all``: :data:`experiments.run_tables.POPULATIONS`), a measure
(:data:`MEASURES`), the providers it is about (a jurisdiction, a lab of the roster, ``largest``:
the largest single lab each month, or ``all``), perhaps a second group (``versus``), its window
(``YYYY-MM``, or ``FROM..TO``: the mean of the monthly values) and its kind: ``band`` (target,
low, high), ``at_most`` (high) or ``first_month`` (the first month the providers' measure
exceeds the second group's; a band of months). The packaged targets are
``scenario/data/targets.toml`` (docs/targets.md gives each one's source).
"""

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Self

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from experiments.run_tables import (
    PERCENTAGES,
    PROVIDER_MEASURES,
    SPECIAL_GROUPS,
    RunTables,
    Unmeasurable,
    group_series,
    purchases,
)
from scenario.fields import Month
from scenario.roster import default_providers
from scenario.settings_files import parse_settings, read_settings_file
from vocabulary.calendar import format_month, parse_month
from vocabulary.errors import InputError, describe_validation_error
from vocabulary.regions import CHANNELS, JURISDICTIONS

Population = Literal["routed", "enterprise", "outside_china", "china", "all"]
Kind = Literal["band", "at_most", "first_month"]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]
RATIOS = ("revenue_per_token_ratio", "revenue_ratio")
"""The measures that divide the providers' figure by the ``versus`` group's."""

MEASURES: dict[str, str] = {
    "token_share": "the providers' share of the tokens served to the population",
    "spend_share": "the providers' share of what the population paid (tokens x price)",
    "revenue_per_token_ratio": "revenue per token served to the population, providers over versus",
    "volume_growth": "tokens served to the population by the providers, window end over start",
    "revenue_per_kwh": "the providers' revenue per kWh over their electricity price (CN only)",
    "revenue_ratio": "the providers' revenue over versus' (each lab's own sales, all regions)",
    "annual_revenue": "the providers' revenue in the month x 12, USD a year",
    "compute_share": "the share of the providers' inference compute (H100e) in one channel",
    "tokens_per_compute_day": "tokens the providers served per H100e of their compute, per day",
    "api_token_share": "the share of the tokens the providers served in China sold through their "
    "APIs (the rest: their own consumer apps)",
    "purchase_share": "the share of the accelerators the providers bought in the window that came "
    "through one channel",
    "purchase_ratio": "what the providers spent on one channel's accelerators a month in the "
    "window over the same in versus_window",
    "maker_served_share": "the share of the tokens of the providers' models (every region, every "
    "host) that the providers served themselves",
}
"""What each measure is, for docs and errors."""
Measure = Literal[tuple(MEASURES)]  # type: ignore[valid-type]
"""A target's measure: one of :data:`MEASURES`' names (a literal, so a file naming another is
refused with the list)."""


@cache
def _roster_labs() -> tuple[str, ...]:
    return tuple(provider.name for provider in default_providers())


@dataclass(frozen=True)
class Window:
    """The months a target reads: ``first`` to ``last`` inclusive (equal for one month)."""

    first: str
    last: str

    @classmethod
    def parse(cls, text: str) -> Self:
        """``YYYY-MM`` or ``YYYY-MM..YYYY-MM``.

        Raises:
            ValueError: naming the form expected.
        """
        parts = text.split("..") if isinstance(text, str) else []
        if len(parts) not in (1, 2):
            raise ValueError(f"expected YYYY-MM or YYYY-MM..YYYY-MM, got {text!r}")
        first, last = parts[0], parts[-1]
        if parse_month(first) > parse_month(last):
            raise ValueError(f"the window {text!r} ends before it starts")
        return cls(first.strip(), last.strip())

    @property
    def months(self) -> list[str]:
        """Every month of the window, in order."""
        return [format_month(m) for m in range(parse_month(self.first), parse_month(self.last) + 1)]

    @property
    def text(self) -> str:
        """As tables show it."""
        return self.first if self.first == self.last else f"{self.first} to {self.last}"


class Target(BaseModel):
    """One observation: who, what, which providers, when, and the band it must fall in.

    ``target``, ``low`` and ``high`` are in the measure's unit (a share from 0 to 1, or a
    multiple); a ``first_month`` target has ``target_month``, ``low_month`` and ``high_month``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    id: str
    observable: str
    population: Population
    measure: Measure
    providers: str
    versus: str | None = None
    """The second group of a ratio or a crossing."""
    channel: Channel | None = None
    """The channel of a ``compute_share`` or purchase target: legal, domestic, smuggled, remote."""
    versus_window: str | None = None
    """The months a ``purchase_ratio`` target compares its window with (``FROM..TO``)."""
    window: str | None = None
    """``YYYY-MM`` or ``YYYY-MM..YYYY-MM``; a first-month target may search the whole run."""
    kind: Kind = "band"
    target: float | None = None
    low: float | None = None
    high: float | None = None
    target_month: Month | None = None
    low_month: Month | None = None
    high_month: Month | None = None
    source: str = ""
    note: str | None = None
    """What a user should know when the target fails (e.g. a known conflict in the data)."""

    @field_validator("providers", "versus")
    @classmethod
    def _known_group(cls, name: str | None) -> str | None:
        allowed = (*JURISDICTIONS, *_roster_labs(), *SPECIAL_GROUPS)
        if name is not None and name not in allowed:
            raise ValueError(
                f"unknown providers {name!r}; allowed: a jurisdiction ({', '.join(JURISDICTIONS)}),"
                f" a lab ({', '.join(_roster_labs())}), largest or all"
            )
        return name

    @field_validator("window", "versus_window")
    @classmethod
    def _window_form(cls, text: str | None) -> str | None:
        if text is not None:
            Window.parse(text)
        return text

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = self._group_problems() or self._band_problems()
        if problems:
            raise ValueError(problems[0])  # one line: the first problem
        return self

    def _group_problems(self) -> list[str]:
        """What is wrong with the measure's groups, population and window, if anything."""
        problems = []
        compares = self.measure in RATIOS or self.kind == "first_month"
        if compares and self.versus is None:
            problems.append(f"versus: a {self.measure} {self.kind} target compares two groups")
        if not compares and self.versus is not None:
            problems.append(f"versus: only {', '.join(RATIOS)} and first_month targets take it")
        by_channel = ("compute_share", "purchase_share", "purchase_ratio")
        if (self.measure in by_channel) != (self.channel is not None):
            problems.append(
                f"channel: a {self.measure} target names one, and only "
                f"{', '.join(by_channel)} targets take one"
            )
        if self.measure in ("purchase_share", "purchase_ratio") and self.channel == "remote":
            problems.append("channel: remote compute is rented, not bought")
        if (self.measure == "purchase_ratio") != (self.versus_window is not None):
            problems.append(
                "versus_window: a purchase_ratio target compares two windows, and only it does"
            )
        if self.measure in PROVIDER_MEASURES and self.population != "all":
            problems.append(
                f"population: {self.measure} counts each lab's own sales and compute in every "
                "region (population = all)"
            )
        shares = ("token_share", "spend_share")
        if "largest" in (self.versus, self.providers if self.measure not in shares else None):
            problems.append("providers: largest is a share's group (token_share, spend_share)")
        if self.measure == "revenue_per_kwh" and (
            self.providers != "CN" or self.population != "all"
        ):
            problems.append(
                "providers: revenue_per_kwh is recorded for Chinese providers only "
                "(providers = CN, population = all)"
            )
        if self.window is None and self.kind != "first_month":
            problems.append(f"window: a {self.kind} target needs one (YYYY-MM or FROM..TO)")
        if self.measure == "volume_growth" and (
            self.dates is None or self.dates.first == self.dates.last
        ):
            problems.append("window: volume_growth needs FROM..TO, the months it compares")
        return problems

    def _band_problems(self) -> list[str]:
        """What is wrong with the band for the target's kind, if anything."""
        months = ("target_month", "low_month", "high_month")
        given = {
            name for name in ("target", "low", "high", *months) if getattr(self, name) is not None
        }
        needed = {
            "band": {"target", "low", "high"},
            "at_most": {"high"},
            "first_month": set(months),
        }[self.kind]
        allowed = needed | ({"target"} if self.kind == "at_most" else set())
        if needed - given:
            return [f"a {self.kind} target needs {', '.join(sorted(needed - given))}"]
        if given - allowed:
            return [f"{', '.join(sorted(given - allowed))}: not a setting of {self.kind} targets"]
        goal, low, high = self.bounds()
        if self.kind == "band" and not low <= goal <= high:
            return ["the band must hold the target: low <= target <= high"]
        if self.kind == "first_month" and not low <= goal <= high:
            return ["the band must hold the target: low_month <= target_month <= high_month"]
        if self.kind == "at_most" and goal > high:
            return ["target: above the at_most bound high"]
        return []

    @property
    def dates(self) -> Window | None:
        """The window, parsed; None for a first-month target over the whole run."""
        return Window.parse(self.window) if self.window else None

    @property
    def window_text(self) -> str:
        """The window as tables show it."""
        return self.dates.text if self.dates else "whole run"

    @property
    def group_text(self) -> str:
        """Which providers, as tables show it: ``CN``, ``Anthropic``, ``US / CN``."""
        return self.providers + (f" / {self.versus}" if self.versus else "")

    def bounds(self) -> tuple[float, float, float]:
        """(target, low, high); months as month indices; NaN for what the kind leaves open."""
        if self.kind == "first_month":
            return tuple(
                float(parse_month(m)) for m in (self.target_month, self.low_month, self.high_month)
            )
        return tuple(
            float("nan") if v is None else float(v) for v in (self.target, self.low, self.high)
        )

    def holds(self, value: float) -> bool:
        """Whether ``value`` lies in the band (NaN, a value not measured, never does)."""
        _, low, high = self.bounds()
        return bool(not math.isnan(value) and (math.isnan(low) or low <= value) and value <= high)

    def scale(self) -> float:
        """What :func:`experiments.validation.loss` divides a miss by.

        The band's width (in months for a crossing, at least one); for an ``at_most`` target
        the bound itself (1 if the bound is 0).
        """
        _, low, high = self.bounds()
        if self.kind == "at_most":
            return abs(high) or 1.0
        return max(high - low, 1.0) if self.kind == "first_month" else (high - low) or 1.0

    def measure_run(self, run: RunTables) -> float:
        """The target's value on one run (not for first-month targets).

        Raises:
            Unmeasurable: the run lacks a month of the window or a figure the measure needs.
        """
        dates = self.dates
        if self.measure == "purchase_share":
            part, total = purchases(run, self.providers, self.channel, "units")
            return _window_sum(part, dates) / _window_sum(total, dates)
        if self.measure == "purchase_ratio":
            usd, _ = purchases(run, self.providers, self.channel, "usd")
            base = Window.parse(self.versus_window)
            return (
                _window_sum(usd, dates)
                / len(dates.months)
                / (_window_sum(usd, base) / len(base.months))
            )
        if self.measure == "volume_growth":
            tokens = group_series(run, self.measure, self.population, self.providers)
            start, end = (_at(tokens, month) for month in (dates.first, dates.last))
            return end / start if start else float("nan")
        series = self.monthly(run)
        return float(np.mean([_at(series, month) for month in dates.months]))

    def monthly(self, run: RunTables) -> pd.Series:
        """The measure's monthly values on one run, by ``YYYY-MM`` (a ratio: month by month)."""
        values = group_series(run, self.measure, self.population, self.providers, self.channel)
        if self.measure in RATIOS:
            other = group_series(run, self.measure, self.population, self.versus)
            return values / other.where(other > 0)
        return values

    def crossing_series(self, run: RunTables) -> pd.DataFrame:
        """Columns ``providers`` and ``versus``: each group's measure by month (first_month)."""
        return pd.DataFrame(
            {
                side: group_series(run, self.measure, self.population, group)
                for side, group in (("providers", self.providers), ("versus", self.versus))
            }
        )

    def format_value(self, value: float, searched_to: str | None = None) -> str:
        """A measured or target value as people read it.

        A crossing that did not happen reads ``not by YYYY-MM``, the last month searched.
        """
        if self.kind == "first_month":
            if math.isnan(value):
                return f"not by {searched_to}" if searched_to else "-"
            return format_month(int(round(value)))
        if math.isnan(value):
            return "-"
        return self._in_unit(value)

    def format_spread(self, spread: float) -> str:
        """A spread over runs in the unit of the measured value: months, points or a multiple."""
        if self.kind == "first_month":
            return f"{spread:.1f} months"
        return self._in_unit(spread)

    def _in_unit(self, value: float) -> str:
        """A value of the measure with its unit: a percentage, USD a year, tokens a day or x."""
        if self.measure in PERCENTAGES:
            return f"{value:.1%}"
        if self.measure == "annual_revenue":
            return f"${value / 1e9:,.2f}bn/yr"
        if self.measure == "tokens_per_compute_day":
            return f"{value / 1e9:,.3f}B/day"
        if self.measure in ("revenue_ratio", "purchase_ratio"):
            return f"{value:,.3f}x"
        return f"{value:,.1f}x"

    def band_text(self) -> str:
        """The band as tables show it: ``40.0% to 65.0%``, ``at most 25.0%``."""
        _, low, high = self.bounds()
        if self.kind == "at_most":
            return f"at most {self.format_value(high)}"
        return f"{self.format_value(low)} to {self.format_value(high)}"


def _window_sum(series: pd.Series, window: Window) -> float:
    """The sum of the window's monthly values; unmeasurable if the run misses a month."""
    return float(sum(_at(series, month) for month in window.months))


def _at(series: pd.Series, month: str) -> float:
    """The value of ``month``; unmeasurable if the run does not reach it."""
    if month not in series.index:
        raise Unmeasurable(f"the runs do not reach {month}")
    return float(series[month])


def load_targets(path: str | Path | None = None) -> list[Target]:
    """The packaged targets, or those of a TOML or YAML file with a ``targets`` list.

    Raises:
        InputError: naming the file, the target and the key that is wrong.
    """
    if path is None:
        origin = "targets file scenario/data/targets.toml (packaged)"
        text = resources.files("scenario.data").joinpath("targets.toml").read_text()
        data = parse_settings(text, origin, "toml")
    else:
        origin = f"targets file {path}"
        data = read_settings_file(Path(path), "targets file")
    rows = data.get("targets")
    if not isinstance(rows, list) or not rows:
        raise InputError(f"{origin}: expected a non-empty list `targets` of tables, one per target")
    targets = [_target(row, origin, f"targets[{i}]") for i, row in enumerate(rows)]
    ids = [t.id for t in targets]
    if len(set(ids)) != len(ids):
        raise InputError(f"{origin}: target ids must be unique, got {', '.join(ids)}")
    return targets


def _target(row: Any, origin: str, where: str) -> Target:
    if not isinstance(row, dict):
        raise InputError(
            f"{origin}: {where}: expected a table of settings, got {type(row).__name__}"
        )
    if isinstance(row.get("id"), str):
        where += f" ({row['id']})"
    try:
        return Target.model_validate(row)
    except ValidationError as error:
        raise InputError(f"{origin}: {describe_validation_error(error, where)}") from None


def _months_read(target: Target) -> list[str]:
    """The months a target looks at.

    A first-month target is also searched for one band width past its band, so that a crossing
    a few months late counts as a miss by those months (:func:`experiments.validation.loss`)
    rather than as unmeasurable: a calibration can then tell a near miss from a far one.
    """
    months = [target.dates.first, target.dates.last] if target.dates else []
    if target.kind == "first_month" and target.low_month and target.high_month:
        high = parse_month(target.high_month)
        width = high - parse_month(target.low_month) + 1
        months.append(format_month(high + width))
    return months + [m for m in (target.low_month, target.high_month) if m]


def first_month_needed(targets: list[Target]) -> str:
    """The earliest month any target looks at: a run must start no later."""
    return min((m for t in targets for m in _months_read(t)), key=parse_month)


def latest_month_needed(targets: list[Target]) -> str:
    """The last month any target looks at: validation runs need not go further."""
    return max((m for t in targets for m in _months_read(t)), key=parse_month)
