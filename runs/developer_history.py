"""Per-developer history: which developers' rows a run keeps, and writing them fast.

Aggregates (``segment_steps``) are what most questions need; following single developers
(lock-in, contagion along the network) needs their own rows, which at a million developers are
millions per step. So they are opt-in, thinned in time (``every:K`` steps) and/or across
developers (``sample:F``, every 1/F-th developer: ids are grouped by region, so the sample is
spread over regions), and written with the driver's bulk paths (SQLite ``executemany`` on
tuples, PostgreSQL ``COPY``), not ORM objects.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, insert
from sqlalchemy.exc import DBAPIError

from runs.schema import DeveloperStep
from vocabulary.errors import InputError

COLUMNS = ("run_id", "step", "developer", "provider", "tokens")

DeveloperRows = tuple[np.ndarray, np.ndarray, np.ndarray]
"""One step's developer rows: (ids, provider indices, tokens served), each (n,)."""


@dataclass(frozen=True)
class HistoryPlan:
    """Which developer rows to keep: every ``every``-th step, every ``stride``-th developer."""

    every: int = 1
    stride: int = 1

    @classmethod
    def parse(cls, text: str) -> "HistoryPlan":
        """``all``, ``every:K``, ``sample:F`` or ``every:K,sample:F``.

        Raises:
            InputError: naming the part that is wrong and the allowed forms.
        """
        every, stride = 1, 1
        for part in (p.strip() for p in text.split(",") if p.strip()):
            kind, _, value = part.partition(":")
            try:
                if kind == "all" and not value:
                    continue
                if kind == "every" and int(value) >= 1:
                    every = int(value)
                    continue
                if kind == "sample" and 0 < float(value) <= 1:
                    stride = max(1, round(1 / float(value)))
                    continue
            except ValueError:
                pass
            raise InputError(
                f"--developer-history {text!r}: {part!r} is not one of all, "
                "every:K (K >= 1), sample:F (0 < F <= 1)"
            )
        return cls(every=every, stride=stride)

    def developers_at(self, step: int, population: int) -> np.ndarray | None:
        """Ids of the developers to store at ``step``, or None if the step keeps none."""
        if step % self.every:
            return None
        return np.arange(0, population, self.stride)


def write_developer_rows(
    connection: Connection,
    run_id: int,
    step: int,
    ids: np.ndarray,
    providers: np.ndarray,
    tokens: np.ndarray,
) -> None:
    """Bulk-insert one step's developer rows inside the caller's transaction.

    Raises:
        DBAPIError: the database refused the rows (a full disk, a lost server), as SQLAlchemy
            raises it for any other statement, though these go through the driver itself.
    """
    dialect = connection.dialect.name
    if dialect == "postgresql":
        raw = connection.connection.driver_connection
        with (
            _driver_errors_wrapped(connection, "COPY developer_steps"),
            raw.cursor() as cursor,
            cursor.copy(
                f"COPY developer_steps ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.write(_pg_binary_copy(run_id, step, ids, providers, tokens))
        return
    count = len(ids)
    rows = zip(
        [run_id] * count,
        [step] * count,
        ids.tolist(),
        providers.tolist(),
        tokens.tolist(),
        strict=True,
    )
    if dialect == "sqlite":
        statement = (
            f"INSERT INTO developer_steps ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(COLUMNS))})"
        )
        cursor = connection.connection.driver_connection.cursor()
        try:
            with _driver_errors_wrapped(connection, statement):
                cursor.executemany(statement, rows)
        finally:
            cursor.close()
    else:  # any other SQLAlchemy backend: Core's executemany
        connection.execute(
            insert(DeveloperStep), [dict(zip(COLUMNS, row, strict=True)) for row in rows]
        )


@contextmanager
def _driver_errors_wrapped(connection: Connection, statement: str) -> Iterator[None]:
    """The driver's errors within as SQLAlchemy's, which its callers turn into one line.

    A statement SQLAlchemy runs has its driver errors wrapped (``database or disk is full``
    becomes an ``OperationalError`` the CLI reports in one line, exit status 2); the bulk
    paths above call the driver directly, so without this a full disk surfaced as a bug.
    """
    driver_error = connection.dialect.loaded_dbapi.Error
    try:
        yield
    except driver_error as error:
        raise DBAPIError.instance(
            statement, None, error, driver_error, hide_parameters=True, dialect=connection.dialect
        ) from error


_PG_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("run_id_size", ">i4"),
        ("run_id", ">i4"),
        ("step_size", ">i4"),
        ("step", ">i4"),
        ("developer_size", ">i4"),
        ("developer", ">i4"),
        ("provider_size", ">i4"),
        ("provider", ">i2"),
        ("tokens_size", ">i4"),
        ("tokens", ">f8"),
    ]
)
"""One row of PostgreSQL's binary COPY format for developer_steps: a field count, then each
field's byte length and big-endian value (integer, integer, integer, smallint, double)."""

_PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, no flags, no header extension
_PG_TRAILER = b"\xff\xff"  # field count -1: end of data


def _pg_binary_copy(
    run_id: int, step: int, ids: np.ndarray, providers: np.ndarray, tokens: np.ndarray
) -> bytes:
    """The rows as one binary COPY payload, built by numpy without a Python loop."""
    rows = np.empty(len(ids), dtype=_PG_ROW)
    rows["fields"] = len(COLUMNS)
    for name, size in (
        ("run_id", 4),
        ("step", 4),
        ("developer", 4),
        ("provider", 2),
        ("tokens", 8),
    ):
        rows[f"{name}_size"] = size
    rows["run_id"], rows["step"] = run_id, step
    rows["developer"], rows["provider"], rows["tokens"] = ids, providers, tokens
    return _PG_HEADER + rows.tobytes() + _PG_TRAILER
