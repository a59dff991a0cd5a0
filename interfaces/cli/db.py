"""``sim db ...``: look after the run database itself (schema migrations, damage checks)."""

import sys

import click

from interfaces import api
from interfaces.cli.common import SimGroup, db_option


@click.group("db", cls=SimGroup)
def db_group() -> None:
    """Look after the run database itself.

    \b
    Examples:
      sim db check --db runs.db
      sim db upgrade --db runs.db
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace


@db_group.command("upgrade")
@db_option
def db_upgrade(db: str | None) -> None:
    """Migrate the run database to this package's schema version.

    Needed after installing a newer token-market-sim, when opening the database says its
    schema is older. Runs and their histories are kept; the migration runs in one transaction
    and changes nothing if it fails. Back up the database first all the same.

    \b
    Example:
      sim db upgrade --db runs.db     # after backing runs.db up
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    upgrade = api.upgrade_store(db)
    if upgrade.from_version is None:
        click.echo(f"{upgrade.db} is already at schema version {upgrade.to_version}.")
    else:
        click.echo(
            f"Upgraded {upgrade.db} from schema version {upgrade.from_version} "
            f"to {upgrade.to_version}."
        )


@db_group.command("check")
@db_option
def db_check(db: str | None) -> None:
    """Report every problem of a run database changed outside sim, one line each.

    Looks at the schema version, the tables and their columns, and every row's values (a
    required value missing, text where a number, time or JSON belongs). Changes nothing; a
    read-only database is checked as it is. Exit status 0 when nothing is wrong, 1 when
    something is (the last line says what to do: restore a damaged database from a backup,
    upgrade one of an older schema, or token-market-sim for a newer one), 2 when there is no
    run database there or it cannot be read at all.

    \b
    Example:
      sim db check --db runs.db
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    check = api.check_store(db)
    if check.sound:
        click.echo(f"{check.db}: no problems found.")
        return
    for problem in check.problems:
        click.echo(problem)
    count = len(check.problems)
    click.echo(
        f"{check.db}: {count} problem{'s' if count > 1 else ''} found; {check.remedy}.",
        err=True,
    )
    sys.exit(1)
