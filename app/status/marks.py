"""Which settlements were derived again since a cache was built (invariant 4 of app/freshness.py).

A plain read of the marks the write transactions leave (`derived_marks`), kept apart from the
freshness events so that the caches of every area (region histories, sources' track records)
can ask it without importing the machinery that writes them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.status.models import DerivedMark

# More settlements derived again than this since a cache was built: rebuild it instead.
INCREMENTAL_LIMIT = 2000


def settlements_derived_since(session: Session, revision: int, window: int) -> set[int] | None:
    """The settlements derived again by writes after ``revision``: what a cache built at that
    revision must derive again. None when it must start over instead: the persisted changes
    were derived with another window (invariant 5), or too many settlements changed."""
    other_window = session.scalar(
        select(DerivedMark.settlement_id).where(DerivedMark.window_days != window).limit(1)
    )
    if other_window is not None:
        return None
    changed = set(
        session.scalars(select(DerivedMark.settlement_id).where(DerivedMark.revision > revision))
    )
    return changed if len(changed) <= INCREMENTAL_LIMIT else None
