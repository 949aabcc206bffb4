"""A download's body is made in threads of its own: while its client reads, the request
threads stay free for pages (a download holds a database connection all along; requests
waiting for a connection would otherwise hold every request thread, and neither would move)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx
import pytest
from anyio import to_thread

from app.api.responses import CSVResponse
from app.main import create_app
from tests.helpers import make_settings


def test_a_download_waiting_on_its_next_chunk_leaves_the_request_thread_free(demo_url):
    # An event loop of its own, in a thread of its own: one left set by another test in
    # this thread must not matter.
    with ThreadPoolExecutor(1) as runner:
        page, csv = runner.submit(anyio.run, download_and_page, demo_url).result(timeout=60)
    assert page.status_code == 200
    assert csv.text == "settlement,status\nsudzha,contested\n"


async def download_and_page(demo_url: str) -> tuple[httpx.Response, httpx.Response]:
    app = create_app(make_settings(demo_url))
    page_answered = threading.Event()

    def rows() -> Iterator[bytes]:
        yield b"settlement,status\n"
        # The next chunk waits, in its thread, until a page has been answered: if it held
        # the only request thread, the page could not be.
        if not page_answered.wait(timeout=20):
            raise AssertionError("no page was answered while a download was streaming")
        yield b"sudzha,contested\n"

    app.add_api_route("/test-download", lambda: CSVResponse(rows()))
    to_thread.current_default_thread_limiter().total_tokens = 1  # KT_THREADS=1
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        downloaded: dict[str, httpx.Response] = {}

        async def download() -> None:
            downloaded["csv"] = await client.get("/test-download")

        async with anyio.create_task_group() as group:
            group.start_soon(download)
            await anyio.sleep(0.2)  # the download is now waiting on its second chunk
            with anyio.fail_after(20):
                page = await client.get("/settlements/sudzha")
            page_answered.set()
    return page, downloaded["csv"]


DOWNLOADS = [
    "/export/claims.csv",
    "/export/claims.csv?format=excel",
    "/export/settlements.csv",
    "/export/sources.csv",
    "/export/area_figures.csv",
    "/export/status.csv",
    "/export/status.geojson",
]


@pytest.mark.parametrize("path", DOWNLOADS)
def test_a_download_stopped_early_gives_its_connection_back_at_once(demo_url, path):
    """A HEAD (answered after the first chunk) or a reader who goes away: the download's
    database connection goes back to the pool then, not whenever the garbage collector
    next finds the stopped stream (30 HEADs took PostgreSQL's whole pool that way)."""
    app = create_app(make_settings(demo_url))
    pool = app.state.db.engine.pool
    gc.disable()  # a stopped stream must not wait for a collection to give its connection back
    try:
        with ThreadPoolExecutor(1) as runner:
            head, held_after_head = runner.submit(anyio.run, head_of, app, path).result(60)
            held_after_leaving = runner.submit(anyio.run, leave_during, app, path).result(60)
    finally:
        gc.enable()
    assert head.status_code == 200
    assert (held_after_head, held_after_leaving) == (0, 0)
    assert pool.checkedout() == 0


async def head_of(app, path: str) -> tuple[httpx.Response, int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.head(path)
    return response, app.state.db.engine.pool.checkedout()


async def leave_during(app, path: str) -> int:
    """A raw ASGI request whose client is gone once the headers are out."""
    path_only, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path_only,
        "raw_path": path_only.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
        "state": {},
    }
    headers_sent = anyio.Event()
    requested = False

    async def receive() -> dict:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await headers_sent.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            headers_sent.set()
        await anyio.sleep(0)

    await app(scope, receive, send)
    return app.state.db.engine.pool.checkedout()
