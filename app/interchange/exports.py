"""CSV exports as byte streams. Each opens its own session: the response outlives the request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from sqlalchemy import select

from app.claims import service as claims_service
from app.config import Settings
from app.db import Database, stream_rows
from app.interchange.formats import (
    CLAIM_COLUMNS,
    SETTLEMENT_COLUMNS,
    STATUS_COLUMNS,
    claim_lines,
    csv_header,
    csv_lines,
    settlement_row,
    status_row,
)
from app.settlements.models import Settlement
from app.status import service as status_service

# Rows fetched from the database per round trip while streaming.
FETCH_BATCH = 2000


def claims_csv(database: Database, settings: Settings, **filters: Any) -> Iterator[bytes]:
    filters.pop("on", None)  # claims are bounded by until, not by the date of a status
    # The driver's rows in batches (a server-side cursor on PostgreSQL): flat memory. The
    # database joins the safe columns into CSV itself; see export_lines_query.
    with database.engine.connect() as connection:  # first: an outage is told before any row
        yield csv_header(CLAIM_COLUMNS)
        query = claims_service.export_lines_query(**filters)
        for part in stream_rows(connection, query, FETCH_BATCH):
            yield claim_lines(part).encode("utf-8")


def settlements_csv(database: Database, settings: Settings, **_: Any) -> Iterator[bytes]:
    with database.read_session() as session:
        stmt = select(Settlement).order_by(Settlement.slug).execution_options(yield_per=FETCH_BATCH)
        rows = (settlement_row(s) for s in session.scalars(stmt))
        yield from csv_lines(SETTLEMENT_COLUMNS, rows)


def status_csv(
    database: Database, settings: Settings, *, on: date, **filters: Any
) -> Iterator[bytes]:
    with database.read_session() as session:
        table = status_service.status_table(
            session,
            on,
            settings.contest_window_days,
            stale_days=settings.stale_days,
            **filters,
        )
        yield from csv_lines(STATUS_COLUMNS, (status_row(r) for r in table))


EXPORTS: dict[str, Callable[..., Iterator[bytes]]] = {
    "claims": claims_csv,
    "settlements": settlements_csv,
    "status": status_csv,
}
