"""``sim db ...``: look after the run database itself (schema migrations)."""

import click

from interfaces import api
from interfaces.cli.common import SimGroup, db_option


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
    upgrade = api.upgrade_store(db)
    if upgrade.from_version is None:
        click.echo(f"{upgrade.db} is already at schema version {upgrade.to_version}.")
    else:
        click.echo(
            f"Upgraded {upgrade.db} from schema version {upgrade.from_version} "
            f"to {upgrade.to_version}."
        )
