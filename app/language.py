"""The language is part of the address: ``?lang=uk``.

A shared link shows what its sender saw, and a proxy or CDN keeps each language apart by the
address alone (no ``Vary`` on a cookie or on ``Accept-Language``). A visitor who asks for a
page without ``lang`` is sent, once, to the same address with their language: the one they
chose before (the ``kt_lang`` cookie, set by the switch in the header), else the best match
for their browser's ``Accept-Language``. A visitor whose language is English (or none the
site speaks) gets the page at once, in English, with links that carry ``lang=en``: the bare
address keeps answering as it always did, for programs and old links alike.

Downloads, feeds, the map image and the API are not sent anywhere: the API and the exports are
a data contract and always speak English; a feed or the map image speaks the ``lang`` it is
given, English without one. A redirect the application answers (after a form, to the login
page) keeps the reader's language on its way.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.filters import FilterError
from app.http_cache import NO_STORE
from app.i18n import DEFAULT_LANGUAGE, LANGUAGES, gettext, set_language

COOKIE = "kt_lang"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
PARAMETER = "lang"
# Always English: the data contract (exports, API, its schema) and the machinery.
ENGLISH_ONLY_PREFIXES = ("/api/", "/export/", "/static/", "/healthz", "/openapi.json")
# How many of a browser's languages are looked at: a real one names a handful.
MOST_ACCEPTED_LANGUAGES = 20
PRINTABLE_ASCII = "".join(chr(code) for code in range(33, 127))


def is_page(path: str) -> bool:
    """A page for people, which a visitor is sent to in their language: not a download, a feed,
    an image or the API (their names have an extension, or a prefix of ENGLISH_ONLY_PREFIXES)."""
    if path.startswith(ENGLISH_ONLY_PREFIXES) or path == "/language":
        return False
    return "." not in path.rsplit("/", 1)[-1]


def from_accept_language(header: str) -> str | None:
    """The first of the browser's languages, by weight, that the site speaks.

    A weight is a number from 0 to 1 (RFC 9110 12.4.2); an entry whose weight is anything
    else (``q=NaN``, ``q=1e309``, ``q=-1``, ``q=high``) is ignored, as is a header that names
    more languages than MOST_ACCEPTED_LANGUAGES past that many."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",", MOST_ACCEPTED_LANGUAGES)):
        if position == MOST_ACCEPTED_LANGUAGES:
            break
        tag, *params = part.split(";")
        weight = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                weight = accepted_weight(value.strip())
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and weight > 0:
            choices.append((-weight, position, primary))
    return min(choices)[2] if choices else None


def accepted_weight(text: str) -> float:
    """A ``q=`` value as a weight; 0 (not accepted) when it is not a number from 0 to 1."""
    try:
        weight = float(text)
    except ValueError:
        return 0.0
    return weight if math.isfinite(weight) and 0 <= weight <= 1 else 0.0


def negotiated(scope: Scope) -> str:
    """The visitor's language when the address names none: remembered, asked for, or English."""
    cookie_language = None
    accept_languages: list[str] = []
    for name, value in scope["headers"]:
        if name == b"cookie":
            for pair in value.decode("latin-1").split(";"):
                key, _, cookie_value = pair.strip().partition("=")
                if key == COOKIE and cookie_value in LANGUAGES:
                    cookie_language = cookie_value
        elif name == b"accept-language":
            # Several header lines are one list (RFC 9110 5.3).
            accept_languages.append(value.decode("latin-1"))
    return cookie_language or from_accept_language(", ".join(accept_languages)) or DEFAULT_LANGUAGE


def with_language(address: str, language: str, *, encoding: str = "utf-8") -> str:
    """``address`` (a path with its query) with ``lang`` set to ``language``, last.

    Everything else in the address means what it meant, and the result is plain ASCII, fit
    for a Location header. ``encoding`` is the one the address's text was decoded with:
    "latin-1" for an address as it arrived, so that every byte is kept as it came (``q=%FF``,
    not UTF-8, stays for the page to refuse by name, rather than becoming another word)."""
    # Characters outside printable ASCII (a raw byte, a space, a Cyrillic letter) become
    # escapes of their bytes; escapes already there are then read byte for byte.
    parts = urlsplit(quote(address, safe=PRINTABLE_ASCII, encoding=encoding))
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True, encoding="latin-1")
        if k != PARAMETER
    ]
    query.append((PARAMETER, language))
    return urlunsplit(("", "", parts.path or "/", urlencode(query, encoding="latin-1"), ""))


def is_local_path(address: str) -> bool:
    """A path on this site: it starts with one slash (``//host`` and ``/\\host`` lead away)."""
    return (
        address.startswith("/")
        and not address.startswith(("//", "/\\"))
        and not any(ord(c) < 32 for c in address)
    )


class LanguageMiddleware:
    """Sets the request's language (app.i18n), and sends a visitor without one to theirs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        state = scope.setdefault("state", {})
        if path == "/language":  # the switch reads ``lang`` itself
            set_language(negotiated(scope))
            await self.app(scope, receive, send)
            return
        if path.startswith(ENGLISH_ONLY_PREFIXES):
            set_language(DEFAULT_LANGUAGE)
            state["language"] = DEFAULT_LANGUAGE
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        asked = [value for key, value in query if key == PARAMETER]
        if len(asked) == 1 and asked[0] in LANGUAGES:
            language = asked[0]
        elif asked:
            # An unknown or repeated language: the page answers 422 naming ``lang`` (see
            # check_language), in the visitor's own language.
            language = negotiated(scope)
            state["language_error"] = True
        else:
            language = negotiated(scope)
            page = scope["method"] in ("GET", "HEAD") and is_page(path)
            if page and language != DEFAULT_LANGUAGE and is_local_path(path):
                await self._send_to_language(scope, send, language)
                return
            if scope["method"] in ("GET", "HEAD"):
                # A feed or an image without lang, or an address that cannot be sent on
                # (``//host``): the same for all, English, as the page cache keeps it under
                # an address that names no language.
                language = DEFAULT_LANGUAGE
        set_language(language)
        state["language"] = language
        # A page at an address without ``lang`` is English for this visitor only: a shared
        # cache must ask again for the next one, who may be sent to another language.
        vary_by_visitor = not asked and scope["method"] in ("GET", "HEAD") and is_page(path)
        # Redirects keep the language when the reader has one other than the default, or
        # named one in the address.
        keep_in_redirects = bool(asked) or language != DEFAULT_LANGUAGE

        async def send_keeping_language(message: Message) -> None:
            if message["type"] != "http.response.start":
                await send(message)
                return
            headers = MutableHeaders(scope=message)
            headers["Content-Language"] = language
            if vary_by_visitor:
                named = {v.strip().lower() for v in headers.get("vary", "").split(",")}
                for header in ("Accept-Language", "Cookie"):
                    if header.lower() not in named:
                        headers.add_vary_header(header)
            if keep_in_redirects and 300 <= message["status"] < 400:
                location = headers.get("location")
                if location and is_local_path(location):
                    target = urlsplit(location)
                    if is_page(target.path) and PARAMETER not in dict(parse_qsl(target.query)):
                        # A header is latin-1 text: its bytes are kept as they came.
                        headers["location"] = with_language(location, language, encoding="latin-1")
            await send(message)

        await self.app(scope, receive, send_keeping_language)

    async def _send_to_language(self, scope: Scope, send: Send, language: str) -> None:
        raw_path = scope.get("raw_path") or scope["path"].encode()
        address = raw_path.decode("latin-1")
        if scope["query_string"]:
            address += "?" + scope["query_string"].decode("latin-1")
        # The address as it arrived, bytes and all (latin-1 keeps every byte as it is).
        location = with_language(address, language, encoding="latin-1")
        response = RedirectResponse(location, status_code=302)
        # Where one is sent depends on the cookie and the browser's languages: nobody may keep
        # this answer for someone else.
        response.headers["Cache-Control"] = NO_STORE
        response.headers["Vary"] = "Cookie, Accept-Language"
        await response(scope, _receive_nothing, send)


async def _receive_nothing() -> Message:
    return {"type": "http.disconnect"}


def check_language(request: Request) -> None:
    """Every request: an unknown or repeated ``lang`` is a 422 naming it, like any parameter."""
    if request.scope.get("state", {}).get("language_error"):
        raise language_refused()


def language_refused() -> FilterError:
    choices = ", ".join(f"{code} ({name})" for code, name in LANGUAGES.items())
    return FilterError(
        PARAMETER, gettext("lang must be one of: %(choices)s") % {"choices": choices}
    )


router = APIRouter()


@router.get("/language", include_in_schema=False)
def choose_language(request: Request, lang: str = DEFAULT_LANGUAGE, next: str = "/") -> Response:
    """The switch in the header: remember the reader's choice, and show the same page in it.

    An unknown or repeated ``lang`` is refused by name, as on every page, and nothing is
    remembered; a ``next`` that is not a page of this site leads to the home page."""
    if len(request.query_params.getlist(PARAMETER)) > 1 or lang not in LANGUAGES:
        raise language_refused()
    target = next if is_local_path(next) and is_page(urlsplit(next).path) else "/"
    response = RedirectResponse(with_language(target, lang), status_code=303)
    response.set_cookie(
        COOKIE,
        lang,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.https,
    )
    return response
