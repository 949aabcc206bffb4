"""Response models of the JSON API: what /docs documents, field by field."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from app.claims.models import ControlStatus, Verification
from app.settlements.models import LocationPrecision
from app.sources.models import Reliability, Side, SourceKind
from app.status.derive import Confidence, Reason
from app.status.models import Holder


class SettlementOut(BaseModel):
    slug: str
    name: str
    name_uk: str
    name_ru: str
    aliases: list[str]
    district: str
    region: str
    lat: float | None
    lon: float | None
    location_precision: LocationPrecision
    url: str = Field(description="The settlement's page.")


class SourceOut(BaseModel):
    slug: str
    name: str
    kind: SourceKind
    side: Side
    reliability: Reliability = Field(
        description="Admiralty code, A (reliable) to F (cannot be judged)."
    )
    homepage: str


class ClaimOut(BaseModel):
    claim_id: int
    settlement: str
    settlement_name: str
    status: ControlStatus
    as_of: date
    published_on: date
    source: str
    source_side: Side
    source_url: str
    verification: Verification
    summary: str
    supersedes: int | None = Field(
        default=None,
        description="A correction: the claim_id of the claim it replaces (which then no "
        "longer counts); null for any other claim.",
    )


class ClaimPage(BaseModel):
    items: list[ClaimOut]
    next: str | None = Field(description="The URL of the next page, or null on the last page.")


class StatusOut(BaseModel):
    settlement: str
    name: str
    district: str
    lat: float | None
    lon: float | None
    status: ControlStatus
    since: date | None
    confidence: Confidence | None = Field(
        description="As shown: the rule's confidence, lowered one level per full "
        "stale_days since the latest claim."
    )
    reason: Reason
    explanation: str = Field(description="The reason in words, with prelude or concession.")
    latest_claim_as_of: date | None
    days_since_latest_claim: int | None = Field(description="From the latest claim to as_of.")
    stale: bool = Field(
        description="Contested for longer than window_days, or a control status for longer "
        "than stale_days, without a new claim."
    )
    location_precision: str
    deciding_claim_id: int | None = Field(description="The newest of deciding_claim_ids.")
    deciding_claim_ids: list[int]
    conflicting_claim_ids: list[int]


class StatusPage(BaseModel):
    as_of: date
    known_on: date | None = Field(
        description="Only claims published by this date counted; null: everything known now."
    )
    window_days: int
    stale_days: int
    items: list[StatusOut]


class SettlementDetail(BaseModel):
    settlement: SettlementOut
    status: StatusOut
    claims: list[ClaimOut] = Field(
        description="Approved claims up to as_of (published by known_on), newest first, as the "
        "settlement's page lists them: at most 100; claims_next gives the next ones."
    )
    claims_total: int = Field(description="How many claims the list holds in all.")
    claims_next: str | None = Field(description="The URL of the next claims, or null.")


class AreaFigureOut(BaseModel):
    as_of: date
    holder: Holder
    area_km2: float
    source: str
    source_name: str
    source_url: str
    summary: str


class Problem(BaseModel):
    field: str = Field(description="The parameter at fault, e.g. as_of.")
    message: str = Field(description="What is wrong with it, in words.")


class ValidationErrorOut(BaseModel):
    """A 422: one problem per parameter that is not valid."""

    detail: list[Problem]


class ErrorOut(BaseModel):
    """Any other error (404, 401, 403, 409, 503): what happened, in a sentence."""

    detail: str
