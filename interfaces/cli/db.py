"""``sim db ...``: look after the run database itself (schema migrations)."""

import click

from interfaces.cli.common import SimGroup, db_option
from runs.schema import SCHEMA_VERSION
from runs.store import RunStore, StoreError


@click.group("db", cls=SimGroup)
def db_group() -> None:
    """Look after the run database itself."""


@db_group.command("upgrade")
@db_option
def db_upgrade(db: str | None) -> None:
    """Migrate the run database to this package's schema version.

    Needed after installing a newer token-market-sim, when opening the database says its
    schema is older. Runs and their histories are kept; the migration runs in one transaction
    and changes nothing if it fails. Back up the database first all the same.
    """
    store = RunStore(db, create=False, upgrade=True)
    if not store.exists:
        raise StoreError(
            f"no run store in {store.masked_url}: nothing to upgrade (`sim run` creates one)"
        )
    if store.upgraded_from is None:
        click.echo(f"{store.masked_url} is already at schema version {SCHEMA_VERSION}.")
    else:
        click.echo(
            f"Upgraded {store.masked_url} from schema version {store.upgraded_from} "
            f"to {SCHEMA_VERSION}."
        )
