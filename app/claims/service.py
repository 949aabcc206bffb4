"""Claims: look-ups, lists, the export query, and adding a claim with its audit event."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import Session, aliased

from app.accounts import audit
from app.accounts.models import User
from app.claims.models import Claim, ControlStatus, ReviewState
from app.claims.schemas import ClaimIn
from app.db import utcnow
from app.settlements.models import Settlement
from app.sources.models import Source


def superseded_clause() -> object:
    """True for a claim that an approved correction replaces."""
    correction = aliased(Claim)
    return exists().where(
        and_(
            correction.supersedes_id == Claim.id,
            correction.review_state == ReviewState.approved,
        )
    )


def get(session: Session, claim_id: int) -> Claim | None:
    return session.get(Claim, claim_id)


def by_ids(session: Session, ids: Iterable[int]) -> dict[int, Claim]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(Claim).where(Claim.id.in_(wanted))).all()
    return {c.id: c for c in rows}


def claims_of_settlement(session: Session, settlement_id: int) -> Sequence[Claim]:
    """Every approved claim about a settlement, newest first (what its page lists)."""
    stmt = (
        select(Claim)
        .where(Claim.settlement_id == settlement_id, Claim.review_state == ReviewState.approved)
        .order_by(Claim.as_of.desc(), Claim.published_on.desc(), Claim.id.desc())
    )
    return session.scalars(stmt).all()


def superseded_ids(session: Session, claim_ids: Iterable[int]) -> dict[int, int]:
    """For claims replaced by an approved correction: claim id -> correction id."""
    ids = list(claim_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Claim.supersedes_id, Claim.id).where(
            Claim.supersedes_id.in_(ids), Claim.review_state == ReviewState.approved
        )
    ).all()
    return {old: new for old, new in rows if old is not None}


def latest_approved(session: Session, up_to: date, limit: int = 10) -> Sequence[Claim]:
    """The most recent approved claims as of a date: the dashboard's "latest claims"."""
    stmt = (
        select(Claim)
        .where(Claim.review_state == ReviewState.approved, Claim.as_of <= up_to)
        .order_by(Claim.as_of.desc(), Claim.published_on.desc(), Claim.id.desc())
        .limit(limit)
    )
    return session.scalars(stmt).all()


def export_query(
    *,
    settlement: str | None = None,
    source: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Select[Any]:
    """Approved claims as flat rows named like the CSV columns, oldest first.

    Plain columns, not ORM objects: an export of 500,000 claims should not build 500,000
    objects. The order is stable, so two exports of the same data are the same file.
    """
    stmt = (
        select(
            Claim.id.label("claim_id"),
            Settlement.slug.label("settlement"),
            Settlement.name.label("settlement_name"),
            Claim.status,
            Claim.as_of,
            Claim.published_on,
            Source.slug.label("source"),
            Source.side.label("source_side"),
            Claim.source_url,
            Claim.verification,
            Claim.summary,
        )
        .join(Settlement, Claim.settlement_id == Settlement.id)
        .join(Source, Claim.source_id == Source.id)
        .where(Claim.review_state == ReviewState.approved)
        .order_by(Claim.as_of, Claim.id)
    )
    if settlement:
        stmt = stmt.where(Settlement.slug == settlement)
    if source:
        stmt = stmt.where(Source.slug == source)
    if since:
        stmt = stmt.where(Claim.as_of >= since)
    if until:
        stmt = stmt.where(Claim.as_of <= until)
    return stmt


def find_duplicate(
    session: Session, *, settlement_id: int, source_id: int, as_of: date, status: ControlStatus
) -> Claim | None:
    """A claim with the same settlement, source, as_of and status (rejected ones aside)."""
    return session.scalar(
        select(Claim)
        .where(
            Claim.settlement_id == settlement_id,
            Claim.source_id == source_id,
            Claim.as_of == as_of,
            Claim.status == status,
            Claim.review_state != ReviewState.rejected,
        )
        .order_by(Claim.id)
        .limit(1)
    )


def snapshot(claim: Claim) -> dict[str, Any]:
    """A claim's fields as the audit log records them."""
    return {
        "settlement": claim.settlement.slug if claim.settlement else claim.settlement_id,
        "source": claim.source.slug if claim.source else claim.source_id,
        "status": claim.status,
        "as_of": claim.as_of,
        "published_on": claim.published_on,
        "source_url": claim.source_url,
        "verification": claim.verification,
        "summary": claim.summary,
        "review_state": claim.review_state,
        "review_note": claim.review_note,
        "supersedes_id": claim.supersedes_id,
        "version": claim.version,
    }


def add(
    session: Session,
    data: ClaimIn,
    *,
    settlement: Settlement,
    source: Source,
    submitted_by: User | None = None,
    approved_by: User | None = None,
    approve: bool = False,
    supersedes: Claim | None = None,
    audit_action: str = "claim.submit",
) -> Claim:
    """Store a new claim (pending unless ``approve``) and its audit event. Does not commit."""
    claim = Claim(
        settlement=settlement,
        source=source,
        status=data.status,
        as_of=data.as_of,
        published_on=data.published_on or data.as_of,
        source_url=data.source_url,
        verification=data.verification,
        summary=data.summary,
        submitted_by=submitted_by,
        supersedes=supersedes,
        review_state=ReviewState.approved if approve else ReviewState.pending,
    )
    if approve:
        claim.reviewed_by = approved_by
        claim.reviewed_at = utcnow()
    session.add(claim)
    session.flush()
    audit.record(
        session, audit_action, "claim", claim.id, actor=submitted_by, after=snapshot(claim)
    )
    return claim
