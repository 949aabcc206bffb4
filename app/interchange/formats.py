"""The CSV files of design.md: their headers and how one record becomes one row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from enum import Enum
from typing import Any

from sqlalchemy import Row

from app.interchange.csv_safe import escape_cell, escape_row
from app.settlements.models import Settlement
from app.status.service import SettlementStatus

CLAIM_COLUMNS = (
    "claim_id",
    "settlement",
    "settlement_name",
    "status",
    "as_of",
    "published_on",
    "source",
    "source_side",
    "source_url",
    "verification",
    "summary",
)
SETTLEMENT_COLUMNS = (
    "slug",
    "name",
    "name_uk",
    "name_ru",
    "aliases",
    "district",
    "region",
    "lat",
    "lon",
)
STATUS_COLUMNS = (
    "settlement",
    "name",
    "district",
    "lat",
    "lon",
    "status",
    "since",
    "confidence",
    "latest_claim_as_of",
)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def claim_row(row: Row[Any] | tuple[Any, ...]) -> list[str]:
    """One row of claims_service.export_query() (its columns are CLAIM_COLUMNS), as CSV cells.

    The hot loop of every claims export: positional, and str() is each value's CSV text
    (dates give YYYY-MM-DD, StrEnums their value, ints their digits).
    """
    return [escape_cell(value) for value in row]


def settlement_row(s: Settlement) -> list[str]:
    return escape_row(
        [
            s.slug,
            s.name,
            s.name_uk,
            s.name_ru,
            s.aliases,
            s.district,
            s.region,
            _text(s.lat),
            _text(s.lon),
        ]
    )


def status_row(row: SettlementStatus) -> list[str]:
    s = row.settlement
    derived = row.derived
    return escape_row(
        [
            s.slug,
            s.name,
            s.district,
            _text(s.lat),
            _text(s.lon),
            derived.status.value,
            _text(row.since),
            derived.confidence.value if derived.confidence else "",
            _text(derived.latest_as_of),
        ]
    )


def csv_lines(
    header: Iterable[str], rows: Iterable[list[str]], batch: int = 500
) -> Iterator[bytes]:
    """RFC 4180 (CRLF, quoted where needed), UTF-8, in chunks: the caller streams them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(header))
    pending = 1
    for row in rows:
        writer.writerow(row)
        pending += 1
        if pending >= batch:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")
