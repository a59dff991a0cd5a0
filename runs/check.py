"""Checking a run store for damage: every problem ``sim db check`` reports.

A store written only by ``sim`` is always readable. One changed outside it (a table or column
dropped, a column's type altered, a value of the wrong type or JSON cut short written into a
row, the schema version edited) makes a command fail with one line naming the first problem it
meets; this finds them all at once, so that the user can judge what to restore. Values are
checked in SQL, one scan per table, so a large store is checked without loading its rows.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    and_,
    case,
    func,
    inspect,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from runs.load import listing_row
from runs.migrate import UnknownSchema, schema_version
from runs.schema import SCHEMA_VERSION, Base, Run
from runs.store import UNREADABLE, RunStore

EXAMPLE_IDS = 3
"""How many ids of damaged rows a problem names (then how many more there are)."""
RESTORE = "restore it from a backup"
"""What to do about damage done outside ``sim``."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a store: where it is, and what is wrong there.

    Attributes:
        where: a table (``market_steps``), a column (``runs.created_at``) or a run (``run 3``).
        what: what is wrong, in a few words.
        remedy: what the user can do about it: restore damage from a backup, but upgrade
            the store (older) or the package (newer) for a schema of another version, where
            nothing need be wrong with the data.
    """

    where: str
    what: str
    remedy: str = RESTORE

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def check_store(store: RunStore) -> list[Problem]:
    """Every problem of ``store``'s database, in table order; empty if it is sound.

    Args:
        store: opened with ``as_found=True``, so that its schema version is not enforced.

    Raises:
        StoreError: the database cannot be read at all.
    """
    with store.reading("its schema") as session:
        connection = session.connection()
        problems = _version_problems(connection)
        if problems:
            return problems  # another version's tables and columns are not ours to judge
        found = inspect(connection)
        tables = set(found.get_table_names())
        for table in Base.metadata.sorted_tables:
            if table.name not in tables:
                problems.append(Problem(table.name, "table is missing"))
                continue
            present = {column["name"]: column["type"] for column in found.get_columns(table.name)}
            usable = []
            for column in table.columns:
                where = f"{table.name}.{column.name}"
                if column.name not in present:
                    problems.append(Problem(where, "column is missing"))
                elif _kind(present[column.name]) != _kind(column.type):
                    problems.append(
                        Problem(
                            where,
                            f"column holds {_kind(present[column.name])}, "
                            f"expected {_kind(column.type)}",
                        )
                    )
                else:
                    usable.append(column)
            problems += _value_problems(connection, table, usable)
    if "runs" in tables and not any(p.where.startswith("runs") for p in problems):
        problems += _run_problems(store)
    return problems


def _version_problems(connection: Connection) -> list[Problem]:
    """The schema version's problem (missing, unknown, older or newer than ours), if any."""
    try:
        version = schema_version(connection)
    except UnknownSchema as unknown:
        if unknown.revision is None:
            return [Problem("schema version", "none, not one of token-market-sim's")]
        return [
            Problem(
                "schema version",
                f"{unknown.revision!r}, not one this package knows",
                f"upgrade token-market-sim if a newer one wrote it, else {RESTORE}",
            )
        ]
    if version is None:
        return [Problem("runs", "table is missing: this is not a run store")]
    if version < SCHEMA_VERSION:
        return [
            Problem(
                "schema version",
                f"{version}, older than this package's {SCHEMA_VERSION}: "
                "`sim db upgrade` migrates it",
                "back it up, then run `sim db upgrade`",
            )
        ]
    if version > SCHEMA_VERSION:
        return [
            Problem(
                "schema version",
                f"{version}, newer than this package's {SCHEMA_VERSION}: upgrade token-market-sim",
                "upgrade token-market-sim to read it (nothing else was checked)",
            )
        ]
    return []


def _kind(column_type: TypeEngine) -> str:
    """What a column holds, as far as reading it cares: numbers, text, JSON or times."""
    if isinstance(column_type, JSON):
        return "JSON"
    if isinstance(column_type, DateTime):
        return "times"
    if isinstance(column_type, Integer | Float) or column_type.__class__.__name__ in (
        "NUMERIC",
        "REAL",
        "DOUBLE_PRECISION",
    ):
        return "numbers"
    if isinstance(column_type, String):
        return "text"
    return column_type.__class__.__name__.lower()


def _value_problems(connection: Connection, table: Table, columns: list[Column]) -> list[Problem]:
    """Rows of ``table`` whose value in one of ``columns`` cannot be read, counted per column.

    One query counts every check over the whole table; a second names the first rows of each
    check that finds some.
    """
    checks = [(column, *check) for column in columns for check in _checks(connection, column)]
    if not checks:
        return []
    counts = connection.execute(
        select(*(func.sum(case((bad, 1), else_=0)) for _, _, bad in checks)).select_from(table)
    ).one()
    key = table.c.run_id if "run_id" in table.c else next(iter(table.primary_key.columns))
    owner = "run" if "run_id" in table.c or table.name == "runs" else f"{table.name} id"
    problems = []
    for (column, what, bad), count in zip(checks, counts, strict=True):
        if count:
            ids = connection.scalars(
                select(key).where(bad).distinct().order_by(key).limit(EXAMPLE_IDS)
            ).all()
            shown = ", ".join(map(str, ids)) + (", ..." if len(ids) == EXAMPLE_IDS else "")
            rows = f"1 row {what[0]}" if count == 1 else f"{count:,} rows {what[1]}"
            problems.append(Problem(f"{table.name}.{column.name}", f"{rows} ({owner} {shown})"))
    return problems


EXPECTED = {"numbers": "a number", "JSON": "valid JSON", "times": "a time"}
"""What a column of each kind SQLite does not enforce must hold, for messages."""


def _checks(
    connection: Connection, column: Column
) -> Iterator[tuple[tuple[str, str], ColumnElement[bool]]]:
    """What can be wrong with ``column``'s value in a row: ``(what, condition on the row)``.

    ``what`` says it of one row and of several: ``("is empty", "are empty")``.

    Every backend can hold NULL where a value is required (once the constraint is dropped);
    SQLite also keeps whatever is written into a column whatever its type.
    """
    if not column.nullable:
        yield ("is empty", "are empty"), column.is_(None)
    kind = _kind(column.type)
    if connection.dialect.name != "sqlite" or kind not in EXPECTED:
        return
    if kind == "numbers":
        wrong = func.typeof(column).not_in(["integer", "real", "null"])
    elif kind == "JSON":
        wrong = and_(column.is_not(None), not_(func.json_valid(column)))
    else:
        wrong = and_(
            column.is_not(None), or_(func.typeof(column) != "text", func.datetime(column).is_(None))
        )
    expected = f"something that is not {EXPECTED[kind]}"
    yield (f"holds {expected}", f"hold {expected}"), wrong


def _run_problems(store: RunStore) -> list[Problem]:
    """Runs whose row the package cannot read (JSON of the wrong shape, say)."""
    problems = []
    with Session(store.engine) as session:
        for run_id in session.scalars(select(Run.id).order_by(Run.id)).all():
            try:
                listing_row(session.get(Run, run_id))
            except UNREADABLE as error:
                session.rollback()
                problems.append(Problem(f"run {run_id}", f"cannot be read: {store.reason(error)}"))
    return problems
