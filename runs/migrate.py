"""Schema versions of the run store, and moving a database from one to the next (Alembic).

A database's schema version is the number of the Alembic revision it is at (revision ``0002``
is version 2; the revisions live in ``runs/migrations/versions``). This package writes
:data:`runs.schema.SCHEMA_VERSION`. A fresh database gets the ORM's tables at once and is
stamped with the newest revision; an older one is migrated revision by revision, only when the
user asks (``sim db upgrade``), because a migration is a change they may want to back up first.

Every function here works inside a transaction that the caller opened and locked against other
processes (see :class:`runs.store.RunStore`), so a schema is created or migrated exactly once
and a failed migration changes nothing.

Alembic is imported only to migrate a schema. Checking a version reads Alembic's one-row
``alembic_version`` table directly, and a fresh store writes that table itself, as Alembic's stamp
would, so opening or creating a store (which every ``sim`` command that reads or writes runs does,
the quick start's first ``sim run`` included) does not pay the ~0.4 s of importing Alembic and
scanning the installed packages for its plugins.
"""

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    insert,
    inspect,
    select,
)

from runs.schema import SCHEMA_VERSION, Base, StoreMeta

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
FIRST_VERSION = 1
ALEMBIC_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
"""Alembic's record of the revision a database is at: one row, in the table Alembic creates."""


class UnknownSchema(Exception):
    """The database has store tables at a revision this package does not have."""

    def __init__(self, revision: str | None) -> None:
        super().__init__(f"unknown schema revision {revision!r}")
        self.revision = revision


def revision_of(version: int) -> str:
    """The Alembic revision id of a schema version (``2`` -> ``"0002"``)."""
    return f"{version:04d}"


def alembic_config(connection: Connection) -> "Config":
    """Alembic's configuration for this package's migrations, bound to ``connection``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def schema_version(connection: Connection) -> int | None:
    """The schema version of the store in this database; None if it has no store yet.

    A store created before the migrations existed has no ``alembic_version`` table; its
    ``store_meta`` row says version 1.

    Raises:
        UnknownSchema: a ``runs`` table is there but not at a revision of ours (another
            program's table, or a newer package's revision).
    """
    tables = set(inspect(connection).get_table_names())
    if "runs" not in tables:
        return None
    if "alembic_version" not in tables:
        stored = None
        if "store_meta" in tables:
            stored = connection.execute(
                select(StoreMeta.value).where(StoreMeta.key == "schema_version")
            ).scalar()
        if stored != str(FIRST_VERSION):
            raise UnknownSchema(stored)
        return FIRST_VERSION
    revisions = connection.execute(select(ALEMBIC_VERSION.c.version_num)).scalars().all()
    revision = revisions[0] if len(revisions) == 1 else None  # none, or several heads
    if revision is None or not revision.isdigit():
        raise UnknownSchema(revision)
    return int(revision)


def create_schema(connection: Connection) -> None:
    """Create the ORM's tables at this package's version and stamp that revision."""
    Base.metadata.create_all(connection)
    ALEMBIC_VERSION.create(connection)
    connection.execute(insert(StoreMeta).values(key="schema_version", value=str(SCHEMA_VERSION)))
    connection.execute(insert(ALEMBIC_VERSION).values(version_num=revision_of(SCHEMA_VERSION)))


def upgrade_schema(connection: Connection) -> None:
    """Migrate an older store to this package's version, revision by revision."""
    from alembic import command

    config = alembic_config(connection)
    if "alembic_version" not in inspect(connection).get_table_names():
        command.stamp(config, revision_of(FIRST_VERSION))
    command.upgrade(config, revision_of(SCHEMA_VERSION))
