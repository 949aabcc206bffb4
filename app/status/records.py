"""One settlement's derived status as a record: the one field list every output shares.

The status CSV, the API's `StatusOut` and the GeoJSON properties are all made from
`status_record`, so a name means the same thing in each (`confidence` is always the confidence
as shown, lowered for old evidence; `reason` is always the code, `explanation` the words).
Each output keeps the fields it has promised its readers: the CSV its columns, in their order.
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from app.domain import ControlStatus
from app.status.derive import Confidence, Reason
from app.status.service import SettlementStatus


class StatusRecord(TypedDict):
    settlement: str
    name: str
    district: str
    lat: float | None
    lon: float | None
    status: ControlStatus
    since: date | None
    confidence: Confidence | None
    reason: Reason
    explanation: str
    latest_claim_as_of: date | None
    days_since_latest_claim: int | None
    stale: bool
    location_precision: str
    deciding_claim_id: int | None
    deciding_claim_ids: list[int]
    conflicting_claim_ids: list[int]


def status_record(row: SettlementStatus) -> StatusRecord:
    s, derived, evidence = row.settlement, row.derived, row.evidence
    return StatusRecord(
        settlement=s.slug,
        name=s.name,
        district=s.district,
        lat=s.lat,
        lon=s.lon,
        status=derived.status,
        since=row.since,
        confidence=evidence.confidence,
        reason=derived.reason,
        explanation=derived.explanation,
        latest_claim_as_of=derived.latest_as_of,
        days_since_latest_claim=evidence.days,
        stale=evidence.stale,
        location_precision=s.location_precision.value,
        deciding_claim_id=derived.deciding_claim_id,
        deciding_claim_ids=list(derived.deciding_claim_ids),
        conflicting_claim_ids=list(derived.conflicting_claim_ids),
    )
