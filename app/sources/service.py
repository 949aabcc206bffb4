"""Sources: look-ups and the upsert used by seeding and imports."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import revisions
from app.accounts import audit
from app.accounts.models import Role, User
from app.cache import Entry, RevisionCache, database_key
from app.claims.models import STATUS_OF, VERIFICATION_OF, Claim, ReviewState
from app.db import as_driver_values, iso_date
from app.i18n import gettext
from app.sources.models import Reliability, Source
from app.sources.schemas import SourceIn
from app.sources.track_record import (
    JudgedClaim,
    Judgement,
    TrackRecord,
    judge_by_settlement,
    records_by_source,
)
from app.status import marks
from app.status.derive import Derived
from app.status.history import RegionHistory
from app.text import name_key


def get_by_slug(session: Session, slug: str, *, public_only: bool = False) -> Source | None:
    """A source by slug, in any case ("Russia-MOD" is russia-mod); hidden ones on request."""
    stmt = select(Source).where(Source.slug == slug.strip().lower())
    if public_only:
        stmt = stmt.where(Source.public.is_(True))
    return session.scalar(stmt)


def list_sources(session: Session, *, include_hidden: bool = False) -> Sequence[Source]:
    """Sources by side and name: the public ones, or (for the team's forms) every one."""
    stmt = select(Source).order_by(Source.side, Source.name)
    if not include_hidden:
        stmt = stmt.where(Source.public.is_(True))
    return session.scalars(stmt).all()


def upsert(session: Session, values: dict[str, Any]) -> tuple[Source, bool]:
    source = get_by_slug(session, values["slug"])
    created = source is None
    if source is None:
        source = Source(slug=values["slug"])
        session.add(source)
    for key, value in values.items():
        setattr(source, key, value)
    return source, created


class SourceConflict(ValueError):
    """A proposed source whose name is an existing source's, but of another side."""


def named(session: Session, name: str) -> Source | None:
    """The source with this name, ignoring case, accents and runs of spaces (hidden ones too)."""
    key = name_key(name)
    # Every source, compared in Python: a few hundred rows at most, and SQL cannot fold
    # Cyrillic case on SQLite.
    sources = session.scalars(select(Source).order_by(Source.id))
    return next((s for s in sources if name_key(s.name) == key), None)


def unique_slug(session: Session, base: str) -> str:
    """``base``, or ``base-2``, ``base-3`` … : the first one no source has yet."""
    base = base[:75].strip("-") or "source"
    taken = set(
        session.scalars(
            select(Source.slug).where(or_(Source.slug == base, Source.slug.like(f"{base}-%")))
        )
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def propose(session: Session, proposed: SourceIn, *, actor: User) -> tuple[Source, bool]:
    """The source a claim form names as new: (source, whether it already existed).

    Never a silent merge: a name that is an existing source's (case and spaces aside) IS that
    source when the sides agree, and is refused (SourceConflict) when they differ. A really
    new source gets a slug of its own (transliterated, suffixed -2, -3 … when taken) and is
    hidden from readers until one of its claims is approved, unless an admin proposed it.
    """
    existing = named(session, proposed.name)
    if existing is not None:
        if existing.side != proposed.side:
            raise SourceConflict(
                gettext(
                    "“%(name)s” is already recorded as a %(side)s source (%(slug)s); "
                    "pick it from the list, or give this one another name"
                )
                % {"name": existing.name, "side": existing.side.value, "slug": existing.slug}
            )
        return existing, True
    values = proposed.model_dump()
    values["slug"] = unique_slug(session, proposed.slug)
    values["public"] = actor.has_role(Role.admin)
    source = Source(**values)
    session.add(source)
    session.flush()
    audit.record(session, "source.create", "source", source.id, actor=actor, after=values)
    return source, False


def publish(session: Session, source: Source, *, actor: User | None) -> None:
    """Show a source to readers (its first claim was approved). Part of the caller's write."""
    if not source.public:
        source.public = True
        audit.record(
            session,
            "source.publish",
            "source",
            source.id,
            actor=actor,
            before={"public": False},
            after={"public": True},
        )


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


# Keyed by day: today's, and yesterday's for requests still running at midnight (each holds
# an outcome per approved claim: about 70 MB at 500,000 claims).
_records: RevisionCache[_Records] = RevisionCache(size=2)


def track_records(
    session: Session, history: RegionHistory, today: date, window_days: int
) -> dict[int, TrackRecord]:
    """Track records per source id, kept per revision and day.

    After a write only the claims of the settlements it touched are judged again (the
    derived history does the same); a new day or a cold start judges every claim.
    """

    def status_on(settlement_id: int, day: date) -> Derived:
        return history.on(settlement_id, day)[0]

    def build(cached: Entry[_Records] | None) -> _Records:
        changed = (
            None
            if cached is None
            else marks.settlements_derived_since(session, cached.revision, window_days)
        )
        if cached is None or changed is None:
            judged = judge_by_settlement(judged_claims(session), status_on, today)
        else:
            judged = {s: j for s, j in cached.value.judged.items() if s not in changed}
            if changed:
                judged.update(
                    judge_by_settlement(judged_claims(session, changed), status_on, today)
                )
        return _Records(judged, records_by_source(judged))

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
