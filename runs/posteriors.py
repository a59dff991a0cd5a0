"""Posteriors in the run store: each one's fit and its draws (``sim calibrate --posterior``).

A posterior is a calibration (:mod:`runs.calibrations`) whose trials are its simulations; once
its network is trained, one row of ``posterior_fits`` says what it was trained on and
``posterior_draws`` holds its draws. A fit trained on more simulations replaces the last, in
one transaction, so a store never holds draws of one fit under another's figures. A posterior
trained in rounds stores each later round's planned inputs (``posterior_proposals``) before it
simulates them.
"""

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from runs.schema import PosteriorDraw, PosteriorFit, PosteriorProposal
from runs.store import RunStore, utc_now


@dataclass(frozen=True)
class StoredFit:
    """A trained posterior: what it learnt from, and its draws (one column per tuned input).

    Attributes:
        simulations: the simulations it was trained on (the budget used).
        failed: simulations whose run failed, left out.
        method: how it was trained (``experiments.posterior.METHOD``).
        epochs: training epochs (training stops when the validation loss stops improving).
        train_seconds: how long training and drawing took.
        validation_loss: minus the mean log-density of held-out simulations' inputs.
        draws: one row per draw, in the order drawn.
        fitted_at: when it was stored (None before).
    """

    simulations: int
    failed: int
    method: str
    epochs: int
    train_seconds: float
    validation_loss: float
    draws: pd.DataFrame
    fitted_at: datetime | None = None


def record_fit(store: RunStore, calibration_id: int, fit: StoredFit) -> None:
    """Store ``fit`` and its draws for the posterior, replacing any earlier fit."""
    with store.writer.begin() as connection:
        for table in (PosteriorDraw, PosteriorFit):
            connection.execute(delete(table).where(table.calibration_id == calibration_id))
        connection.execute(
            insert(PosteriorFit).values(
                calibration_id=calibration_id,
                simulations=fit.simulations,
                failed=fit.failed,
                method=fit.method,
                epochs=fit.epochs,
                train_seconds=fit.train_seconds,
                validation_loss=fit.validation_loss,
                fitted_at=utc_now(),
            )
        )
        rows = [
            {"calibration_id": calibration_id, "number": number, "params": params}
            for number, params in enumerate(fit.draws.to_dict("records"))
        ]
        if rows:
            connection.execute(insert(PosteriorDraw), rows)


def stored_fit(store: RunStore, calibration_id: int) -> StoredFit | None:
    """The posterior's stored fit with its draws, or None if it has not been trained."""
    with Session(store.engine) as session:
        row = session.get(PosteriorFit, calibration_id)
        if row is None:
            return None
        query = (
            select(PosteriorDraw.params)
            .where(PosteriorDraw.calibration_id == calibration_id)
            .order_by(PosteriorDraw.number)
        )
        draws = pd.DataFrame(list(session.scalars(query)))
        return StoredFit(
            row.simulations,
            row.failed,
            row.method,
            row.epochs,
            row.train_seconds,
            row.validation_loss,
            draws,
            row.fitted_at,
        )


@dataclass(frozen=True)
class Proposal:
    """A planned simulation of a later round: its number, its round and its inputs."""

    number: int
    round: int
    params: dict[str, float]


def record_proposals(store: RunStore, calibration_id: int, proposals: list[Proposal]) -> None:
    """Store a round's planned simulations, all or none."""
    rows = [
        {"calibration_id": calibration_id, "number": p.number, "round": p.round, "params": p.params}
        for p in proposals
    ]
    with store.writer.begin() as connection:
        if rows:
            connection.execute(insert(PosteriorProposal), rows)


def stored_proposals(store: RunStore, calibration_id: int) -> list[Proposal]:
    """The posterior's planned simulations of later rounds, by number (none for one round)."""
    query = (
        select(PosteriorProposal)
        .where(PosteriorProposal.calibration_id == calibration_id)
        .order_by(PosteriorProposal.number)
    )
    with Session(store.engine) as session:
        return [Proposal(row.number, row.round, row.params) for row in session.scalars(query)]
