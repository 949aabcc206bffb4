"""The CSV files the tracker writes and reads: their headers and how one record becomes one row."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date
from enum import Enum
from typing import Any

from app.interchange.csv_safe import csv_field, escape_row
from app.settlements.models import Settlement
from app.sources.models import Source
from app.status.models import AreaFigure
from app.status.records import status_record
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
    "supersedes",  # the claim_id of the claim this one corrects
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
    "location_precision",
)
# As in the demo data's data/sources.csv and data/area_figures.csv.
SOURCE_COLUMNS = ("slug", "name", "kind", "side", "reliability", "homepage")
AREA_FIGURE_COLUMNS = ("as_of", "holder", "area_km2", "source", "source_url", "summary")
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
    "location_precision",
    "reason",
    "days_since_latest_claim",
    "stale",
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


def claim_lines(rows: Iterable[Sequence[Any]], left_out: Collection[int] = ()) -> str:
    """Rows of claims_service.export_lines_query() as CSV text, CLAIM_COLUMNS in order;
    ``supersedes`` stays empty where it names a claim the export leaves out."""
    field = csv_field
    return "".join(
        f"{prefix},{field(name)},{middle},{field(url)},{verification},{field(summary)},"
        f"{'' if supersedes is None or supersedes in left_out else supersedes}\r\n"
        for prefix, name, middle, url, verification, summary, supersedes in rows
    )


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
            s.location_precision.value,
        ]
    )


def source_row(s: Source) -> list[str]:
    return escape_row([s.slug, s.name, s.kind.value, s.side.value, s.reliability.value, s.homepage])


def area_figure_row(figure: AreaFigure) -> list[str]:
    km2 = figure.area_km2
    return escape_row(
        [
            figure.as_of.isoformat(),
            figure.holder.value,
            str(int(km2)) if km2.is_integer() else repr(km2),  # 1000, as the demo writes it
            figure.source.slug,
            figure.source_url,
            figure.summary,
        ]
    )


def status_row(row: SettlementStatus) -> list[str]:
    """One settlement's derived status, the CSV's columns taken from the shared record."""
    record = status_record(row)
    return escape_row(
        [
            "true" if value is True else "false" if value is False else _text(value)
            for value in (record[column] for column in STATUS_COLUMNS)  # type: ignore[literal-required]
        ]
    )


def csv_lines(
    header: Iterable[str], rows: Iterable[list[Any]], batch: int = 1000
) -> Iterator[bytes]:
    """RFC 4180 (CRLF, quoted where needed), UTF-8, the header first, then one chunk per
    ``batch`` rows: the caller streams them and none of the rows is kept."""
    yield csv_header(header)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for part in batched(rows, batch):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(part)
        yield buffer.getvalue().encode("utf-8")


def csv_header(header: Iterable[str]) -> bytes:
    return (",".join(header) + "\r\n").encode("utf-8")


def batched(rows: Iterable[list[Any]], size: int) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
