"""Alembic's entry point for the run store: runs the migrations on the store's own connection.

:mod:`runs.migrate` opens the connection, takes the schema lock (``BEGIN IMMEDIATE`` on SQLite,
an advisory lock on PostgreSQL) and passes the connection in ``config.attributes``; the
migrations then run inside that one transaction, so a failed upgrade leaves the database as it
was and two processes never migrate the same database at once. There is no offline (SQL script)
mode: the store is always migrated through ``sim db upgrade``.

SQLite enforces foreign keys on the store's connections; a future revision that rebuilds the
``runs`` table (Alembic's batch mode) must copy its child rows first or switch enforcement off,
or ``ON DELETE CASCADE`` empties the history tables.
"""

from alembic import context

from runs.schema import Base

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=Base.metadata,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
