"""The run store's database: which one a call uses, how it is opened, and whole-store chores.

Every call takes ``db`` the same way (a SQLAlchemy URL or SQLite file, else ``$SIM_DB``, else
``runs.db``) and reads from a store only if one is there, so that a typo in ``db`` is an error
and not an empty store: :func:`existing_store` does that once for every call that reads. The
chores on the database as a whole (upgrading its schema, checking it for damage) and the
helpers about where it is (for notebooks) and how to quote it (masked) are here too, as they
need nothing but the database.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from runs.schema import SCHEMA_VERSION
from runs.store import DEFAULT_DB, RunStore, StoreError, is_conninfo, mask_secrets, url_secrets
from runs.store import ENV_VAR as DB_ENV_VAR

__all__ = [  # what interfaces.api offers from here
    "DB_ENV_VAR",
    "StoreCheck",
    "StoreError",
    "StoreUpgrade",
    "check_store",
    "db_where_started",
    "mask_credentials",
    "upgrade_store",
]


def existing_store(db: str | None = None) -> RunStore:
    """The run store at ``db`` to read from, which must be there.

    Opening only reads: nothing is created.

    Raises:
        StoreError: the database cannot be opened, its schema is not this package's, or it
            holds no run store.
    """
    store = RunStore(db, create=False)
    if not store.exists:
        raise StoreError(
            f"no run store in {store.masked_url}: nothing was ever stored there (check --db "
            f"and ${DB_ENV_VAR}; `sim run` creates one)"
        )
    return store


def db_where_started(start: str | Path | None = None) -> str:
    """The run store ``sim`` would use if typed where the user started: for notebooks.

    ``$SIM_DB``, else ``runs.db``, a relative file taken from ``start``: by default the folder
    the user started Jupyter from (``$PWD``, which the kernel inherits from that shell, while
    the kernel itself runs in the notebook's folder), else the working folder. A database URL
    (``postgresql://...``, or libpq's ``host=... dbname=...``) is returned as it is; a file
    as an absolute path.
    """
    target = os.environ.get(DB_ENV_VAR) or DEFAULT_DB
    if "://" in target or is_conninfo(target):
        return target
    folder = Path(start or os.environ.get("PWD") or Path.cwd())
    return str((folder / Path(target).expanduser()).resolve())


def mask_credentials(text: str, urls: Iterable[str] = ()) -> str:
    """``text`` with every database credential in it shown as ``***``.

    That is the password of any ``scheme://user:password@`` and the value of any
    ``password=`` (or other secret) query parameter in it, and each credential of ``urls``
    wherever it occurs (a driver may quote a password on its own).
    """
    return mask_secrets(text, [secret for url in urls for secret in url_secrets(url)])


@dataclass(frozen=True)
class StoreUpgrade:
    """A store brought to this package's schema: from which version (None: it already was)."""

    db: str
    from_version: int | None
    to_version: int


def upgrade_store(db: str | None = None) -> StoreUpgrade:
    """Migrate a run store to this package's schema version, keeping every run.

    Raises:
        StoreError: there is no store, or the migration failed (then nothing changed).
    """
    store = RunStore(db, create=False, upgrade=True)
    if not store.exists:
        raise StoreError(
            f"no run store in {store.masked_url}: nothing to upgrade (`sim run` creates one)"
        )
    return StoreUpgrade(store.masked_url, store.upgraded_from, SCHEMA_VERSION)


@dataclass(frozen=True)
class StoreCheck:
    """What :func:`check_store` found: the store, and each problem as one line.

    Attributes:
        db: the store's URL, credentials masked.
        problems: one line per problem (``where: what is wrong``), in table order; empty when
            the store is sound.
        remedy: what to do about them: restore the store from a backup if it was damaged,
            upgrade it or the package if its schema is another version's; empty if sound.
    """

    db: str
    problems: tuple[str, ...]
    remedy: str = ""

    @property
    def sound(self) -> bool:
        """Whether nothing is wrong with the store."""
        return not self.problems


def check_store(db: str | None = None) -> StoreCheck:
    """Look for every problem of a run store changed outside this package, changing nothing.

    Finds a schema version that is not this package's, missing tables and columns, columns
    of another type, and rows whose values cannot be read (a required value missing, text
    where a number, time or JSON belongs, JSON of the wrong shape).

    Raises:
        StoreError: there is no store there, or the database cannot be read at all.
    """
    from runs.check import check_store as find_problems

    store = RunStore(db, create=False, as_found=True)
    if not store.exists:
        raise StoreError(f"no run store in {store.masked_url}: nothing to check")
    problems = find_problems(store)
    remedies = dict.fromkeys(problem.remedy for problem in problems)
    return StoreCheck(store.masked_url, tuple(map(str, problems)), "; ".join(remedies))
