"""The store handle: one run store, and every call that reads or changes what it holds.

:func:`open_store` gives a :class:`Store`, which lists, reads, compares, exports, replays,
plots and deletes runs and reads sweeps, all on the one database it was opened on: what a
notebook or the ``sim runs`` commands want when they do several things to one store. Each
method is the same call as the module-level function of the part of the API it belongs to
(:func:`~interfaces.public.stored_runs.compare` and ``Store.compare``...), which this module
ties together; nothing below imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from interfaces.public.databases import existing_store
from interfaces.public.running import Replay, replay_in
from interfaces.public.stored_runs import Comparison, compare_in
from interfaces.public.sweeps import Sensitivity, SweepResults, load_sweep_in, sensitivity_in
from runs.export import FORMATS as EXPORT_FORMATS
from runs.export import export_run
from runs.load import RunDetails, StoredRun, count_runs, list_runs, run_details
from runs.load import load_run as read_run
from runs.store import RunStore

if TYPE_CHECKING:
    from simulator.metrics import StepRecord

__all__ = [  # what interfaces.api offers from here
    "EXPORT_FORMATS",
    "Store",
    "open_store",
]


def open_store(db: str | None = None, *, existing: bool = False) -> Store:
    """The run store at ``db`` (URL or SQLite path), else ``$SIM_DB``, else ``runs.db``.

    Opening only reads: a missing file is not created. Without ``existing`` it simply holds no
    runs (a notebook may look before it runs anything); with it, a store that is not there is
    an error, so that a typo in ``--db`` is not taken for an empty store.

    Raises:
        StoreError: the database cannot be opened, its schema is not this package's, or
            (``existing``) it holds no run store.
    """
    return Store(existing_store(db) if existing else RunStore(db, create=False))


class Store:
    """A run store: its runs and sweeps, to list, read, compare, export, replay and delete.

    Get one from :func:`open_store`.
    """

    def __init__(self, store: RunStore) -> None:
        self._store = store

    @property
    def url(self) -> str:
        """The store's URL, password masked."""
        return self._store.masked_url

    @property
    def exists(self) -> bool:
        """Whether the database holds a run store (a missing one holds no runs)."""
        return self._store.exists

    def runs(
        self,
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
            name: keep runs with exactly this name.
            policy: keep runs with this policy enabled: a policy's name (``export_licence``)
                or the name of its instance in the run (``h20_resumed``).
            status: keep runs with this status (a killed run counts as ``interrupted``).
            sweep: keep the runs of this sweep (id or name).
            tag: keep runs with this tag (``sim run --tag``).
            limit: keep the newest ``limit`` of them.

        Returns:
            Columns ``name, status, seed, steps_done, steps_planned, policies`` (the names the
            run gives its policies, ``api.policy_key``, joined by ``+``), ``created_at``,
            ``finished_at`` (Timestamps), ``package_version``, ``digest``, ``tags``, ``error``.
            A row changed outside ``sim`` so that it cannot be read is listed with status
            ``api.DAMAGED`` and why in ``error``.

        Raises:
            InputError: an unknown status.
        """
        return list_runs(
            self._store, name=name, policy=policy, status=status, sweep=sweep, tag=tag, limit=limit
        )

    def count_runs(
        self, *, name: str | None = None, sweep: int | str | None = None, tag: str | None = None
    ) -> int:
        """How many runs :meth:`runs` gives with these filters and no limit.

        Cheap without ``tag`` (the database counts), so a listing can say how many it left out.
        """
        return count_runs(self._store, name=name, sweep=sweep, tag=tag)

    def run(self, run_id: int) -> StoredRun:
        """Run ``run_id`` with its history tables (see ``api.load_run``)."""
        return read_run(self._store, run_id)

    def details(self, run_id: int) -> RunDetails:
        """Run ``run_id`` without its history: row counts, policy events, last market row.

        ``last_products`` holds its last step's product rows (``api.top_products`` ranks them).

        Raises:
            StoreError: no such run.
        """
        return run_details(self._store, run_id)

    def compare(
        self,
        run_ids: Sequence[int],
        metrics: Sequence[str] | None = None,
        at: Iterable[str | pd.Period] = (),
    ) -> Comparison:
        """Runs side by side at months ``at`` and at their ends (see ``api.compare``).

        Raises:
            InputError: a month that is not ``YYYY-MM``.
            StoreError: no such run, or a month of ``at`` that no run simulated.
        """
        return compare_in(self._store, run_ids, metrics, at)

    def export(
        self,
        run_id: int,
        folder: str | Path,
        file_format: str = "csv",
        *,
        overwrite: bool = False,
    ) -> list[Path]:
        """Write ``run-N.json`` and one file per table of the run (``csv`` or ``parquet``).

        Each table file holds the run's rows as the database has them: the history tables
        and ``developer_steps`` (what ``--developer-history`` kept; a header alone if none).
        Files of an earlier export of the run are replaced only with ``overwrite``.

        Returns:
            The files written, the JSON first.

        Raises:
            StoreError: no such run, an unknown format, a file already there (without
                ``overwrite``), or a folder that cannot be written.
        """
        return export_run(self.run(run_id), Path(folder), file_format, overwrite)

    def deletable(self, run_id: int) -> RunDetails:
        """Run ``run_id``'s details, if it may be deleted.

        Raises:
            StoreError: no such run, or it is still running.
        """
        from runs.delete import deletable

        return deletable(self._store, run_id)

    def delete(self, run_id: int) -> dict[str, int]:
        """Delete run ``run_id`` and its rows, in one transaction; rows deleted per table.

        Raises:
            StoreError: as :meth:`deletable`.
        """
        from runs.delete import delete_run

        return delete_run(self._store, run_id)

    def replay(
        self,
        stored_run: int | StoredRun,
        *,
        verify: bool = False,
        on_step: Callable[[StepRecord], None] | None = None,
    ) -> Replay:
        """Re-run a stored run into this store (see ``api.replay``)."""
        return replay_in(self._store, stored_run, verify=verify, on_step=on_step)

    def sweeps(self, limit: int | None = None) -> pd.DataFrame:
        """Stored sweeps (the newest ``limit`` of them), newest first, indexed by sweep id.

        Returns:
            Columns ``name, status, finished_runs, planned_runs, created_at, finished_at``.
        """
        from runs.sweeps import list_sweeps

        return list_sweeps(self._store, limit)

    def sweep(self, ref: int | str) -> SweepResults:
        """Sweep ``ref`` (id or name) and its outcomes (see ``api.load_sweep``)."""
        return load_sweep_in(self._store, ref)

    def sensitivity(self, ref: int | str, outcome: str = "cn_share_global") -> Sensitivity:
        """Sobol or Morris indices of ``outcome`` for a sampled sweep, most influential first.

        Raises:
            InputError: ``outcome`` is not a market metric, or the sweep is not a ``sobol`` or
                ``morris`` sample, or some of its points have no finished run yet.
        """
        return sensitivity_in(self._store, ref, outcome)

    def plot(self, run_ids: Sequence[int], out: str | Path) -> Path:
        """Draw the runs' histories overlaid (as ``api.history_figure``) into image ``out``.

        Returns:
            The file written; its suffix picked the format (png, pdf, svg, ...).
        """
        from interfaces.plot import save_history

        return save_history([self.run(run_id) for run_id in run_ids], Path(out))
