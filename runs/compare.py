"""Several runs' outcomes side by side, at chosen months and at each run's end.

The table is what ``sim runs compare`` prints and what notebooks show: one row per month and
metric, one column per run, values as stored (shares 0-1, prices USD per million tokens). A
run of weekly steps shows, at a month, the mean of its weeks that start in that month, and at
its end its last week.
"""

from collections.abc import Iterable, Sequence

import pandas as pd

from runs.load import StoredRun, monthly_means, step_label
from vocabulary.calendar import LAST_RUN_YEAR, parse_month
from vocabulary.errors import InputError

END = "end"
"""The ``when`` label of each run's last stored step."""


def parse_months(texts: Iterable[str]) -> list[pd.Period]:
    """``YYYY-MM`` texts as monthly periods.

    Any month a stored run may have is accepted (to :data:`LAST_RUN_YEAR`), not only the
    months a run may start in.

    Raises:
        InputError: naming the first text that is not a month.
    """
    months = []
    for text in texts:
        try:
            parse_month(text, last_year=LAST_RUN_YEAR)
        except ValueError as error:
            raise InputError(f"--at {text!r}: {error}") from None
        months.append(pd.Period(text.strip(), freq="M"))
    return months


def compare_runs(
    runs: Sequence[StoredRun], metrics: Sequence[str], at: Sequence[pd.Period] = ()
) -> pd.DataFrame:
    """The chosen market metrics of each run at each month of ``at`` and at its end.

    Args:
        runs: the runs, the first being the reference of :func:`differences`.
        metrics: columns of ``market_steps``, e.g. ``["cn_share_global", "price_cn"]``.
        at: months to show; a run that did not simulate a month shows NaN there; a weekly run
            shows the mean of the month's weeks.

    Returns:
        Index ``(when, metric)`` with ``when`` the month as ``YYYY-MM`` or ``"end"``; one column
        per run, named by run id.
    """
    ids = [run.id for run in runs]
    twice = sorted({run_id for run_id in ids if ids.count(run_id) > 1})
    if twice:
        raise InputError(
            f"run {twice[0]} is given twice: compare distinct runs, e.g. "
            f"`sim runs compare {twice[0]} {twice[0] + 1}`"
        )
    unknown = [m for m in metrics if runs and m not in runs[0].market_steps.columns]
    if unknown:
        raise InputError(
            f"unknown metric {unknown[0]!r}; market metrics: "
            f"{', '.join(runs[0].market_steps.columns)}"
        )
    columns = {}
    for run in runs:
        market = run.market_steps[list(metrics)]
        months = monthly_means(run.market_steps)[list(metrics)]
        values = {}
        for month in at:
            row = months.loc[month] if month in months.index else pd.Series(index=metrics)
            values.update({(str(month), m): row[m] for m in metrics})
        last = market.iloc[-1] if len(market) else pd.Series(index=metrics)
        values.update({(END, m): last[m] for m in metrics})
        columns[run.id] = pd.Series(values, dtype="float64")
    table = pd.DataFrame(columns)
    table.index.names = ["when", "metric"]
    table.columns.name = "run"
    return table


def differences(table: pd.DataFrame) -> pd.DataFrame:
    """Each run's values minus the first run's, for the runs after the first."""
    return table.iloc[:, 1:].sub(table.iloc[:, 0], axis=0)


def end_months(runs: Sequence[StoredRun]) -> dict[int, str]:
    """Each run's last stored step (what ``"end"`` means for it).

    Its month as ``YYYY-MM``, or for weekly steps its start day as ``YYYY-MM-DD``.
    """
    return {
        run.id: step_label(run.market_steps.index[-1]) if len(run.market_steps) else "-"
        for run in runs
    }
