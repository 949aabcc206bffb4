"""CSV downloads, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from app.deps import AsOfDep, DatabaseDep, SettingsDep, query_date
from app.interchange import exports, geojson

router = APIRouter(prefix="/export", tags=["export"])


def csv_response(chunks: Iterator[bytes], filename: str) -> StreamingResponse:
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/claims.csv", summary="Approved claims as CSV")
def claims_csv(
    database: DatabaseDep,
    settings: SettingsDep,
    settlement: Annotated[str | None, Query(max_length=80)] = None,
    source: Annotated[str | None, Query(max_length=80)] = None,
    since: Annotated[str | None, Query(description="Earliest as_of (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, Query(description="Latest as_of (YYYY-MM-DD).")] = None,
    as_of: Annotated[
        str | None, Query(description="The claims known on this date: same as until.")
    ] = None,
) -> StreamingResponse:
    until_date = query_date("until", until)
    as_of_date = query_date("as_of", as_of)
    if as_of_date and (until_date is None or as_of_date < until_date):
        until_date = as_of_date
    chunks = exports.claims_csv(
        database,
        settings,
        settlement=settlement,
        source=source,
        since=query_date("since", since),
        until=until_date,
    )
    return csv_response(chunks, f"claims-{date.today().isoformat()}.csv")


@router.get("/settlements.csv", summary="Settlements as CSV")
def settlements_csv(database: DatabaseDep, settings: SettingsDep) -> StreamingResponse:
    return csv_response(
        exports.settlements_csv(database, settings), f"settlements-{date.today().isoformat()}.csv"
    )


@router.get("/status.csv", summary="Derived status of every settlement on a date, as CSV")
def status_csv(database: DatabaseDep, settings: SettingsDep, as_of: AsOfDep) -> StreamingResponse:
    return csv_response(
        exports.status_csv(database, settings, on=as_of), f"status-{as_of.isoformat()}.csv"
    )


@router.get("/status.geojson", summary="Derived status of every placed settlement, as GeoJSON")
def status_geojson(
    database: DatabaseDep, settings: SettingsDep, as_of: AsOfDep
) -> StreamingResponse:
    """A FeatureCollection; settlements without coordinates are counted in ``skipped``."""
    return StreamingResponse(
        geojson.status_geojson(database, settings, on=as_of),
        media_type="application/geo+json",
        headers={"Content-Disposition": f'inline; filename="status-{as_of.isoformat()}.geojson"'},
    )
