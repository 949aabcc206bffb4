"""CSV exports as byte streams. Each opens its own session: the response outlives the request.

Each export is plain RFC 4180 UTF-8. :func:`for_excel` turns any of them into the variant
Excel opens right by a double click whatever its locale: UTF-16LE with a byte-order mark and
tab separators (with UTF-8 and commas, Excel guesses the encoding from the Windows code page
and the separator from the locale, so Cyrillic comes out garbled and Ukrainian and Russian
locales, whose list separator is ``;``, put each row in one cell).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from enum import Enum, StrEnum
from typing import Any

from sqlalchemy import select

from app import dates, revisions
from app.cache import RevisionCache, database_key
from app.claims import service as claims_service
from app.config import Settings
from app.db import Database, stream_rows
from app.filters import ClaimFilters, StatusFilters
from app.interchange.formats import (
    AREA_FIGURE_COLUMNS,
    CLAIM_COLUMNS,
    SETTLEMENT_COLUMNS,
    SOURCE_COLUMNS,
    STATUS_COLUMNS,
    area_figure_row,
    claim_lines,
    csv_header,
    csv_lines,
    settlement_row,
    source_row,
    status_row,
)
from app.settlements.models import Settlement
from app.sources.models import Source
from app.status import service as status_service
from app.status.models import AreaFigure

# Rows fetched from the database per round trip while streaming.
FETCH_BATCH = 2000


def claims_csv(
    database: Database, settings: Settings, filters: ClaimFilters | None = None
) -> Iterator[bytes]:
    # The driver's rows in batches (a server-side cursor on PostgreSQL): flat memory. The
    # database joins the safe columns into CSV itself; see export_lines_query.
    with database.engine.connect() as connection:  # first: an outage is told before any row
        yield csv_header(CLAIM_COLUMNS)
        query = claims_service.export_lines_query(filters or ClaimFilters())
        left_out = claims_service.unexportable_ids(connection)
        for part in stream_rows(connection, query, FETCH_BATCH):
            yield claim_lines(part, left_out).encode("utf-8")


def settlements_csv(
    database: Database, settings: Settings, _filters: Any = None
) -> Iterator[bytes]:
    with database.read_session() as session:
        stmt = select(Settlement).order_by(Settlement.slug).execution_options(yield_per=FETCH_BATCH)
        rows = (settlement_row(s) for s in session.scalars(stmt))
        yield from csv_lines(SETTLEMENT_COLUMNS, rows)


def sources_csv(database: Database, settings: Settings, _filters: Any = None) -> Iterator[bytes]:
    """The sources readers see (a source an editor proposed stays hidden until approved)."""
    with database.read_session() as session:
        stmt = select(Source).where(Source.public).order_by(Source.slug)
        yield from csv_lines(SOURCE_COLUMNS, (source_row(s) for s in session.scalars(stmt)))


def area_figures_csv(
    database: Database, settings: Settings, _filters: Any = None
) -> Iterator[bytes]:
    """Every area figure, oldest first (the order of data/area_figures.csv)."""
    with database.read_session() as session:
        stmt = (
            select(AreaFigure)
            .join(Source, AreaFigure.source_id == Source.id)
            .order_by(AreaFigure.as_of, AreaFigure.holder, Source.slug, AreaFigure.id)
        )
        yield from csv_lines(
            AREA_FIGURE_COLUMNS, (area_figure_row(f) for f in session.scalars(stmt))
        )


# The status export's bytes per content revision and filters: one row per settlement, so
# small (about 1 MB for 5,000), and formatting its rows cost more than deriving them.
_status_chunks: RevisionCache[tuple[bytes, ...]] = RevisionCache(size=4)


def status_csv(database: Database, settings: Settings, filters: StatusFilters) -> Iterator[bytes]:
    with database.read_session() as session:
        table_filters = filters.table_filters()
        key = (
            database_key(session),
            settings.contest_window_days,
            settings.stale_days,
            dates.today(),  # "known now" moves on at midnight
            filters.as_of,
            tuple(sorted(table_filters.items())),
        )
        revision = revisions.current(session)
        chunks = _status_chunks.get(key, revision)
        if chunks is None:
            table = status_service.status_table_for(
                session, settings, filters.as_of, **table_filters
            )
            chunks = _status_chunks.put(
                key, revision, tuple(csv_lines(STATUS_COLUMNS, (status_row(r) for r in table)))
            )
    yield from chunks


EXPORTS: dict[str, Callable[..., Iterator[bytes]]] = {
    "claims": claims_csv,
    "settlements": settlements_csv,
    "status": status_csv,
    "sources": sources_csv,
    "area-figures": area_figures_csv,
}


class ExportFormat(StrEnum):
    csv = "csv"  # RFC 4180, UTF-8, commas
    excel = "excel"  # UTF-16LE with BOM, tabs


EXCEL_BOM = "\ufeff".encode("utf-16-le")


def for_excel(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The same cells, re-written for Excel. Every chunk an export yields ends on a row
    boundary, so each is re-written on its own: the stream stays a stream."""
    source = iter(chunks)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\r\n")
    # The mark goes out with the first chunk, not before it: that chunk is what touches the
    # database (a fault is then answered in words before the download starts).
    mark = EXCEL_BOM
    try:
        for chunk in source:
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(csv.reader(io.StringIO(chunk.decode("utf-8"), newline="")))
            yield mark + buffer.getvalue().encode("utf-16-le")
            mark = b""
        if mark:
            yield mark
    finally:
        close_stream(source)  # stopped early: the export's connection goes back now


def close_stream(chunks: Iterator[Any]) -> None:
    """Close an export's stream if it can be closed (a generator: its database connection
    goes back to the pool now, not when the collector finds it)."""
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


def in_format(chunks: Iterable[bytes], export_format: ExportFormat) -> Iterable[bytes]:
    return for_excel(chunks) if export_format is ExportFormat.excel else chunks


# File names stay short: a long ``q`` would otherwise make one longer than file systems allow.
MAX_NAME_LENGTH = 120


def _name_part(value: object) -> str:
    """A filter value as safe ASCII: letters, digits and hyphens. Text with no ASCII letters
    (a search in Cyrillic) becomes a short digest, so two different searches never share
    a name."""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value.value if isinstance(value, Enum) else value)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    part = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return part or hashlib.sha256(text.encode()).hexdigest()[:8]


def download_name(
    kind: str,
    as_of: date,
    filters: ClaimFilters | StatusFilters | None = None,
    *,
    ext: str = "csv",
    export_format: ExportFormat = ExportFormat.csv,
) -> str:
    """``claims-2026-11-26-settlement-guyevo-side-ukraine.csv``: what, when, and each filter
    given (the date stands for ``until``)."""
    parts = [kind, as_of.isoformat()]
    for key, value in (filters or {}).items():
        if value is None or value == "" or key == "until":
            continue
        parts += [_name_part(key), _name_part(value)]
    if export_format is ExportFormat.excel:
        parts.append("excel")
    name = "-".join(parts)
    if len(name) > MAX_NAME_LENGTH:
        name = (
            name[: MAX_NAME_LENGTH - 9].rstrip("-")
            + "-"
            + hashlib.sha256(name.encode()).hexdigest()[:8]
        )
    return f"{name}.{ext}"
