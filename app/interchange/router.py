"""CSV downloads, streamed."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from app.api.responses import (
    GEOJSON_SCHEMA,
    CSVResponse,
    GeoJSONResponse,
    download,
    errors_by_reference,
)
from app.deps import DatabaseDep, SettingsDep
from app.interchange import exports, geojson
from app.interchange.filters import ClaimFilters, StatusFilters

router = APIRouter(prefix="/export", tags=["export"], responses=errors_by_reference(422, 503))
CSV = download(CSVResponse.media_type, "UTF-8 CSV (RFC 4180), one header row, streamed.")


def started(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The first chunk made now, before the answer starts: a database fault is then a 503
    in words, not a 200 cut off after the header (every export touches the database first).
    """
    first = next(chunks, None)
    return itertools.chain([] if first is None else [first], chunks)


def csv_response(chunks: Iterator[bytes], filename: str) -> StreamingResponse:
    return CSVResponse(
        started(chunks), headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def dated_name(kind: str, on: date, ext: str = "csv") -> str:
    return f"{kind}-{on.isoformat()}.{ext}"


@router.get(
    "/claims.csv",
    summary="Approved claims as CSV",
    response_class=CSVResponse,
    responses=CSV,
)
def claims_csv(
    database: DatabaseDep, settings: SettingsDep, filters: ClaimFilters
) -> StreamingResponse:
    name = dated_name("claims", filters["until"] or date.today())
    return csv_response(exports.claims_csv(database, settings, **filters), name)


@router.get(
    "/settlements.csv",
    summary="Settlements as CSV",
    response_class=CSVResponse,
    responses=CSV,
)
def settlements_csv(database: DatabaseDep, settings: SettingsDep) -> StreamingResponse:
    return csv_response(
        exports.settlements_csv(database, settings), dated_name("settlements", date.today())
    )


@router.get(
    "/status.csv",
    summary="Derived status of every settlement on a date, as CSV",
    response_class=CSVResponse,
    responses=CSV,
)
def status_csv(
    database: DatabaseDep, settings: SettingsDep, filters: StatusFilters
) -> StreamingResponse:
    values, on = filters
    return csv_response(
        exports.status_csv(database, settings, on=on, **values), dated_name("status", on)
    )


@router.get(
    "/status.geojson",
    summary="Derived status of every placed settlement, as GeoJSON",
    response_class=GeoJSONResponse,
    responses={
        **download(GeoJSONResponse.media_type, "A GeoJSON FeatureCollection.", GEOJSON_SCHEMA),
    },
)
def status_geojson(
    database: DatabaseDep, settings: SettingsDep, filters: StatusFilters
) -> StreamingResponse:
    """A FeatureCollection; settlements without coordinates are counted in ``skipped``."""
    values, on = filters
    return GeoJSONResponse(
        started(geojson.status_geojson(database, settings, on=on, **values)),
        headers={
            "Content-Disposition": f'attachment; filename="{dated_name("status", on, "geojson")}"'
        },
    )
