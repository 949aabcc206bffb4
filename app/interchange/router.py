"""CSV downloads, streamed; each also ``?format=excel`` (see exports.for_excel)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from app import dates
from app.deps import DatabaseDep, SettingsDep
from app.interchange import exports, geojson
from app.interchange.exports import ExportFormat, download_name, in_format
from app.interchange.filters import (
    ClaimFilters,
    FilterError,
    StatusFilters,
    as_request_error,
    enum_param,
)

router = APIRouter(prefix="/export", tags=["export"])

MEDIA_TYPES = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.excel: "text/csv; charset=utf-16",
}


def format_param(
    format: Annotated[
        str | None,
        Query(
            description="csv (default: RFC 4180, UTF-8, commas) or excel "
            "(UTF-16LE with BOM, tab-separated: opens right in Excel in any locale)."
        ),
    ] = None,
) -> ExportFormat:
    try:
        return enum_param("format", format, ExportFormat) or ExportFormat.csv
    except FilterError as error:
        raise as_request_error(error) from None


FormatDep = Annotated[ExportFormat, Depends(format_param)]


def csv_response(
    chunks: Iterable[bytes], filename: str, export_format: ExportFormat = ExportFormat.csv
) -> StreamingResponse:
    return StreamingResponse(
        in_format(chunks, export_format),
        media_type=MEDIA_TYPES[export_format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/claims.csv", summary="Approved claims as CSV")
def claims_csv(
    database: DatabaseDep, settings: SettingsDep, filters: ClaimFilters, export_format: FormatDep
) -> StreamingResponse:
    name = download_name(
        "claims", filters["until"] or dates.today(), filters, export_format=export_format
    )
    return csv_response(exports.claims_csv(database, settings, **filters), name, export_format)


@router.get("/settlements.csv", summary="Settlements as CSV")
def settlements_csv(
    database: DatabaseDep, settings: SettingsDep, export_format: FormatDep
) -> StreamingResponse:
    name = download_name("settlements", dates.today(), export_format=export_format)
    return csv_response(exports.settlements_csv(database, settings), name, export_format)


@router.get("/status.csv", summary="Derived status of every settlement on a date, as CSV")
def status_csv(
    database: DatabaseDep, settings: SettingsDep, filters: StatusFilters, export_format: FormatDep
) -> StreamingResponse:
    values, on = filters
    name = download_name("status", on, values, export_format=export_format)
    return csv_response(
        exports.status_csv(database, settings, on=on, **values), name, export_format
    )


@router.get("/status.geojson", summary="Derived status of every placed settlement, as GeoJSON")
def status_geojson(
    database: DatabaseDep, settings: SettingsDep, filters: StatusFilters
) -> StreamingResponse:
    """A FeatureCollection; settlements without coordinates are counted in ``skipped``."""
    values, on = filters
    name = download_name("status", on, values, ext="geojson")
    return StreamingResponse(
        geojson.status_geojson(database, settings, on=on, **values),
        media_type="application/geo+json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
