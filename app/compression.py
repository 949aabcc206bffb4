"""gzip for text responses (pages, CSS, JS, CSV, GeoJSON, JSON, feeds), streamed as produced.

Our own short middleware rather than Starlette's GZipMiddleware, for two reasons:

- BREACH: an attacker who can make a victim's browser send requests, and who can see the
  size of the compressed answers, can recover a secret in the body (a CSRF token) byte by
  byte when the body also reflects text of the request (a search, a filter). So nothing that
  could hold a secret is compressed: no response to a request carrying a session cookie (a
  signed-in person's pages hold their token), and no response that is one person's
  (app.security.is_private: a page that rendered a CSRF token, one setting a cookie), judged
  from the response itself. Static files hold no secret and reflect nothing: always compressed.
- Streaming: every chunk the app sends goes out compressed at once (a sync flush), so a
  large export stays a stream with flat memory, and its first bytes leave immediately.
"""

from __future__ import annotations

import zlib

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.security import is_private

SESSION_COOKIE = b"kt_session="
MINIMUM_SIZE = 500  # smaller bodies gain less than the gzip header and trailer cost
LEVEL = 6  # zlib's default: most of level 9's gain at a fraction of its time
COMPRESSIBLE_TYPES = (
    "text/",  # html, css, csv, javascript, plain, tab-separated values
    "application/json",
    "application/geo+json",
    "application/atom+xml",
    "application/xml",
    "application/javascript",
    "image/svg+xml",
)


def accepts_gzip(scope: Scope) -> bool:
    """Whether the client takes gzip (``Accept-Encoding: gzip``, not with ``q=0``)."""
    for name, value in scope["headers"]:
        if name != b"accept-encoding":
            continue
        for coding in value.decode("latin-1").lower().split(","):
            token, _, params = coding.partition(";")
            if token.strip() in ("gzip", "*"):
                quality = params.strip().removeprefix("q=").strip()
                return quality == "" or _positive(quality)
    return False


def _positive(quality: str) -> bool:
    try:
        return float(quality) > 0
    except ValueError:
        return False


def _has_session_cookie(scope: Scope) -> bool:
    return any(name == b"cookie" and SESSION_COOKIE in value for name, value in scope["headers"])


class Compression:
    def __init__(self, app: ASGIApp, *, minimum_size: int = MINIMUM_SIZE) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not accepts_gzip(scope):
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        if not static and _has_session_cookie(scope):
            await self.app(scope, receive, send)  # BREACH: see the module's docstring
            return
        responder = _GzipResponder(scope, send, self.minimum_size, static=static)
        await self.app(scope, receive, responder.send)


class _GzipResponder:
    def __init__(self, scope: Scope, send: Send, minimum_size: int, *, static: bool) -> None:
        self.scope = scope
        self.downstream = send
        self.minimum_size = minimum_size
        self.static = static
        self.start: Message | None = None
        self.compressor: zlib._Compress | None = None
        self.decided = False
        self.compress = False

    def _wanted(self, start: Message) -> bool:
        headers = MutableHeaders(scope=start)
        # Not a partial answer (206: its byte ranges name the uncompressed file), nor one
        # without a body.
        status = start["status"]
        if not (status == 200 or status >= 400) or "content-encoding" in headers:
            return False
        if not headers.get("content-type", "").startswith(COMPRESSIBLE_TYPES):
            return False
        return self.static or not is_private(self.scope, headers)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message  # held until the first body shows whether to compress
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.downstream(message)
            return
        body: bytes = message.get("body", b"")
        more_body: bool = message.get("more_body", False)
        if not self.decided:
            self.decided = True
            self.compress = self._wanted(self.start) and (
                more_body or len(body) >= self.minimum_size
            )
            if self.compress:
                headers = MutableHeaders(scope=self.start)
                headers["Content-Encoding"] = "gzip"
                headers.add_vary_header("Accept-Encoding")
                del headers["Content-Length"]
                self.compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                if not more_body:  # one piece: its compressed length is known
                    body = self.compressor.compress(body) + self.compressor.flush()
                    headers["Content-Length"] = str(len(body))
                    await self.downstream(self.start)
                    await self.downstream({"type": "http.response.body", "body": body})
                    return
            await self.downstream(self.start)
        if not self.compress or self.compressor is None:
            await self.downstream(message)
            return
        if more_body:
            # Flushed so that what the app produced leaves now: the stream stays a stream.
            out = self.compressor.compress(body) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        else:
            out = self.compressor.compress(body) + self.compressor.flush()
        await self.downstream({"type": "http.response.body", "body": out, "more_body": more_body})
