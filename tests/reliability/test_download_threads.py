"""A download's body is made in threads of its own: while its client reads, the request
threads stay free for pages (a download holds a database connection all along; requests
waiting for a connection would otherwise hold every request thread, and neither would move)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx
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
