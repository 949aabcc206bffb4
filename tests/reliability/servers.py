"""Real servers for the reliability tests: uvicorn in a process of its own, killable."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx

from tests.browser.conftest import free_port
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Server:
    def __init__(self, database_url: str, log: Path, **settings: str) -> None:
        self.database_url = database_url
        self.log = log
        # More KT_ settings, e.g. body_timeout_seconds="1".
        self.settings = {f"KT_{name.upper()}": value for name, value in settings.items()}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        env = {
            **os.environ,
            "KT_DATABASE_URL": self.database_url,
            "KT_SECRET_KEY": "reliability-tests-secret",
            "KT_WARM_CACHES": "false",
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
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"server did not start:\n{self.log.read_text()[-3000:]}"
                    ) from None
                time.sleep(0.1)

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

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=120, follow_redirects=False)


@contextmanager
def running(database_url: str, log: Path, **settings: str) -> Iterator[Server]:
    server = Server(database_url, log, **settings).start()
    try:
        yield server
    finally:
        server.stop()


def csrf(client: httpx.Client, path: str) -> str:
    match = _CSRF.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def logged_in(server: Server, username: str) -> httpx.Client:
    client = server.client()
    token = csrf(client, "/login")
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text[:500]
    return client
