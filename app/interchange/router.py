"""CSV downloads, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from app.deps import DatabaseDep, SettingsDep
from app.interchange import exports, geojson
from app.interchange.filters import FilterError, claim_filters, status_filters

router = APIRouter(prefix="/export", tags=["export"])


def csv_response(chunks: Iterator[bytes], filename: str) -> StreamingResponse:
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _refuse(error: FilterError) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("query", error.field), "msg": error.message, "type": "value_error"}]
    )


def dated_name(kind: str, on: date, ext: str = "csv") -> str:
    return f"{kind}-{on.isoformat()}.{ext}"


@router.get("/claims.csv", summary="Approved claims as CSV")
def claims_csv(
    database: DatabaseDep,
    settings: SettingsDep,
    settlement: Annotated[str | None, Query(max_length=80, description="Settlement slug.")] = None,
    source: Annotated[str | None, Query(max_length=80, description="Source slug.")] = None,
    side: Annotated[str | None, Query(description="russia, ukraine or neutral.")] = None,
    status: Annotated[str | None, Query(description="A control status.")] = None,
    verification: Annotated[str | None, Query(description="A verification level.")] = None,
    since: Annotated[str | None, Query(description="Earliest as_of (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, Query(description="Latest as_of (YYYY-MM-DD).")] = None,
    as_of: Annotated[
        str | None, Query(description="The claims known on this date: same as until.")
    ] = None,
    district: Annotated[str | None, Query(max_length=200)] = None,
) -> StreamingResponse:
    try:
        filters = claim_filters(
            settlement=settlement,
            source=source,
            side=side,
            status=status,
            verification=verification,
            since=since,
            until=until,
            as_of=as_of,
            district=district,
        )
    except FilterError as error:
        raise _refuse(error) from None
    name = dated_name("claims", filters["until"] or date.today())
    return csv_response(exports.claims_csv(database, settings, **filters), name)


@router.get("/settlements.csv", summary="Settlements as CSV")
def settlements_csv(database: DatabaseDep, settings: SettingsDep) -> StreamingResponse:
    return csv_response(
        exports.settlements_csv(database, settings), dated_name("settlements", date.today())
    )


def _status_filters(
    as_of: Annotated[str | None, Query(description="The date (YYYY-MM-DD); default today.")] = None,
    district: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(description="Only settlements with this status.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Name in any spelling.")] = None,
) -> tuple[dict[str, Any], date]:
    try:
        return status_filters(as_of=as_of, district=district, status=status, q=q)
    except FilterError as error:
        raise _refuse(error) from None


StatusFilters = Annotated[tuple[dict[str, Any], date], Depends(_status_filters)]


@router.get("/status.csv", summary="Derived status of every settlement on a date, as CSV")
def status_csv(
    database: DatabaseDep, settings: SettingsDep, filters: StatusFilters
) -> StreamingResponse:
    values, on = filters
    return csv_response(
        exports.status_csv(database, settings, on=on, **values), dated_name("status", on)
    )


@router.get("/status.geojson", summary="Derived status of every placed settlement, as GeoJSON")
def status_geojson(
    database: DatabaseDep, settings: SettingsDep, filters: StatusFilters
) -> StreamingResponse:
    """A FeatureCollection; settlements without coordinates are counted in ``skipped``."""
    values, on = filters
    return StreamingResponse(
        geojson.status_geojson(database, settings, on=on, **values),
        media_type="application/geo+json",
        headers={
            "Content-Disposition": f'attachment; filename="{dated_name("status", on, "geojson")}"'
        },
    )
