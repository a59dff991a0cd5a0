"""The run store's two backends, as tests see them: a fresh database each, read with plain SQL.

Every storage test runs once on a SQLite file and once on a PostgreSQL database of its own,
created on the test server and dropped afterwards: the server named by ``$SIM_TEST_POSTGRES_URL``,
else one the suite starts itself from PostgreSQL's binaries (``tests/postgres_server.py``; the
``postgres_admin_url`` fixture of ``tests/conftest.py``). Without either the PostgreSQL variants
are skipped, saying what to install; under CI (``CI=true``) any skip is a failure.

Tests read and alter the database with the driver alone (``sqlite3``, ``psycopg``), never with
the package's own store, so that a bug in the store cannot hide itself.
"""

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql
from psycopg.types.string import TextLoader

from runs.schema import HISTORY_TABLES

POSTGRES_ENV = "SIM_TEST_POSTGRES_URL"
NAMES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Backend:
    """One fresh run database.

    Attributes:
        name: ``sqlite`` or ``postgresql``.
        url: what ``--db`` gets: the SQLite file's path, or a ``postgresql://`` URL with the
            server's password in it.
        folder: the test's own folder (the SQLite file's, or scratch space for PostgreSQL).
    """

    name: str
    url: str
    folder: Path

    @property
    def password(self) -> str | None:
        """The password in :attr:`url`, which no output may ever show."""
        return urlsplit(self.url).password if self.name == "postgresql" else None

    def connect(self) -> Any:
        """A plain DB-API connection; JSON comes back as text on both backends."""
        if self.name == "sqlite":
            return sqlite3.connect(self.url, timeout=30)
        connection = psycopg.connect(self.url, autocommit=True)
        connection.adapters.register_loader("json", TextLoader)
        return connection

    def query(self, statement: str, *params: Any) -> list[tuple]:
        """Rows of ``statement`` (``?`` placeholders on both backends)."""
        with closing(self.connect()) as connection:
            return connection.execute(self._placeholders(statement), params).fetchall()

    def execute(self, *statements: str) -> None:
        """Run statements that change the database, committed together."""
        with closing(self.connect()) as connection:
            if self.name == "sqlite":
                connection.executescript(";\n".join(statements))
            else:
                with connection.transaction():
                    for statement in statements:
                        connection.execute(statement)

    def run_history(self, run_id: int) -> dict[str, list[tuple]]:
        """Every stored history row of a run, by table, without its row ids and run id.

        Rows are sorted, so two runs of the same history compare equal however stored.
        """
        return {
            table: sorted(
                (row[2:] for row in self.query(f"SELECT * FROM {table} WHERE run_id = ?", run_id)),
                key=repr,
            )
            for table in HISTORY_TABLES
        }

    def tables(self) -> set[str]:
        """Names of the tables in the database."""
        if self.name == "sqlite" and not Path(self.url).exists():
            return set()  # connecting would create the file
        with closing(self.connect()) as connection:
            return self._table_names(connection)

    def snapshot(self) -> dict[str, Any]:
        """Everything bad input must leave alone.

        Every row of every table, the files in the folder (SQLite's transient -wal/-shm files
        aside) and the bytes of any file that is not the database. One connection reads all
        tables: a fuzz test takes thousands of snapshots, and a PostgreSQL login is slow.
        """
        files = {}
        for path in sorted(self.folder.rglob("*")):
            if path.name.endswith(("-wal", "-shm", "-journal")):
                continue
            foreign = path.is_file() and str(path) != self.url
            files[str(path.relative_to(self.folder))] = path.read_bytes() if foreign else None
        rows = {}
        if self.name == "postgresql" or Path(self.url).exists():
            with closing(self.connect()) as connection:
                for table in sorted(self._table_names(connection)):
                    table_rows = connection.execute(f"SELECT * FROM {table}").fetchall()
                    rows[table] = sorted(table_rows, key=repr)
        return {"files": files, "rows": rows}

    def _table_names(self, connection: Any) -> set[str]:
        """Names of the tables, read over an open ``connection``."""
        if self.name == "sqlite":
            statement = "SELECT name FROM sqlite_master WHERE type = 'table'"
        else:
            statement = (
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        return {name for (name,) in connection.execute(statement).fetchall()}

    def _placeholders(self, statement: str) -> str:
        return statement if self.name == "sqlite" else statement.replace("?", "%s")


def per_backend(cases: dict[str, list[Any]]) -> list[Any]:
    """Parameters for ``parametrize(("backend", ...), ..., indirect=["backend"])``.

    Each backend's own cases (``{"sqlite": [pytest.param(...), ...], ...}``), so that a test
    runs each case on the backend it belongs to, instead of skipping the ones it does not.
    """
    return [
        pytest.param(name, *case.values, id=f"{name}-{case.id}")
        for name, backend_cases in cases.items()
        for case in backend_cases
    ]


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on the test server (its URL), dropped when the test ends."""
    name = f"sim_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlsplit(admin_url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def fresh_backend(name: str, folder: Path, admin_url: str | None = None) -> Iterator[Backend]:
    """A fresh database of backend ``name``; its files (if any) under ``folder``.

    Args:
        name: ``sqlite`` or ``postgresql``.
        folder: the test's own folder.
        admin_url: the PostgreSQL test server's admin URL (needed for ``postgresql`` only).
    """
    if name == "sqlite":
        yield Backend(name, str(folder / "runs.db"), folder)
        return
    if admin_url is None:
        raise ValueError("a PostgreSQL backend needs the test server's admin URL")
    with fresh_postgres_database(admin_url) as url:
        yield Backend(name, url, folder)
