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
from vocabulary.errors import InputError
from vocabulary.output_files import (
    Writer,
    check_folder,
    check_output_file,
    reason,
    write_files,
)
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
    The folder is created if missing. Files of the same run already there, and symbolic links
    in their place, are replaced only with ``overwrite``: an earlier export may be all that is
    left of a deleted run, and a link may point anywhere. All or nothing: each file is written
    under a temporary name and renamed into place once every one is complete.

    Returns:
        The files written, the JSON first.

    Raises:
        StoreError: for an unknown format, a file already there (without ``overwrite``), a
            folder that cannot be written, or a write the system refuses (a full disk);
            nothing is written then, and a folder made for the export is removed.
    """
    if fmt not in FORMATS:
        raise StoreError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    files: dict[Path, Writer] = {folder / f"run-{run.id}.json": _json_writer(run)}
    for name in RUN_TABLES:
        files[folder / f"run-{run.id}-{name}.{fmt}"] = _table_writer(run, name, fmt)
    made = _missing_folders(folder)
    try:
        check_folder(made[-1].parent if made else folder, "--out", path=folder)
        _make(folder)
    except InputError as error:
        raise StoreError(str(error)) from None
    try:
        for path in files:
            check_output_file(path, "--out", force=overwrite)
        return write_files(files, "--out")
    except InputError as error:
        for new in made:
            new.rmdir()
        raise StoreError(str(error)) from None


def _json_writer(run: StoredRun) -> Writer:
    """Writes the run's own row (:func:`run_record`) as indented JSON."""
    text = json.dumps(run_record(run), indent=2) + "\n"
    return lambda path: path.write_text(text)


def _table_writer(run: StoredRun, name: str, fmt: str) -> Writer:
    """Writes table ``name`` as CSV (formula-like text neutralised) or parquet.

    The rows are read only then, one table at a time, as a run's developer rows can be many.
    """
    if fmt == "csv":
        return lambda path: spreadsheet_safe(table_rows(run, name)).to_csv(path, index=False)
    return lambda path: table_rows(run, name).to_parquet(path, index=False)


def _make(folder: Path) -> None:
    """Create ``folder`` and its missing parents; one line if the system refuses."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"--out {folder}: cannot make the folder ({reason(error)})") from None


def _missing_folders(folder: Path) -> list[Path]:
    """The folders ``folder.mkdir(parents=True)`` would make, innermost first.

    An export that fails removes them again, so that it leaves nothing behind.
    """
    missing = []
    while not folder.exists() and not folder.is_symlink() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing
