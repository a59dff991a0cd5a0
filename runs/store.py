"""Opening a run store, and a run's life in it: started, stepped, finished (or not).

Any SQLAlchemy URL works; a bare path means a SQLite file and ``postgresql://`` (or libpq's
``host=... dbname=...`` keyword/value string) means PostgreSQL through psycopg 3; an in-memory
SQLite database is refused, as nothing stored in it would outlive the command. A SQLite file
this process may not write (a read-only mount, another user's file) is opened read-only:
reading works, and a write is refused in one line. SQLite is opened in WAL mode with a busy
timeout so readers never block the writer and several writers wait their turn; its write
transactions start with ``BEGIN IMMEDIATE`` so that they queue for the lock instead of failing
half-way. Each step's rows are written in one transaction (``sim run``), so a run that dies
keeps every step it finished; a run simulated elsewhere (a sweep's) is stored whole in one
transaction.

Opening a store checks its schema version (:mod:`runs.migrate`): a fresh database gets the
schema, an older one is refused with the command that migrates it, a newer one is refused
without a single write. Creating and migrating happen under a lock (``BEGIN IMMEDIATE`` on
SQLite, an advisory lock on PostgreSQL), so many processes opening one fresh database at the
same moment create its schema exactly once.
"""

import os
import re
import socket
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from numbers import Integral
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    Table,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from runs.developer_history import DeveloperRows, write_developer_rows
from runs.history_rows import HistoryRows
from runs.migrate import UnknownSchema, create_schema, schema_version, upgrade_schema
from runs.schema import (
    SCHEMA_VERSION,
    Calibration,
    MarketStep,
    PolicyEventRow,
    ProductStep,
    ProviderStep,
    Run,
    SegmentStep,
    Sweep,
)
from vocabulary.errors import InputError, excerpt
from vocabulary.text import check_name, printable

DEFAULT_DB = "runs.db"
ENV_VAR = "SIM_DB"
POSTGRES_DRIVER = "postgresql+psycopg"
SCHEMA_LOCK_KEY = 0x746B6D73_73746F72
"""The PostgreSQL advisory lock held while a store's schema is checked, created or migrated."""
WRITER = "sim_writer"
"""Execution option marking a connection that writes: on SQLite it begins ``IMMEDIATE``."""


class StoreError(InputError):
    """The store cannot be opened or used as asked (one line, exit status 2)."""


UNREADABLE = (SQLAlchemyError, ValueError, TypeError, KeyError, AttributeError)
"""What reading a damaged row raises: a driver error, bad JSON, text where a number belongs."""


def resolve_url(db: str | os.PathLike[str] | None) -> str:
    """The URL to use: ``db``, else ``$SIM_DB``, else ``runs.db``.

    A bare path means a SQLite file; ``postgresql://`` and ``postgres://`` (libpq's own forms)
    mean PostgreSQL through psycopg 3, the driver this package installs, and so does a libpq
    keyword/value string (``host=... user=... password=... dbname=...``), which would
    otherwise become a file named after it, password and all.

    Raises:
        StoreError: ``db`` is not text or a path, or is a malformed keyword/value string.
    """
    if db is not None and not isinstance(db, str | os.PathLike):
        raise StoreError(
            f"db={excerpt(db)}: expected a database URL or a SQLite file path "
            f"(a str or a path), not {type(db).__name__}"
        )
    target = os.fspath(db or os.environ.get(ENV_VAR) or DEFAULT_DB)
    if is_conninfo(target):
        return conninfo_url(target)
    scheme, sep, rest = target.partition("://")
    if not sep:
        return f"sqlite:///{Path(target).expanduser()}"
    if scheme in ("postgresql", "postgres"):
        return f"{POSTGRES_DRIVER}://{rest}"
    return target


LIBPQ_KEYWORDS = frozenset(
    "host hostaddr port dbname user password passfile require_auth channel_binding "
    "connect_timeout client_encoding options application_name fallback_application_name "
    "keepalives keepalives_idle keepalives_interval keepalives_count tcp_user_timeout "
    "replication gssencmode sslmode sslnegotiation requiressl sslcompression sslcert sslkey "
    "sslpassword sslcertmode sslrootcert sslcrl sslcrldir sslsni requirepeer "
    "ssl_min_protocol_version ssl_max_protocol_version krbsrvname gsslib gssdelegation service "
    "target_session_attrs load_balance_hosts".split()
)
"""The keywords of a libpq connection string (PostgreSQL's "Parameter Key Words")."""
_CONNINFO_START = re.compile(r"\s*([a-z_]+)\s*=")
_CONNINFO_PAIR = re.compile(r"\s*(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|((?:[^\s'\\]|\\.)+))(?=\s|$)")
"""``keyword = value``, the value single-quoted (``\\'`` and ``\\\\`` escaped) or a run of
non-blank characters, as libpq reads them."""


def is_conninfo(target: str) -> bool:
    """Whether ``target`` is meant as a libpq keyword/value string, not a file name.

    It is if it starts with a libpq keyword and ``=`` (``host=``, ``dbname=``...), as no
    sensible SQLite file name does.
    """
    start = _CONNINFO_START.match(target)
    return start is not None and start.group(1) in LIBPQ_KEYWORDS


def conninfo_pairs(target: str) -> dict[str, str]:
    """The keywords and values of a libpq keyword/value string.

    Raises:
        StoreError: a part that is not ``keyword=value``, or a keyword libpq does not have
            (the message never quotes a value: it may be the password).
    """
    pairs: dict[str, str] = {}
    position = 0
    while target[position:].strip():
        pair = _CONNINFO_PAIR.match(target, position)
        if pair is None:
            raise StoreError(
                f"--db: a libpq connection string, but malformed after "
                f"{' '.join(f'{key}=' for key in pairs) or 'its start'}: expected "
                "keyword=value pairs separated by spaces (quote a value with spaces: "
                "password='a b'), or a postgresql:// URL"
            )
        keyword, quoted, plain = pair.groups()
        if keyword not in LIBPQ_KEYWORDS:
            raise StoreError(
                f"--db: a libpq connection string, but {excerpt(keyword)} is not a libpq "
                "keyword (host, port, user, password, dbname, sslmode, ...)"
            )
        pairs[keyword] = re.sub(r"\\(.)", r"\1", quoted if quoted is not None else plain)
        position = pair.end()
    return pairs


def conninfo_url(target: str) -> str:
    """The ``postgresql+psycopg://`` URL of a libpq keyword/value string.

    The user, password and database go where a URL has them, and so do one host and a
    numeric port; anything else (a socket folder, several hosts, ``sslmode``, a password
    without a user) goes in the query, which psycopg hands to libpq as it is.

    Raises:
        StoreError: as :func:`conninfo_pairs`.
    """
    query = conninfo_pairs(target)
    user, dbname = query.pop("user", None), query.pop("dbname", None)
    password = query.pop("password", None) if user else None  # a URL has none without a user
    host, port = query.get("host", ""), query.get("port", "")
    one_host = bool(host) and not any(mark in host for mark in "/,")
    in_url = one_host and (port.isdecimal() or not port)
    if in_url:
        query.pop("host")
        query.pop("port", None)
    url = URL.create(
        POSTGRES_DRIVER,
        username=user,
        password=password,
        host=host if in_url else None,
        port=int(port) if in_url and port else None,
        database=dbname,
        query=query,
    )
    return url.render_as_string(hide_password=False)


SECRET_WORDS = ("pass", "pwd", "secret", "token", "key", "auth", "cred")
"""A URL query parameter whose name holds one of these carries a secret (``password=``)."""
MAX_ID = 2**63 - 1
"""The largest id a run or sweep can have: the largest integer both backends store."""
_SECRET_PARAM = re.compile(
    rf"((?:^|[\s'\"(\[,])\w*(?:{'|'.join(SECRET_WORDS)})\w*\s*=\s*"
    rf"|(?i:[?&;]\w*(?:{'|'.join(SECRET_WORDS)})\w*=))"
    r"('(?:[^'\\]|\\.)*'?|[^&;\s]*?)([.,:;)\]}'\"]*)(?=[&;\s]|$)"
)
"""A secret query parameter (any case) or a libpq ``keyword=value`` (lower case, as libpq
writes them): not the upper-case ``KEY=VALUE`` of a usage message. The value is quoted
(libpq's ``password='a b'``) or runs to the next blank or separator; punctuation at its end
is taken for the sentence's (``password=***: connection refused``) and kept."""
_USER_INFO = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def _is_secret(parameter: str) -> bool:
    return any(word in parameter.lower() for word in SECRET_WORDS)


def mask_secrets(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` with every credential in it replaced by ``***``.

    That is the password of any ``scheme://user:password@`` in it, the value of any
    ``password=`` (or other secret) query parameter, and each of ``secrets`` wherever it occurs
    (a driver may quote a password on its own).
    """
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return _SECRET_PARAM.sub(r"\1***\3", _USER_INFO.sub(r"\1***@", text))


def url_secrets(url: str) -> list[str]:
    """The credentials a URL carries (password, secret query values), as given and decoded.

    A libpq keyword/value string counts as the URL it stands for.
    """
    try:
        parsed = make_url(conninfo_url(url) if is_conninfo(url) else url)
    except (ArgumentError, ValueError, StoreError):
        return []
    values = [parsed.password or ""]
    for key, value in parsed.query.items():
        if _is_secret(key):
            values += [value] if isinstance(value, str) else list(value)
    return [
        form
        for value in values
        if value
        for form in {value, quote(value, safe=""), quote(value, safe=" +"), quote_plus(value)}
    ]


def mask_url(url: str) -> str:
    """The URL with its password and secret query parameters as ``***``, for any output."""
    try:
        parsed = make_url(url)
        hidden = {key: "***" for key in parsed.query if _is_secret(key)}
        shown = parsed.update_query_dict(hidden).render_as_string(hide_password=True)
        return shown.replace("%2A%2A%2A", "***")
    except (ArgumentError, ValueError):
        return mask_secrets(url)


def check_id(value: int, what: str = "run") -> int:
    """``value`` if it can be a stored id (1 to :data:`MAX_ID`); else a one-line error.

    Text, a float or a bool is refused too (``load_run("1")``): an id is an integer.
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or not 1 <= value <= MAX_ID:
        raise StoreError(
            f"{what} id {excerpt(value)}: {what} ids are whole numbers from 1 to {MAX_ID}"
        )
    return int(value)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the sqlite3 module, starts transactions (see _sqlite_begin): sqlite3's
    # own handling would commit DDL at once and start writes as DEFERRED.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    try:
        cursor.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError as error:
        # Switching a file that is not in WAL mode yet needs it to itself, and SQLite refuses
        # at once (no busy wait) while another process is writing. Carry on in the file's
        # current mode: WAL is a property of the file, so the first connection that gets it
        # switches it for everyone.
        if "locked" not in str(error):
            raise
    cursor.execute("PRAGMA foreign_keys = ON")
    # In WAL mode NORMAL still never corrupts the database; a power cut may lose the last
    # commits, which a run's status then shows. It spares an fsync per step.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_connect_read_only(dbapi_connection: Any, _record: Any) -> None:
    # A read-only file: nothing to switch (WAL, synchronous) and no write lock to wait for.
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA busy_timeout = 30000")


def _why_not_writable(path: Path) -> str | None:
    """Why this process cannot write SQLite file ``path`` (and its journal); None if it can.

    Root passes these checks for file modes but not on a read-only mount.
    """
    if hasattr(os, "statvfs") and os.statvfs(path).f_flag & os.ST_RDONLY:
        return "its file system is mounted read-only"
    if not os.access(path.parent, os.W_OK):
        return f"folder {path.parent} is not writable"
    if not os.access(path, os.W_OK):
        return f"file {path} is not writable"
    return None


def _sqlite_begin(connection: Connection) -> None:
    # A writer takes SQLite's write lock when it begins, waiting up to the busy timeout, rather
    # than when it first writes, where a reader upgrading to a writer can fail at once.
    immediate = connection.get_execution_options().get(WRITER, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _lock_schema(connection: Connection) -> None:
    """Wait until no other process is creating or migrating this database's schema.

    On SQLite the transaction's ``BEGIN IMMEDIATE`` is that lock already; on PostgreSQL it is
    a transaction-scoped advisory lock, released at commit or rollback.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def utc_now() -> datetime:
    """The time now in UTC, without a zone: how the store keeps times on every backend."""
    return datetime.now(UTC).replace(tzinfo=None)


def _process_alive(pid: int) -> bool:
    """Whether process ``pid`` on this host still exists (a killed run's or sweep's does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def effective_status(row: Run | Sweep | Calibration) -> str:
    """A run's or sweep's stored status, except for one killed outright.

    A ``running`` row whose process on this host is gone was killed: it is reported as
    ``interrupted``.
    """
    if (
        row.status == "running"
        and row.host == socket.gethostname()
        and row.pid
        and not _process_alive(row.pid)
    ):
        return "interrupted"
    return row.status


def claim(row: Sweep | Calibration, what: str) -> None:
    """Mark a sweep or calibration as run by this process, unless a live process runs it.

    Raises:
        StoreError: another process on this host is running it now.
    """
    if (
        row.pid != os.getpid()
        and row.host == socket.gethostname()
        and effective_status(row) == "running"
    ):
        raise StoreError(
            f"{what} {row.id} ({row.name!r}) is being run by process "
            f"{row.pid} on this host: wait for it, or stop it first"
        )
    row.status, row.finished_at = "running", None
    row.host, row.pid = socket.gethostname(), os.getpid()


@dataclass(frozen=True)
class RunDescription:
    """What a run is, as its own row in ``runs`` keeps it: everything but its history and end.

    Attributes:
        name: the run's name (one line of printable text).
        seed: the seed it is simulated with.
        steps: the steps its scenario plans.
        scenario: the scenario (JSON).
        policies: its policies and their parameters.
        versions: the software versions that simulate it.
        tags: labels for grouping runs.
    """

    name: str
    seed: int
    steps: int
    scenario: dict[str, Any]
    policies: list[dict[str, Any]]
    versions: dict[str, str]
    tags: Sequence[str] = ()

    def new_row(self) -> dict[str, Any]:
        """The run's own row, ``running`` in this process.

        Raises:
            InputError: the name or a tag is not one line of printable text of at most
                :data:`~vocabulary.text.NAME_LENGTH` characters.
        """
        check_name(self.name, "run name")
        for tag in self.tags:
            check_name(tag, "tag")
        return {
            "name": self.name,
            "status": "running",
            "created_at": utc_now(),
            "seed": str(self.seed),
            "steps_planned": self.steps,
            "steps_done": 0,
            "scenario": self.scenario,
            "policies": self.policies,
            "versions": self.versions,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "tags": list(self.tags),
        }


def _insert_run(connection: Connection, row: dict[str, Any]) -> int:
    """Insert a run's own row; its id."""
    return connection.execute(insert(Run), row).inserted_primary_key[0]


_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
"""The positional placeholder of each DB-API parameter style that has one."""
MAX_PARAMETERS = 999
"""The most parameters one insert binds: the lowest limit of any SQLite (before 3.32), far
under PostgreSQL's 65,535."""


@dataclass(frozen=True)
class _InsertSql:
    """``INSERT INTO table (run_id, columns...) VALUES`` and one row's values after the run id.

    In the driver's own parameter style. The run id (an integer from the store itself) is
    written into the text, so that the rows are passed as they come, without a copy of each to
    prepend it; several rows go in one statement (:meth:`statement`), which SQLite runs a third
    faster than one statement per row.
    """

    head: str
    row_tail: str
    width: int
    """Parameters per row."""

    @property
    def rows_per_statement(self) -> int:
        """As many rows as :data:`MAX_PARAMETERS` allows."""
        return max(1, MAX_PARAMETERS // self.width)

    def statement(self, run_id: int, rows: int) -> str:
        """The insert of ``rows`` rows of run ``run_id``."""
        return self.head + ", ".join([f"({int(run_id)}{self.row_tail}"] * rows)


def _insert_sql(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> _InsertSql | None:
    """The insert of ``columns`` of ``table`` after ``run_id`` (see :class:`_InsertSql`).

    None if the driver takes no positional parameters (then Core builds the statement).

    Raises:
        ValueError: ``table`` lacks some of ``columns``.
    """
    unknown = set(columns) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{table.name} has no columns {', '.join(sorted(unknown))}")
    placeholder = _PLACEHOLDERS.get(dialect.paramstyle)
    if placeholder is None:
        return None
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in ("run_id", *columns))
    values = "".join(f", {placeholder}" for _ in columns)
    return _InsertSql(
        f"INSERT INTO {quote(table.name)} ({names}) VALUES ", f"{values})", len(columns)
    )


class RunStore:
    """A database of runs.

    Args:
        url: a SQLAlchemy URL or a SQLite file path (see :func:`resolve_url`).
        create: create the file and tables if missing; readers pass False so that looking
            at a store never creates one.
        upgrade: migrate an older schema to this package's version instead of refusing it
            (``sim db upgrade``); :attr:`upgraded_from` then says from which version.
        as_found: open the database as it is, its schema version unchecked, creating nothing
            (``sim db check``, which reports what is wrong with it).

    Raises:
        StoreError: the database cannot be opened or created, or its schema is older (and
            ``upgrade`` is False), newer or not a run store's.
    """

    def __init__(
        self, url: str | None, create: bool = True, upgrade: bool = False, as_found: bool = False
    ) -> None:
        self.url = resolve_url(url)
        self.masked_url = mask_url(self.url)
        self.exists = True
        self.upgraded_from: int | None = None
        self._new_file: Path | None = None
        self._insert_statements: dict[tuple[str, tuple[str, ...]], _InsertSql | None] = {}
        """Insert statements by table and column order, built on first use."""
        try:
            parsed = make_url(self.url)
        except (ArgumentError, ValueError):
            raise StoreError(
                f"--db {self.masked_url!r}: not a database URL or file path; "
                "expected DIALECT://USER:PASSWORD@HOST:PORT/DATABASE (the port a "
                "number) or a file path"
            ) from None
        self._secrets = url_secrets(self.url)
        self.read_only: str | None = None
        """Why this process may not write the store (a SQLite file or folder it may not write,
        a read-only mount), which is then opened read-only; None when it may."""
        sqlite = parsed.get_backend_name() == "sqlite"
        opened = self._sqlite_file(parsed, create, as_found) if sqlite else parsed
        try:
            self.engine: Engine = create_engine(opened)
        except (ArgumentError, ImportError, SQLAlchemyError) as error:
            raise StoreError(
                f"cannot open database {self.masked_url}: {self.reason(error)}"
            ) from None
        if self.engine.dialect.name == "sqlite":
            connect = _sqlite_connect_read_only if self.read_only else _sqlite_connect
            event.listen(self.engine, "connect", connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        self.writer = self.engine.execution_options(**{WRITER: True})
        """The engine for transactions that write: on SQLite they queue for the write lock."""
        if self.read_only:
            event.listen(self.writer, "begin", self._refuse_writing)
        if self.exists and not as_found:
            self._prepare(create, upgrade)

    def _sqlite_file(self, parsed: URL, create: bool, as_found: bool) -> URL:
        """The URL to open a SQLite store's file with: read-only if this process cannot write it.

        A file this process may not write, or in a folder it may not write (where SQLite
        keeps its journal), is opened read-only, so that the commands that only read still
        work; when no other process is writing it (no write-ahead log beside it), as
        immutable, since a read-only connection to a database in WAL mode would need to
        create SQLite's shared-memory file in that folder.

        Raises:
            StoreError: an in-memory database (nothing in it would outlive the command), a
                path that is no regular file, or a new file in a folder that does not exist.
        """
        if parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory":
            raise StoreError(
                "--db: an in-memory SQLite database (:memory:) is gone when the command ends, "
                "so nothing would be stored there or found; give a file (e.g. runs.db) or a "
                "server's URL"
            )
        path = Path(parsed.database)
        if path.is_symlink() and not path.exists():
            raise StoreError(
                f"--db {path}: a symbolic link that leads to no file (it dangles or loops)"
            )
        if path.exists() and not path.is_file():
            raise StoreError(f"--db {path}: not a regular file (a SQLite database is one)")
        if not path.exists():
            if not create or as_found:
                self.exists = False
            elif not path.parent.is_dir():
                raise StoreError(
                    f"cannot create database {path}: folder {path.parent} does not exist"
                )
            else:
                self._new_file = path
            return parsed
        self.read_only = _why_not_writable(path)
        if self.read_only is None:
            return parsed
        mode = {"mode": "ro"} if Path(f"{path}-wal").exists() else {"immutable": "1"}
        return URL.create(
            parsed.drivername,
            database=f"file:{quote(str(path.absolute()))}",
            query={**parsed.query, **mode, "uri": "true"},
        )

    def _refuse_writing(self, _connection: Connection) -> None:
        """Stop a write to a store opened read-only before it starts, in one line."""
        raise StoreError(
            f"database {self.masked_url} is read-only here ({self.read_only}): commands "
            "that only read it work, this one writes to it"
        )

    def reason(self, error: BaseException) -> str:
        """The first line of a driver's error, with the URL's credentials blotted out."""
        return mask_secrets(_first_line(error), self._secrets)

    def _prepare(self, create: bool, upgrade: bool) -> None:
        """Check the schema version; create it in a fresh database, or migrate an older one.

        One clean error if anything is wrong, and then nothing has been written.
        """
        locked = create or upgrade
        try:
            with (self.writer if locked else self.engine).begin() as connection:
                if locked:
                    _lock_schema(connection)
                version = schema_version(connection)
                if version is None:
                    if create:
                        create_schema(connection)
                    else:
                        self.exists = False
                elif version < SCHEMA_VERSION:
                    if not upgrade:
                        raise StoreError(
                            f"database {self.masked_url} has schema version {version}, older than "
                            f"this package's {SCHEMA_VERSION}: run `sim db upgrade --db "
                            f"{self.masked_url}` to migrate it (back it up first)"
                        )
                    upgrade_schema(connection)
                    self.upgraded_from = version
                elif version > SCHEMA_VERSION:
                    raise StoreError(
                        f"database {self.masked_url} has schema version {version}, newer than this "
                        f"package's {SCHEMA_VERSION}: upgrade token-market-sim to use it"
                    )
        except UnknownSchema as unknown:
            if unknown.revision is None:
                raise StoreError(
                    f"database {self.masked_url} has a 'runs' table without a schema version: "
                    "it is not a token-market-sim run store; nothing was written"
                ) from None
            raise StoreError(
                f"database {self.masked_url} is at schema revision {unknown.revision!r}, which "
                f"this package (schema versions 1 to {SCHEMA_VERSION}) does not know: upgrade "
                "token-market-sim to use it; nothing was written"
            ) from None
        except DBAPIError as error:
            raise StoreError(self._cannot_open(error)) from None

    def _cannot_open(self, error: DBAPIError) -> str:
        """The one-line message for a database that could not be opened or created."""
        new = self._new_file
        if new is not None and not new.exists():
            # Asking the file system beforehand is not enough: root passes os.access checks
            # that the kernel still refuses (read-only mounts, dropped capabilities).
            if not os.access(new.parent, os.W_OK):
                return f"cannot create database {new}: folder {new.parent} is not writable"
            return f"cannot create database {new}: {self.reason(error)}"
        return f"cannot open database {self.masked_url}: {self.reason(error)}"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A writing session that commits on success and rolls back on any error."""
        with Session(self.writer) as session, session.begin():
            yield session

    # ---- a run's life ---------------------------------------------------------------------------

    def start_run(self, run: RunDescription) -> int:
        """Register a new run as ``running`` and return its id.

        Raises:
            InputError: the name or a tag is not one line of printable text of at most
                :data:`~vocabulary.text.NAME_LENGTH` characters (nothing is written).
        """
        row = run.new_row()
        with self.writer.begin() as connection:
            return _insert_run(connection, row)

    def write_rows(
        self, run_id: int, rows: HistoryRows, developers: DeveloperRows | None = None
    ) -> None:
        """Store some steps' rows (and any developer rows) and count them done, in one transaction.

        ``sim run`` writes each step this way as soon as it is simulated, so a run that dies
        keeps every step it finished.
        """
        with self.writer.begin() as connection:
            if developers is not None:
                write_developer_rows(connection, run_id, rows.steps - 1, *developers)
            self._insert_history(connection, run_id, rows)
            connection.execute(update(Run).where(Run.id == run_id).values(steps_done=rows.steps))

    def store_run(
        self,
        run: RunDescription,
        *,
        history: HistoryRows,
        status: str,
        digest: str | None = None,
        error: str | None = None,
        within: Callable[[Connection, int], None] | None = None,
    ) -> int:
        """Store a whole run simulated elsewhere in ONE transaction and return its id.

        The run, its rows and its end (``status`` with ``digest`` or ``error``) commit together,
        so a writer killed or failing half-way leaves no trace of the run, never a part of it.

        Args:
            run: what the run is.
            history: every step's rows.
            status: ``finished`` or ``failed``.
            digest: the history's digest, for a finished run.
            error: why a failed run stopped.
            within: called with the transaction's connection and the run's id once the run is
                registered, to write more rows that must commit with it (a sweep's link).

        Raises:
            InputError: as :meth:`start_run` (nothing is written).
        """
        ended = {
            "steps_done": history.steps,
            "status": status,
            "finished_at": utc_now(),
            "digest": digest,
            "error": error,
        }
        with self.writer.begin() as connection:  # no one sees the run before it has ended
            run_id = _insert_run(connection, {**run.new_row(), **ended})
            if within:
                within(connection, run_id)
            self._insert_history(connection, run_id, history)
        return run_id

    def _insert_history(self, connection: Connection, run_id: int, history: HistoryRows) -> None:
        """Insert the history's rows of run ``run_id``, in order, many rows per statement.

        Each statement is built once per table and column order and the rows are passed as
        they are: no per-row dictionaries or SQLAlchemy parameter processing (the history
        columns hold plain numbers and text).
        """
        for table, rows in (
            (MarketStep.__table__, history.market),
            (ProviderStep.__table__, history.providers),
            (SegmentStep.__table__, history.segments),
            (ProductStep.__table__, history.products),
            (PolicyEventRow.__table__, history.events),
        ):
            if not rows.rows:
                continue
            key = (table.name, rows.columns)
            if key not in self._insert_statements:
                self._insert_statements[key] = _insert_sql(self.engine.dialect, table, rows.columns)
            insert_sql = self._insert_statements[key]
            if insert_sql is None:
                names = ("run_id", *rows.columns)
                connection.execute(
                    table.insert(),
                    [dict(zip(names, (run_id, *row), strict=True)) for row in rows.rows],
                )
                continue
            per = insert_sql.rows_per_statement
            whole = len(rows.rows) - len(rows.rows) % per  # rows in full statements
            if whole:
                values = tuple(chain.from_iterable(rows.rows[:whole]))
                size = per * insert_sql.width
                connection.exec_driver_sql(
                    insert_sql.statement(run_id, per),
                    [values[i : i + size] for i in range(0, whole * insert_sql.width, size)],
                )
            if whole < len(rows.rows):
                connection.exec_driver_sql(insert_sql.statement(run_id, 1), rows.rows[whole:])

    def finish_run(
        self, run_id: int, status: str, digest: str | None = None, error: str | None = None
    ) -> None:
        """Mark a run finished, failed or interrupted."""
        with self.writer.begin() as connection:
            connection.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(status=status, finished_at=utc_now(), digest=digest, error=error)
            )

    # ---- looking at runs -------------------------------------------------------------------------

    @contextmanager
    def reading(self, what: str) -> Iterator[Session]:
        """A session for reading ``what``; a damaged database becomes one line naming it.

        A table or column dropped, or a value of the wrong type written into one outside
        ``sim``, raise driver errors deep inside a query; the user gets one line instead.
        """
        try:
            with Session(self.engine) as session:
                yield session
        except InputError:
            raise
        except UNREADABLE as error:
            raise StoreError(
                f"database {self.masked_url} cannot be read ({what}): "
                f"{self.reason(error)}; was it changed outside sim? Restore it "
                "from a backup"
            ) from None

    def run_record(self, run_id: int) -> dict[str, Any]:
        """One run's own row, as stored (times as ``datetime``); an error if there is none.

        What :mod:`runs.load`, the one way runs are read, builds its objects from.

        Raises:
            StoreError: if the store has no such run (the message gives the ids it has).
        """
        check_id(run_id)
        if not self.exists:
            raise StoreError(f"no run {run_id}: database {self.masked_url} has no runs yet")
        with self.reading(f"run {run_id}") as session:
            run = session.get(Run, run_id)
            if run is None:
                last = session.scalar(select(func.max(Run.id)))
                hint = f"run ids go from 1 to {last}" if last else "the database has no runs"
                raise StoreError(f"no run {run_id} in {self.masked_url} ({hint})")
            return {
                "id": run.id,
                "name": printable(run.name),
                "status": effective_status(run),
                "created_at": run.created_at,
                "finished_at": run.finished_at,
                "seed": int(run.seed),
                "steps_done": run.steps_done,
                "steps_planned": run.steps_planned,
                "policies": run.policies,
                "digest": run.digest,
                "tags": [printable(tag) for tag in run.tags],
                "scenario": run.scenario,
                "versions": run.versions,
                "error": run.error,
            }
