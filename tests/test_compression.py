"""gzip: text answers compressed, streams kept streaming, and nothing that could hold a CSRF
token compressed (BREACH)."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from app.compression import Compression, accepts_gzip
from app.static_files import static_url

GZIP = {"Accept-Encoding": "gzip"}


@dataclass
class Raw:
    """An answer as it was sent: its headers and its body still encoded."""

    status_code: int
    headers: httpx.Headers
    raw_bytes: bytes


def raw(client: TestClient, path: str, **headers: str) -> Raw:
    with client.stream("GET", path, headers={**GZIP, **headers}) as response:
        body = b"".join(response.iter_raw())
    return Raw(response.status_code, response.headers, body)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/settlements/sudzha",
        "/export/claims.csv",
        "/export/claims.csv?format=excel",
        "/export/status.geojson",
        "/api/v1/claims?limit=50",
        "/feed.atom",
        "/openapi.json",
        static_url("css/app.css"),
        static_url("vendor/htmx.min.js"),
        static_url("js/app.js"),
        "/static/css/app.css",
    ],
)
def test_text_answers_are_compressed_for_readers(reader, path):
    plain = reader.get(path, headers={"Accept-Encoding": "identity"})
    response = raw(reader, path)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(response.raw_bytes) == plain.content
    assert len(response.raw_bytes) < len(plain.content) / 2


def test_small_answers_and_images_are_not_compressed(reader):
    assert "content-encoding" not in raw(reader, "/healthz/live").headers
    assert "content-encoding" not in raw(reader, "/static/vendor/leaflet/images/layers.png").headers


def test_clients_that_do_not_take_gzip_get_plain_answers(reader):
    for value in ("identity", "gzip;q=0", "br"):
        assert "content-encoding" not in raw(reader, "/", **{"Accept-Encoding": value}).headers


def test_accept_encoding_parsing():
    def scope(value: str) -> Scope:
        return {"headers": [(b"accept-encoding", value.encode())]}

    assert accepts_gzip(scope("gzip, deflate, br"))
    assert accepts_gzip(scope("br;q=1.0, GZIP;q=0.5"))
    assert accepts_gzip(scope("*"))
    assert not accepts_gzip(scope("gzip;q=0"))
    assert not accepts_gzip(scope("identity"))
    assert not accepts_gzip({"headers": []})


# --- BREACH ---------------------------------------------------------------------------------


def test_a_page_with_a_csrf_token_is_never_compressed(anonymous):
    response = raw(anonymous, "/login?next=/anything-an-attacker-types")
    assert "content-encoding" not in response.headers
    assert b'name="csrf_token"' in response.raw_bytes


@pytest.mark.parametrize(
    "path", ["/", "/settlements?q=reflected", "/claims/new", "/review", "/api/v1/claims"]
)
def test_nothing_is_compressed_for_a_signed_in_person(reviewer, path):
    response = raw(reviewer, path)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers


def test_a_reader_holding_a_session_cookie_gets_pages_uncompressed(anonymous):
    anonymous.get("/login")  # now holds a session with a CSRF token in it
    assert "kt_session" in anonymous.cookies
    assert "content-encoding" not in raw(anonymous, "/settlements?q=gor").headers


def test_static_files_are_compressed_for_a_signed_in_person_too(reviewer):
    """Fixed files hold no secret and reflect nothing."""
    response = raw(reviewer, static_url("css/app.css"))
    assert response.headers["content-encoding"] == "gzip"


# --- streaming ------------------------------------------------------------------------------

CHUNKS = [f"row {i}," * 2000 for i in range(5)]


async def streaming_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/csv; charset=utf-8")],
        }
    )
    for i, chunk in enumerate(CHUNKS):
        more = i < len(CHUNKS) - 1
        await send({"type": "http.response.body", "body": chunk.encode(), "more_body": more})


def test_each_chunk_leaves_compressed_as_it_is_produced():
    """A stream stays a stream: every chunk the app sends is sent on at once, compressed, and
    decompresses on its own to what the app sent (nothing piles up in the middleware)."""
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": "/export/claims.csv",
        "headers": [(b"accept-encoding", b"gzip")],
        "state": {},
    }
    # In a thread of its own: browser tests may leave an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, Compression(streaming_app)(scope, receive, send)).result()
    start, *bodies = sent
    headers = dict(start["headers"])
    assert headers[b"content-encoding"] == b"gzip"
    assert b"content-length" not in headers
    assert len(bodies) == len(CHUNKS)
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    for chunk, body in zip(CHUNKS, bodies, strict=True):
        assert decompressor.decompress(body["body"]) == chunk.encode()
        assert len(body["body"]) < len(chunk)
    assert bodies[-1]["more_body"] is False
    assert decompressor.eof


def test_a_large_export_streams_compressed(reader):
    with reader.stream("GET", "/export/claims.csv", headers=GZIP) as response:
        assert response.headers["content-encoding"] == "gzip"
        assert "content-length" not in response.headers
        pieces = list(response.iter_raw())
    plain = reader.get("/export/claims.csv", headers={"Accept-Encoding": "identity"}).content
    assert gzip.decompress(b"".join(pieces)) == plain


def test_head_of_a_compressed_page_has_no_body(reader):
    response = reader.head("/", headers=GZIP)
    assert response.status_code == 200
    assert response.content == b""
