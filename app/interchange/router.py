"""CSV downloads, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from app.deps import AsOfDep, DatabaseDep, SettingsDep, query_date
from app.interchange import exports

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
) -> StreamingResponse:
    chunks = exports.claims_csv(
        database,
        settings,
        settlement=settlement,
        source=source,
        since=query_date("since", since),
        until=query_date("until", until),
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
