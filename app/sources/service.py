"""Sources: look-ups and the upsert used by seeding and imports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import audit
from app.accounts.models import User
from app.claims.models import Claim, ReviewState, Verification
from app.sources.models import Reliability, Source
from app.sources.track_record import JudgedClaim, TrackRecord, track_record
from app.status.derive import Derived
from app.status.history import RegionHistory


def get_by_slug(session: Session, slug: str) -> Source | None:
    return session.scalar(select(Source).where(Source.slug == slug))


def list_sources(session: Session) -> Sequence[Source]:
    return session.scalars(select(Source).order_by(Source.side, Source.name)).all()


def upsert(session: Session, values: dict[str, Any]) -> tuple[Source, bool]:
    source = get_by_slug(session, values["slug"])
    created = source is None
    if source is None:
        source = Source(slug=values["slug"])
        session.add(source)
    for key, value in values.items():
        setattr(source, key, value)
    return source, created


def judged_claims(session: Session, source_id: int | None = None) -> list[JudgedClaim]:
    """Approved claims as the track record judges them (of one source, or of all)."""
    stmt = select(
        Claim.id,
        Claim.settlement_id,
        Claim.source_id,
        Claim.status,
        Claim.as_of,
        Claim.verification,
    ).where(Claim.review_state == ReviewState.approved)
    if source_id is not None:
        stmt = stmt.where(Claim.source_id == source_id)
    return [JudgedClaim(*row) for row in session.execute(stmt)]


def confirmations(session: Session) -> list[JudgedClaim]:
    """Every approved, independently confirmed claim: what other sources are measured against."""
    stmt = select(
        Claim.id,
        Claim.settlement_id,
        Claim.source_id,
        Claim.status,
        Claim.as_of,
        Claim.verification,
    ).where(
        Claim.review_state == ReviewState.approved, Claim.verification == Verification.confirmed
    )
    return [JudgedClaim(*row) for row in session.execute(stmt)]


def track_records(
    session: Session, history: RegionHistory, today: date, source_id: int | None = None
) -> dict[int, TrackRecord]:
    """Track records per source id, from two queries and the region's derived history."""
    by_source: dict[int, list[JudgedClaim]] = {}
    for claim in judged_claims(session, source_id):
        by_source.setdefault(claim.source_id, []).append(claim)
    confirmed = confirmations(session)

    def status_on(settlement_id: int, day: date) -> Derived:
        return history.on(settlement_id, day)[0]

    return {
        sid: track_record(claims, confirmed, status_on, today) for sid, claims in by_source.items()
    }


def set_reliability(
    session: Session, source: Source, reliability: Reliability, *, actor: User
) -> Source:
    before = {"reliability": source.reliability}
    source.reliability = reliability
    audit.record(
        session,
        "source.reliability",
        "source",
        source.id,
        actor=actor,
        before=before,
        after={"reliability": reliability},
    )
    return source
