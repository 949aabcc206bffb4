"""Sources: look-ups and the upsert used by seeding and imports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import revisions
from app.accounts import audit
from app.accounts.models import User
from app.cache import RevisionCache, database_key
from app.claims.models import STATUS_OF, VERIFICATION_OF, Claim, ReviewState, Verification
from app.db import as_driver_values, iso_date
from app.sources.models import Reliability, Source
from app.sources.track_record import Confirmations, JudgedClaim, TrackRecord, track_record
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


def judged_claims(session: Session) -> list[JudgedClaim]:
    """Approved claims as the track record judges them (read raw: there may be 500,000)."""
    stmt = select(
        Claim.id,
        Claim.settlement_id,
        Claim.source_id,
        Claim.status,
        Claim.as_of,
        Claim.verification,
    ).where(Claim.review_state == ReviewState.approved)
    return [
        JudgedClaim(
            int(i), int(sid), int(src), STATUS_OF[status], iso_date(as_of), VERIFICATION_OF[v]
        )
        for i, sid, src, status, as_of, v in session.connection().execute(as_driver_values(stmt))
    ]


_records: RevisionCache[dict[int, TrackRecord]] = RevisionCache()


def track_records(session: Session, history: RegionHistory, today: date) -> dict[int, TrackRecord]:
    """Track records per source id: two queries and the derived history, once per revision."""
    key = (database_key(session), today)
    revision = revisions.current(session)
    cached = _records.get(key, revision)
    if cached is not None:
        return cached
    with _records.building:  # seconds on 500,000 claims: once, not once per waiting reader
        cached = _records.get(key, revision)
        if cached is not None:
            return cached
        claims = judged_claims(session)
        by_source: dict[int, list[JudgedClaim]] = {}
        for claim in claims:
            by_source.setdefault(claim.source_id, []).append(claim)
        confirmed = Confirmations(c for c in claims if c.verification == Verification.confirmed)

        def status_on(settlement_id: int, day: date) -> Derived:
            return history.on(settlement_id, day)[0]

        records = {
            sid: track_record(source_claims, confirmed, status_on, today)
            for sid, source_claims in by_source.items()
        }
        return _records.put(key, revision, records)


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
