"""Sweeps in the run store: their specs, their runs, and which of their tasks are done.

A sweep is one row of ``sweeps`` (its name, full spec, the points it runs, status and times)
and one row of ``sweep_runs`` per run it stored, naming the run's point, replicate and arm. A
task (point, replicate, arm) is done when one of its runs is ``finished``; a resumed sweep runs
only the others, so a finished run is never stored twice, while a failed run, or one left
``running`` by a process that was killed (earlier versions wrote a sweep's run step by step),
stays in the store as it ended and its task is run again.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runs.schema import MarketStep, Run, Sweep, SweepRun
from runs.store import RunStore, StoreError, check_id, claim, effective_status, utc_now
from vocabulary.text import check_name


@dataclass(frozen=True)
class StoredSweep:
    """One sweep as stored: its spec (JSON), the settings of each point, how it stands."""

    id: int
    name: str
    spec: dict[str, Any]
    points: list[dict[str, Any]]
    status: str
    created_at: datetime
    finished_at: datetime | None


def _stored(sweep: Sweep) -> StoredSweep:
    return StoredSweep(
        sweep.id,
        sweep.name,
        sweep.spec,
        sweep.points,
        effective_status(sweep),
        sweep.created_at,
        sweep.finished_at,
    )


def open_sweep(
    store: RunStore, name: str, spec: dict[str, Any], points: list[dict[str, Any]]
) -> StoredSweep:
    """The sweep called ``name``, created if new, claimed by this process to run it.

    Raises:
        StoreError: a sweep of that name has another spec, or is being run right now.
    """
    try:
        return _open(store, name, spec, points)
    except IntegrityError:  # another process created it between our look and our insert
        return _open(store, name, spec, points)


def _open(
    store: RunStore, name: str, spec: dict[str, Any], points: list[dict[str, Any]]
) -> StoredSweep:
    with store.session() as session:
        sweep = session.scalars(select(Sweep).where(Sweep.name == name)).first()
        if sweep is None:
            sweep = Sweep(name=name, spec=spec, points=points, created_at=utc_now())
            session.add(sweep)
        elif sweep.spec != spec:
            raise StoreError(
                f"sweep name {name!r} is taken by sweep {sweep.id}, which has another spec: "
                f"choose another --name, or continue it with `sim sweep --resume {sweep.id}`"
            )
        claim(sweep, "sweep")
        session.flush()
        return _stored(sweep)


def reopen_sweep(store: RunStore, sweep_id: int) -> StoredSweep:
    """Sweep ``sweep_id``, claimed by this process to run what it has left.

    Raises:
        StoreError: no such sweep, or it is being run right now.
    """
    with store.session() as session:
        sweep = _get(session, store, sweep_id)
        claim(sweep, "sweep")
        session.flush()
        return _stored(sweep)


def _get(session: Session, store: RunStore, ref: int | str) -> Sweep:
    """Sweep ``ref`` (an id, or a name); an error listing what there is if there is none."""
    if isinstance(ref, int):
        check_id(ref, "sweep")
    else:
        check_name(ref, "sweep name")  # one no sweep can have, nor any backend encode
    query = select(Sweep).where(Sweep.id == ref if isinstance(ref, int) else Sweep.name == ref)
    sweep = session.scalars(query).first()
    if sweep is None:
        last = session.scalar(select(func.max(Sweep.id)))
        hint = f"sweep ids go from 1 to {last}" if last else "the database has no sweeps"
        raise StoreError(f"no sweep {ref!r} in {store.masked_url} ({hint})")
    return sweep


def get_sweep(store: RunStore, ref: int | str) -> StoredSweep:
    """Sweep ``ref``, by id or by name.

    Raises:
        StoreError: no such sweep.
    """
    if not store.exists:
        raise StoreError(f"no sweep {ref!r}: database {store.masked_url} has no sweeps yet")
    with Session(store.engine) as session:
        return _stored(_get(session, store, ref))


def list_sweeps(store: RunStore, limit: int | None = None) -> pd.DataFrame:
    """Every sweep (or the newest ``limit``), newest first, with how many runs it has finished.

    Returns:
        Indexed by sweep id, columns ``name, status, finished_runs, planned_runs, created_at,
        finished_at`` (the times as Timestamps; NaT for a sweep not finished).
    """
    columns = ["name", "status", "finished_runs", "planned_runs", "created_at", "finished_at"]
    rows: list[dict[str, Any]] = []
    if store.exists:
        done = (
            select(SweepRun.sweep_id, func.count().label("runs"))
            .join(SweepRun.run)
            .where(Run.status == "finished")
            .group_by(SweepRun.sweep_id)
            .subquery()
        )
        query = (
            select(Sweep, func.coalesce(done.c.runs, 0))
            .outerjoin(done, done.c.sweep_id == Sweep.id)
            .order_by(Sweep.id.desc())
            .limit(limit)
        )
        with Session(store.engine) as session:
            rows = [
                {
                    "sweep_id": sweep.id,
                    "name": sweep.name,
                    "status": shown_status(effective_status(sweep), finished, planned),
                    "finished_runs": finished,
                    "planned_runs": planned,
                    "created_at": pd.Timestamp(sweep.created_at),
                    "finished_at": pd.Timestamp(sweep.finished_at) if sweep.finished_at else pd.NaT,
                }
                for sweep, finished in session.execute(query)
                for planned in [planned_runs(sweep.spec, sweep.points)]
            ]
    return pd.DataFrame(rows, columns=["sweep_id", *columns]).set_index("sweep_id")


def shown_status(status: str, finished: int, planned: int) -> str:
    """A sweep's status as shown: ``incomplete`` for a finished one that lacks runs.

    A run of a finished sweep may be deleted since (``sim runs delete``); "finished 19/20"
    would then read as done. Running ``sim sweep`` with the same spec stores the missing run.
    """
    return "incomplete" if status == "finished" and finished < planned else status


def planned_runs(spec: dict[str, Any], points: list[dict[str, Any]]) -> int:
    """Runs a sweep has when done: points x replicates x arms."""
    return len(points) * spec["seeds"] * (2 if spec.get("baseline") is not None else 1)


def finished_tasks(store: RunStore, sweep_id: int) -> set[tuple[int, int, str]]:
    """``(point, replicate, arm)`` of every task of the sweep with a finished run."""
    query = (
        select(SweepRun.point, SweepRun.replicate, SweepRun.arm)
        .join(SweepRun.run)
        .where(SweepRun.sweep_id == sweep_id, Run.status == "finished")
    )
    with Session(store.engine) as session:
        return {tuple(row) for row in session.execute(query)}


def close_abandoned_runs(store: RunStore, sweep_id: int) -> int:
    """Mark the sweep's runs still ``running`` as ``interrupted``; how many there were.

    Only the process that claimed the sweep writes its runs, so when it (re)starts, a run of
    the sweep left ``running`` was being written by a process that is gone.
    """
    abandoned = select(SweepRun.run_id).where(SweepRun.sweep_id == sweep_id)
    with store.writer.begin() as connection:
        return connection.execute(
            update(Run)
            .where(Run.id.in_(abandoned), Run.status == "running")
            .values(status="interrupted", finished_at=utc_now())
        ).rowcount


def link_run(
    connection: Connection, sweep_id: int, run_id: int, point: int, replicate: int, arm: str
) -> None:
    """Record that run ``run_id`` is the sweep's task ``(point, replicate, arm)``.

    Written in the caller's transaction, the one that stores the run, so the two commit
    together.
    """
    connection.execute(
        insert(SweepRun),
        {
            "sweep_id": sweep_id,
            "run_id": run_id,
            "point": point,
            "replicate": replicate,
            "arm": arm,
        },
    )


def finish_sweep(store: RunStore, sweep_id: int, status: str) -> None:
    """Mark the sweep finished, failed or interrupted."""
    with store.writer.begin() as connection:
        connection.execute(
            update(Sweep).where(Sweep.id == sweep_id).values(status=status, finished_at=utc_now())
        )


def sweep_outcomes(store: RunStore, sweep_id: int, metrics: list[str]) -> pd.DataFrame:
    """One row per task of the sweep with a finished run: run id, seed and metrics at the end.

    Columns ``point, replicate, arm, run_id, seed`` and one per metric (a ``market_steps``
    column, its value at the run's last step; NaN where the metric had nothing to measure).
    """
    columns = [getattr(MarketStep, metric) for metric in metrics]
    query = (
        select(SweepRun.point, SweepRun.replicate, SweepRun.arm, Run.id, Run.seed, *columns)
        .join(SweepRun.run)
        .join(MarketStep, (MarketStep.run_id == Run.id) & (MarketStep.step == Run.steps_done - 1))
        .where(SweepRun.sweep_id == sweep_id, Run.status == "finished")
        .order_by(SweepRun.point, SweepRun.replicate, SweepRun.arm, Run.id)
    )
    with Session(store.engine) as session:
        rows = [(*row[:4], int(row[4]), *row[5:]) for row in session.execute(query)]
    frame = pd.DataFrame(rows, columns=["point", "replicate", "arm", "run_id", "seed", *metrics])
    frame = frame.drop_duplicates(["point", "replicate", "arm"]).reset_index(drop=True)
    return frame.astype({metric: "float64" for metric in metrics})
