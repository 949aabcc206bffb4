"""kill -9 at the moment an import commits, and a backup taken while writers write."""

from __future__ import annotations

import contextlib
import csv
import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app.accounts.models import AuditEvent
from app.claims.models import Claim
from app.db import TEST_PAUSE_BEFORE_COMMIT, Database
from app.interchange.models import ImportBatch, ImportState
from app.models import Base
from tests.helpers import (
    HEADER,
    confirm,
    csrf_from,
    csv_bytes,
    good_rows,
    log_in,
    make_user,
    settled,
    upload,
    wait_until,
)
from tests.live_server import ROOT

ROWS = 5_000


def counts(database: Database) -> tuple[int, int]:
    """Claims of the test file stored, and import commits recorded."""
    with database.read_session() as session:
        claims = session.scalar(
            select(func.count()).select_from(Claim).where(Claim.summary.like("Row %"))
        )
        commits = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "import.commit")
        )
    return claims or 0, commits or 0


def integrity_problems(url: str) -> list[str]:
    """What an integrity check of the whole database finds; empty when it is intact.

    SQLite: PRAGMA integrity_check and foreign_key_check. PostgreSQL: amcheck's check of
    every B-tree index of the tracker's tables against its table (heap), and the foreign keys
    checked by a query each.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with sqlite3.connect(parsed.database) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            problems = [p for p in problems if p != "ok"]
            problems += [repr(row) for row in connection.execute("PRAGMA foreign_key_check")]
        return problems
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    problems = []
    try:
        with engine.connect() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
            indexes = connection.scalars(
                text(
                    "SELECT c.oid::regclass::text FROM pg_index i"
                    " JOIN pg_class c ON c.oid = i.indexrelid"
                    " JOIN pg_am am ON am.oid = c.relam"
                    " WHERE am.amname = 'btree' AND c.relnamespace = 'public'::regnamespace"
                )
            ).all()
            assert indexes, "no index to check"
            for index in indexes:
                try:
                    connection.execute(
                        text("SELECT bt_index_check(CAST(:index AS regclass), true)"),
                        {"index": index},
                    )
                except DBAPIError as error:
                    problems.append(f"{index}: {error.orig}")
            for table in Base.metadata.sorted_tables:
                for key in table.foreign_keys:
                    column, target = key.parent.name, key.column
                    orphans = connection.scalar(
                        text(
                            f"SELECT count(*) FROM {table.name} t WHERE t.{column} IS NOT NULL"
                            f" AND NOT EXISTS (SELECT 1 FROM {target.table.name} r"
                            f" WHERE r.{target.name} = t.{column})"
                        )
                    )
                    if orphans:
                        problems.append(f"{table.name}.{column}: {orphans} rows point nowhere")
    finally:
        engine.dispose()
    return problems


def open_write_transactions(url: str) -> int:
    """Write transactions open on the database right now, seen from another connection.

    SQLite: 1 if another connection holds the write lock (BEGIN IMMEDIATE is refused at
    once). PostgreSQL: sessions of other processes idle inside a transaction that has written.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(parsed.database, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return 0
        except sqlite3.OperationalError as error:
            assert "locked" in str(error), error
            return 1
        finally:
            connection.close()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            return connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND state = 'idle in transaction'"
                    # Only transactions that wrote have a transaction id: a request's
                    # read session left open beside the import is no write transaction.
                    " AND backend_xid IS NOT NULL"
                )
            )
    finally:
        engine.dispose()


def batch_state(database: Database, location: str) -> ImportState:
    with database.read_session() as session:
        batch = session.get(ImportBatch, location.rstrip("/").rsplit("/", 1)[1])
        assert batch is not None, f"no import batch for {location}"
        return batch.state


@pytest.mark.slow
def test_kill_9_at_the_import_commit_stores_nothing_and_the_database_is_intact(
    fresh_url, serve, tmp_path
):
    """The server is killed at the moment the import's transaction is about to commit (every
    row written, the COMMIT not sent): after a restart nothing of the file is there, the
    database passes an integrity check, and the same file can be imported again."""
    database = Database(fresh_url)
    make_user(database, "erin", "admin")
    before = counts(database)
    flag = tmp_path / "import-about-to-commit"
    server = serve(fresh_url, test_pause_before_commit=str(flag))
    client = log_in(server.client(), "erin")
    response = upload(client, csv_bytes([HEADER, *good_rows(ROWS)]), "big.csv", approve="yes")
    location = response.headers["location"]
    assert "Every row is fine" in settled(client, location, timeout=120)  # the dry run
    assert not flag.exists()  # the dry run writes no claims and does not pause

    # Confirm; the server answers only after the commit, which will never come.
    token = csrf_from(client, location)
    threading.Thread(
        target=_post_quietly, args=(client, f"{location}/commit", token), daemon=True
    ).start()
    wait_until(flag.exists, "the import's transaction to reach its commit", timeout=120)
    assert flag.read_text() == str(server.pid)
    # Inside the transaction: it holds the database's write lock (SQLite) or sits idle in an
    # open transaction (PostgreSQL), and no other connection sees any of its rows yet.
    assert open_write_transactions(fresh_url) == 1
    assert counts(database) == before
    server.kill()

    assert counts(database) == before
    assert batch_state(database, location) == ImportState.checked  # not committed
    assert open_write_transactions(fresh_url) == 0
    database.dispose()
    assert integrity_problems(fresh_url) == []

    # A server starts again on the same database, serves it, and the file imports whole.
    restarted = serve(fresh_url)
    again = log_in(restarted.client(), "erin")
    assert again.get("/settlements/sudzha").status_code == 200
    assert confirm(again, location).status_code == 303
    assert f"{ROWS} claims added" in settled(again, location, timeout=120)
    database = Database(fresh_url)
    assert counts(database) == (before[0] + ROWS, before[1] + 1)
    database.dispose()
    assert integrity_problems(fresh_url) == []


def test_the_pause_hook_is_off_by_default_and_releases_when_the_flag_goes(
    fresh_db, fresh_url, tmp_path, monkeypatch
):
    """The hook the crash test relies on: without its variable an import commits at once;
    with it, the import waits at its commit with everything written, and commits when the
    flag file is removed."""
    from app.interchange.importer import commit_import

    rows = good_rows(50)
    monkeypatch.delenv(TEST_PAUSE_BEFORE_COMMIT, raising=False)
    with fresh_db.writing() as session:
        commit_import(session, csv_bytes([HEADER, *rows[:20]]), user=None, approve=True)
    first = counts(fresh_db)
    assert first == (20, 1)

    flag = tmp_path / "flag"
    monkeypatch.setenv(TEST_PAUSE_BEFORE_COMMIT, str(flag))
    done = threading.Event()

    def importing() -> None:
        with fresh_db.writing() as session:
            commit_import(session, csv_bytes([HEADER, *rows]), user=None, approve=True)
        done.set()

    thread = threading.Thread(target=importing, daemon=True)
    thread.start()
    wait_until(flag.exists, "the import to pause at its commit", timeout=60)
    assert flag.read_text() == str(os.getpid())
    assert not done.is_set()
    assert counts(fresh_db) == first  # written, not committed: nobody else sees it
    assert open_write_transactions(fresh_url) == 1
    flag.unlink()
    thread.join(timeout=60)
    assert done.is_set(), "the import did not commit after its flag file was removed"
    assert counts(fresh_db) == (50, 2)


def _post_quietly(client, url: str, token: str) -> None:
    # The server is killed under this request on purpose.
    with contextlib.suppress(Exception):
        client.post(url, data={"csrf_token": token})


@pytest.mark.slow
def test_backup_while_writing_is_consistent_and_serves(fresh_url, tmp_path, serve):
    if make_url(fresh_url).get_backend_name() != "sqlite":
        pytest.skip("kursk-tracker backup copies SQLite files (PostgreSQL: pg_dump)")
    from app.interchange.importer import commit_import

    database = Database(fresh_url)
    stop = threading.Event()
    written = []

    def writer() -> None:
        n = 0
        while not stop.is_set():
            rows = [r.replace(",tass,", ",isw,") for r in good_rows(n + 200)[n:]]
            with database.writing() as session:
                commit_import(session, csv_bytes([HEADER, *rows]), user=None, approve=True)
            written.append(len(rows))
            n += 200

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    time.sleep(0.5)
    target = tmp_path / "backup.db"
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "backup", str(target)],
        cwd=ROOT,
        env={**os.environ, "KT_DATABASE_URL": fresh_url},
        capture_output=True,
        text=True,
    )
    time.sleep(0.3)
    stop.set()
    thread.join()
    assert result.returncode == 0, result.stderr
    assert "integrity check: ok" in result.stdout
    assert sum(written) > 0  # writes really ran around the backup
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copied = copy.execute("SELECT count(*) FROM claims WHERE summary LIKE 'Row %'").fetchone()[
            0
        ]
        events = copy.execute(
            "SELECT count(*) FROM audit_events WHERE action = 'import.commit'"
        ).fetchone()[0]
    # A copy of one moment: whole imports only, each with its audit event.
    assert copied == events * 200
    # Started on the copy, the tracker serves what the copy holds.
    restored = serve(f"sqlite:///{target}")
    exported = restored.client().get("/export/claims.csv?source=isw").text
    demo = csv.DictReader((ROOT / "data" / "claims.csv").open(encoding="utf-8"))
    isw_demo_claims = sum(1 for row in demo if row["source"] == "isw")
    assert exported.count("\r\n") - 1 == copied + isw_demo_claims  # ISW's demo claims, the copies


def test_backup_refuses_postgresql_with_a_hint(monkeypatch):
    from typer.testing import CliRunner

    from app.cli import app
    from app.config import get_settings

    monkeypatch.setenv("KT_DATABASE_URL", "postgresql://kt@db.example/kt")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["backup", "/tmp/x.dump"])
    get_settings.cache_clear()
    assert result.exit_code == 2
    assert "pg_dump" in result.output
