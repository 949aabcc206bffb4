"""PostgreSQL goes away under a running server: clear 503 pages, then back without a restart.

A cluster of the test's own (initdb in a temporary folder) is stopped and started: the
PostgreSQL the rest of the suite uses is not touched.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.helpers import IN_CI
from tests.live_server import free_port

pytestmark = pytest.mark.slow


class Cluster:
    def __init__(self, folder: Path) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            message = "PostgreSQL server binaries are missing (Debian package postgresql)"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
        self.bin = Path(bins[-1])
        self.data = folder / "data"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{folder}'\nfsync = off\n"
            )

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bin / tool), *args], check=True, capture_output=True
        )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.data / "log"),
            "-m",
            "fast",
            "-w",
            "restart",
        )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    # Directly under /tmp: the postgres user must be able to reach it (pytest's own
    # temporary folders are private to the user running the tests).
    folder = Path(tempfile.mkdtemp(prefix="kt-pg-"))
    c = Cluster(folder)
    c.start()
    yield c
    with contextlib.suppress(subprocess.CalledProcessError):
        c.stop()
    shutil.rmtree(folder, ignore_errors=True)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_pages_answer_503_while_postgresql_is_down_and_recover(cluster, serve):
    from app.cli import upgrade_database
    from app.db import Database
    from tests.databases import load_demo

    upgrade_database(cluster.url)
    database = Database(cluster.url)
    load_demo(database)
    database.dispose()
    base = serve(cluster.url).base
    assert get(f"{base}/settlements/sudzha")[0] == 200
    cluster.stop()
    for path in ("/", "/settlements/sudzha", "/contested"):
        status, body = get(base + path)
        assert status == 503, path
        assert "The database cannot be reached right now" in body
        assert "<html" in body
    status, body = get(f"{base}/healthz")
    assert status == 503 and '"database":"unreachable"' in body.replace(" ", "")
    status, body = get(f"{base}/api/v1/settlements")
    assert status == 503 and "cannot be reached" in body
    # Downloads too: their first chunk is made before the answer starts (Excel's included,
    # whose byte-order mark goes out with it).
    for path in ("/export/claims.csv", "/export/claims.csv?format=excel", "/export/status.geojson"):
        status, body = get(base + path)
        assert status == 503 and "cannot be reached" in body, path
    cluster.start()
    # Back, without restarting the server: the very next requests work.
    assert get(f"{base}/healthz")[0] == 200
    status, body = get(f"{base}/settlements/sudzha?as_of=2024-08-20")
    assert status == 200 and "Ukrainian control" in body


def test_after_a_restart_of_postgresql_no_request_fails(cluster, serve):
    """A restart leaves every pooled connection dead. The first read that finds one dead
    replaces them all (not that one only): no request after the restart fails, the first
    included. Before, each stale connection cost a 503 (of /healthz too) until all were used."""
    from app.cli import upgrade_database
    from app.db import Database, read_value
    from tests.databases import load_demo

    upgrade_database(cluster.url)
    database = Database(cluster.url)
    load_demo(database)
    held = [database.engine.raw_connection() for _ in range(6)]
    for pooled in held:
        pooled.close()
    assert database.engine.pool.checkedin() == 6
    cluster.restart()
    assert [read_value(database, "SELECT 1") for _ in range(8)] == [1] * 8
    database.dispose()

    base = serve(cluster.url).base
    with ThreadPoolExecutor(8) as pool:  # several connections pooled in the server
        assert set(pool.map(lambda _: get(f"{base}/about/method")[0], range(16))) == {200}
    cluster.restart()
    for path in ("/healthz", "/about/method", "/healthz", "/settlements/sudzha", "/healthz"):
        assert get(base + path)[0] == 200, path
