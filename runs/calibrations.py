"""Calibrations in the run store: their specs and every trial they finished.

A calibration is one row of ``calibrations`` (its name, spec, status and times) and one row of
``calibration_trials`` per trial it finished. The trials are what lets a calibration resume
where it stopped: the optimiser is rebuilt from them, so a killed calibration loses at most the
trials that were under way.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runs.schema import Calibration, CalibrationTrial
from runs.store import RunStore, StoreError, check_id, claim, effective_status, utc_now


@dataclass(frozen=True)
class StoredCalibration:
    """One calibration as stored: its spec (JSON) and how it stands."""

    id: int
    name: str
    spec: dict[str, Any]
    status: str
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class StoredTrial:
    """One finished trial: the values tried, the loss (None if a run failed), per-target results."""

    number: int
    params: dict[str, float]
    loss: float | None
    results: list[dict[str, Any]]
    error: str | None

    @property
    def margin(self) -> float | None:
        """How far inside its band the trial's nearest target is, in band widths.

        None for a trial that failed to run, and for one stored before margins were kept.
        """
        margins = [row.get("margin") for row in self.results]
        if self.loss is None or not margins or None in margins:
            return None
        return float(min(margins))


def _stored(row: Calibration) -> StoredCalibration:
    return StoredCalibration(
        row.id, row.name, row.spec, effective_status(row), row.created_at, row.finished_at
    )


def open_calibration(store: RunStore, name: str, spec: dict[str, Any]) -> StoredCalibration:
    """The calibration called ``name``, created if new, claimed by this process to run it.

    Raises:
        StoreError: a calibration of that name has another spec, or is being run right now.
    """
    try:
        return _open(store, name, spec)
    except IntegrityError:  # another process created it between our look and our insert
        return _open(store, name, spec)


def _open(store: RunStore, name: str, spec: dict[str, Any]) -> StoredCalibration:
    with store.session() as session:
        row = session.scalars(select(Calibration).where(Calibration.name == name)).first()
        if row is None:
            row = Calibration(name=name, spec=spec, created_at=utc_now())
            session.add(row)
        elif row.spec != spec:
            raise StoreError(
                f"calibration name {name!r} is taken by calibration {row.id}, which has another "
                "scenario, targets, tuning space, seeds or --seed: choose another --name"
            )
        claim(row, "calibration")
        session.flush()
        return _stored(row)


def record_trial(store: RunStore, calibration_id: int, trial: StoredTrial) -> None:
    """Store one finished trial."""
    with store.session() as session:
        session.add(
            CalibrationTrial(
                calibration_id=calibration_id,
                number=trial.number,
                params=trial.params,
                loss=trial.loss,
                results=trial.results,
                error=trial.error,
                finished_at=utc_now(),
            )
        )


def stored_trials(store: RunStore, calibration_id: int) -> list[StoredTrial]:
    """The calibration's finished trials, by number."""
    query = (
        select(CalibrationTrial)
        .where(CalibrationTrial.calibration_id == calibration_id)
        .order_by(CalibrationTrial.number)
    )
    with Session(store.engine) as session:
        return [
            StoredTrial(row.number, row.params, row.loss, row.results, row.error)
            for row in session.scalars(query)
        ]


def finish_calibration(store: RunStore, calibration_id: int, status: str) -> None:
    """Mark the calibration finished or interrupted."""
    with store.writer.begin() as connection:
        connection.execute(
            update(Calibration)
            .where(Calibration.id == calibration_id)
            .values(status=status, finished_at=utc_now())
        )


def get_calibration(store: RunStore, ref: int | str) -> StoredCalibration:
    """Calibration ``ref``, by id or by name.

    Raises:
        StoreError: no such calibration.
    """
    if not store.exists:
        raise StoreError(f"no calibration {ref!r}: database {store.masked_url} does not exist")
    if isinstance(ref, int):
        check_id(ref, "calibration")
    query = select(Calibration).where(
        Calibration.id == ref if isinstance(ref, int) else Calibration.name == ref
    )
    with Session(store.engine) as session:
        row = session.scalars(query).first()
        if row is None:
            last = session.scalar(select(func.max(Calibration.id)))
            hint = f"ids go from 1 to {last}" if last else "the database has no calibrations"
            raise StoreError(f"no calibration {ref!r} in {store.masked_url} ({hint})")
        return _stored(row)


def list_calibrations(store: RunStore) -> pd.DataFrame:
    """Every calibration, newest first, indexed by id, with its trials and best loss.

    Returns:
        Columns ``name, status, trials, best_loss, created_at, finished_at``.
    """
    columns = ["name", "status", "trials", "best_loss", "created_at", "finished_at"]
    rows: list[dict[str, Any]] = []
    if store.exists:
        summary = (
            select(
                CalibrationTrial.calibration_id,
                func.count().label("trials"),
                func.min(CalibrationTrial.loss).label("best"),
            )
            .group_by(CalibrationTrial.calibration_id)
            .subquery()
        )
        query = (
            select(Calibration, func.coalesce(summary.c.trials, 0), summary.c.best)
            .outerjoin(summary, summary.c.calibration_id == Calibration.id)
            .order_by(Calibration.id.desc())
        )
        with Session(store.engine) as session:
            rows = [
                {
                    "calibration_id": row.id,
                    "name": row.name,
                    "status": effective_status(row),
                    "trials": trials,
                    "best_loss": best,
                    "created_at": pd.Timestamp(row.created_at),
                    "finished_at": pd.Timestamp(row.finished_at) if row.finished_at else pd.NaT,
                }
                for row, trials, best in session.execute(query)
            ]
    return pd.DataFrame(rows, columns=["calibration_id", *columns]).set_index("calibration_id")
