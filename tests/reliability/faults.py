"""Real database faults for tests: a full disk, a read-only database, a lock held too long.

Tests run as root, where file modes stop no write, so the faults come from the database
itself: SQLite's `max_page_count` (the file may not grow: SQLITE_FULL, as on a full disk),
its `mode=ro` URI, and a second connection holding the write lock. On PostgreSQL the
database is made read-only with `default_transaction_read_only`; a full disk there needs a
small tablespace set up by root, and a held lock is not tried.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import Pool

from app.db import Database, sqlite_file
from tests.helpers import snapshot

FAULTS = ("disk_full", "read_only", "locked")
# Words each fault's sentence starts with (app.faults.REASONS).
SAYS = {
    "disk_full": "The disk that holds the database is full",
    "read_only": "The database is read-only at the moment",
    "locked": "The database stayed busy with another write for too long",
    "unreachable": "The database cannot be reached right now",
}
# Nothing listens on port 1: a connection is refused at once.
UNREACHABLE_URL = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


@contextmanager
def on_every_checkout(path: Path, *pragmas: str) -> Iterator[None]:
    """Run PRAGMAs on every connection to one SQLite file as it is taken from a pool."""
    target = path.resolve()

    def apply(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        files = [row[2] for row in dbapi_connection.execute("PRAGMA database_list")]
        if files and files[0] and Path(files[0]).resolve() == target:
            for pragma in pragmas:
                dbapi_connection.execute(pragma)

    event.listen(Pool, "checkout", apply)
    try:
        yield
    finally:
        event.remove(Pool, "checkout", apply)


@contextmanager
def disk_full(url: str, database: Database | None = None) -> Iterator[None]:
    """The database may not grow by a single page, as on a full disk.

    Like a real full disk, a write that fits in the pages already there still succeeds:
    tests repeat such writes until one needs room (see until_refused). `database`, when
    given, has its pooled connections closed afterwards, so that the limit goes with them.
    """
    if not is_sqlite(url):
        pytest.skip("a full disk on PostgreSQL needs a small tablespace set up by root")
    path = sqlite_file(url)
    assert path is not None
    try:
        with on_every_checkout(path, "PRAGMA max_page_count = 1"):  # clamped to the size now
            yield
    finally:
        if database is not None:
            database.engine.dispose()


@contextmanager
def locked(url: str, database: Database | None = None) -> Iterator[None]:
    """Another process holds the write lock; our writes give up after 100 ms, not 30 s."""
    if not is_sqlite(url):
        pytest.skip("a held lock is tried on SQLite only")
    path = sqlite_file(url)
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with on_every_checkout(path, "PRAGMA busy_timeout = 100"):
            yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        if database is not None:
            database.engine.dispose()


def until_refused(
    database: Database, attempt: Callable[[], Any], *, tries: int = 80
) -> tuple[Any, dict[str, Any]]:
    """Repeat a write until the database refuses it: that answer, and the data before it.

    Under a full disk a small write may still fit in a page that has room; a few more and
    one needs a new page. Any other fault refuses the first.
    """
    for _ in range(tries):
        before = snapshot(database)
        response = attempt()
        if response.status_code != 303:
            return response, before
    pytest.fail(f"the database accepted {tries} writes in a row")


def read_only_url(url: str) -> str:
    """The same database, refusing every write (for apps and commands started after this)."""
    if is_sqlite(url):
        path = sqlite_file(url)
        assert path is not None
        return f"sqlite:///file:{path}?mode=ro&uri=true"
    name = make_url(url).database
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        # Twice in one test is fine: once set, new sessions (this one too) start read-only.
        connection.execute(text("SET default_transaction_read_only = off"))
        connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    admin.dispose()
    return url


def dev_full() -> Path:
    path = Path("/dev/full")
    if not path.exists() or not os.access(path, os.W_OK):
        pytest.skip("/dev/full (a device that is always full) is missing")
    return path
