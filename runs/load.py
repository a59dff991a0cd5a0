"""Getting stored runs back out as pandas objects: the loading API notebooks and commands use.

``list_runs`` gives one row per run; ``load_run`` gives one run with its history tables as
DataFrames indexed by month (a monthly ``pandas.Period``), or for a run of weekly steps by week
(a weekly ``pandas.Period`` starting on the step's start day, with the month kept as a column;
``monthly_means`` turns them into months). Loading a run reads only that run's rows, through
the ``run_id`` indexes of the schema, so it stays fast however many runs a store holds.
Example::

    from runs.load import open_store, list_runs, load_run

    store = open_store()                      # $SIM_DB, else runs.db
    runs = list_runs(store, policy="export_ban", status="finished")
    run = load_run(store, int(runs.index[0]))  # the newest
    run.market_steps["cn_share_global"].plot()
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import pandas as pd
from pydantic import ValidationError
from sqlalchemy import Column, Float, Integer, Table, func, select
from sqlalchemy.orm import Session

import simulator
from runs.schema import (
    HISTORY_TABLES,
    RUN_STATUSES,
    DeveloperStep,
    Run,
    Sweep,
    SweepRun,
)
from runs.store import UNREADABLE, RunStore, StoreError, effective_status
from scenario.scenario import Scenario, without_retired_inputs
from vocabulary.calendar import format_month
from vocabulary.clock import StepClock
from vocabulary.errors import InputError, describe_validation_error
from vocabulary.text import check_name, printable

_NOT_LOADED = ("id", "run_id")
"""Columns every history table has that say nothing about the run once it is loaded."""
DAMAGED = "damaged"
"""The status :func:`list_runs` gives a row it cannot read (changed outside ``sim``)."""
RUN_TABLES: dict[str, Table] = {**HISTORY_TABLES, "developer_steps": DeveloperStep.__table__}
"""Every per-step table a run may have rows in: the history tables, then the per-developer
rows that ``--developer-history`` adds (outside the digest, hence not a history table)."""


def open_store(db: str | None = None) -> RunStore:
    """The run store at ``db`` (URL or SQLite path), else ``$SIM_DB``, else ``runs.db``.

    Opening only reads: a missing file is not created, it simply holds no runs.
    """
    return RunStore(db, create=False)


def _timestamp(value: datetime | None) -> pd.Timestamp:
    return pd.Timestamp(value) if value is not None else pd.NaT


def list_runs(
    store: RunStore,
    *,
    name: str | None = None,
    policy: str | None = None,
    status: str | None = None,
    sweep: int | str | None = None,
    tag: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Stored runs, newest first, one row each, indexed by run id.

    Args:
        store: the store to read.
        name: keep runs with exactly this name.
        policy: keep runs with this policy enabled: a policy's name from ``sim policies``
            (``export_licence``) or an instance's name in the run (``h20_resumed``).
        status: keep runs with this status; a ``running`` run whose process is gone counts as
            ``interrupted``, as in ``sim runs list``.
        sweep: keep the runs of this sweep (its id, or its name; see ``sim sweep list``).
        tag: keep runs with this label among their tags (``sim run --tag``).
        limit: keep only the newest ``limit`` runs that pass the filters.

    Returns:
        Columns ``name, status, seed, steps_done, steps_planned, policies`` (a list of the
        enabled policies' names in the run, :func:`policy_key`; a name may hold any character,
        so it is never joined into one text),
        ``created_at``, ``finished_at``,
        ``package_version``, ``digest``, ``tags`` (a list of the run's labels) and ``error``
        (why a failed run failed). A row that cannot be read (changed outside ``sim``) is
        listed with status ``damaged``, whatever the filters, with only its id and ``error``.
    """
    if status is not None and status not in RUN_STATUSES:
        raise InputError(f"status {status!r}: expected one of {', '.join(RUN_STATUSES)}")
    columns = [
        "name",
        "status",
        "seed",
        "steps_done",
        "steps_planned",
        "policies",
        "created_at",
        "finished_at",
        "package_version",
        "digest",
        "tags",
        "error",
    ]
    rows: list[dict[str, Any]] = []
    if store.exists:
        query = select(Run).where(*_run_filters(name, sweep)).order_by(Run.id.desc())
        keep = _Filters(policy, status, tag)
        with store.reading("runs") as session:
            try:
                rows = _listed(map(listing_row, session.scalars(query)), keep, limit)
            except UNREADABLE:
                session.rollback()
                # Some row cannot be read: list the others, and that one as damaged.
                ids = list(session.scalars(query.with_only_columns(Run.id)))
                listings = (_listing_or_damage(store, session, run_id) for run_id in ids)
                rows = _listed(listings, keep, limit)
    frame = pd.DataFrame(rows, columns=["run_id", *columns])
    return frame.set_index("run_id")


def count_runs(
    store: RunStore,
    *,
    name: str | None = None,
    sweep: int | str | None = None,
    tag: str | None = None,
) -> int:
    """How many runs :func:`list_runs` lists with these filters and no limit.

    Without ``tag`` the database counts them, reading no run's row, so a listing can say how
    many more there are at no cost however large the store.
    """
    if tag is not None:
        return len(list_runs(store, name=name, sweep=sweep, tag=tag))
    if not store.exists:
        return 0
    query = select(func.count()).select_from(Run).where(*_run_filters(name, sweep))
    with store.reading("runs") as session:
        return session.scalar(query)


def _run_filters(name: str | None, sweep: int | str | None) -> list[Any]:
    """The filters of :func:`list_runs` that the database applies, as ``WHERE`` clauses.

    Raises:
        InputError: a name no run or sweep can have (nor be stored with).
    """
    for text, what in ((name, "run name"), (sweep, "sweep name")):
        if isinstance(text, str):
            check_name(text, what)
    clauses = []
    if name is not None:
        clauses.append(Run.name == name)
    if sweep is not None:
        of_sweep = Sweep.id == sweep if isinstance(sweep, int) else Sweep.name == sweep
        clauses.append(Run.id.in_(select(SweepRun.run_id).join(Sweep).where(of_sweep)))
    return clauses


@dataclass(frozen=True)
class _Filters:
    """The filters of :func:`list_runs` that each listed row passes or not, in Python.

    The database cannot tell a killed run from a running one, nor read inside JSON portably.
    """

    policy: str | None
    status: str | None
    tag: str | None

    def passes(self, row: dict[str, Any]) -> bool:
        """Whether ``row`` passes every filter given; a damaged row always does."""
        return row["status"] == DAMAGED or (
            (self.policy is None or self.policy in {*row["policies"], *row["kinds"]})
            and (self.status is None or row["status"] == self.status)
            and (self.tag is None or self.tag in row["tags"])
        )


def _listed(
    listings: Iterable[dict[str, Any]], keep: _Filters, limit: int | None
) -> list[dict[str, Any]]:
    """The newest ``limit`` listings that ``keep`` keeps."""
    rows: list[dict[str, Any]] = []
    for row in listings:
        if limit is not None and len(rows) >= limit:
            break
        if keep.passes(row):
            rows.append(row)
    return rows


def listing_row(run: Run) -> dict[str, Any]:
    """A run's row in :func:`list_runs`, once every value of it is checked readable.

    Raises:
        ValueError, TypeError, KeyError, AttributeError: the row was changed outside ``sim``
            (a required value missing, text where a number belongs, bad JSON).
    """
    for column in Run.__table__.columns:
        value = checked_value(column, getattr(run, column.key))
        if value is None and not column.nullable:
            raise ValueError(f"runs.{column.name} of run {run.id} is empty")
    return {
        "run_id": run.id,
        "name": printable(run.name),
        "status": effective_status(run),
        "seed": int(run.seed),
        "steps_done": run.steps_done,
        "steps_planned": run.steps_planned,
        "policies": [policy_key(p) for p in run.policies],
        "kinds": {p["name"] for p in run.policies},
        "created_at": _timestamp(run.created_at),
        "finished_at": _timestamp(run.finished_at),
        "package_version": run.versions.get("package"),
        "digest": run.digest,
        "tags": [printable(tag) for tag in run.tags],
        "error": run.error,
    }


def policy_key(stored: dict[str, Any]) -> str:
    """How a run names one of its stored policies: its label (``h20_resumed``), else its name.

    A scenario that uses a policy twice gives each use a label, and ``--set``, the events and
    the listings all go by it; runs stored before labels were stored have only the name.
    """
    return stored.get("label") or stored["name"]


def _listing_or_damage(store: RunStore, session: Session, run_id: int) -> dict[str, Any]:
    """Run ``run_id``'s row in :func:`list_runs`, or one saying it cannot be read."""
    try:
        return listing_row(session.get(Run, run_id))
    except UNREADABLE as error:
        session.rollback()
        return {
            "run_id": run_id,
            "name": "?",
            "status": DAMAGED,
            "seed": None,
            "steps_done": None,
            "steps_planned": None,
            "policies": [],
            "kinds": set(),
            "created_at": pd.NaT,
            "finished_at": pd.NaT,
            "package_version": None,
            "digest": None,
            "tags": [],
            "error": f"row cannot be read: {store.reason(error)}",
        }


def checked_value(column: Column, value: Any) -> Any:
    """A stored value, made sure to be a number if its column holds numbers.

    SQLite keeps whatever was written into a column; text written into a number column outside
    ``sim`` then raises ``ValueError`` here (a damaged row), not deep in some formatting code.
    """
    if value is not None and isinstance(column.type, Float | Integer):
        return column.type.python_type(value)
    return value


@dataclass(frozen=True)
class StoredRun:
    """One stored run: what was asked, by which software, how it ended, and its history.

    The history tables are DataFrames indexed by ``month`` (a monthly ``pandas.Period``; use
    ``.to_timestamp()`` for plotting libraries that want datetimes), in step order, with the
    columns of the tables in ``runs/schema.py`` (``step`` included, the row ids left out).
    ``provider_steps`` has one row per provider and month, ``segment_steps`` one per region,
    segment and provider, ``product_steps`` one per product on sale (none in runs stored before
    schema version 7), so their index repeats; ``pivot(columns="provider", values=...)``
    turns them into one column per provider. A run of weekly steps is indexed by ``week``
    instead (a weekly ``pandas.Period`` from each step's start day; ``month`` stays a column),
    and :func:`monthly_means` averages it into months.
    """

    id: int
    name: str
    status: str
    seed: int
    steps_done: int
    steps_planned: int
    created_at: pd.Timestamp
    finished_at: pd.Timestamp
    digest: str | None
    error: str | None
    scenario_data: dict[str, Any] = field(repr=False)
    """The scenario exactly as stored (JSON); :attr:`scenario` is the validated object."""
    policies: list[dict[str, Any]] = field(repr=False)
    """Each enabled policy's name and every parameter, defaults included."""
    versions: dict[str, str] = field(repr=False)
    market_steps: pd.DataFrame = field(repr=False)
    provider_steps: pd.DataFrame = field(repr=False)
    segment_steps: pd.DataFrame = field(repr=False)
    product_steps: pd.DataFrame = field(repr=False)
    policy_events: pd.DataFrame = field(repr=False)
    read_developer_steps: Callable[[], pd.DataFrame] = field(repr=False, compare=False)
    """Reads :attr:`developer_steps`; called once, on first use, since they may be millions."""

    @cached_property
    def developer_steps(self) -> pd.DataFrame:
        """The per-developer rows ``--developer-history`` kept; none for a run without them.

        Indexed like the other tables (by month, a weekly run by week), in step and developer
        order, with columns ``step``, ``developer`` (its index in the population),
        ``provider`` (its position in the roster, ``scenario_data["providers"]``) and
        ``tokens`` (tokens per month it was served). Read from the store on first use.
        """
        return self.read_developer_steps()

    @cached_property
    def scenario(self) -> Scenario:
        """The stored scenario, validated by this package.

        Raises:
            StoreError: if this version of the package no longer accepts it (the run was stored
                by another version whose scenario fields differ).
        """
        try:
            return Scenario.model_validate(without_retired_inputs(self.scenario_data))
        except ValidationError as error:
            raise StoreError(
                f"run {self.id}'s stored scenario is not valid for token-market-sim "
                f"{simulator.__version__} (stored by {self.package_version}): "
                f"{describe_validation_error(error, 'scenario')}"
            ) from None

    @property
    def clock(self) -> StepClock:
        """The run's calendar: when each of its steps started."""
        return stored_clock(self.scenario_data)

    @property
    def package_version(self) -> str:
        """The version of token-market-sim that simulated the run."""
        return self.versions.get("package", "unknown")

    @property
    def policy_names(self) -> list[str]:
        """The enabled policies' names in this run (:func:`policy_key`), in the scenario's order."""
        return [policy_key(p) for p in self.policies]

    @property
    def label(self) -> str:
        """A short caption for tables and legends: ``run 3: export_ban (seed 1)``."""
        return f"run {self.id}: {self.name} (seed {self.seed})"

    def table(self, name: str) -> pd.DataFrame:
        """One of the run's tables by its database name (see :data:`RUN_TABLES`)."""
        if name not in RUN_TABLES:
            raise InputError(f"table {name!r}: expected one of {', '.join(RUN_TABLES)}")
        return getattr(self, name)


def _dtype(column: Any) -> str | None:
    if isinstance(column.type, Float):
        return "float64"
    if isinstance(column.type, Integer):
        return "int64"
    return None


def load_table(store: RunStore, table: Table, run_id: int) -> pd.DataFrame:
    """One history table's rows of one run, in step order, indexed by month.

    Floats stay exactly as stored (a NULL metric becomes NaN); integers are ``int64``.

    Raises:
        StoreError: the table is missing or holds a value of the wrong type (a database
            changed outside ``sim``), naming the table and the run.
    """
    columns = [c for c in table.columns if c.name not in _NOT_LOADED]
    query = select(*columns).where(table.c.run_id == run_id).order_by(table.c.step, table.c.id)

    def by_month(frame: pd.DataFrame) -> pd.DataFrame:
        codes, months = pd.factorize(frame["month"])  # parse each month once, not per row
        frame["month"] = pd.PeriodIndex(months, freq="M").take(codes)
        return frame.set_index("month")

    return _read_frame(store, f"table {table.name} of run {run_id}", columns, query, by_month)


def _read_frame(
    store: RunStore,
    what: str,
    columns: list[Column],
    query: Any,
    indexed: Callable[[pd.DataFrame], pd.DataFrame],
) -> pd.DataFrame:
    """The rows ``query`` selects as a frame of ``columns``, typed, then ``indexed``.

    Indexing happens while reading, so a value it cannot parse is a damaged store too.

    Raises:
        StoreError: the table is missing or holds a value of the wrong type, naming ``what``.
    """
    with store.reading(what) as session:
        rows = session.execute(query).all()
        values = zip(*rows, strict=True) if rows else ([] for _ in columns)  # by column: faster
        return indexed(
            pd.DataFrame(
                {
                    c.name: pd.array(list(v), dtype=_dtype(c))
                    for c, v in zip(columns, values, strict=True)
                }
            )
        )


def load_developer_steps(store: RunStore, run_id: int, clock: StepClock) -> pd.DataFrame:
    """Run ``run_id``'s per-developer rows (:attr:`StoredRun.developer_steps`).

    The table has no month column (it would double the size of a million rows a step), so
    each row's month comes from its step through the run's calendar.

    Raises:
        StoreError: the table is missing or holds a value of the wrong type.
    """
    table = RUN_TABLES["developer_steps"]
    columns = [c for c in table.columns if c.name not in _NOT_LOADED]
    query = (
        select(*columns).where(table.c.run_id == run_id).order_by(table.c.step, table.c.developer)
    )

    def by_step(frame: pd.DataFrame) -> pd.DataFrame:
        codes, steps = pd.factorize(frame["step"])
        months = pd.PeriodIndex([format_month(clock.month(int(s))) for s in steps], freq="M")
        frame.index = months.take(codes).rename("month")
        return by_week(frame, clock) if clock.weekly else frame

    return _read_frame(store, f"table {table.name} of run {run_id}", columns, query, by_step)


def stored_clock(scenario: dict[str, Any]) -> StepClock:
    """The calendar of a stored scenario (JSON); runs stored before weekly steps were monthly."""
    return StepClock.of(scenario["start"], scenario.get("step_length", "month"))


def by_week(frame: pd.DataFrame, clock: StepClock) -> pd.DataFrame:
    """A weekly run's table indexed by ``week``: each step's week, from its start day.

    The month index becomes a column, so rows can still be grouped by month.
    """
    first = clock.start_date(0)
    anchor = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")[(first.weekday() + 6) % 7]
    days = [clock.start_date(int(step)) for step in frame["step"]]
    weeks = pd.DatetimeIndex(days).to_period(f"W-{anchor}").rename("week")
    return frame.reset_index().set_index(weeks)


def monthly_means(frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """A history table as one row per month (and per ``by`` column, e.g. ``["provider"]``).

    Weekly runs' rows are averaged over the weeks that start in each month: the monthly rates
    they hold (tokens, revenue, energy per month) average into the month's rates; totals a step
    adds (``capex``, ``seized_units``) are better summed, as ``groupby("month").sum()`` does. A
    monthly run's table is returned as it is. The ``step`` column is left out of the means.
    """
    if frame.index.name == "month":
        return frame
    keys = ["month", *by]
    numeric = frame.drop(columns="step").select_dtypes("number").columns
    means = frame.groupby(keys, sort=False)[list(numeric)].mean()
    return means.reset_index(list(by)) if by else means


def step_label(period: pd.Period) -> str:
    """A history row's step as people read it: ``YYYY-MM``, or a week's start day."""
    if period.freqstr == "M":
        return str(period)
    return period.start_time.date().isoformat()


def _header(record: dict[str, Any]) -> dict[str, Any]:
    """What a loaded run and its details share, from the store's row: times as Timestamps."""
    fields = {
        key: record[key]
        for key in (
            "id",
            "name",
            "status",
            "seed",
            "steps_done",
            "steps_planned",
            "digest",
            "error",
            "policies",
            "versions",
        )
    }
    fields.update(
        scenario_data=record["scenario"],
        created_at=_timestamp(record["created_at"]),
        finished_at=_timestamp(record["finished_at"]),
    )
    return fields


def load_run(store: RunStore, run_id: int) -> StoredRun:
    """Run ``run_id`` with its scenario, seed, status, versions and history tables.

    Raises:
        StoreError: if the store has no such run (the message gives the ids it has).
    """
    record = store.run_record(run_id)
    fields = _header(record)
    clock = stored_clock(record["scenario"])
    for name, table in HISTORY_TABLES.items():
        frame = load_table(store, table, run_id)
        fields[name] = by_week(frame, clock) if clock.weekly else frame
    return StoredRun(
        **fields, read_developer_steps=lambda: load_developer_steps(store, run_id, clock)
    )


@dataclass(frozen=True)
class RunDetails:
    """One stored run without its history tables: what ``sim runs show`` prints.

    Reading it costs a few small queries however long the run, where :func:`load_run` reads
    every row. The fields are :class:`StoredRun`'s, plus these.

    Attributes:
        tags: the labels stored with the run.
        rows: the number of rows the run has in each of :data:`RUN_TABLES`, by table name
            (``developer_steps`` 0 for a run without per-developer history).
        events: one row per policy change, in step order: ``month`` (``YYYY-MM``), ``policy``,
            ``status``.
        last_market: the last stored ``market_steps`` row (``step``, ``month`` and every
            metric, a NULL metric as None), or None before the first step.
        last_products: the ``product_steps`` rows of that last step: columns ``product``,
            ``provider`` and the product metrics, in stored order; empty (with those columns)
            for a run without product rows, such as one stored before schema version 7.
    """

    id: int
    name: str
    status: str
    seed: int
    steps_done: int
    steps_planned: int
    created_at: pd.Timestamp
    finished_at: pd.Timestamp
    digest: str | None
    error: str | None
    tags: list[str]
    scenario_data: dict[str, Any] = field(repr=False)
    policies: list[dict[str, Any]] = field(repr=False)
    versions: dict[str, str] = field(repr=False)
    rows: dict[str, int] = field(repr=False)
    events: pd.DataFrame = field(repr=False)
    last_market: dict[str, Any] | None = field(repr=False)
    last_products: pd.DataFrame = field(repr=False)

    @property
    def clock(self) -> StepClock:
        """The run's calendar: when each of its steps started."""
        return stored_clock(self.scenario_data)

    @property
    def history_rows(self) -> int:
        """The run's rows in all its tables together, per-developer rows included."""
        return sum(self.rows.values())


def run_details(store: RunStore, run_id: int) -> RunDetails:
    """Run ``run_id``'s own row, row counts, policy events, last market row and its products.

    Raises:
        StoreError: if the store has no such run (the message gives the ids it has), or the
            run's rows cannot be read (naming what was changed outside ``sim``).
    """
    record = store.run_record(run_id)
    market = HISTORY_TABLES["market_steps"]
    events = HISTORY_TABLES["policy_events"]
    products = HISTORY_TABLES["product_steps"]
    product_columns = [c for c in products.columns if c.name not in (*_NOT_LOADED, "step", "month")]
    with store.reading(f"run {run_id}") as session:
        rows = {
            name: session.scalar(
                select(func.count()).select_from(table).where(table.c.run_id == run_id)
            )
            for name, table in RUN_TABLES.items()
        }
        changes = session.execute(
            select(events.c.month, events.c.policy, events.c.status)
            .where(events.c.run_id == run_id)
            .order_by(events.c.step)
        ).all()
        columns = [c for c in market.columns if c.name not in _NOT_LOADED]
        last = session.execute(
            select(*columns)
            .where(market.c.run_id == run_id)
            .order_by(market.c.step.desc())
            .limit(1)
        ).first()
        last_market = (
            None
            if last is None
            else {c.name: checked_value(c, value) for c, value in zip(columns, last, strict=True)}
        )
        product_rows = (
            []
            if last is None
            else session.execute(
                select(*product_columns)
                .where(products.c.run_id == run_id, products.c.step == last.step)
                .order_by(products.c.id)
            ).all()
        )
        last_products = pd.DataFrame(
            [
                [checked_value(c, value) for c, value in zip(product_columns, row, strict=True)]
                for row in product_rows
            ],
            columns=[c.name for c in product_columns],
        )
    return RunDetails(
        **_header(record),
        tags=list(record["tags"]),
        rows=rows,
        events=pd.DataFrame(changes, columns=["month", "policy", "status"]),
        last_market=last_market,
        last_products=last_products,
    )
