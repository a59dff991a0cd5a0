"""Deleting a run and every row it stored, as one transaction."""

from typing import Any

from sqlalchemy import delete

from runs.schema import HISTORY_TABLES, DeveloperStep, Run
from runs.store import RunStore, StoreError


def deletable(store: RunStore, run_id: int) -> dict[str, Any]:
    """Run ``run_id``'s record (see :meth:`RunStore.get_run`) if it may be deleted.

    Raises:
        StoreError: if there is no such run, or it is still running (its process would go on
            writing rows for a run that no longer exists).
    """
    record = store.get_run(run_id)
    if record["status"] == "running":
        raise StoreError(
            f"run {run_id} is still running: stop it (Ctrl-C) or wait for it to "
            "end before deleting it"
        )
    return record


def delete_run(store: RunStore, run_id: int) -> dict[str, int]:
    """Delete run ``run_id`` with its history rows; all of it or, on any error, nothing.

    The history rows are deleted explicitly rather than left to ``ON DELETE CASCADE``, which
    SQLite applies only when foreign keys are switched on for the connection.

    Returns:
        Rows deleted per table, ``runs`` last.

    Raises:
        StoreError: as :func:`deletable`.
    """
    deletable(store, run_id)
    counts = {}
    with store.writer.begin() as connection:
        for name, table in {**HISTORY_TABLES, "developer_steps": DeveloperStep.__table__}.items():
            counts[name] = connection.execute(
                delete(table).where(table.c.run_id == run_id)
            ).rowcount
        counts["runs"] = connection.execute(delete(Run).where(Run.id == run_id)).rowcount
    return counts
