"""Security headers on every response (a pure ASGI middleware: it never buffers a stream),
and the one check every request passes: no NUL characters and no bytes that are not UTF-8
in what it sends."""

from __future__ import annotations

import html
import json
from urllib.parse import unquote_to_bytes, urlsplit

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.csrf import UNREADABLE_FORM
from app.http_cache import NO_STORE
from app.i18n import gettext


def content_security_policy(tile_url: str = "") -> str:
    """No inline scripts or styles anywhere; map tiles only from the configured host."""
    img_src = ["'self'", "data:"]
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        if parts.scheme in ("http", "https") and parts.hostname:
            host = parts.hostname
            if "{s}" in tile_url:
                host = "*." + host.split(".", 1)[1] if "." in host else host
            img_src.append(f"{parts.scheme}://{host}")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": img_src,
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


PRIVATE = "private, no-store"


def security_headers(*, tile_url: str = "", https: bool = False) -> dict[str, str]:
    """The headers every response carries, the error pages of a crash included."""
    headers = {
        "Content-Security-Policy": content_security_policy(tile_url),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


def is_private(scope: Scope, response_headers: MutableHeaders) -> bool:
    """A response for one person: to a signed-in user, carrying a CSRF token (it was asked
    for while rendering), or setting a cookie (the session)."""
    state = scope.get("state") or {}
    return bool(
        state.get("user") is not None
        or state.get("private_response")
        or "set-cookie" in response_headers
    )


class SecurityHeadersMiddleware:
    """Security headers on every response, and ``Cache-Control: private, no-store`` on every
    response that is one person's (see is_private), so no proxy or browser cache shares it;
    ``no-store`` on every error."""

    def __init__(self, app: ASGIApp, *, tile_url: str = "", https: bool = False) -> None:
        self.app = app
        self.headers = security_headers(tile_url=tile_url, https=https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if is_private(scope, headers):
                    headers["Cache-Control"] = PRIVATE
                elif message["status"] >= 400:
                    # An error is about one moment (an outage, a date not yet allowed): no
                    # shared cache may keep it and answer the next reader with it.
                    headers["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_with_headers)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def undecodable_fields(encoded: bytes) -> list[str]:
    """The names of the fields of a URL-encoded body or query whose bytes are not UTF-8."""
    names: list[str] = []
    for pair in encoded.split(b"&"):
        name, _, value = pair.partition(b"=")
        raw_name = unquote_to_bytes(name.replace(b"+", b" "))
        raw_value = unquote_to_bytes(value.replace(b"+", b" "))
        try:
            raw_name.decode("utf-8")
            raw_value.decode("utf-8")
        except UnicodeDecodeError:
            names.append(raw_name.decode("utf-8", "replace") or "(unnamed field)")
    return names


def _not_utf8(name: str) -> str:
    return gettext("%(name)s is not valid UTF-8 text") % {"name": name}


def _holds_nul(name: str) -> str:
    return gettext("%(name)s must not contain NUL characters") % {"name": name}


async def refuse_nul_characters(request: Request) -> None:
    """No text parameter may hold a NUL: PostgreSQL cannot store one, and no person types one.

    Checked for every request, before any route, so the answer is one clear 422 everywhere
    instead of a database error somewhere.
    """
    problems = [
        {"loc": ("query", name), "msg": _not_utf8(name), "type": "utf8"}
        for name in undecodable_fields(request.scope.get("query_string", b""))
    ]
    problems += [
        {"loc": ("query", name), "msg": _holds_nul(name), "type": "nul"}
        for name, value in request.query_params.multi_items()
        if "\x00" in value or "\x00" in name
    ]
    if "\x00" in request.url.path:
        problems.append(
            {
                "loc": ("path",),
                "msg": gettext("the address contains a NUL character"),
                "type": "nul",
            }
        )
    if request.method not in ("GET", "HEAD") and request.headers.get("content-type", "").startswith(
        FORM_TYPES
    ):
        if request.headers.get("content-type", "").startswith(FORM_TYPES[0]):
            # Starlette reads such bodies leniently (a stray byte becomes "ÿ" or U+FFFD): the
            # raw body is checked here, so that damaged text is refused, never stored.
            problems += [
                {"loc": ("body", name), "msg": _not_utf8(name), "type": "utf8"}
                for name in undecodable_fields(await request.body())
            ]
        try:
            form = await request.form()
        except UNREADABLE_FORM:
            return  # unreadable bodies are refused by the CSRF check with a clear message
        problems += [
            {"loc": ("body", name), "msg": _holds_nul(name), "type": "nul"}
            for name, value in form.multi_items()
            if isinstance(value, str) and "\x00" in value
        ]
    if problems:
        raise RequestValidationError(problems)


# The longest address (path and query) and Host header answered: a page repeats its address
# in its links (one per language, the date control's fields), so a 60,000-character address
# made a 666 KB error page. A real page's own links stay under this (the language switch
# carries the whole address, percent-encoded once more: 4,125 bytes for the longest search
# with filters); a DNS name is at most 253 characters, and a port follows it.
MAX_TARGET_BYTES = 8192
MAX_HOST_BYTES = 262


class BodySizeLimit:
    """Refuse request bodies over a limit (413) before any of them is read into memory, and
    addresses or Host headers over their limits (414, 431) before anything repeats them.

    Checks the declared Content-Length, and counts what actually arrives for chunked bodies.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = len(scope.get("raw_path") or scope["path"].encode()) + len(
            scope.get("query_string", b"")
        )
        if target > MAX_TARGET_BYTES:
            await refuse(
                scope,
                send,
                414,
                f"The address is longer than {MAX_TARGET_BYTES:,} characters: shorten the "
                "search or remove parameters.",
            )
            return
        headers = dict(scope["headers"])
        if len(headers.get(b"host", b"")) > MAX_HOST_BYTES:
            await refuse(
                scope, send, 431, f"The Host header is longer than {MAX_HOST_BYTES} characters."
            )
            return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse_body(scope, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLarge:
            await self._refuse_body(scope, send)

    async def _refuse_body(self, scope: Scope, send: Send) -> None:
        mb = self.max_bytes // (1024 * 1024)
        await refuse(scope, send, 413, f"The request is larger than {mb} MB.")


async def refuse(scope: Scope, send: Send, status: int, message: str) -> None:
    """An answer given before the app runs (so in English, before the page's language is
    known): JSON under /api/ as the API's errors are, a short HTML page elsewhere. It repeats
    nothing of the request."""
    if scope["path"].startswith("/api/"):
        body = json.dumps({"detail": message}).encode()
        content_type = b"application/json"
    else:
        body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{status} · Kursk Control Tracker</title></head><body><main><h1>"
            f'{html.escape(message)}</h1><p><a href="/">Kursk Control Tracker</a></p>'
            "</main></body></html>"
        ).encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", NO_STORE.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass
