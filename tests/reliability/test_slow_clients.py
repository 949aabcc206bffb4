"""A client that sends headers and part of a body, then stalls, does not hold a connection:
a real uvicorn server, a raw socket, a short configured timeout."""

from __future__ import annotations

import socket
import time

import pytest

from tests.live_server import live_server

TIMEOUT_SECONDS = 1


def read_until_closed(sock: socket.socket, limit_seconds: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started = time.monotonic()
    sock.settimeout(limit_seconds)
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            pytest.fail(f"the connection was still open after {limit_seconds} s: {received!r}")
        if not chunk:
            return received, time.monotonic() - started
        received += chunk


@pytest.fixture(scope="module")
def server(databases, tmp_path_factory):
    log = tmp_path_factory.mktemp("slow-clients") / "server.log"
    with live_server(
        databases.copy("demo"), log, body_timeout_seconds=str(TIMEOUT_SECONDS)
    ) as running_server:
        yield running_server


def request_head(port: int, path: str, declared_length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {declared_length}\r\n\r\n"
    ).encode()


@pytest.mark.parametrize("path", ["/login", "/claims/new", "/import"])
def test_a_stalled_body_gets_408_and_the_connection_closes(server, path):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request_head(server.port, path, 1000) + b"username=erin&pass")
        received, waited = read_until_closed(sock, limit_seconds=TIMEOUT_SECONDS + 10)
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    assert b"connection: close" in received.lower()
    assert waited < TIMEOUT_SECONDS + 5


def test_a_slow_but_steady_body_is_read(server):
    """Each part may take up to the timeout: a body trickling in is not cut off."""
    body = b"username=erin&password=wrong-password&csrf_token=none"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request_head(server.port, "/login", len(body)))
        for start in range(0, len(body), 20):
            time.sleep(TIMEOUT_SECONDS / 3)
            sock.sendall(body[start : start + 20])
        sock.settimeout(10)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]  # read, and refused: no token


def test_the_server_still_answers_others(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as stalled:
        stalled.sendall(request_head(server.port, "/login", 1000))
        with server.client() as client:
            assert client.get("/healthz").status_code == 200
