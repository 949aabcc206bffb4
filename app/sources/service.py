"""Sources: look-ups and the upsert used by seeding and imports."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import revisions
from app.accounts import audit
from app.accounts.models import User
from app.cache import Entry, RevisionCache, database_key
from app.claims.marks import ClaimsMark, changes_since
from app.claims.models import STATUS_OF, VERIFICATION_OF, Claim, ReviewState
from app.db import as_driver_values, iso_date
from app.sources.models import Reliability, Source
from app.sources.track_record import (
    JudgedClaim,
    Judgement,
    TrackRecord,
    judge_by_settlement,
    records_by_source,
)
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


def judged_claims(
    session: Session, settlement_ids: Collection[int] | None = None
) -> list[JudgedClaim]:
    """Approved claims as the track record judges them (read raw: there may be 500,000)."""
    stmt = select(
        Claim.id,
        Claim.settlement_id,
        Claim.source_id,
        Claim.status,
        Claim.as_of,
        Claim.verification,
    ).where(Claim.review_state == ReviewState.approved)
    if settlement_ids is not None:
        stmt = stmt.where(Claim.settlement_id.in_(settlement_ids))
    return [
        JudgedClaim(
            int(i), int(sid), int(src), STATUS_OF[status], iso_date(as_of), VERIFICATION_OF[v]
        )
        for i, sid, src, status, as_of, v in session.connection().execute(as_driver_values(stmt))
    ]


@dataclass(frozen=True, slots=True)
class _Records:
    judged: dict[int, list[Judgement]]  # by settlement
    records: dict[int, TrackRecord]  # by source
    mark: ClaimsMark  # the claims judged: settlements with claims past it are judged again


# Keyed by day: today's, and yesterday's for requests still running at midnight (each holds
# an outcome per approved claim: about 70 MB at 500,000 claims).
_records: RevisionCache[_Records] = RevisionCache(size=2)


def track_records(session: Session, history: RegionHistory, today: date) -> dict[int, TrackRecord]:
    """Track records per source id, kept per revision and day.

    After a write only the claims of the settlements it touched are judged again (the
    derived history does the same); a new day or a cold start judges every claim.
    """

    def status_on(settlement_id: int, day: date) -> Derived:
        return history.on(settlement_id, day)[0]

    def build(cached: Entry[_Records] | None) -> _Records:
        mark, changed = changes_since(session, cached.value.mark if cached else None)
        if cached is None or changed is None:
            judged = judge_by_settlement(judged_claims(session), status_on, today)
        else:
            judged = {s: j for s, j in cached.value.judged.items() if s not in changed}
            if changed:
                judged.update(
                    judge_by_settlement(judged_claims(session, changed), status_on, today)
                )
        return _Records(judged, records_by_source(judged), mark)

    key = (database_key(session), today)
    return _records.build_once(key, revisions.current(session), build).records


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
