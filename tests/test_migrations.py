"""Schema versions: an older store is migrated with its runs intact, a newer one is never touched.

Researchers keep months of runs in one database across package versions. These tests build a
store at the first schema version exactly as that version wrote it (Alembic's first revision,
rows inserted with plain SQL), check that the current package refuses it with the command that
migrates it, migrate it with ``sim db upgrade``, and check that the run survived row for row.
On both backends.
"""

import json

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from backends import Backend
from click.testing import Result
from old_stores import VERSION_1_ROWS, migrate
from sim_cli import sim
from sqlalchemy import Connection, create_engine, inspect, text

from runs.migrate import MIGRATIONS, alembic_config, revision_of
from runs.schema import SCHEMA_VERSION, Base
from runs.store import resolve_url

SMALL = ("--developers", "500", "--steps", "3")
HISTORY = ("market_steps", "provider_steps", "segment_steps", "policy_events")


def one_line_error(result: Result) -> str:
    """The single 'Error:' line of a refused command (exit status 2, nothing on stdout)."""
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("made_by", ["first-revision", "before-migrations"])
def test_store_at_first_schema_version_is_migrated_and_its_run_survives(
    backend: Backend, made_by: str
) -> None:
    """A version-1 store is refused until `sim db upgrade`, which keeps every row.

    ``before-migrations`` is a store written before the package used Alembic: the same tables,
    ``store_meta`` saying version 1, but no ``alembic_version`` table.
    """
    migrate(backend, revision_of(1))
    statements = list(VERSION_1_ROWS)
    if made_by == "before-migrations":
        statements.append("DROP TABLE alembic_version")
    backend.execute(*statements)
    before = backend.snapshot()

    for refused in (
        sim("runs", "list", "--db", backend.url),
        sim("run", *SMALL, "--db", backend.url),
    ):
        line = one_line_error(refused)
        assert f"schema version 1, older than this package's {SCHEMA_VERSION}" in line
        assert "`sim db upgrade --db " in line
    assert backend.snapshot() == before

    upgraded = sim("db", "upgrade", "--db", backend.url)
    assert upgraded.exit_code == 0, upgraded.output
    assert f"from schema version 1 to {SCHEMA_VERSION}" in upgraded.stdout

    after = backend.snapshot()
    for table in HISTORY:
        if table not in ("segment_steps", "provider_steps", "market_steps"):
            assert after["rows"][table] == before["rows"][table], table
    # version 5 added segment_steps.spend_usd, version 10 hosted_cn_tokens: NULL for the runs
    # stored before; version 10 added the two by-author shares to market_steps
    (old_segment,), (new_segment,) = before["rows"]["segment_steps"], after["rows"]["segment_steps"]
    assert new_segment == (*old_segment, None, None)
    assert after["rows"]["market_steps"] == [
        (*row, None, None) for row in before["rows"]["market_steps"]
    ]
    # versions 8 and 9 added six purchase columns and the apps' tokens to provider_steps: NULL
    # for the runs stored before
    purchases = (None,) * 6
    assert after["rows"]["provider_steps"] == [
        (*row, *purchases, None) for row in before["rows"]["provider_steps"]
    ]
    (old_run,), (new_run,) = before["rows"]["runs"], after["rows"]["runs"]
    assert new_run[: len(old_run)] == old_run
    assert json.loads(new_run[-1]) == []
    assert backend.query("SELECT version_num FROM alembic_version") == [
        (revision_of(SCHEMA_VERSION),)
    ]
    assert backend.query("SELECT value FROM store_meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]
    assert backend.query("SELECT COUNT(*) FROM developer_steps") == [(0,)]

    shown = sim("runs", "show", "1", "--db", backend.url, "--json")
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.stdout)
    assert (record["name"], record["status"], record["seed"], record["tags"]) == (
        "old run",
        "finished",
        42,
        [],
    )
    assert (
        record["market_steps_rows"],
        record["provider_steps_rows"],
        record["segment_steps_rows"],
        record["product_steps_rows"],
        record["policy_events_rows"],
    ) == (2, 4, 1, 0, 1)
    assert record["events"] == [
        {"month": "2024-01", "policy": "export_ban", "status": "on: tier 1"}
    ]

    added = sim(
        "run", *SMALL, "--seed", "1", "--tag", "after-upgrade", "--db", backend.url, "--json"
    )
    assert added.exit_code == 0, added.output
    listed = json.loads(sim("runs", "list", "--db", backend.url, "--json").stdout)
    assert [(r["id"], r["tags"]) for r in listed] == [(2, ["after-upgrade"]), (1, [])]
    assert listed[1]["policies"] == ["export_ban"]  # stored without a label: by its name

    again = sim("db", "upgrade", "--db", backend.url)
    assert again.exit_code == 0 and f"already at schema version {SCHEMA_VERSION}" in again.stdout


@pytest.mark.parametrize(
    ("alteration", "fragment"),
    [
        pytest.param(
            f"UPDATE alembic_version SET version_num = '{SCHEMA_VERSION + 1:04d}'",
            f"schema version {SCHEMA_VERSION + 1}, newer than this package's {SCHEMA_VERSION}",
            id="newer-version",
        ),
        pytest.param(
            "UPDATE alembic_version SET version_num = 'f00dfeed'",
            "schema revision 'f00dfeed'",
            id="unknown-revision",
        ),
        pytest.param(
            "DROP TABLE alembic_version; DELETE FROM store_meta",
            "not a token-market-sim run store",
            id="foreign-runs-table",
        ),
    ],
)
def test_newer_or_foreign_schema_is_refused_and_never_written(
    backend: Backend, alteration: str, fragment: str
) -> None:
    """A database written by a newer package (or not by us at all) is refused by every command.

    Writing to it could corrupt what the newer version relies on, so not a single row may
    change, not even by `sim db upgrade`.
    """
    stored = sim("run", *SMALL, "--seed", "1", "--db", backend.url)
    assert stored.exit_code == 0, stored.output
    backend.execute(*alteration.split("; "))
    before = backend.snapshot()
    for args in (["run", *SMALL], ["runs", "list"], ["runs", "show", "1"], ["db", "upgrade"]):
        line = one_line_error(sim(*args, "--db", backend.url))
        assert fragment in line, line
        assert backend.snapshot() == before, args


def test_migrations_build_exactly_the_schema_the_package_uses(backend: Backend) -> None:
    """The revisions, run from an empty database, give the ORM's tables, columns and indexes.

    A change to ``runs/schema.py`` without its revision (or a revision that does something
    else) would make migrated stores differ from fresh ones; this catches it.
    """
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head == revision_of(SCHEMA_VERSION)
    migrate(backend, "head")
    engine = create_engine(resolve_url(backend.url))
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def _version_table(connection: Connection) -> tuple[list[tuple[str, str, bool]], dict]:
    """The columns (name, type, nullable) and primary key of ``alembic_version``."""
    schema = inspect(connection)
    columns = [
        (c["name"], str(c["type"]), c["nullable"]) for c in schema.get_columns("alembic_version")
    ]
    return columns, schema.get_pk_constraint("alembic_version")


def test_a_new_store_is_stamped_as_alembic_stamps_it(backend: Backend) -> None:
    """A fresh store's version table is the one Alembic's stamp would write.

    The store writes it itself (so `sim run` need not import Alembic); Alembic must read it as
    the newest revision, and a stamp by Alembic must give the same table, or the next `sim db
    upgrade` would misread the store.
    """
    assert sim("run", *SMALL, "--db", backend.url).exit_code == 0
    engine = create_engine(resolve_url(backend.url))
    try:
        with engine.begin() as connection:
            head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
            assert MigrationContext.configure(connection).get_current_revision() == head
            ours = _version_table(connection)
            connection.execute(text("DROP TABLE alembic_version"))
            command.stamp(alembic_config(connection), head)
            assert _version_table(connection) == ours
    finally:
        engine.dispose()
    upgraded = sim("db", "upgrade", "--db", backend.url)
    assert upgraded.exit_code == 0, upgraded.output
    assert backend.query("SELECT COUNT(*) FROM runs") == [(1,)]
