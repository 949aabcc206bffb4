"""Database plumbing: declarative base, engine with SQLite pragmas, session factories."""

from __future__ import annotations

import enum
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import Engine, MetaData, Select, String, create_engine, event, type_coerce
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from app.faults import DatabaseFault, FaultKind, database_fault

# A SELECT of any columns (SQLAlchemy types a Select by the tuple of its columns).
AnySelect: TypeAlias = Select[*tuple[Any, ...]]

# Constraint names that Alembic can address on every backend (SQLite batch mode needs them).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# How long a SQLite write waits for another writer's lock before giving up.
BUSY_TIMEOUT_MS = 30_000
# The write probe (/healthz) waits only this long: a busy database still accepts writes.
PROBE_BUSY_MS = 200
# Less free space than this on the disk of a SQLite database: writes will soon fail.
LOW_DISK_BYTES = 1024 * 1024

# A test hook, off unless this environment variable names a file: a write transaction marked
# with pause_before_commit() writes that file when it is about to commit, then waits until the
# file is removed. The crash tests (tests/reliability) kill the process at that very moment.
TEST_PAUSE_BEFORE_COMMIT = "KT_TEST_PAUSE_BEFORE_COMMIT"
# How long a paused transaction waits at most for its flag file to be removed.
TEST_PAUSE_SECONDS = 300
_PAUSE_MARK = "kt_test_pause_before_commit"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def str_enum(enum_cls: type[enum.StrEnum], name: str) -> SAEnum:
    """A portable enum column: VARCHAR plus a CHECK constraint, storing the enum's values."""
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _first_row(driver: Any, sql: str, *, sqlite: bool) -> Any:
    if sqlite:
        # In autocommit already (isolation_level None, set on connect): no BEGIN.
        return driver.execute(sql).fetchone()
    # psycopg: autocommit for a lone SELECT (no BEGIN and ROLLBACK), then back as it came;
    # a connection that broke meanwhile keeps its error, not the setter's.
    driver.autocommit = True
    try:
        return driver.execute(sql).fetchone()
    finally:
        if not driver.broken:
            driver.autocommit = False


def read_value(database: Database, sql: str) -> Any:
    """The first value of a one-row query (None without a row), read straight through the
    driver on a pooled connection outside any transaction; again on a fresh connection if
    the first was dead.

    For the reads made on every request: the page cache's revision, the health check.
    Through SQLAlchemy's Connection, with the BEGIN and ROLLBACK of a transaction (or an
    isolation level set and reset around it), such a read cost ten times the query: 83
    against 9 µs on SQLite, and on PostgreSQL two more round trips. Setting the AUTOCOMMIT
    level also left SQLite connections with the sqlite3 module's own transaction handling
    back on. Driver errors come out as SQLAlchemy's ``DBAPIError``, as from any query; the
    read bypasses SQLAlchemy's events (its echo does not log it).
    """
    engine = database.engine
    dialect = engine.dialect
    driver_error = dialect.loaded_dbapi.Error
    for attempt in (1, 2):
        pooled = None
        try:
            pooled = engine.raw_connection()
            row = _first_row(pooled.driver_connection, sql, sqlite=database.is_sqlite)
            return row[0] if row else None
        except driver_error as error:
            dead = pooled is not None and dialect.is_disconnect(
                error, pooled.dbapi_connection, None
            )
            if dead and pooled is not None:
                # As SQLAlchemy's own Connection does: after a server restart every connection
                # the pool holds is dead, not only this one, so all of them are replaced.
                engine.pool._invalidate(pooled, error)
                if attempt == 1:
                    continue  # on a fresh connection
            raise DBAPIError.instance(
                sql,
                None,
                error,
                driver_error,
                connection_invalidated=dead or pooled is None,  # None: it could not connect
                dialect=dialect,
            ) from error
        finally:
            if pooled is not None:
                pooled.close()
    raise AssertionError("unreachable")


def as_driver_values(stmt: AnySelect) -> AnySelect:
    """The same query, its values passed through as the database driver gives them.

    SQLAlchemy would turn each date and enum into a Python object on the way out; for the
    hundreds of thousands of rows of an export or a full derivation that costs more than
    the query, and the callers turn them into text (or look them up) anyway. On SQLite dates
    come back as their stored ISO text, on PostgreSQL as dates; enums as their values.
    """
    return stmt.with_only_columns(
        *(type_coerce(column, String).label(column.name) for column in stmt.selected_columns),
        maintain_column_froms=True,
    )


def stream_rows(connection: Connection, stmt: AnySelect, batch: int) -> Iterator[list[Any]]:
    """A query's rows as the driver gives them, in batches, with no per-row work on our side.

    For exports of hundreds of thousands of rows, where SQLAlchemy's result rows cost as
    much as the query itself. A server-side cursor on PostgreSQL, so memory stays flat.
    """
    dialect = connection.dialect
    compiled = stmt.compile(dialect=dialect)
    values = {
        name: _driver_value(value, dialect.name)
        for name, value in compiled.construct_params().items()
    }
    params: Any = (
        [values[name] for name in compiled.positiontup or ()] if compiled.positional else values
    )
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    if dialect.name == "postgresql":
        cursor = driver_connection.cursor(name="kt_stream")  # server side
    else:
        cursor = driver_connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        while rows := cursor.fetchmany(batch):
            yield rows
    finally:
        cursor.close()


def _driver_value(value: Any, dialect_name: str) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date) and dialect_name == "sqlite":
        return value.isoformat()  # as SQLAlchemy stores dates in SQLite
    return value


def iso_date(value: str | date) -> date:
    """A date column read with as_driver_values(): text on SQLite, a date on PostgreSQL."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def pause_before_commit(session: Session) -> None:
    """Test hook: this write transaction pauses just before its commit, if a test asks.

    Does nothing unless the environment variable KT_TEST_PAUSE_BEFORE_COMMIT names a flag
    file (never set in a deployment). Then Database.writing() flushes the transaction, writes
    the flag file (the process id in it) and waits until the file is removed, so that a test
    can kill the process while everything is written and nothing is committed.
    """
    flag = os.environ.get(TEST_PAUSE_BEFORE_COMMIT, "").strip()
    if flag:
        session.info[_PAUSE_MARK] = Path(flag)


def _pause_at(flag: Path) -> None:
    flag.write_text(str(os.getpid()))
    deadline = time.monotonic() + TEST_PAUSE_SECONDS
    while flag.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _install_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that SQLAlchemy's
        # BEGIN (below) is the only one: reads see one snapshot, writes can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A write transaction takes the write lock up front (BEGIN IMMEDIATE): a read-then-write
        # transaction can then wait for the lock instead of failing with "database is locked".
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names, also as a `file:` URI (`?mode=ro&uri=true`); else None."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if parsed.query.get("uri") == "true" and name.startswith("file:"):
        name = name.removeprefix("file:")
        if name.startswith("//"):  # file://host/path: only the local host is allowed
            name = "/" + name[2:].partition("/")[2]
    return Path(name)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is not None and parsed.query.get("mode") != "ro":
            path.parent.mkdir(parents=True, exist_ok=True)
        # SQLite connections are cheap file handles: enough for every worker thread to hold
        # a reader and a writer at once.
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=20,
            max_overflow=80,
        )
        _install_sqlite_pragmas(engine)
        return engine
    # No pre-ping: it would double the round trips of every request (the page cache's revision
    # read is one). A connection found dead is invalidated with its pool, and the first use
    # of the database in a request retries once (app.page_cache, /healthz).
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20)


class Database:
    """One engine and its two kinds of sessions: reads (deferred) and writes (immediate)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.read_session = sessionmaker(self.engine, expire_on_commit=False)
        write_engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        self.write_session = sessionmaker(write_engine, expire_on_commit=False)

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back if it raises.

        A full disk, a read-only or unreachable database, or a lock held too long comes out
        as a DatabaseFault (app.faults), which says so in a sentence; other errors as they are.
        """
        try:
            with self.write_session() as session, session.begin():
                yield session
                flag = session.info.pop(_PAUSE_MARK, None)
                if flag is not None:
                    session.flush()  # everything written, only the COMMIT left
                    _pause_at(flag)
        except DBAPIError as error:
            fault = database_fault(error)
            if fault is None:
                raise
            raise fault from error

    def write_fault(self) -> FaultKind | None:
        """Why the database would refuse a write now, or None when it accepts them.

        SQLite: a write tried and rolled back (the lock, a new page, the schema), plus the
        free space on the database's disk, since a write rolled back never reaches the disk.
        PostgreSQL: a server in recovery, or read-only transactions by default. A lock held
        by a long write is waited for only briefly here: writes would wait for it too.
        """
        try:
            if self.is_sqlite:
                return self._sqlite_write_fault()
            read_only = read_value(
                self,
                "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'",
            )
            return FaultKind.read_only if read_only else None
        except (DBAPIError, DatabaseFault) as error:
            fault = database_fault(error)
            if fault is None:
                raise
            return fault.kind

    def _sqlite_write_fault(self) -> FaultKind | None:
        path = sqlite_file(self.url)
        if path is not None and path.exists():
            disk = os.statvfs(path.parent)
            if disk.f_bavail * disk.f_frsize < LOW_DISK_BYTES:
                return FaultKind.disk_full
        connection = self.engine.raw_connection()
        driver = connection.driver_connection
        assert driver is not None
        try:
            driver.execute(f"PRAGMA busy_timeout={PROBE_BUSY_MS}")
            driver.execute("BEGIN IMMEDIATE")
            # A new table needs a new page and a schema change: the most a write can need.
            driver.execute("CREATE TABLE kt_write_probe (x)")
        except Exception as error:
            fault = database_fault(error)
            if fault is None:
                raise
            return fault.kind
        finally:
            if driver.in_transaction:
                driver.execute("ROLLBACK")
            driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            connection.close()
        return None

    def dispose(self) -> None:
        self.engine.dispose()
