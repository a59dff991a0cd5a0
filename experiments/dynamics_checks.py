"""Dynamics checks of ``sim validate``: no sizeable lab idles, or sits at a markup bound, for long.

The calibration targets (:mod:`experiments.targets`) measure levels at dates, which a path that
swings from one extreme to the other can still meet. Issue 26 (acceptance item 5) asks that the
paths between them be plausible too: in the baseline, no lab with a real part of the market runs
its fleet mostly idle for months on end (D1: its fleet would be far larger than what it sells),
and no such lab has its markup pinned at a bound of the pricing rule (``supply.markup_min``,
``supply.markup_max``) for long (D2: the rule then no longer sets its price), unless a
documented source puts it there. The window, the thresholds and the exemptions are data
(``scenario/data/dynamics_checks.toml``, or a file given), not constants here.

Each check is measured per seed and lab on the runs' monthly tables
(:class:`~experiments.run_tables.RunTables`: weekly runs as monthly means) and fails on the
worst pair. A lab's months count from the first month of the window in which it serves tokens:
before its launch it has nothing on sale, and its idle stand-in fleet and the markup read off
its stand-in price say nothing about the market's dynamics.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from experiments.run_tables import RunTables, Unmeasurable
from experiments.targets import Window
from scenario.roster import default_providers
from scenario.settings_files import load_data_file

PACKAGED = "dynamics_checks.toml"
"""The packaged checks' file, in ``scenario/data``."""

UTILISATION, MARKUP = "D1", "D2"
"""The checks' ids, as the table shows them."""

CHECK_COLUMNS = (
    "id",
    "check",
    "window",
    "lab",
    "seed",
    "months",
    "first",
    "last",
    "limit",
    "passed",
    "exempt",
    "reason",
)
"""The columns of :attr:`Dynamics.checks`, one row per check."""

DETAIL_COLUMNS = (
    "check",
    "seed",
    "lab",
    "token_share",
    "checked",
    "months",
    "first",
    "last",
    "bound",
    "limit",
    "exempt",
    "passed",
)
"""The columns of :attr:`Dynamics.detail`, one row per check, seed and lab."""


class DynamicsChecks(BaseModel):
    """The checks' window, thresholds and exemptions (``scenario/data/dynamics_checks.toml``).

    Attributes:
        window: the months checked, ``FROM..TO``; validation runs reach ``TO``.
        min_token_share: a lab is checked when it served at least this share of all the tokens
            served in the window (per seed).
        low_utilisation: D1 counts the months a lab's utilisation is below this ...
        max_low_utilisation_months: ... and fails on more consecutive months than this.
        max_markup_bound_months: D2 fails on more consecutive months at a markup bound.
        bound_tolerance: a markup within this share of a bound is at the bound.
        markup_bound_sources: lab -> the source that puts its markup at a bound (exempt from D2).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    window: str
    min_token_share: float = Field(gt=0, lt=1)
    low_utilisation: float = Field(gt=0, le=1)
    max_low_utilisation_months: int = Field(ge=0)
    max_markup_bound_months: int = Field(ge=0)
    bound_tolerance: float = Field(1e-9, ge=0, lt=1)
    markup_bound_sources: dict[str, str] = Field(default_factory=dict)

    @field_validator("window")
    @classmethod
    def _window_form(cls, text: str) -> str:
        Window.parse(text)
        return text

    @field_validator("markup_bound_sources")
    @classmethod
    def _known_labs(cls, sources: dict[str, str]) -> dict[str, str]:
        labs = [provider.name for provider in default_providers()]
        for lab, source in sources.items():
            if lab not in labs:
                raise ValueError(f"unknown lab {lab!r}; the roster's labs: {', '.join(labs)}")
            if not source.strip():
                raise ValueError(f"{lab}: name the source that puts its markup at a bound")
        return sources

    @property
    def dates(self) -> Window:
        """The window, parsed."""
        return Window.parse(self.window)


def load_checks(path: str | Path | None = None) -> DynamicsChecks:
    """The packaged dynamics checks, or those of a TOML or YAML file of the same form.

    Raises:
        InputError: one line naming the file and the setting that is wrong.
    """
    return load_data_file(DynamicsChecks, PACKAGED, path, "checks file")


@dataclass(frozen=True)
class Streak:
    """The longest run of consecutive flagged months: its length, first and last month."""

    months: int
    first: str | None = None
    last: str | None = None

    @property
    def span(self) -> str:
        """``2025-01..2025-09``, or ``-`` for no month."""
        return f"{self.first}..{self.last}" if self.months else "-"


def longest_streak(flags: pd.Series) -> Streak:
    """The longest run of consecutive True values of ``flags`` (indexed by month, in order)."""
    best, start, length = Streak(0), None, 0
    for month, flag in flags.items():
        length = length + 1 if flag else 0
        if length == 1:
            start = month
        if length > best.months:
            best = Streak(length, start, str(month))
    return best


@dataclass(frozen=True)
class Dynamics:
    """The dynamics checks measured on a set of runs.

    Attributes:
        checks: one row per check (:data:`CHECK_COLUMNS`): ``id`` (D1, D2), ``check`` (what it
            checks, in words), ``window``, the worst ``lab`` and ``seed`` (None when no lab is
            checked), its longest run in ``months`` from ``first`` to ``last``, the ``limit``
            (months), ``passed``, ``exempt`` (the exempt labs that would fail, with their
            sources, or "") and ``reason`` (why it could not be measured, else None).
        detail: one row per check, seed and lab (:data:`DETAIL_COLUMNS`): its ``token_share``
            of the window, whether it is ``checked`` (at least the minimum share), its longest
            run (``months``, ``first``, ``last``; for D2 the ``bound``: ``markup_min`` or
            ``markup_max``), the ``limit``, its ``exempt`` source (D2) and ``passed``.
    """

    checks: pd.DataFrame
    detail: pd.DataFrame

    @property
    def passed(self) -> bool:
        """Whether every check passes."""
        return bool(self.checks["passed"].all())


def check_dynamics(
    checks: DynamicsChecks, runs: Sequence[RunTables], markup_min: float, markup_max: float
) -> Dynamics:
    """D1 and D2 on ``runs`` (run ``i`` is seed ``i``, from 1), with the scenario's markup bounds.

    A run that does not reach the window makes both checks fail, unmeasured, with the reason.
    """
    try:
        rows = [
            row
            for seed, run in enumerate(runs, 1)
            for row in _seed_rows(checks, run, seed, (markup_min, markup_max))
        ]
        reason = None
    except Unmeasurable as why:
        rows, reason = [], str(why)
    detail = pd.DataFrame(rows, columns=list(DETAIL_COLUMNS))
    texts = {
        UTILISATION: f"no lab with at least {checks.min_token_share * 100:g}% of the tokens "
        f"runs below {checks.low_utilisation * 100:g}% utilisation for more than "
        f"{checks.max_low_utilisation_months} months in a row",
        MARKUP: f"no such lab's markup sits at a bound (markup_min {markup_min:g} or "
        f"markup_max {markup_max:g}) for more than {checks.max_markup_bound_months} months in "
        "a row, unless a source puts it there",
    }
    limits = {
        UTILISATION: checks.max_low_utilisation_months,
        MARKUP: checks.max_markup_bound_months,
    }
    summary = [
        _summary(check, text, checks.dates.text, limits[check], detail, reason)
        for check, text in texts.items()
    ]
    frame = pd.DataFrame(summary, columns=list(CHECK_COLUMNS))
    frame["seed"] = pd.Series([row["seed"] for row in summary], dtype=object)  # None, not NaN
    return Dynamics(frame, detail)


def _seed_rows(
    checks: DynamicsChecks, run: RunTables, seed: int, bounds: tuple[float, float]
) -> list[dict[str, Any]]:
    """The detail rows of one run: D1 and D2 for each of its labs."""
    months = checks.dates.months
    for month in (months[0], months[-1]):
        if month not in run.months:
            raise Unmeasurable(f"the runs do not reach {month}")
    window = run.providers[run.providers.index.isin(months)]
    served = window.groupby("provider", sort=False)["served"].sum()
    total = float(served.sum())
    rows = []
    for lab, tokens in served.items():
        share = float(tokens) / total if total > 0 else 0.0
        own = window[window["provider"] == lab].reindex(months)
        selling = (own["served"] > 0).to_numpy()
        own = own.iloc[int(np.argmax(selling)) :] if selling.any() else own.iloc[:0]
        low = longest_streak(own["utilisation"] < checks.low_utilisation)
        bound, at_bound = _at_bound(own["markup"], bounds, checks.bound_tolerance)
        exempt = checks.markup_bound_sources.get(str(lab))
        checked = share >= checks.min_token_share
        for check, streak, limit, source in (
            (UTILISATION, low, checks.max_low_utilisation_months, None),
            (MARKUP, at_bound, checks.max_markup_bound_months, exempt),
        ):
            rows.append(
                {
                    "check": check,
                    "seed": seed,
                    "lab": str(lab),
                    "token_share": share,
                    "checked": checked,
                    "months": streak.months,
                    "first": streak.first,
                    "last": streak.last,
                    "bound": bound if check == MARKUP else None,
                    "limit": limit,
                    "exempt": source,
                    "passed": not checked or source is not None or streak.months <= limit,
                }
            )
    return rows


def _at_bound(
    markup: pd.Series, bounds: tuple[float, float], tolerance: float
) -> tuple[str | None, Streak]:
    """The longer run of months at either markup bound, and which bound it is at."""
    runs = [
        (name, longest_streak((markup - value).abs() <= tolerance * abs(value)))
        for name, value in zip(("markup_min", "markup_max"), bounds, strict=True)
    ]
    name, streak = max(runs, key=lambda pair: pair[1].months)
    return (name if streak.months else None), streak


def _summary(
    check: str, text: str, window: str, limit: int, detail: pd.DataFrame, reason: str | None
) -> dict[str, Any]:
    """One check's row: its worst lab and seed among those checked and not exempt."""
    row = {
        "id": check,
        "check": text,
        "window": window,
        "lab": None,
        "seed": None,
        "months": 0 if reason is None else float("nan"),
        "first": None,
        "last": None,
        "limit": limit,
        "passed": reason is None,
        "exempt": "",
        "reason": reason,
    }
    rows = detail[(detail["check"] == check) & detail["checked"]]
    counted = rows[rows["exempt"].isna()]
    if not counted.empty:
        worst = counted.sort_values(["months", "seed"], ascending=[False, True], kind="stable")
        top = worst.iloc[0]
        row.update(
            lab=top["lab"],
            seed=int(top["seed"]),
            months=int(top["months"]),
            first=top["first"],
            last=top["last"],
            passed=bool(rows["passed"].all()),
        )
    spared = rows[rows["exempt"].notna() & (rows["months"] > limit)]
    sources = dict(zip(spared["lab"], spared["exempt"], strict=True))  # one line per lab
    row["exempt"] = "; ".join(f"{lab}: {source}" for lab, source in sources.items())
    return row
