"""Where the claims stood when a cache was built, and which settlements changed since.

The derived history and the sources' track records are rebuilt after a write only for the
settlements whose claims are new or newly reviewed: claims are never edited otherwise (a
correction is a new claim), so the newest claim id and the latest review time mark exactly
what a cache has seen.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from app.claims.models import Claim

ClaimsMark = tuple[int | None, datetime | None]

# More changed settlements than this since the last build: rebuild everything instead.
INCREMENTAL_LIMIT = 2000


def claims_mark(session: Session) -> ClaimsMark:
    """Two index look-ups: the newest claim id and the latest review time."""
    # Two scalar subqueries: SQLite answers max() from an index only one aggregate at a time.
    row = session.execute(
        select(
            select(func.max(Claim.id)).scalar_subquery(),
            select(func.max(Claim.reviewed_at)).scalar_subquery(),
        )
    ).one()
    return row[0], row[1]


def settlements_changed_since(session: Session, mark: ClaimsMark) -> set[int]:
    newest_id, latest_review = mark
    # Two range look-ups (the primary key, the review-time index), not one OR that scans.
    new = select(Claim.settlement_id).where(Claim.id > (newest_id or 0))
    if latest_review is None:
        return set(session.scalars(new))
    reviewed = select(Claim.settlement_id).where(Claim.reviewed_at > latest_review)
    return set(session.scalars(union(new, reviewed)))


def changes_since(session: Session, mark: ClaimsMark | None) -> tuple[ClaimsMark, set[int] | None]:
    """The mark now, and the settlements whose claims changed since ``mark``.

    None instead of the set when a cache must start over: it has no mark yet, or more than
    INCREMENTAL_LIMIT settlements changed.
    """
    now = claims_mark(session)
    if mark is None:
        return now, None
    changed = settlements_changed_since(session, mark)
    return now, changed if len(changed) <= INCREMENTAL_LIMIT else None
