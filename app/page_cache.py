"""Rendered pages for readers without a session, kept for one content revision.

Most visitors only read, and a page is the same for all of them until the data changes:
render it once per (address, revision, day) and answer the next reader from memory. The
revision (app.revisions) moves with every write, so no reader ever gets a page older than
the data; editors and reviewers (anyone with a session cookie) always get a fresh render.
Downloads larger than MAX_ENTRY_BYTES stream through and are not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import dates
from app.db import Database, with_reconnect
from app.revisions import ContentRevision

SESSION_COOKIE = b"kt_session="
VARYING_HEADERS = (b"hx-request", b"hx-target", b"hx-history-restore-request", b"hx-trigger-name")
MAX_ENTRY_BYTES = 2 * 1024 * 1024


class PageCache:
    def __init__(
        self,
        app: ASGIApp,
        *,
        database: Database,
        max_bytes: int = 64 * 1024 * 1024,
        vary_by_host: bool = True,
    ) -> None:
        self.app = app
        # Without KT_BASE_URL, absolute links (feeds, API next links) are built from the Host
        # header and the scheme: a page is then kept per host, so that one client's Host
        # header never reaches another client.
        self.vary_by_host = vary_by_host
        self.database = database
        self.max_bytes = max_bytes
        self._entries: OrderedDict[
            tuple[Any, ...], tuple[int, list[tuple[bytes, bytes]], bytes]
        ] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _revision(self) -> int:
        query = select(ContentRevision.value).where(ContentRevision.id == 1)
        return with_reconnect(self.database, lambda connection: connection.scalar(query) or 0)

    def _cacheable(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        # Large downloads (the claims CSV) outgrow MAX_ENTRY_BYTES and are passed through.
        if scope["path"].startswith(("/static/", "/healthz")):
            return False
        for name, value in scope["headers"]:
            if name == b"cookie" and SESSION_COOKIE in value:
                return False
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        try:
            revision = self._revision()
        except DBAPIError:
            await self.app(scope, receive, send)  # the app answers the outage itself
            return
        headers = dict(scope["headers"])
        # Everything a response depends on: the address, the HTMX headers, the data's
        # revision, the day (pages default to today), and where links point to.
        key = (
            scope["path"],
            scope["query_string"],
            tuple(headers.get(h, b"") for h in VARYING_HEADERS),
            (scope.get("scheme"), headers.get(b"host", b""), scope.get("root_path", ""))
            if self.vary_by_host
            else None,
            revision,
            dates.today(),
        )
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
        if entry is not None:
            status, response_headers, body = entry
            await send(
                {"type": "http.response.start", "status": status, "headers": response_headers}
            )
            await send({"type": "http.response.body", "body": body})
            return
        self.misses += 1
        start: Message | None = None
        chunks: list[bytes] = []
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, keep
            if message["type"] == "http.response.start":
                start = message
                keep = message["status"] == 200 and not any(
                    name == b"set-cookie" for name, _ in message.get("headers", [])
                )
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                if sum(map(len, chunks)) > MAX_ENTRY_BYTES:
                    keep = False
            await send(message)

        await self.app(scope, receive, capture)
        if keep and start is not None:
            self._store(key, start["status"], list(start.get("headers", [])), b"".join(chunks))

    def _store(
        self, key: tuple[Any, ...], status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (status, headers, body)
            self._size += len(body)
            while self._size > self.max_bytes and self._entries:
                _, (_, _, old) = self._entries.popitem(last=False)
                self._size -= len(old)
