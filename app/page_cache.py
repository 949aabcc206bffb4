"""Rendered pages for readers without a session, kept for one content revision, and the
HTTP caching headers that let browsers, proxies and CDNs keep them too.

Most visitors only read, and a page is the same for all of them until the data changes:
render it once per (address, revision, day) and answer the next reader from memory. The
revision (app.revisions) moves with every write, so no reader ever gets a page older than
the data from here; editors and reviewers (anyone with a session cookie) always get a fresh
render. Downloads larger than MAX_ENTRY_BYTES stream through and are not kept.

Every public answer (status 200, not one person's: app.security.is_private) carries an ETag
naming what it depends on, and ``Cache-Control: public`` with a short life (app.http_cache).
A reader who sends the ETag back gets 304 before any route runs, without rendering.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import dates, revisions
from app.compression import accepts_gzip
from app.db import Database
from app.http_cache import (
    KEY_HEADERS,
    VARY,
    Variant,
    header_values,
    if_none_match_matches,
    public_cache_control,
)
from app.security import is_private

SESSION_COOKIE = b"kt_session="
MAX_ENTRY_BYTES = 2 * 1024 * 1024
# ETags handed out for public answers, so that a 304 is given only for what was public (a
# page such as /login, which carries a CSRF token, never gets one). Small: one string each.
MAX_PUBLIC_ETAGS = 100_000

Entry = tuple[int, list[tuple[bytes, bytes]], bytes]


class PageCache:
    def __init__(
        self,
        app: ASGIApp,
        *,
        database: Database,
        max_bytes: int = 64 * 1024 * 1024,
        vary_by_host: bool = True,
        keep_pages: bool = True,
    ) -> None:
        self.app = app
        # Without kept pages (KT_PAGE_CACHE=false) every request renders, and ETags, 304s and
        # Cache-Control work all the same.
        self.keep_pages = keep_pages
        # Without KT_BASE_URL, absolute links (feeds, API next links) are built from the Host
        # header and the scheme: a page is then kept per host, so that one client's Host
        # header never reaches another client.
        self.vary_by_host = vary_by_host
        self.database = database
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self._public_etags: OrderedDict[str, None] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.not_modified = 0

    def _revision(self) -> int:
        return revisions.read_current(self.database)

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

    def variant(self, scope: Scope, revision: int) -> Variant:
        """Everything the response to this request depends on (its ETag names it)."""
        headers = dict(scope["headers"])
        return Variant(
            path=scope["path"],
            query=scope["query_string"],
            key_headers=header_values(scope["headers"], KEY_HEADERS),
            origin=(scope.get("scheme"), headers.get(b"host", b""), scope.get("root_path", ""))
            if self.vary_by_host
            else None,
            revision=revision,
            day=dates.today(),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        try:
            # A database read: in a worker thread, never on the event loop.
            revision = await run_in_threadpool(self._revision)
        except DBAPIError:
            await self.app(scope, receive, send)  # the app answers the outage itself
            return
        variant = self.variant(scope, revision)
        etag = variant.etag
        if_none_match = dict(scope["headers"]).get(b"if-none-match", b"").decode("latin-1")
        if if_none_match and if_none_match_matches(if_none_match, etag) and self._is_public(etag):
            self.not_modified += 1
            await self._send_not_modified(send, etag)
            return
        # The encoding is part of the kept entry (app.compression runs inside this cache), not
        # of the ETag: both encodings are the same page.
        key = (variant, accepts_gzip(scope))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
        if entry is not None:
            status, response_headers, body = entry
            start = {"type": "http.response.start", "status": status, "headers": response_headers}
            self._add_public_headers(start, etag)
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        self.misses += 1
        await self._render(scope, receive, send, key, etag, if_none_match)

    async def _render(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: tuple[Any, ...],
        etag: str,
        if_none_match: str,
    ) -> None:
        start: Message | None = None
        app_headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        keep = self.keep_pages
        # A reader whose ETag this process has not handed out yet (it restarted, or another
        # worker did) and that turns out to match: 304 all the same, the body is not sent.
        answered_not_modified = False

        async def capture(message: Message) -> None:
            nonlocal start, keep, answered_not_modified, app_headers
            if message["type"] == "http.response.start":
                start = message
                app_headers = list(message.get("headers", []))
                public = message["status"] == 200 and not is_private(
                    scope, MutableHeaders(scope=message)
                )
                keep = keep and public
                if public:
                    self._remember_public(etag)
                    if if_none_match and if_none_match_matches(if_none_match, etag):
                        answered_not_modified = True
                        self.not_modified += 1
                        await self._send_not_modified(send, etag)
                        return
                    self._add_public_headers(message, etag)
            elif message["type"] == "http.response.body":
                if keep:
                    chunks.append(message.get("body", b""))
                    if sum(map(len, chunks)) > MAX_ENTRY_BYTES:
                        keep = False
                if answered_not_modified:
                    return
            await send(message)

        await self.app(scope, receive, capture)
        if keep and start is not None:
            self._store(key, start["status"], app_headers, b"".join(chunks))

    def _add_public_headers(self, message: Message, etag: str) -> None:
        headers = MutableHeaders(scope=message)
        headers["ETag"] = etag
        headers["Cache-Control"] = public_cache_control()
        headers["Vary"] = VARY

    async def _send_not_modified(self, send: Send, etag: str) -> None:
        # The headers a 200 would have had that a cache updates its copy with (RFC 9110 15.4.5).
        message: Message = {"type": "http.response.start", "status": 304, "headers": []}
        self._add_public_headers(message, etag)
        await send(message)
        await send({"type": "http.response.body", "body": b""})

    def _is_public(self, etag: str) -> bool:
        with self._lock:
            return etag in self._public_etags

    def _remember_public(self, etag: str) -> None:
        with self._lock:
            self._public_etags[etag] = None
            self._public_etags.move_to_end(etag)
            while len(self._public_etags) > MAX_PUBLIC_ETAGS:
                self._public_etags.popitem(last=False)

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
