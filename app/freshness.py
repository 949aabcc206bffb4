"""Freshness: how everything derived from claims stays exactly as new as the claims.

Two kinds of derived data exist. The **persisted status changes** (tables ``status_changes``
and ``derived_marks``) hold, for the knowledge date "now", the days on which each settlement's
derived status changed: a fresh server answers "since when", "latest changes" and the date
bar's previous/next steps from them by index look-ups, without deriving any history. Beside
them, ``publication_days`` holds the days approved claims about each settlement were
published (the steps as reported then, and how late a claim can come). The
**in-process caches** (``app/cache.py``: region histories, status tables, track records,
pages) are keyed on the content revision (``app/revisions.py``).

Invariants (each held by a test in ``tests/status/test_freshness.py``):

1. Every write to claims, sources, settlements or area figures goes through a SQLAlchemy
   ``Session``: ORM objects, or ORM statements (``insert(Claim)``, ``update(Source)``, ...).
   Raw SQL on a connection is never used for them; nothing here would see it.
2. Such a write moves the content revision in its own transaction (``app/revisions.py``), so
   no in-process cache keyed on the revision can serve anything older than the data.
3. Before a transaction commits, the status changes (and publication days) of every
   settlement whose claims may have changed are derived again, in that transaction, from
   its claims as they then stand: the settlement of every claim inserted, edited or
   deleted (and of the claim a correction supersedes), and every settlement a source has
   claims about when that source's side changed. A bulk statement on claims whose
   settlements cannot be read from its parameters derives every settlement (right, but
   slow), unless it names them with ``execution_options(settlement_ids=...)``. A
   rolled-back transaction leaves nothing.
4. Each settlement derived again gets a mark with the revision of that write. A cache built
   at revision R brings itself up to date by deriving again exactly the settlements marked
   after R. Nothing relies on claim ids or review times growing in commit order, nor on
   claims changing only by insert or review: an edit of a claim or of a source's side is
   seen like any other write.
5. The persisted changes are for one window (``KT_CONTEST_WINDOW_DAYS``, recorded in each
   mark) and the rule as it is (``app/status/derive.py``). A server whose window differs
   from the recorded one derives in memory instead; a change of the rule needs a migration
   that calls ``rederive_all``. The migration that created the tables filled them so.
6. A settlement's settlement row (name, district, place) is not derived data: pages read it
   fresh per revision. Evidence age (stale, days since the latest claim) is never stored: it
   is worked out from the date shown.
7. "Now" does not move with the calendar: every claim is published on or before the day it is
   stored (``app/dates.py`` bounds every date to today), so no claim becomes a candidate just
   because a day passed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, cast, delete, event, func, insert, inspect, select
from sqlalchemy.orm import Session

from app import revisions
from app.claims.models import Claim, ReviewState
from app.config import get_settings
from app.sources.models import Source
from app.status.history import SettlementHistory, events_of
from app.status.models import DerivedMark, PublicationDay, StatusChange

# Settlements derived (and their rows written) per statement.
CHUNK = 500
_PENDING = "freshness_pending"
# A bulk statement on claims may name the settlements it touches (invariant 3).
SETTLEMENT_IDS_OPTION = "settlement_ids"


@dataclass
class Pending:
    """What a transaction has touched so far, to derive again before it commits."""

    settlements: set[int] = field(default_factory=set)
    claims: set[int] = field(default_factory=set)  # their settlements are looked up
    sources: set[int] = field(default_factory=set)  # their side changed
    everything: bool = False

    def __bool__(self) -> bool:
        return bool(self.settlements or self.claims or self.sources or self.everything)


def pending(session: Session) -> Pending:
    found: Pending | None = session.info.get(_PENDING)
    if found is None:
        found = session.info[_PENDING] = Pending()
    return found


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def window_days() -> int:
    return get_settings().contest_window_days


def rederive(session: Session, settlement_ids: Collection[int], window: int) -> None:
    """Invariant 3: derive these settlements' status changes again and mark them (4)."""
    from app.status.service import facts_by_settlement  # the service reads these tables

    revision = revisions.current(session)
    for chunk in _chunks(settlement_ids):
        facts = facts_by_settlement(session, settlement_ids=chunk)
        rows: list[dict[str, Any]] = []
        for settlement_id in chunk:
            settlement_facts = facts.get(settlement_id, [])
            history = SettlementHistory.build(settlement_facts, window)
            rows.extend(change_row(e) for e in events_of(settlement_id, history, settlement_facts))
        session.execute(delete(StatusChange).where(StatusChange.settlement_id.in_(chunk)))
        session.execute(delete(DerivedMark).where(DerivedMark.settlement_id.in_(chunk)))
        session.execute(delete(PublicationDay).where(PublicationDay.settlement_id.in_(chunk)))
        if rows:
            session.execute(insert(StatusChange), rows)
        store_publication_days(session, chunk)
        session.execute(
            insert(DerivedMark),
            [{"settlement_id": s, "window_days": window, "revision": revision} for s in chunk],
        )


def rederive_all(session: Session, window: int, *, publication_days: bool = True) -> None:
    """Every settlement's status changes, from scratch (a migration, a bulk write), and its
    publication days (unless told not to: migrations before the table existed)."""
    from app.settlements.models import Settlement
    from app.status.service import facts_by_settlement

    revision = revisions.current(session)
    session.execute(delete(StatusChange))
    session.execute(delete(DerivedMark))
    if publication_days:
        session.execute(delete(PublicationDay))
        store_publication_days(session)
    facts = facts_by_settlement(session)
    settlement_ids = list(session.scalars(select(Settlement.id)))
    for chunk in _chunks(set(settlement_ids) | set(facts)):
        rows: list[dict[str, Any]] = []
        for settlement_id in chunk:
            settlement_facts = facts.get(settlement_id, [])
            history = SettlementHistory.build(settlement_facts, window)
            rows.extend(change_row(e) for e in events_of(settlement_id, history, settlement_facts))
        if rows:
            session.execute(insert(StatusChange), rows)
        session.execute(
            insert(DerivedMark),
            [{"settlement_id": s, "window_days": window, "revision": revision} for s in chunk],
        )


def store_publication_days(session: Session, settlement_ids: Collection[int] | None = None) -> None:
    """The days approved claims about these settlements (or every one) were published, each
    with the most days one of them came after its date: one INSERT ... SELECT."""
    if session.get_bind().dialect.name == "sqlite":  # dates are ISO text there
        delay: Any = cast(func.julianday(Claim.published_on) - func.julianday(Claim.as_of), Integer)
    else:
        delay = Claim.published_on - Claim.as_of
    days = (
        select(Claim.settlement_id, Claim.published_on, func.max(delay))
        .where(Claim.review_state == ReviewState.approved)
        .group_by(Claim.settlement_id, Claim.published_on)
    )
    if settlement_ids is not None:
        days = days.where(Claim.settlement_id.in_(settlement_ids))
    session.execute(
        insert(PublicationDay).from_select(
            [PublicationDay.settlement_id, PublicationDay.day, PublicationDay.delay], days
        )
    )


def change_row(event_: Any) -> dict[str, Any]:
    return {
        "settlement_id": event_.settlement_id,
        "day": event_.day,
        "before": event_.before.value,
        "after": event_.after.value,
        "reason": event_.derived.reason.value,
        "claim_ids": ",".join(str(i) for i in event_.claim_ids),
        "sides": ",".join(sorted(s.value for s in event_.sides)),
    }


def settle(session: Session) -> None:
    """Derive again what this transaction touched (invariant 3). Called before a commit."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # objects not yet flushed add what they touch
    if not session.info.get(_PENDING):
        return
    touched: Pending = session.info.pop(_PENDING)
    window = window_days()
    if touched.everything:
        rederive_all(session, window)
        return
    settlement_ids = set(touched.settlements)
    for chunk in _chunks(touched.claims):
        settlement_ids.update(
            session.scalars(select(Claim.settlement_id).where(Claim.id.in_(chunk)))
        )
    for chunk in _chunks(touched.sources):
        settlement_ids.update(
            session.scalars(
                select(Claim.settlement_id).where(Claim.source_id.in_(chunk)).distinct()
            )
        )
    if settlement_ids:
        rederive(session, settlement_ids, window)
    session.info.pop(_PENDING, None)  # what deriving itself touched is already derived


# --- What a transaction touches --------------------------------------------------------------


def _side_changed(source: Source) -> bool:
    return bool(inspect(source).attrs.side.history.has_changes())


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    touched = None
    for objects in (session.new, session.dirty, session.deleted):
        for obj in objects:
            if isinstance(obj, Claim):
                touched = touched or pending(session)
                history = inspect(obj).attrs.settlement_id.history
                touched.settlements.update(
                    s for s in (obj.settlement_id, *history.deleted) if s is not None
                )
                if obj.supersedes_id is not None:
                    touched.claims.add(obj.supersedes_id)
            elif isinstance(obj, Source) and obj in session.dirty and _side_changed(obj):
                touched = touched or pending(session)
                touched.sources.add(obj.id)


@event.listens_for(Session, "do_orm_execute")
def _on_bulk(state: Any) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table not in ("claims", "sources"):
        return
    touched = pending(state.session)
    named = state.execution_options.get(SETTLEMENT_IDS_OPTION)
    if named is not None:
        touched.settlements.update(named)
        return
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    if table == "sources":
        if state.is_insert:
            return  # a new source has no claims yet
        if state.is_update and rows and all("id" in r for r in rows):
            touched.sources.update(r["id"] for r in rows if "side" in r)
            return
        # A deleted source has no claims left (the foreign key); an update by condition: all.
        touched.everything = touched.everything or state.is_update
        return
    if state.is_insert and rows and all("settlement_id" in r for r in rows):
        touched.settlements.update(r["settlement_id"] for r in rows)
        touched.claims.update(r["supersedes_id"] for r in rows if r.get("supersedes_id"))
        return
    if state.is_update and rows and all("id" in r and "settlement_id" not in r for r in rows):
        touched.claims.update(r["id"] for r in rows)
        touched.claims.update(r["supersedes_id"] for r in rows if r.get("supersedes_id"))
        return
    touched.everything = True


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    settle(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


# Bringing an in-process cache up to date (invariant 4) is a plain read of the marks these
# events leave: app/status/marks.py.
