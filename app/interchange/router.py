"""CSV downloads, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from app.deps import ClaimFilters, DatabaseDep, SettingsDep, StatusFilters
from app.interchange import exports, geojson

router = APIRouter(prefix="/export", tags=["export"])


def csv_response(chunks: Iterator[bytes], filename: str) -> StreamingResponse:
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def dated_name(kind: str, on: date, ext: str = "csv") -> str:
    return f"{kind}-{on.isoformat()}.{ext}"


@router.get("/claims.csv", summary="Approved claims as CSV")
def claims_csv(
    database: DatabaseDep, settings: SettingsDep, filters: ClaimFilters
) -> StreamingResponse:
    name = dated_name("claims", filters["until"] or date.today())
    return csv_response(exports.claims_csv(database, settings, **filters), name)


@router.get("/settlements.csv", summary="Settlements as CSV")
def settlements_csv(database: DatabaseDep, settings: SettingsDep) -> StreamingResponse:
    return csv_response(
        exports.settlements_csv(database, settings), dated_name("settlements", date.today())
    )


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
