"""What the API, the exports and the feeds really send, for the OpenAPI document.

The bodies of errors are those of the exception handlers in app.main: for /api/, /export/
and the feeds, a 422 lists each bad parameter ({"detail": [{"field", "message"}]}), any
other error is a sentence ({"detail": "…"}); a database fault is a 503 with Retry-After.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response, StreamingResponse

from app.api.schemas import ErrorOut, ValidationErrorOut


class CSVResponse(StreamingResponse):
    media_type = "text/csv"  # Starlette adds "; charset=utf-8"


class GeoJSONResponse(StreamingResponse):
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
