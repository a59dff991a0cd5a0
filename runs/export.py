"""Writing a stored run out as files other tools read: one file per table of the run.

Each table file holds the run's rows exactly as the database has them (``run_id``, ``step``,
``month`` as ``YYYY-MM``, then the metrics), so ``pandas.read_parquet`` or any CSV reader gets
the same rows as ``SELECT * FROM market_steps WHERE run_id = N`` (``developer_steps``, the
rows ``--developer-history`` kept, has no month: ``run_id``, ``step``, ``developer``,
``provider``, ``tokens``; a header alone for a run without them); ``run-N.json`` beside them
holds the run itself: name, seed, status, versions, scenario and policies. One exception, in
CSV only: a text cell that a spreadsheet would take for a formula (a provider named
``=HYPERLINK(...)``) starts with ``'`` (:func:`vocabulary.text.spreadsheet_safe`); JSON and
parquet keep every value as stored.
"""

import json
from pathlib import Path

import pandas as pd

from runs.load import RUN_TABLES, StoredRun
from runs.store import StoreError
from vocabulary.text import spreadsheet_safe

FORMATS = ("csv", "parquet")


def table_rows(run: StoredRun, name: str) -> pd.DataFrame:
    """A table of ``run`` in the database's own layout (without the row ids)."""
    frame = run.table(name).reset_index()
    frame["month"] = frame["month"].astype(str)
    frame.insert(0, "run_id", run.id)
    order = [c.name for c in RUN_TABLES[name].columns if c.name != "id"]
    return frame[order]


def run_record(run: StoredRun) -> dict:
    """The run's own row: everything but its history tables."""
    return {
        "id": run.id,
        "name": run.name,
        "status": run.status,
        "seed": run.seed,
        "steps_done": run.steps_done,
        "steps_planned": run.steps_planned,
        "created_at": run.created_at.isoformat(timespec="seconds"),
        "finished_at": (
            None if pd.isna(run.finished_at) else run.finished_at.isoformat(timespec="seconds")
        ),
        "digest": run.digest,
        "error": run.error,
        "versions": run.versions,
        "policies": run.policies,
        "scenario": run.scenario_data,
    }


def export_run(run: StoredRun, folder: Path, fmt: str, overwrite: bool = False) -> list[Path]:
    """Write ``run-N.json`` and ``run-N-TABLE.csv`` (or ``.parquet``) for each run table.

    The tables are :data:`runs.load.RUN_TABLES`: the history tables and ``developer_steps``.
    The folder is created if missing. Files of the same run already there are replaced only
    with ``overwrite``: an earlier export may be all that is left of a deleted run.

    Returns:
        The files written, the JSON first.

    Raises:
        StoreError: for an unknown format, a file already there (without ``overwrite``), or a
            folder that cannot be written; nothing is written then.
    """
    if fmt not in FORMATS:
        raise StoreError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    record = folder / f"run-{run.id}.json"
    tables = {name: folder / f"run-{run.id}-{name}.{fmt}" for name in RUN_TABLES}
    if not overwrite:
        for path in (record, *tables.values()):
            if path.exists():
                raise StoreError(f"{path} already exists: add --force to overwrite it")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(run_record(run), indent=2) + "\n")
        written = [record]
        for name, path in tables.items():
            rows = table_rows(run, name)
            if fmt == "csv":
                spreadsheet_safe(rows).to_csv(path, index=False)
            else:
                rows.to_parquet(path, index=False)
            written.append(path)
    except OSError as error:
        reason = error.strerror or error
        raise StoreError(f"--out {folder}: cannot write there ({reason})") from None
    return written
