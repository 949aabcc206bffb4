"""What the API, the exports and the feeds really send, for the OpenAPI document.

The bodies of errors are those of the exception handlers in app.main: for /api/, /export/
and the feeds, a 422 lists each bad parameter ({"detail": [{"field", "message"}]}), any
other error is a sentence ({"detail": "…"}); a database fault is a 503 with Retry-After.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

from anyio import CancelScope, CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.types import Receive, Scope, Send

from app.api.schemas import ErrorOut, ValidationErrorOut

# Threads for the bodies of downloads, apart from the request threads (KT_THREADS). A
# download holds a database connection while its client reads; if its chunks queued for
# the request threads, and those were all taken by requests waiting for a connection, neither
# would move until the pool gave up (30 s). Chunks are made a few at a time: more threads
# would only share the same cores.
STREAM_THREADS = 4
_stream_threads: RunVar[CapacityLimiter] = RunVar("kt_stream_threads")
_DONE = object()


def stream_threads() -> CapacityLimiter:
    """This event loop's threads for streamed bodies (made on first use, like anyio's own)."""
    try:
        return _stream_threads.get()
    except LookupError:
        limiter = CapacityLimiter(STREAM_THREADS)
        _stream_threads.set(limiter)
        return limiter


async def _made_in_stream_threads(chunks: Iterator[Any]) -> AsyncIterator[Any]:
    limiter = stream_threads()
    try:
        while True:
            chunk = await to_thread.run_sync(next, chunks, _DONE, limiter=limiter)
            if chunk is _DONE:
                return
            yield chunk
    finally:
        # Stopped early (a HEAD, a reader gone): the download gives its database connection
        # back now. Left to the garbage collector, a stopped stream sits in a reference
        # cycle until a full collection: 30 HEADs held PostgreSQL's whole pool.
        close = getattr(chunks, "close", None)
        if close is not None:
            with CancelScope(shield=True):
                await to_thread.run_sync(close, limiter=limiter)


class DownloadResponse(StreamingResponse):
    """A streamed body made from a plain iterator in the download threads, closed when the
    response ends, however it ends."""

    # Starlette's parameters, spelled out: FastAPI reads the default status from them.
    def __init__(
        self,
        content: Iterable[Any] | AsyncIterable[Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, media_type, background)
        if not isinstance(content, AsyncIterable):
            self.body_iterator = _made_in_stream_threads(iter(content))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            close = getattr(self.body_iterator, "aclose", None)
            if close is not None:
                with CancelScope(shield=True):
                    await close()


class CSVResponse(DownloadResponse):
    media_type = "text/csv"  # Starlette adds "; charset=utf-8"


class GeoJSONResponse(DownloadResponse):
    media_type = "application/geo+json"


class AtomResponse(Response):
    media_type = "application/atom+xml"


ERRORS: dict[int, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "Nothing by that name (the message says what)."},
    422: {
        "model": ValidationErrorOut,
        "description": "A parameter is not valid: each problem names it and says why. "
        "Any address may get one: no parameter may hold a NUL character.",
    },
    503: {
        "model": ErrorOut,
        "description": "The database cannot be reached, or cannot be written (a full disk, "
        "read-only); the message says which.",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer"},
            }
        },
    },
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Error answers of a JSON route."""
    return {code: ERRORS[code] for code in codes}


def errors_by_reference(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Error answers of a CSV, GeoJSON, Atom or health route: JSON all the same.

    Spelled out, since FastAPI would give a `model` the route's own content type. The
    schemas are those the JSON API's routes put in the document's components.
    """
    answers: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        answer = {key: value for key, value in ERRORS[code].items() if key != "model"}
        name = ERRORS[code]["model"].__name__
        answer["content"] = {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
        }
        answers[code] = answer
    return answers


def download(media_type: str, description: str, schema: dict[str, Any] | None = None) -> Any:
    """The 200 answer of a download: its real content type, and a file name to save it as."""
    return {
        200: {
            "description": description,
            "content": {media_type: {"schema": schema or {"type": "string"}}},
            "headers": {
                "Content-Disposition": {
                    "description": 'attachment; filename="…" with the date in the name',
                    "schema": {"type": "string"},
                }
            },
        }
    }


GEOJSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"const": "Feature"},
                    "geometry": {
                        "type": "object",
                        "properties": {
                            "type": {"const": "Point"},
                            "coordinates": {
                                "type": "array",
                                "items": {"type": "number"},
                                "minItems": 2,
                                "maxItems": 2,
                            },
                        },
                    },
                    "properties": {"type": "object"},
                },
            },
        },
        "as_of": {"type": "string", "format": "date"},
        "skipped": {
            "type": "integer",
            "description": "Settlements left out because they have no coordinates.",
        },
    },
}
