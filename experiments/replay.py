"""Re-running a stored run from its stored scenario and seed, and checking the history repeats.

Same scenario and seed give a bit-identical history, so a replay is the test that a stored
result can be reproduced: with this package, on this machine. The check compares the stored and
the new rows step by step, market row first and then each provider's row, every value exactly
(two missing values count as equal), and names the first place they part.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from experiments.runner import RunResult, execute, software_versions
from runs.history_rows import digest_version
from runs.load import StoredRun, load_table
from runs.schema import HISTORY_TABLES
from runs.store import RunStore
from simulator.model import TokenMarket

_COMPARED = {name: HISTORY_TABLES[name] for name in ("market_steps", "provider_steps")}
"""The tables a verification compares, in the order a step's rows are compared."""


@dataclass(frozen=True)
class Difference:
    """The first place two histories part.

    ``column`` is None when a whole row is in one history and not the other (a run that stopped
    early); ``stored`` and ``new`` then say which has it.
    """

    step: int
    month: str
    table: str
    provider: str | None
    column: str | None
    stored: Any
    new: Any

    def describe(self) -> str:
        """One line: where (step, month, table, provider, column) and both values."""
        where = f"step {self.step} ({self.month}), {self.table}"
        if self.provider is not None:
            where += f" provider {self.provider}"
        if self.column is None:
            return f"{where}: row {self.stored} in the stored run, {self.new} in the replay"
        return f"{where}, column {self.column}: stored {self.stored!r}, new {self.new!r}"


def version_changes(run: StoredRun) -> dict[str, tuple[str, str]]:
    """Software whose version differs between the stored run and now: name -> (then, now).

    The digest's form is left out: a replay computes its digest in the stored run's form.
    """
    now = software_versions()
    return {
        name: (then, now[name])
        for name, then in run.versions.items()
        if name in now and now[name] != then and name != "digest"
    }


def replay(
    store: RunStore, run: StoredRun, on_step: Callable[[TokenMarket], None] | None = None
) -> RunResult:
    """Simulate ``run``'s stored scenario with its stored seed into a new run of ``store``.

    The new run is named ``replay of run N``; its digest takes the stored run's form (a run
    stored before schema version 5 has form 1, without segment rows), so the two digests compare.

    Raises:
        StoreError: if this package no longer accepts the stored scenario.
    """
    return execute(
        run.scenario,
        run.seed,
        store,
        name=f"replay of run {run.id}",
        on_step=on_step,
        digest_form=digest_version(run.versions),
    )


def _keyed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Rows keyed by what identifies them within a run: step, and provider for providers."""
    keys = ["step", "provider"] if table == "provider_steps" else ["step"]
    return frame.reset_index().set_index(keys)


def _first_in_table(table: str, stored: pd.DataFrame, new: pd.DataFrame) -> Difference | None:
    stored, new = _keyed(stored, table), _keyed(new, table)
    keys = stored.index.union(new.index, sort=False)  # stored order, then rows only new has
    keys = keys[np.argsort(keys.get_level_values("step"), kind="stable")]
    stored_rows, new_rows = stored.reindex(keys), new.reindex(keys)
    in_stored, in_new = keys.isin(stored.index), keys.isin(new.index)
    unequal = (stored_rows != new_rows) & ~(stored_rows.isna() & new_rows.isna())
    differing = unequal.any(axis=1).to_numpy() | ~(in_stored & in_new)
    if not differing.any():
        return None
    i = int(differing.argmax())
    step, provider = keys[i] if isinstance(keys[i], tuple) else (keys[i], None)
    month = str((stored_rows if in_stored[i] else new_rows)["month"].iloc[i])
    if not (in_stored[i] and in_new[i]):
        return Difference(
            int(step),
            month,
            table,
            provider,
            None,
            "present" if in_stored[i] else "missing",
            "present" if in_new[i] else "missing",
        )
    column = str(unequal.columns[unequal.iloc[i].to_numpy().argmax()])
    return Difference(
        int(step),
        month,
        table,
        provider,
        column,
        _plain(stored_rows[column].iloc[i]),
        _plain(new_rows[column].iloc[i]),
    )


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it stands for, so messages print ``0.5``."""
    return value.item() if hasattr(value, "item") else value


def first_difference(store: RunStore, stored_id: int, new_id: int) -> Difference | None:
    """The earliest step at which two runs' market or provider rows differ, or None.

    Within a step the market row comes before the provider rows, and columns are compared in
    the schema's order.
    """
    found = [
        _first_in_table(name, load_table(store, table, stored_id), load_table(store, table, new_id))
        for name, table in _COMPARED.items()
    ]
    found = [d for d in found if d is not None]
    return min(found, key=lambda d: d.step) if found else None
