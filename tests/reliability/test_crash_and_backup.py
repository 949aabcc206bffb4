"""kill -9 in the middle of an import, and a backup taken while writers write."""

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
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.accounts.models import AuditEvent
from app.claims.models import Claim
from app.db import Database
from tests.conftest import make_user
from tests.interchange.test_import import HEADER, csv_bytes, good_rows
from tests.reliability.servers import ROOT, Server, csrf, logged_in

pytestmark = pytest.mark.slow
ROWS = 50_000


def counts(database: Database) -> tuple[int, int]:
    with database.read_session() as session:
        claims = session.scalar(
            select(func.count()).select_from(Claim).where(Claim.summary.like("Row %"))
        )
        commits = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "import.commit")
        )
    return claims, commits


def integrity(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return "ok"  # PostgreSQL's own WAL does this; there is no PRAGMA to ask
    with sqlite3.connect(parsed.database) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.mark.parametrize("kill_after", [0.5, 1.5, 2.5, 8.0])
def test_kill_9_during_a_50000_row_import_leaves_all_or_nothing(fresh_url, tmp_path, kill_after):
    database = Database(fresh_url)
    make_user(database, "erin")
    data = csv_bytes([HEADER, *good_rows(ROWS)])
    server = Server(fresh_url, tmp_path / "server.log").start()
    try:
        client = logged_in(server, "erin")
        response = client.post(
            "/import",
            data={"csrf_token": csrf(client, "/import")},
            files={"file": ("big.csv", data, "text/csv")},
        )
        location = response.headers["location"]
        deadline = time.monotonic() + 120
        while 'hx-trigger="every 1s"' in client.get(location).text:  # the dry run
            assert time.monotonic() < deadline
            time.sleep(0.2)
        token = csrf(client, location)
        threading.Thread(
            target=lambda: _post_quietly(client, f"{location}/commit", token), daemon=True
        ).start()
        time.sleep(kill_after)
        server.kill()
    finally:
        server.stop()
    claims, commits = counts(database)
    print(
        f"\nkilled {kill_after} s into the commit: {claims} of {ROWS} rows, {commits} commit events"
    )
    assert (claims, commits) in {(0, 0), (ROWS, 1)}
    assert integrity(fresh_url) == "ok"
    # The server starts again on the same database and serves it.
    restarted = Server(fresh_url, tmp_path / "again.log").start()
    try:
        assert restarted.client().get("/settlements/sudzha").status_code == 200
    finally:
        restarted.stop()
    database.dispose()


def _post_quietly(client, url: str, token: str) -> None:
    # The server is killed under this request on purpose.
    with contextlib.suppress(Exception):
        client.post(url, data={"csrf_token": token})


def test_backup_while_writing_is_consistent_and_serves(fresh_url, tmp_path):
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
    restored = Server(f"sqlite:///{target}", tmp_path / "restored.log").start()
    try:
        exported = restored.client().get("/export/claims.csv?source=isw").text
    finally:
        restored.stop()
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
