"""The run store's tables (SQLAlchemy 2 typed ORM).

The history tables' metric columns come from the one metric list, :mod:`vocabulary.metrics`
(names, units and meanings); the classes here declare only the keys.

Every history table is keyed and indexed by ``run_id`` so that loading one run touches only its
rows; plain SQL tools can read them (``SELECT * FROM market_steps WHERE run_id = 1``).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from vocabulary.metrics import METRICS, OWNED_CHANNELS, Level, Unit

SCHEMA_VERSION = 12
"""Bumped with every change of the tables, each with its Alembic revision in
``runs/migrations/versions`` (numbered like the version); stored in ``store_meta`` too."""

RUN_STATUSES = ("running", "finished", "failed", "interrupted")


class Base(DeclarativeBase):
    """Declarative base of the run store."""


class StoreMeta(Base):
    """Facts about the store itself, such as its schema version."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class Run(Base):
    """One simulation run: what was asked, by which software, and how it ended."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    seed: Mapped[str] = mapped_column(String(40))
    """Text, because seeds run to 63 bits and some backends' integers stop at 32."""
    steps_planned: Mapped[int] = mapped_column(Integer)
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    scenario: Mapped[dict[str, Any]] = mapped_column(JSON)
    policies: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    versions: Mapped[dict[str, str]] = mapped_column(JSON)
    digest: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    """Labels for grouping runs, e.g. ``validation`` for the runs of ``sim validate``."""


ADDED_LATER: dict[tuple[Level, str], int] = {
    (Level.SEGMENT, "spend_usd"): 5,
    **{
        (Level.PROVIDER, f"bought_{channel}_{unit}"): 8
        for channel in OWNED_CHANNELS
        for unit in ("units", "usd")
    },
    (Level.PROVIDER, "served_apps"): 9,
    (Level.MARKET, "cn_model_share"): 10,
    (Level.MARKET, "cn_model_share_global"): 10,
    (Level.SEGMENT, "hosted_cn_tokens"): 10,
}
"""Metric columns added to a history table after its first version, by level and name, with the
schema version that added them: NULL in the rows of runs stored before, so nullable whatever
their table."""


def _add_metric_columns(table_class: type[Base], level: Level, nullable: bool) -> None:
    """Append one column per metric of ``level`` to a mapped class, in the list's order.

    Columns are added after the class's own (key) columns, as the tables have always had them.
    Counts of developers are integers except in ``market_steps``, which has stored every metric
    as a float since schema version 1.
    """
    for metric in METRICS[level]:
        whole = metric.unit is Unit.DEVELOPERS and level is not Level.MARKET
        setattr(
            table_class,
            metric.name,
            mapped_column(
                Integer if whole else Float,
                nullable=nullable or (level, metric.name) in ADDED_LATER,
            ),
        )


class MarketStep(Base):
    """One row per run and step: the market as a whole.

    A column per :data:`vocabulary.metrics.MARKET_METRICS`; a metric with nothing to measure (no
    Chinese tokens, no price) is NULL.
    """

    __tablename__ = "market_steps"
    __table_args__ = (Index("ix_market_steps_run_step", "run_id", "step", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    month: Mapped[str] = mapped_column(String(7))


_add_metric_columns(MarketStep, Level.MARKET, nullable=True)


class ProviderStep(Base):
    """One row per run, step and provider.

    A column per :data:`vocabulary.metrics.PROVIDER_METRICS`.
    """

    __tablename__ = "provider_steps"
    __table_args__ = (Index("ix_provider_steps_run_step", "run_id", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    month: Mapped[str] = mapped_column(String(7))
    provider: Mapped[str] = mapped_column(String(100))
    jurisdiction: Mapped[str] = mapped_column(String(8))


_add_metric_columns(ProviderStep, Level.PROVIDER, nullable=False)


class SegmentStep(Base):
    """Developers and tokens by region x segment x provider, per run and step.

    A column per :data:`vocabulary.metrics.SEGMENT_METRICS`.
    """

    __tablename__ = "segment_steps"
    __table_args__ = (Index("ix_segment_steps_run_step", "run_id", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    month: Mapped[str] = mapped_column(String(7))
    region: Mapped[str] = mapped_column(String(8))
    segment: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(100))


_add_metric_columns(SegmentStep, Level.SEGMENT, nullable=False)


class ProductStep(Base):
    """Tokens, spend and price of each product on sale, per run and step (schema version 7).

    A column per :data:`vocabulary.metrics.PRODUCT_METRICS`; ``provider`` is the lab selling
    the product, named as in ``provider_steps``, ``author`` the lab that made it. Runs stored
    before version 7 have no rows.
    """

    __tablename__ = "product_steps"
    __table_args__ = (Index("ix_product_steps_run_step", "run_id", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    month: Mapped[str] = mapped_column(String(7))
    product: Mapped[str] = mapped_column(String(100))
    provider: Mapped[str] = mapped_column(String(100))


_add_metric_columns(ProductStep, Level.PRODUCT, nullable=False)
# after the metrics, where schema version 10 added it to the stores before it: the lab that
# made the product, ``provider`` except for a host's; NULL in runs stored before, whose labs
# sold only their own products
ProductStep.author = mapped_column(String(100), nullable=True)  # type: ignore[attr-defined]


class PolicyEventRow(Base):
    """A change in what a policy does: switched on, a new ban tier, ramp finished, off."""

    __tablename__ = "policy_events"
    __table_args__ = (Index("ix_policy_events_run", "run_id", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    month: Mapped[str] = mapped_column(String(7))
    policy: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(Text)


HISTORY_TABLES: dict[str, Table] = {
    "market_steps": MarketStep.__table__,
    "provider_steps": ProviderStep.__table__,
    "segment_steps": SegmentStep.__table__,
    "product_steps": ProductStep.__table__,
    "policy_events": PolicyEventRow.__table__,
}
"""The per-step tables of a run, by name, in the order they are listed and exported."""


class DeveloperStep(Base):
    """One developer in one step, for runs that asked for per-developer history.

    Opt-in (``sim run --developer-history``) and written in bulk by
    :mod:`runs.developer_history`; ``provider`` is the provider's position in the run's roster
    (``runs.scenario`` -> ``providers``), to keep a million rows a step small.
    """

    __tablename__ = "developer_steps"
    __table_args__ = {"sqlite_with_rowid": False}  # rows clustered by key: appends, no 2nd tree

    run_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    """No foreign key: checking one per row would cost PostgreSQL most of its COPY speed at a
    million rows a step. ``sim runs delete`` removes these rows with their run."""
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    developer: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[int] = mapped_column(SmallInteger)
    tokens: Mapped[float] = mapped_column(Float)


class Sweep(Base):
    """One sweep: its full spec, the settings of each of its points, and how it stands."""

    __tablename__ = "sweeps"
    __table_args__ = (Index("ix_sweeps_name", "name", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(150))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The :class:`experiments.sweep.SweepSpec` as JSON: scenario, grid or sample, seeds."""
    points: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """Each point's settings as first drawn, so a resumed sweep runs the same points."""
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    """The process running it, so a killed sweep can be told from a running one."""


class SweepRun(Base):
    """A run of a sweep: which point, replicate (seed) and arm (``main``, ``baseline``) it is.

    A task has several runs only if earlier ones failed or were interrupted; at most one of
    them is ``finished``.
    """

    __tablename__ = "sweep_runs"
    __table_args__ = (Index("ix_sweep_runs_task", "sweep_id", "point", "replicate", "arm"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"))
    point: Mapped[int] = mapped_column(Integer)
    replicate: Mapped[int] = mapped_column(Integer)
    arm: Mapped[str] = mapped_column(String(8))
    run: Mapped[Run] = relationship()


class Calibration(Base):
    """One calibration (``sim calibrate``): what it searches, against what, and how it stands."""

    __tablename__ = "calibrations"
    __table_args__ = (Index("ix_calibrations_name", "name", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(150))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The scenario (JSON), targets, tuning space, seeds and sampler seed: what a trial means."""
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    """The process running it, so a killed calibration can be told from a running one."""


class CalibrationTrial(Base):
    """One trial of a calibration: the values it tried and how far its runs were from the targets.

    Trials are not stored as runs: a calibration tries thousands of them, and a trial is
    re-simulated exactly from the calibration's scenario, its ``params`` and the seeds.
    """

    __tablename__ = "calibration_trials"

    calibration_id: Mapped[int] = mapped_column(
        ForeignKey("calibrations.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    params: Mapped[dict[str, float]] = mapped_column(JSON)
    loss: Mapped[float | None] = mapped_column(Float)
    """None when a seed's simulation failed (see ``error``)."""
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """Per target: id, simulated mean over seeds (None where unmeasurable), passed."""
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime] = mapped_column(DateTime)


class PosteriorFit(Base):
    """A posterior's fit (``sim calibrate --posterior``): what it was trained on, and how.

    A posterior is a calibration whose trials are simulations drawn from the prior; its fit
    is stored once the network is trained, and replaced when more simulations are added.
    """

    __tablename__ = "posterior_fits"

    calibration_id: Mapped[int] = mapped_column(
        ForeignKey("calibrations.id", ondelete="CASCADE"), primary_key=True
    )
    simulations: Mapped[int] = mapped_column(Integer)
    """The simulations the network was trained on: the budget used."""
    failed: Mapped[int] = mapped_column(Integer)
    """Simulations whose run failed, left out of the training."""
    method: Mapped[str] = mapped_column(String(40))
    """How the network was trained (``experiments.posterior.METHOD``): a fit of another method
    is trained again from the same simulations."""
    epochs: Mapped[int] = mapped_column(Integer)
    train_seconds: Mapped[float] = mapped_column(Float)
    validation_loss: Mapped[float] = mapped_column(Float)
    """Minus the mean log-density the network gives held-out simulations' inputs (lower is
    better): to compare fits of one posterior, not across posteriors."""
    fitted_at: Mapped[datetime] = mapped_column(DateTime)


class PosteriorDraw(Base):
    """One draw of a posterior: a value for each tuned parameter (the draws are unweighted)."""

    __tablename__ = "posterior_draws"

    calibration_id: Mapped[int] = mapped_column(
        ForeignKey("calibrations.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    params: Mapped[dict[str, float]] = mapped_column(JSON)


class PosteriorProposal(Base):
    """A planned simulation of a posterior's later round: its inputs, stored before it runs.

    Round ``r`` draws from the prior truncated to where round ``r - 1``'s posterior puts its
    mass (``experiments.posterior``); the draws come from a trained network, so they are kept
    for a killed round to resume with the same inputs. Simulations of the first round, from the
    prior itself, have none.
    """

    __tablename__ = "posterior_proposals"

    calibration_id: Mapped[int] = mapped_column(
        ForeignKey("calibrations.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    round: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, float]] = mapped_column(JSON)
