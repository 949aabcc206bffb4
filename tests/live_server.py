"""One real server for the tests that need one: `kursk-tracker serve` in a process of its own.

The browser tests, the reliability tests (kill -9, slow clients, many editors at once, two
servers on one database) and the database-away test all run the command an operator runs,
so what they see is what a deployment serves, and a server can be killed like a crash.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx

from tests.helpers import SECRET_KEY, wait_until

ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`kursk-tracker serve` on a free port, on one database, with its log in a file."""

    def __init__(self, database_url: str, log: Path, **settings: str) -> None:
        self.database_url = database_url
        self.log = log
        # More KT_ settings, e.g. body_timeout_seconds="1"; TEST_ hooks as named.
        self.settings = {f"KT_{name.upper()}": value for name, value in settings.items()}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> LiveServer:
        env = {
            **os.environ,
            "KT_DATABASE_URL": self.database_url,
            "KT_SECRET_KEY": SECRET_KEY,
            **self.settings,
        }
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until(self._healthy, f"the server on {self.base} to start", START_SECONDS)
        except AssertionError as error:
            self.stop()
            raise AssertionError(f"{error}; its log:\n{self.log.read_text()[-3000:]}") from None
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(
                f"the server exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """kill -9: no cleanup, no shutdown hooks, as a crash."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client(self) -> httpx.Client:
        """A client of this server (cookies of its own), redirects not followed."""
        return httpx.Client(base_url=self.base, timeout=120, follow_redirects=False)

    def __str__(self) -> str:
        return self.base


@contextmanager
def live_server(database_url: str, log: Path, **settings: str) -> Iterator[LiveServer]:
    """A started server for the duration of the block; stopped (if still alive) after it."""
    server = LiveServer(database_url, log, **settings).start()
    try:
        yield server
    finally:
        server.stop()
