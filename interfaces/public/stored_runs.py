"""Reading stored runs: a run's history tables, runs side by side, a step's top products.

A stored run comes back as a :class:`StoredRun` whatever made it (``sim run``, a sweep, a
validation, the dashboard), so everything that reads runs (the ``sim runs`` commands, the
notebooks, :mod:`interfaces.plot`) starts from here. Nothing here simulates, so reading runs
never loads the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from interfaces.public.arguments import listed, texts
from interfaces.public.arguments import run_ids as run_ids_given
from interfaces.public.databases import existing_store
from runs.compare import compare_runs, differences, end_months, parse_months
from runs.load import DAMAGED, RunDetails, StoredRun, monthly_means, policy_key, step_label
from runs.load import load_run as read_run
from runs.store import RunStore, StoreError

if TYPE_CHECKING:
    from experiments.sweep_analysis import Interval

__all__ = [  # what interfaces.api offers from here
    "DAMAGED",
    "TOP_PRODUCTS",
    "Comparison",
    "RunDetails",
    "StoredRun",
    "compare",
    "load_run",
    "monthly_means",
    "policy_key",
    "step_label",
    "t_interval",
    "top_products",
]


def load_run(run_id: int, db: str | None = None) -> StoredRun:
    """Stored run ``run_id``: scenario, seed, status, versions and history tables.

    Args:
        run_id: the run's id (see ``open_store().runs()``).
        db: the run store.

    Returns:
        ``market_steps``, ``provider_steps``, ``segment_steps``, ``product_steps`` (no rows
        for runs stored before products were) and ``policy_events`` as DataFrames indexed by
        month (a monthly ``pandas.Period``; weekly runs by week), plus the run's ``scenario``,
        ``seed``, ``digest``, ``created_at`` (a Timestamp) and more. ``developer_steps`` (also
        ``table("developer_steps")``) holds the rows ``--developer-history`` kept, read from
        the store on first use.

    Raises:
        StoreError: the store has no such run (the message gives the ids it has).
    """
    return read_run(existing_store(db), run_id)


@dataclass(frozen=True)
class Comparison:
    """Runs side by side (see :func:`compare`).

    Attributes:
        runs: the runs, the first the reference.
        table: index ``(when, metric)`` with ``when`` a month ``YYYY-MM`` or ``"end"``; one
            column per run id; values as stored (shares 0-1, prices USD per million tokens).
        differences: each later run minus the first.
        ends: each run's last step (``YYYY-MM``, or a week's start day), by run id.
        whens: the ``when`` labels in order, ``"end"`` last.
    """

    runs: tuple[StoredRun, ...]
    table: pd.DataFrame
    differences: pd.DataFrame
    ends: dict[int, str]
    whens: tuple[str, ...]


def compare(
    run_ids: Sequence[int],
    metrics: Sequence[str] | None = None,
    at: Iterable[str | pd.Period] = (),
    db: str | None = None,
) -> Comparison:
    """Stored runs side by side: metrics at chosen months and at each run's end.

    Args:
        run_ids: the runs; the first is the reference of the differences.
        metrics: ``market_steps`` columns [default: all of them].
        at: months (``YYYY-MM``) to compare at, besides each run's end.
        db: the run store.

    Returns:
        The table (index ``(when, metric)``, one column per run id) and each run minus the
        first.

    Raises:
        InputError: no run ids, a string where a list belongs, a month that is not
            ``YYYY-MM``, or one no run simulated.
    """
    run_ids, metrics, months = _checked(run_ids, metrics, at)  # before the store is opened
    return compare_in(existing_store(db), run_ids, metrics, months)


def _checked(
    run_ids: Sequence[int], metrics: Sequence[str] | None, at: Iterable[str | pd.Period]
) -> tuple[tuple[int, ...], tuple[str, ...] | None, list[pd.Period]]:
    """:func:`compare`'s arguments checked: ids, metric names and months, each a list.

    Raises:
        InputError: no run ids, a string where a list belongs, or a month not ``YYYY-MM``.
    """
    metrics = None if metrics is None else texts(metrics, "metrics", '["cn_share_global"]')
    months = parse_months(str(month) for month in listed(at, "at", '["2026-01"]'))
    return run_ids_given(run_ids), metrics, months


def compare_in(
    store: RunStore,
    run_ids: Sequence[int],
    metrics: Sequence[str] | None = None,
    at: Iterable[str | pd.Period] = (),
) -> Comparison:
    """:func:`compare` on an open store (what ``Store.compare`` does).

    Raises:
        InputError: no run ids, a string where a list belongs, or a month not ``YYYY-MM``.
        StoreError: no such run, or a month of ``at`` that no run simulated.
    """
    run_ids, metrics, at = _checked(run_ids, metrics, at)
    runs = tuple(read_run(store, run_id) for run_id in run_ids)
    for month in at:
        if not any(month in monthly_means(run.market_steps).index for run in runs):
            spans = ", ".join(
                f"run {r.id} {step_label(r.market_steps.index[0])} to "
                f"{step_label(r.market_steps.index[-1])}"
                for r in runs
                if len(r.market_steps)
            )
            raise StoreError(f"--at {month}: no run simulated that month ({spans or 'no steps'})")
    if metrics is None:
        metrics = [c for c in runs[0].market_steps.columns if c not in ("step", "month")]
    table = compare_runs(runs, metrics, at)
    return Comparison(
        runs, table, differences(table), end_months(runs), (*(str(m) for m in at), "end")
    )


TOP_PRODUCTS = 10
"""How many products :func:`top_products` keeps by default (``sim run``, ``sim runs show``)."""


def top_products(
    products: pd.DataFrame | Iterable[Mapping[str, Any]], limit: int = TOP_PRODUCTS
) -> pd.DataFrame:
    """The products that served the most tokens in one step, most first.

    Args:
        products: one step's product rows: :attr:`RunDetails.last_products`, or a step
            record's ``products`` (``result.model.last_record.products``).
        limit: how many products to keep.

    Returns:
        Columns ``product``, ``author`` (the lab that made it: its provider, but for a host's
        or a cloud's listing of another lab's model), ``provider``, ``tokens`` (tokens per
        month), ``provider_share``
        (its share of the tokens its provider's products served in that step, 0 to 1; NaN if
        they served none) and ``price`` (USD per million tokens); ties in tokens by product
        name. No rows for a step without products.
    """
    frame = products if isinstance(products, pd.DataFrame) else pd.DataFrame(list(products))
    columns = ["product", "author", "provider", "tokens", "provider_share", "price"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    made_by = frame["author"] if "author" in frame else pd.Series(None, frame.index, object)
    frame = frame.assign(author=made_by.fillna(frame["provider"]))  # NULL before schema 10
    by_provider = frame.groupby("provider")["tokens"].transform("sum")
    frame = frame.assign(provider_share=frame["tokens"].div(by_provider.where(by_provider > 0)))
    ranked = frame.sort_values(["tokens", "product"], ascending=[False, True], kind="stable")
    return ranked[columns].head(limit).reset_index(drop=True)


def t_interval(values: Iterable[float]) -> Interval:
    """The mean of ``values`` and its 95% t interval (``.low``, ``.high``, ``.half_width``).

    The interval ``load_sweep`` reports; NaN bounds for fewer than two values.
    """
    from experiments.sweep_analysis import t_interval as interval

    return interval(pd.Series(list(values), dtype="float64").to_numpy())
