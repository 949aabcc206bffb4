"""CSV downloads, streamed; each also ``?format=excel`` (see exports.for_excel)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from app import dates
from app.api.responses import (
    GEOJSON_SCHEMA,
    CSVResponse,
    GeoJSONResponse,
    download,
    errors_by_reference,
)
from app.deps import ClaimFiltersDep, DatabaseDep, SettingsDep, StatusFiltersDep, as_request_error
from app.filters import FilterError, enum_param
from app.interchange import exports, geojson
from app.interchange.exports import ExportFormat, close_stream, download_name, in_format

router = APIRouter(prefix="/export", tags=["export"], responses=errors_by_reference(422, 503))
CSV = download(
    CSVResponse.media_type,
    "UTF-8 CSV (RFC 4180), one header row, streamed; with format=excel, UTF-16LE with a "
    "byte-order mark and tabs.",
)

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


class Started(Iterator[bytes]):
    """The first chunk made now, before the answer starts: a database fault is then a 503
    in words, not a 200 cut off after the header (every export touches the database first).
    Closing it closes the export (its database connection goes back to the pool)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._first = next(self._chunks, None)

    def __next__(self) -> bytes:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return next(self._chunks)

    def close(self) -> None:
        close_stream(self._chunks)


def csv_response(
    chunks: Iterable[bytes], filename: str, export_format: ExportFormat = ExportFormat.csv
) -> StreamingResponse:
    return CSVResponse(
        Started(in_format(chunks, export_format)),
        media_type=MEDIA_TYPES[export_format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/claims.csv",
    summary="Approved claims as CSV",
    response_class=CSVResponse,
    responses=CSV,
)
def claims_csv(
    database: DatabaseDep, settings: SettingsDep, filters: ClaimFiltersDep, export_format: FormatDep
) -> StreamingResponse:
    name = download_name(
        "claims", filters.until or dates.today(), filters, export_format=export_format
    )
    return csv_response(exports.claims_csv(database, settings, filters), name, export_format)


@router.get(
    "/settlements.csv",
    summary="Settlements as CSV",
    response_class=CSVResponse,
    responses=CSV,
)
def settlements_csv(
    database: DatabaseDep, settings: SettingsDep, export_format: FormatDep
) -> StreamingResponse:
    name = download_name("settlements", dates.today(), export_format=export_format)
    return csv_response(exports.settlements_csv(database, settings), name, export_format)


@router.get(
    "/sources.csv",
    summary="Sources as CSV",
    response_class=CSVResponse,
    responses=CSV,
)
def sources_csv(
    database: DatabaseDep, settings: SettingsDep, export_format: FormatDep
) -> StreamingResponse:
    """The columns of the demo data's sources.csv; ``kursk-tracker import`` reads it back."""
    name = download_name("sources", dates.today(), export_format=export_format)
    return csv_response(exports.sources_csv(database, settings), name, export_format)


@router.get(
    "/area_figures.csv",
    summary="Area figures (km² held, who says so) as CSV",
    response_class=CSVResponse,
    responses=CSV,
)
def area_figures_csv(
    database: DatabaseDep, settings: SettingsDep, export_format: FormatDep
) -> StreamingResponse:
    """The columns of the demo data's area_figures.csv; ``kursk-tracker import`` reads it back."""
    name = download_name("area-figures", dates.today(), export_format=export_format)
    return csv_response(exports.area_figures_csv(database, settings), name, export_format)


@router.get(
    "/status.csv",
    summary="Derived status of every settlement on a date, as CSV",
    response_class=CSVResponse,
    responses=CSV,
)
def status_csv(
    database: DatabaseDep,
    settings: SettingsDep,
    filters: StatusFiltersDep,
    export_format: FormatDep,
) -> StreamingResponse:
    name = download_name("status", filters.as_of, filters, export_format=export_format)
    return csv_response(exports.status_csv(database, settings, filters), name, export_format)


@router.get(
    "/status.geojson",
    summary="Derived status of every placed settlement, as GeoJSON",
    response_class=GeoJSONResponse,
    responses={
        **download(GeoJSONResponse.media_type, "A GeoJSON FeatureCollection.", GEOJSON_SCHEMA),
    },
)
def status_geojson(
    database: DatabaseDep, settings: SettingsDep, filters: StatusFiltersDep
) -> StreamingResponse:
    """A FeatureCollection; settlements without coordinates are counted in ``skipped``."""
    name = download_name("status", filters.as_of, filters, ext="geojson")
    return GeoJSONResponse(
        Started(geojson.status_geojson(database, settings, filters)),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
