"""The derived status of every settlement on a date, as GeoJSON (RFC 7946) for maps and QGIS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.claims import service as claims_service
from app.claims.models import Claim
from app.config import Settings
from app.db import Database
from app.filters import StatusFilters
from app.status import service as status_service
from app.status.records import status_record
from app.status.service import SettlementStatus

LATEST_CLAIMS = 3


def _claim_summary(claim: Claim) -> dict[str, Any]:
    return {
        "claim_id": claim.id,
        "as_of": claim.as_of.isoformat(),
        "status": claim.status.value,
        "source": claim.source.name,
        "source_side": claim.source.side.value,
        "verification": claim.verification.value,
    }


def feature(row: SettlementStatus, claims: dict[int, Claim]) -> dict[str, Any]:
    record = status_record(row)
    properties: dict[str, Any] = {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in record.items()
        if name not in ("lat", "lon")  # they are the geometry
    }
    properties["status_label"] = row.derived.status.label
    properties["latest_claims"] = [
        _claim_summary(claims[i])
        for i in row.derived.window_claim_ids[:LATEST_CLAIMS]
        if i in claims
    ]
    # The names in Ukrainian and Russian, last (the properties only ever grow): a map shows
    # the reader's, the English ``name`` where one is missing.
    properties["name_uk"] = row.settlement.name_uk
    properties["name_ru"] = row.settlement.name_ru
    return {
        "type": "Feature",
        "id": row.settlement.slug,
        # GeoJSON is longitude first.
        "geometry": {"type": "Point", "coordinates": [row.settlement.lon, row.settlement.lat]},
        "properties": properties,
    }


def status_collection(
    session: Session, settings: Settings, filters: StatusFilters
) -> tuple[list[dict[str, Any]], int]:
    """Features for settlements with coordinates, and how many were left out without them."""
    rows = status_service.status_table_for(
        session, settings, filters.as_of, **filters.table_filters()
    )
    placed = [r for r in rows if r.settlement.has_coordinates]
    claims = claims_service.by_ids(
        session, (i for r in placed for i in r.derived.window_claim_ids[:LATEST_CLAIMS])
    )
    return [feature(r, claims) for r in placed], len(rows) - len(placed)


def status_geojson(
    database: Database, settings: Settings, filters: StatusFilters
) -> Iterator[bytes]:
    with database.read_session() as session:
        features, skipped = status_collection(session, settings, filters)
    known_on = filters.known_on
    head = {
        "type": "FeatureCollection",
        "as_of": filters.as_of.isoformat(),
        "known_on": known_on.isoformat() if known_on else None,
        "skipped": skipped,
    }
    yield json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "features": ['
    for i, item in enumerate(features):
        yield (b"," if i else b"") + json.dumps(item, ensure_ascii=False).encode()
    yield b"]}"
