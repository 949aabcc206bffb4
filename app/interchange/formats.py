"""The CSV files of design.md: their headers and how one record becomes one row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from enum import Enum
from typing import Any

from app.interchange.csv_safe import RISKY_FIRST, escape_cell, escape_row
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


# The claims columns that hold free text. The others are ids, dates, enum values, slugs
# (lower-case letters, digits, inner hyphens) and http(s) URLs, all validated on the way in:
# none can begin like a formula, so the hot loop of an export escapes only these two.
_FREE_TEXT = (CLAIM_COLUMNS.index("settlement_name"), CLAIM_COLUMNS.index("summary"))


def claim_rows(rows: Iterable[Sequence[Any]]) -> list[Sequence[Any]]:
    """Rows of claims_service.export_query() (columns CLAIM_COLUMNS), ready for csv.writer.

    The hot loop of every claims export. A row whose free text cannot start a formula (nearly
    all) goes out as it came; the csv writer turns the other values into text itself (dates
    give YYYY-MM-DD, enum values and ints their text).
    """
    name, summary = _FREE_TEXT
    risky = RISKY_FIRST
    out: list[Sequence[Any]] = []
    for row in rows:
        a, b = row[name], row[summary]
        if (a and a[0] in risky) or (b and b[0] in risky):
            cells = list(row)
            cells[name], cells[summary] = escape_cell(a), escape_cell(b)
            out.append(cells)
        else:
            out.append(row)
    return out


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
    header: Iterable[str], rows: Iterable[list[Any]], batch: int = 1000
) -> Iterator[bytes]:
    """RFC 4180 (CRLF, quoted where needed), UTF-8, in chunks: the caller streams them."""
    yield from csv_chunks(header, batched(rows, batch))


def csv_chunks(header: Iterable[str], batches: Iterable[list[list[Any]]]) -> Iterator[bytes]:
    """One chunk of CSV per batch of rows; the header first. None of the rows is kept."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(header))
    yield buffer.getvalue().encode("utf-8")
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue().encode("utf-8")


def batched(rows: Iterable[list[Any]], size: int) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
