"""create_app(): settings, database, middleware, routers, static files, error pages."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

from anyio import to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Match

from app import dates
from app import models as _all_models  # noqa: F401  (every mapped class, the freshness events)
from app.accounts.csrf import csrf_protect
from app.accounts.router import router as accounts_router
from app.accounts.service import SESSION_LIFETIME, NotAllowed
from app.api.responses import errors_by_reference
from app.api.router import router as api_router
from app.claims.router import router as claims_router
from app.compression import Compression
from app.config import Settings, get_settings
from app.db import Database
from app.deps import LoginRequired, as_request_error, get_current_user
from app.faults import DatabaseFault, FaultKind, database_fault
from app.filters import FilterError
from app.health import HealthOut, WriteCheck, health
from app.http_cache import NO_STORE
from app.i18n import N_, gettext, ngettext
from app.interchange.feeds import router as feeds_router
from app.interchange.import_router import router as import_router
from app.interchange.router import router as export_router
from app.language import LanguageMiddleware, check_language
from app.language import router as language_router
from app.page_cache import PageCache
from app.protocol import BodyReadTimeout, HeadAsGet
from app.security import (
    PRIVATE,
    BodySizeLimit,
    SecurityHeadersMiddleware,
    refuse_nul_characters,
    security_headers,
)
from app.settlements.router import router as settlements_router
from app.sources.router import router as sources_router
from app.static_files import HashedStaticFiles, static_manifest
from app.status.router import router as status_router
from app.templating import render
from app.validation import field_errors

logger = logging.getLogger("kursk_tracker")
DESCRIPTION = "Who controls which settlement in the Kursk region, since when, and on whose word."


def wants_html(request: Request) -> bool:
    """Pages get HTML error pages; the API and downloads get JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/export/", "/healthz")) or path.endswith(".atom"):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "*/*" in accept or not accept


def error_page(
    request: Request, status_code: int, title: str, message: str, **extra: Any
) -> Response:
    return render(
        request,
        "error.html",
        {
            "as_of": dates.today(),
            "status_code": status_code,
            "title": title,
            "message": message,
            **extra,
        },
        status_code=status_code,
    )


ERROR_TITLES = {
    400: N_("Bad request"),
    401: N_("Please log in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Too large"),
    422: N_("Please check the address"),
    429: N_("Too many attempts"),
    503: N_("Temporarily unavailable"),
}
SOMETHING_WENT_WRONG = N_("Something went wrong")
CHECK_THE_FORM = N_("Please check the form")
# The framework's own words for an error it raises itself (an address with no page behind
# it), so that its error page speaks the reader's language too.
FRAMEWORK_DETAILS = (N_("Not Found"), N_("Method Not Allowed"))


def slashless_address(request: Request) -> str | None:
    """For a 404 on an address ending in "/": the same address without it, relative, if a
    route answers it. Starlette's own redirect (turned off) wrote the Host header into the
    Location, even with KT_BASE_URL set, and as http behind a TLS proxy."""
    path: str = request.scope["path"]
    if path == "/" or not path.endswith("/"):
        return None
    slashless = {**request.scope, "path": path.rstrip("/") or "/"}
    if not any(route.matches(slashless)[0] != Match.NONE for route in request.app.router.routes):
        return None
    raw: bytes = request.scope.get("raw_path") or path.encode()
    if not raw.endswith(b"/"):
        return None  # an encoded slash (%2F) is part of a name, not the address's end
    # Never a scheme-relative address (//host or /\host), whatever the path held.
    location = "/" + raw.decode("latin-1").rstrip("/").lstrip("/\\")
    query: str = request.scope.get("query_string", b"").decode("latin-1")
    return location + ("?" + query if query else "")


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 404:
        location = slashless_address(request)
        if location is not None:
            return RedirectResponse(location, status_code=307)
    detail = (
        exc.detail if isinstance(exc.detail, str) else ERROR_TITLES.get(exc.status_code, "Error")
    )
    headers = dict(exc.headers or {})
    allowed = [m.strip() for m in headers.get("Allow", "").split(",") if m.strip()]
    if "GET" in allowed and "HEAD" not in allowed:
        headers["Allow"] = ", ".join([*allowed, "HEAD"])  # HEAD answers wherever GET does
    if not wants_html(request):
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)
    title = gettext(ERROR_TITLES.get(exc.status_code, SOMETHING_WENT_WRONG))
    # A message in the catalog is shown in the reader's language; any other as it was given.
    # (Never the empty message: gettext("") is the catalog's header.)
    response = error_page(request, exc.status_code, title, gettext(detail) if detail else detail)
    response.headers.update(headers)  # Allow, Retry-After: the page's as well as the API's
    return response


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = field_errors(list(exc.errors()))
    if not wants_html(request):
        return JSONResponse(
            {"detail": [{"field": k, "message": v} for k, v in errors.items()]}, status_code=422
        )
    # The lead says what is wrong in general; the list below it says each parameter once.
    in_the_form = all((e.get("loc") or ("",))[0] == "body" for e in exc.errors())
    title = gettext(CHECK_THE_FORM if in_the_form else ERROR_TITLES[422])
    if in_the_form:  # a form's field (a NUL in a summary), not the address
        message = ngettext(
            "One part of the form cannot be used:",
            "%(num)s parts of the form cannot be used:",
            len(errors),
        ) % {"num": len(errors)}
    else:
        message = ngettext(
            "One part of the address cannot be used:",
            "%(num)s parts of the address cannot be used:",
            len(errors),
        ) % {"num": len(errors)}
    return error_page(request, 422, title, message, errors=errors)


async def filter_error(request: Request, exc: FilterError) -> Response:
    """A filter or a cursor refused where a route reads it (a list's ``after``): a 422."""
    return await validation_error(request, as_request_error(exc))


async def not_allowed(request: Request, exc: NotAllowed) -> Response:
    """A role checked again at write time was found too low: 403, nothing stored."""
    return await http_error(request, StarletteHTTPException(403, str(exc)))


async def login_required(request: Request, exc: LoginRequired) -> Response:
    if not wants_html(request):
        return JSONResponse({"detail": "Log in first."}, status_code=401)
    if request.method in ("GET", "HEAD"):
        target = request.url.path + ("?" + request.url.query if request.url.query else "")
    else:
        # A form posted without a session (it expired): back to the page the form was on,
        # not to the form's action, which answers only POST (a 405 after logging in).
        came_from = urlsplit(request.headers.get("referer", ""))
        target = (came_from.path or "/") + ("?" + came_from.query if came_from.query else "")
        if len(target) > 500:  # the login page's limit for ``next``
            target = "/"
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


FAULT_TITLES = {
    FaultKind.disk_full: N_("The disk is full"),
    FaultKind.read_only: N_("Read-only for now"),
    FaultKind.locked: N_("Busy"),
    FaultKind.unreachable: ERROR_TITLES[503],
    FaultKind.not_migrated: N_("Database not migrated"),
}


async def database_fault_page(request: Request, exc: Exception) -> Response:
    """A database fault in a sentence (app.faults); any other database error is a bug."""
    fault = database_fault(exc)
    if fault is None:
        raise exc
    message = fault.sentence(writing=request.method not in ("GET", "HEAD"))
    headers = {"Retry-After": "30"} if fault.status_code == 503 else {}
    if not wants_html(request):
        return JSONResponse({"detail": message}, status_code=fault.status_code, headers=headers)
    response = error_page(request, fault.status_code, gettext(FAULT_TITLES[fault.kind]), message)
    response.headers.update(headers)
    return response


INTERNAL_ERROR = N_("Something went wrong on our side. It has been logged; please try again later.")


async def internal_error(request: Request, exc: Exception) -> Response:
    """The answer to an unexpected exception: the site's error page, with its security headers.

    Starlette answers a crash outside every middleware of ours, so the headers are set here.
    The exception is re-raised afterwards by Starlette, and logged by the server.
    """
    response: Response
    if wants_html(request):
        try:
            response = error_page(
                request, 500, gettext(SOMETHING_WENT_WRONG), gettext(INTERNAL_ERROR)
            )
        except Exception:  # the error page itself failed: say it plainly
            logger.exception("the error page could not be rendered")
            response = PlainTextResponse(INTERNAL_ERROR, status_code=500)
    else:
        response = JSONResponse({"detail": INTERNAL_ERROR}, status_code=500)
    settings: Settings = request.app.state.settings
    for name, value in security_headers(tile_url=settings.tile_url, https=settings.https).items():
        response.headers.setdefault(name, value)
    response.headers["Cache-Control"] = PRIVATE
    return response


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = Database(settings.database_url, echo=settings.sql_echo)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # No warm-up: the first pages need no derived history (app/freshness.py).
        to_thread.current_default_thread_limiter().total_tokens = settings.threads
        # What is kept between requests (a region's history, the directory, status tables)
        # is millions of objects at 500,000 claims, and Python's default thresholds walk all
        # of them every few hundred requests (about 100 ms each time: the slowest tenth of
        # the uncached pages). Young garbage is still collected every 50,000 allocations;
        # the whole heap far more rarely.
        gc.set_threshold(50_000, 20, 100)
        yield
        database.dispose()

    app = FastAPI(
        redirect_slashes=False,  # done by http_error, with a relative Location
        title="Kursk Control Tracker",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        # Our own /docs page: FastAPI's loads Swagger UI from a CDN with an inline script,
        # which neither our CSP nor an offline machine allows.
        docs_url=None,
        redoc_url=None,
        # Every request: no NUL or non-UTF-8 bytes, the CSRF check on writes, then who is
        # logged in.
        dependencies=[
            Depends(refuse_nul_characters),
            Depends(check_language),
            Depends(csrf_protect),
            Depends(get_current_user),
        ],
    )
    app.state.settings = settings
    app.state.db = database

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie="kt_session",
        max_age=int(SESSION_LIFETIME.total_seconds()),
        same_site="lax",
        https_only=settings.https,
    )
    # Inside the page cache, so that a kept page is kept compressed and a hit costs no gzip.
    app.add_middleware(Compression)
    app.add_middleware(
        PageCache,
        database=database,
        vary_by_host=not settings.base_url,
        keep_pages=settings.page_cache,
    )
    # Outside the page cache: a visitor without a language is sent to theirs before any
    # lookup, and the page cache keeps each language apart by the address (``lang``).
    app.add_middleware(LanguageMiddleware)
    # Every body: the largest upload plus room for the form around it, sent in bounded time.
    app.add_middleware(BodySizeLimit, max_bytes=(settings.max_upload_mb + 1) * 1024 * 1024)
    app.add_middleware(BodyReadTimeout, seconds=settings.body_timeout_seconds)
    app.add_middleware(HeadAsGet)
    if settings.allowed_host_list:
        # Outside the page cache: a page is never rendered for, nor kept under, a foreign host.
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_host_list)
    app.add_middleware(SecurityHeadersMiddleware, tile_url=settings.tile_url, https=settings.https)
    # Starlette types a handler as taking any Exception; each of ours takes its own class.
    handlers: list[tuple[type[Exception], Any]] = [
        (StarletteHTTPException, http_error),
        (RequestValidationError, validation_error),
        (DBAPIError, database_fault_page),
        (DatabaseFault, database_fault_page),
        (LoginRequired, login_required),
        (FilterError, filter_error),
        (Exception, internal_error),
        (NotAllowed, not_allowed),
    ]
    for exception_class, handler in handlers:
        app.add_exception_handler(exception_class, handler)

    static_manifest.build()  # the content-hashed names of the static files, once
    app.mount("/static", HashedStaticFiles(manifest=static_manifest), name="static")
    app.include_router(status_router)
    app.include_router(settlements_router)
    app.include_router(export_router)
    app.include_router(claims_router)
    app.include_router(accounts_router)
    app.include_router(sources_router)
    app.include_router(import_router)
    app.include_router(api_router)
    app.include_router(feeds_router)
    app.include_router(language_router)

    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        # In the site's own layout (header, fonts, footer), Swagger UI inside it.
        return render(request, "api_docs.html", {"as_of": dates.today()})

    async def alive(_request: Request) -> Response:
        """The framework's own ceiling, for the benchmark and liveness probes: no database,
        no session, no dependency (a plain Starlette route: FastAPI's app-wide dependencies
        would look up the signed-in user)."""
        return PlainTextResponse("ok", headers={"Cache-Control": NO_STORE})

    app.router.add_route("/healthz/live", alive, methods=["GET"], include_in_schema=False)

    write_check = WriteCheck(database)

    @app.get(
        "/healthz",
        tags=["health"],
        summary="Database reachable, and accepting writes",
        response_model=None,
        responses={
            **errors_by_reference(422),
            200: {"model": HealthOut, "description": "Reads and writes work (writes: ok or busy)."},
            503: {
                "model": HealthOut,
                "description": "The database is unreachable, or refuses writes "
                "(writes: disk full, read-only, unreachable).",
            },
        },
    )
    def healthz() -> Response:
        answer = health(database, write_check)
        return JSONResponse(answer.body, status_code=answer.status_code)

    return app
