"""Opening a run store, and a run's life in it: started, stepped, finished (or not).

Any SQLAlchemy URL works; a bare path means a SQLite file. SQLite is opened in WAL mode with a
busy timeout so readers never block the writer and several writers wait their turn. Each step's
rows are written in one transaction, so a run that dies keeps every step it finished.
"""

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, insert, inspect, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from runs.schema import (
    SCHEMA_VERSION,
    Base,
    MarketStep,
    PolicyEventRow,
    ProviderStep,
    Run,
    SegmentStep,
    StoreMeta,
)
from simulator.errors import InputError

DEFAULT_DB = "runs.db"
ENV_VAR = "SIM_DB"


class StoreError(InputError):
    """The store cannot be opened or used as asked (one line, exit status 2)."""


def resolve_url(db: str | None) -> str:
    """The URL to use: ``db``, else ``$SIM_DB``, else ``runs.db``; a bare path means SQLite."""
    target = db or os.environ.get(ENV_VAR) or DEFAULT_DB
    if "://" in target:
        return target
    return f"sqlite:///{Path(target).expanduser()}"


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***``, for messages and listings."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunStore:
    """A database of runs.

    Args:
        url: a SQLAlchemy URL or a SQLite file path (see :func:`resolve_url`).
        create: create the file and tables if missing; readers pass False so that looking
            at a store never creates one.
    """

    def __init__(self, url: str, create: bool = True) -> None:
        self.url = resolve_url(url)
        self.masked_url = mask_url(self.url)
        self.exists = True
        try:
            parsed = make_url(self.url)
        except ArgumentError:
            raise StoreError(f"--db {self.url!r}: not a database URL or file path") from None
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            path = Path(parsed.database)
            if not path.exists():
                if not create:
                    self.exists = False
                elif not path.parent.is_dir():
                    raise StoreError(f"cannot create database {path}: folder {path.parent} "
                                     "does not exist")
                elif not os.access(path.parent, os.W_OK):
                    raise StoreError(f"cannot create database {path}: folder {path.parent} "
                                     "is not writable")
        try:
            self.engine: Engine = create_engine(self.url)
        except (ArgumentError, ImportError, SQLAlchemyError) as error:
            raise StoreError(f"cannot open database {self.masked_url}: {_first_line(error)}") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if self.exists:
            self._prepare(create)

    def _prepare(self, create: bool) -> None:
        """Create missing tables and check the schema version; one clean error if it fails."""
        try:
            with self.engine.begin() as connection:
                tables = set(inspect(connection).get_table_names())
                if "runs" not in tables:
                    if not create:
                        self.exists = False
                        return
                    Base.metadata.create_all(connection)
                    connection.execute(insert(StoreMeta).values(
                        key="schema_version", value=str(SCHEMA_VERSION)))
                    return
                version = connection.execute(
                    select(StoreMeta.value).where(StoreMeta.key == "schema_version")).scalar()
        except DBAPIError as error:
            raise StoreError(f"cannot open database {self.masked_url}: {_first_line(error)}") from None
        if version is not None and int(version) > SCHEMA_VERSION:
            raise StoreError(f"database {self.masked_url} has schema version {version}, newer than "
                             f"this package's {SCHEMA_VERSION}: upgrade the package to use it")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with Session(self.engine) as session, session.begin():
            yield session

    # ---- a run's life ---------------------------------------------------------------------------

    def start_run(self, *, name: str, seed: int, steps: int, scenario: dict[str, Any],
                  policies: list[dict[str, Any]], versions: dict[str, str]) -> int:
        """Register a new run as ``running`` and return its id."""
        with self.session() as session:
            run = Run(name=name, status="running", created_at=_now(), seed=str(seed),
                      steps_planned=steps, steps_done=0, scenario=scenario, policies=policies,
                      versions=versions, host=socket.gethostname(), pid=os.getpid())
            session.add(run)
            session.flush()
            return run.id

    def write_step(self, run_id: int, step: int, month: str, market: dict[str, Any],
                   providers: list[dict[str, Any]], segments: list[dict[str, Any]],
                   events: list[dict[str, Any]]) -> None:
        """Store one step's rows and count it done, all in one transaction."""
        keys = {"run_id": run_id, "step": step, "month": month}
        with self.engine.begin() as connection:
            connection.execute(insert(MarketStep), [{**keys, **market}])
            connection.execute(insert(ProviderStep), [{**keys, **row} for row in providers])
            if segments:
                connection.execute(insert(SegmentStep), [{**keys, **row} for row in segments])
            if events:
                connection.execute(insert(PolicyEventRow), [{**keys, **row} for row in events])
            connection.execute(update(Run).where(Run.id == run_id).values(steps_done=step + 1))

    def finish_run(self, run_id: int, status: str, digest: str | None = None,
                   error: str | None = None) -> None:
        """Mark a run finished, failed or interrupted."""
        with self.engine.begin() as connection:
            connection.execute(update(Run).where(Run.id == run_id).values(
                status=status, finished_at=_now(), digest=digest, error=error))

    # ---- looking at runs --------------------------------------------------------------------------

    def effective_status(self, run: Run) -> str:
        """The stored status, except that a ``running`` run whose process on this host is gone
        was killed: it is reported as ``interrupted``.
        """
        if (run.status == "running" and run.host == socket.gethostname() and run.pid
                and not _process_alive(run.pid)):
            return "interrupted"
        return run.status

    def list_runs(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Runs, newest first, as plain records."""
        if not self.exists:
            return []
        with Session(self.engine) as session:
            query = select(Run).order_by(Run.id.desc())
            if limit:
                query = query.limit(limit)
            return [self._summary(run) for run in session.scalars(query)]

    def get_run(self, run_id: int) -> dict[str, Any]:
        """One run with its scenario, policies and row counts; an error if there is none."""
        if not self.exists:
            raise StoreError(f"no run {run_id}: database {self.masked_url} has no runs yet")
        with Session(self.engine) as session:
            run = session.get(Run, run_id)
            if run is None:
                last = session.scalar(select(func.max(Run.id)))
                hint = f"run ids go from 1 to {last}" if last else "the database has no runs"
                raise StoreError(f"no run {run_id} in {self.masked_url} ({hint})")
            record = self._summary(run)
            record.update(scenario=run.scenario, policies=run.policies, versions=run.versions,
                          error=run.error)
            for label, table in (("market_steps", MarketStep), ("provider_steps", ProviderStep),
                                 ("segment_steps", SegmentStep), ("policy_events", PolicyEventRow)):
                record[f"{label}_rows"] = session.scalar(
                    select(func.count()).select_from(table).where(table.run_id == run_id))
            record["events"] = [
                {"month": e.month, "policy": e.policy, "status": e.status}
                for e in session.scalars(select(PolicyEventRow).where(
                    PolicyEventRow.run_id == run_id).order_by(PolicyEventRow.step))]
            record["last_market"] = self._last_market(session, run_id)
            return record

    def _last_market(self, session: Session, run_id: int) -> dict[str, Any] | None:
        row = session.scalars(select(MarketStep).where(MarketStep.run_id == run_id)
                              .order_by(MarketStep.step.desc()).limit(1)).first()
        if row is None:
            return None
        return {c.name: getattr(row, c.name) for c in MarketStep.__table__.columns
                if c.name not in ("id", "run_id")}

    def _summary(self, run: Run) -> dict[str, Any]:
        return {
            "id": run.id, "name": run.name, "status": self.effective_status(run),
            "created_at": run.created_at.isoformat(timespec="seconds"),
            "finished_at": run.finished_at.isoformat(timespec="seconds") if run.finished_at else None,
            "seed": int(run.seed), "steps_done": run.steps_done, "steps_planned": run.steps_planned,
            "policies": [p["name"] for p in run.policies], "digest": run.digest,
        }
