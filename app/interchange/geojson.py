"""The derived status of every settlement on a date, as GeoJSON (RFC 7946) for maps and QGIS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from app.claims import service as claims_service
from app.claims.models import Claim
from app.config import Settings
from app.db import Database
from app.filters import StatusFilters
from app.status import service as status_service
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
    s, derived, evidence = row.settlement, row.derived, row.evidence
    return {
        "type": "Feature",
        "id": s.slug,
        # GeoJSON is longitude first.
        "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
        "properties": {
            "settlement": s.slug,
            "name": s.name,
            "status": derived.status.value,
            "status_label": derived.status.label,
            "since": row.since.isoformat() if row.since else None,
            "confidence": evidence.confidence.value if evidence.confidence else None,
            "location_precision": s.location_precision.value,
            "reason": derived.reason.value,
            "explanation": derived.explanation,
            "latest_claim_as_of": derived.latest_as_of.isoformat()
            if derived.latest_as_of
            else None,
            "days_since_latest_claim": evidence.days,
            "stale": evidence.stale,
            "latest_claims": [
                _claim_summary(claims[i])
                for i in derived.window_claim_ids[:LATEST_CLAIMS]
                if i in claims
            ],
        },
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
