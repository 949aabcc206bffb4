"""The queries behind the derivation rule: facts in, derived statuses out, in bounded queries."""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, not_, select, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import Label
from sqlalchemy.sql.expression import Join

from app import dates, revisions
from app.cache import Entry, RevisionCache, database_key, kept
from app.claims import service as claims_service
from app.claims.models import (
    STATUS_OF,
    VERIFICATION_OF,
    Claim,
    ControlStatus,
    ReviewState,
    Verification,
)
from app.claims.service import ClaimRecord
from app.config import Settings
from app.db import AnySelect, as_driver_values, iso_date
from app.paging import Key, Page, page_of_ordered
from app.settlements import service as settlements_service
from app.settlements.models import Settlement
from app.settlements.service import SettlementRow
from app.sources.models import SIDE_OF, Side, Source
from app.status import marks
from app.status.derive import (
    ASSERTED,
    DEFAULT_STALE_DAYS,
    NO_EVIDENCE,
    UNKNOWN,
    ClaimFact,
    Derived,
    Evidence,
    Interval,
    Reason,
    decide,
    derive_history,
    derive_status,
    evidence_of,
    timeline_from_history,
)
from app.status.history import ChangeEvent, RegionHistory, SettlementHistory, change_event
from app.status.models import AreaFigure, DerivedMark, Holder, PublicationDay, StatusChange


@dataclass(frozen=True, slots=True)
class SettlementStatus:
    settlement: SettlementRow | Settlement
    derived: Derived
    since: date | None
    evidence: Evidence = NO_EVIDENCE  # the evidence's age on the date shown

    @property
    def status(self) -> ControlStatus:
        return self.derived.status

    @property
    def stale(self) -> bool:
        return self.evidence.stale


# What the rule reads of a claim (a ClaimFact), in this order, for every query that feeds it.
_FACT_COLUMNS = (
    Claim.settlement_id,
    Claim.id,
    Claim.status,
    Claim.as_of,
    Claim.published_on,
    Claim.verification,
    Source.side,
)


def facts_query(
    as_of: date | None = None,
    settlement_ids: Collection[int] | None = None,
    known_on: date | None = None,
    after: date | None = None,
) -> AnySelect:
    """Step 1's candidates as rows (dated up to ``as_of``), as known on ``known_on``.

    Approved claims that assert a status, are not refuted and whose dates lie in the
    calendar the tracker accepts (claims stored before that check existed are ignored).
    As known now (``known_on`` None), claims replaced by an approved correction are left
    out here; for an earlier knowledge date each claim carries the day its correction was
    published (``withdrawn_on``) and the rule decides.
    """
    window_start = None if after is None else max(after, dates.EARLIEST_DATE - timedelta(days=1))
    conditions = _stored_candidate(window_start)
    withdrawn_on: Label[Any]
    if known_on is None:
        withdrawn_on = literal(None).label("withdrawn_on")
        conditions.append(not_(claims_service.superseded_clause()))
    else:
        correction = aliased(Claim)
        withdrawn_on = (
            select(func.min(correction.published_on))
            .where(
                correction.supersedes_id == Claim.id,
                correction.review_state == ReviewState.approved,
            )
            .scalar_subquery()
            .label("withdrawn_on")
        )
        conditions.append(Claim.published_on <= known_on)
    if as_of is not None:
        conditions.append(Claim.as_of <= as_of)
    stmt = (
        select(*_FACT_COLUMNS, withdrawn_on)
        .join(Source, Claim.source_id == Source.id)
        .where(*conditions)
    )
    if settlement_ids is not None:
        stmt = stmt.where(Claim.settlement_id.in_(settlement_ids))
    return stmt


def _stored_candidate(after: Any = None) -> list[ColumnElement[bool]]:
    """What makes a stored claim a candidate whatever the dates asked about.

    ``after``: the day before the first date asked about (a date or a column, never before
    the calendar's start), then the only lower bound on the claim's date. Given two, SQLite
    ranges its index on the calendar's start and filters on the other (a few weeks of 485
    settlements read every claim since 2000: 27 → 7 ms at 500,000 claims).
    """
    return [
        Claim.review_state == ReviewState.approved,
        Claim.verification != Verification.refuted,
        Claim.status.in_(sorted(ASSERTED)),
        Claim.as_of >= dates.EARLIEST_DATE if after is None else Claim.as_of > after,
        Claim.published_on <= dates.today(),
    ]


def _candidate_conditions(known_on: date | None, after: Any = None) -> list[ColumnElement[bool]]:
    """Step 1 in SQL: candidates as known on ``known_on`` (None: now), for any date (dated
    after ``after``: see ``_stored_candidate``)."""
    conditions = _stored_candidate(after)
    if known_on is None:
        conditions.append(not_(claims_service.superseded_clause()))
        return conditions
    correction = aliased(Claim)
    withdrawn = exists().where(
        correction.supersedes_id == Claim.id,
        correction.review_state == ReviewState.approved,
        correction.published_on <= known_on,
    )
    conditions += [Claim.published_on <= known_on, not_(withdrawn)]
    return conditions


class _AnchorsFirst(Join):
    """A join that SQLite must run in the order written (CROSS JOIN): each anchor's window
    along its settlement's index. Left to itself the planner reads every approved claim
    and looks each one's anchor up."""

    inherit_cache = True


@compiles(_AnchorsFirst, "sqlite")
def _anchors_first_sqlite(element: _AnchorsFirst, compiler: Any, **kw: Any) -> str:
    rendered: str = compiler.visit_join(element, **kw)
    return rendered.replace(" JOIN ", " CROSS JOIN ", 1)


def _window_start(session: Session, anchor: Any, window_days: int) -> Any:
    """The day before a window's first: ``anchor - W``, and never before the calendar starts
    (one bound, so that the index range is the window's, not every claim since 2000)."""
    before_calendar = dates.EARLIEST_DATE - timedelta(days=1)
    if session.get_bind().dialect.name == "sqlite":  # dates are ISO text there
        return func.max(func.date(anchor, f"-{window_days} days"), before_calendar.isoformat())
    return func.greatest(anchor - window_days, before_calendar)


def window_facts(
    session: Session,
    on: date,
    window_days: int,
    known_on: date | None = None,
    settlement_ids: Collection[int] | None = None,
) -> dict[int, list[ClaimFact]]:
    """Steps 1-2 for every settlement at once: the claims of each one's window on ``on``.

    One statement, no history: each settlement's anchor (its latest candidate's date up to
    ``on``, grouped in SQL), then the candidates within the window before it. The rule
    (``derive.decide``) needs nothing else to give the status on ``on``.
    """
    conditions = _candidate_conditions(known_on)
    if known_on is not None:
        # Candidates as known on K are dated by K (published_on >= as_of): each anchor's
        # walk down its settlement's index starts there, not at claims K had not seen.
        on = min(on, known_on)
    # Per settlement, its claims newest first along (settlement, review state, as_of) until
    # the first candidate: a few rows each, where a GROUP BY would read every claim.
    anchor = (
        select(Claim.as_of)
        .where(Claim.settlement_id == Settlement.id, *conditions, Claim.as_of <= on)
        .order_by(Claim.as_of.desc())
        .limit(1)
        .scalar_subquery()
    )
    anchors_stmt = select(Settlement.id.label("settlement_id"), anchor.label("anchor"))
    if settlement_ids is not None:
        anchors_stmt = anchors_stmt.where(Settlement.id.in_(settlement_ids))
    # Materialized: else the planner folds it in and runs it once per claim.
    found = anchors_stmt.cte("found").prefix_with("MATERIALIZED")
    anchors = (
        select(
            found.c.settlement_id,
            found.c.anchor,
            _window_start(session, found.c.anchor, window_days).label("after"),
        )
        .where(found.c.anchor.is_not(None))
        .cte("anchors")
        .prefix_with("MATERIALIZED")
    )
    stmt = (
        select(*_FACT_COLUMNS, literal(None).label("withdrawn_on"))
        .select_from(
            _AnchorsFirst(anchors, Claim.__table__, anchors.c.settlement_id == Claim.settlement_id)
        )
        .join(Source, Claim.source_id == Source.id)
        .where(
            *_candidate_conditions(known_on, after=anchors.c.after),
            Claim.as_of <= anchors.c.anchor,
        )
    )
    return _grouped_facts(session, stmt)


def statuses_on(
    session: Session,
    as_of: date,
    window_days: int,
    known_on: date | None = None,
    settlement_ids: Collection[int] | None = None,
) -> dict[int, Derived]:
    """Every settlement's derived status on ``as_of`` (those without candidates: absent)."""
    return {
        settlement_id: decide(window)
        for settlement_id, window in window_facts(
            session, as_of, window_days, knowledge_date(known_on), settlement_ids
        ).items()
    }


def facts_by_settlement(
    session: Session,
    as_of: date | None = None,
    settlement_ids: Collection[int] | None = None,
    known_on: date | None = None,
    after: date | None = None,
) -> dict[int, list[ClaimFact]]:
    """Step 1's candidates grouped by settlement (see ``_facts_by_settlement``)."""
    return _facts_by_settlement(session, as_of, settlement_ids, known_on, after)


def _facts_by_settlement(
    session: Session,
    on: date | None = None,
    settlement_ids: Collection[int] | None = None,
    known_on: date | None = None,
    after: date | None = None,
) -> dict[int, list[ClaimFact]]:
    """Step 1's candidates grouped by settlement: the one query a full rebuild needs.

    Read as the driver returns them and turned into enums and dates here, with dictionaries
    and date.fromisoformat: on 500,000 claims this is several times faster than letting the
    ORM process every value.
    """
    return _grouped_facts(session, facts_query(on, settlement_ids, known_on, after))


def _grouped_facts(session: Session, stmt: AnySelect) -> dict[int, list[ClaimFact]]:
    """The rows of a facts query (``_FACT_COLUMNS`` and ``withdrawn_on``) as ClaimFacts by
    settlement, turned into enums and dates here from the driver's values."""
    grouped: dict[int, list[ClaimFact]] = defaultdict(list)
    statuses, verifications, sides = STATUS_OF, VERIFICATION_OF, SIDE_OF
    approved = ReviewState.approved
    # Tens of thousands of rows name a few hundred days: each day is parsed once.
    days: dict[Any, date] = {}

    def day_of(value: Any) -> date:
        found = days.get(value)
        if found is None:
            found = days[value] = iso_date(value)
        return found

    for (
        settlement_id,
        claim_id,
        status,
        as_of,
        published_on,
        verification,
        side,
        withdrawn_on,
    ) in session.connection().execute(as_driver_values(stmt)):
        # Positional: ClaimFact's fields in order (keywords cost a third more per row).
        grouped[int(settlement_id)].append(
            ClaimFact(
                int(claim_id),
                statuses[status],
                day_of(as_of),
                day_of(published_on),
                verifications[verification],
                sides[side],
                approved,
                None if withdrawn_on is None else day_of(withdrawn_on),
            )
        )
    return grouped


def fact_of(claim: Claim) -> ClaimFact:
    """A claim as the rule sees it, as if it were approved (for "what would change" previews)."""
    return ClaimFact(
        id=claim.id,
        status=claim.status,
        as_of=claim.as_of,
        published_on=claim.published_on,
        verification=claim.verification,
        side=claim.source.side,
    )


@dataclass(frozen=True, slots=True)
class ReviewPreview:
    """A pending claim's settlement now, and as it would be if the claim were approved."""

    now: Derived
    if_approved: Derived

    @property
    def changes_status(self) -> bool:
        return self.now.status != self.if_approved.status


def review_previews(
    session: Session, claims: Sequence[Claim], as_of: date, window_days: int
) -> dict[int, ReviewPreview]:
    # A correction replaces the claim it supersedes once approved: dropped from "if approved".
    """For each pending claim, what approving it would do (one query for the whole queue)."""
    facts = _facts_by_settlement(session, as_of, {c.settlement_id for c in claims})
    previews = {}
    for claim in claims:
        current = facts.get(claim.settlement_id, [])
        # A correction replaces the claim it supersedes; a claim dated later than `on` is
        # judged on its own date.
        kept = [f for f in current if f.id != claim.supersedes_id]
        previews[claim.id] = ReviewPreview(
            now=derive_status(current, as_of, window_days),
            if_approved=derive_status(
                [*kept, fact_of(claim)], max(as_of, claim.as_of), window_days
            ),
        )
    return previews


_persisted_windows: RevisionCache[bool] = RevisionCache(size=16)


def persisted_changes_hold(session: Session, window_days: int) -> bool:
    """Whether the persisted status changes were derived with this window (app/freshness.py,
    invariant 5): then they answer for the knowledge date "now"."""

    def build(_cached: Entry[bool] | None) -> bool:
        other = session.scalar(
            select(DerivedMark.settlement_id).where(DerivedMark.window_days != window_days).limit(1)
        )
        return other is None

    key = (database_key(session), window_days)
    return _persisted_windows.build_once(key, revisions.current(session), build)


# Changes per page of newest_events_until.
_EVENT_BATCH = 200
_FIRST_EVENT_BATCH = 16


class PersistedChanges:
    """The changes of status as known now, read from ``status_changes`` by index look-ups:
    what the dashboard, the date bar and the map need, without any history in memory."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def since_by_settlement(self, day: date) -> dict[int, date]:
        """Each settlement's latest change on or before ``day``: since when its status holds."""
        stmt = (
            select(StatusChange.settlement_id, func.max(StatusChange.day))
            .where(StatusChange.day <= day)
            .group_by(StatusChange.settlement_id)
        )
        return {
            int(sid): iso_date(found)
            for sid, found in self.session.connection().execute(as_driver_values(stmt))
        }

    def newest_events_until(self, day: date) -> Iterator[ChangeEvent]:
        """Changes on or before ``day``, newest first (as ``RegionHistory`` orders them)."""
        after: tuple[date, int] | None = None
        # Small pages first: the dashboard wants eight; a filtered list reads on, in larger ones.
        batch = _FIRST_EVENT_BATCH
        while True:
            stmt = select(StatusChange).where(StatusChange.day <= day)
            if after is not None:
                stmt = stmt.where(
                    tuple_(StatusChange.day, StatusChange.settlement_id) < tuple_(*after)
                )
            stmt = stmt.order_by(StatusChange.day.desc(), StatusChange.settlement_id.desc()).limit(
                batch
            )
            found = self.session.scalars(stmt).all()
            for row in found:
                yield _event_of(row)
            if len(found) < batch:
                return
            after = (found[-1].day, found[-1].settlement_id)
            batch = _EVENT_BATCH

    def previous_change(self, day: date) -> date | None:
        days = self._days()
        i = bisect_left(days, day)
        return days[i - 1] if i > 0 else None

    def next_change(self, day: date) -> date | None:
        days = self._days()
        i = bisect_right(days, day)
        return days[i] if i < len(days) else None

    @property
    def change_days(self) -> list[date]:
        return list(self._days())

    def _days(self) -> tuple[date, ...]:
        """The days some status changed, in order, kept per revision: every dated page's date
        bar steps to the nearest ones (two queries a page before; one index scan a revision)."""
        return kept(
            _change_days,
            self.session,
            "days",
            lambda: tuple(
                iso_date(day)
                for (day,) in self.session.connection().execute(
                    as_driver_values(select(StatusChange.day).distinct().order_by(StatusChange.day))
                )
            ),
        )


_change_days: RevisionCache[tuple[date, ...]] = RevisionCache(size=4)
# The dashboard's latest changes (as known now), per date shown and how many.
_latest_events: RevisionCache[tuple[ChangeEvent, ...]] = RevisionCache(size=16)


def _event_of(row: StatusChange) -> ChangeEvent:
    """A stored change as the pages use it: the day, both statuses, the claims behind it
    (the derivation keeps only its reason and those claims)."""
    ids = tuple(int(i) for i in row.claim_ids.split(",") if i)
    reason = Reason(row.reason)
    conflict = reason is Reason.conflict
    return ChangeEvent(
        day=row.day,
        settlement_id=row.settlement_id,
        before=ControlStatus(row.before),
        after=ControlStatus(row.after),
        derived=Derived(
            status=ControlStatus(row.after),
            reason=reason,
            deciding_claim_ids=() if conflict else ids,
            conflicting_claim_ids=ids if conflict else (),
        ),
        sides=frozenset(Side(s) for s in row.sides.split(",") if s),
    )


@dataclass(frozen=True, slots=True)
class _KnownOnChanges:
    """What ``ChangesAsKnownOn`` keeps per knowledge date and content revision: plain data,
    no session (requests in other threads use it)."""

    known_on: date
    # The settlements K saw otherwise (``seen_otherwise``), each with its first such day.
    first: dict[int, date]
    # Their changes from that day on, derived again as known on K, by (day, settlement).
    new_events: tuple[ChangeEvent, ...]
    # Their stored changes before that day, oldest first: "since when" up to it.
    kept_changes: dict[int, tuple[date, ...]]
    change_days: list[date]  # every day some status changed as known on K, oldest first


class ChangesAsKnownOn:
    """The changes of status as known on an earlier date K, without deriving any history:
    the persisted changes (as known now) cut at K, and for the settlements K saw otherwise
    (``seen_otherwise``), their changes from the first such day on derived again from their
    facts as known on K. The same changes as ``RegionHistory.as_known_on`` (that method's
    docstring says why the rest is the same), for a few hundred settlements' windows instead
    of every claim. A view for one request: its session reads the stored changes, the kept
    part (``_KnownOnChanges``) is shared by every request."""

    def __init__(self, session: Session, shared: _KnownOnChanges) -> None:
        self.session = session
        self.known_on = shared.known_on
        self.change_days = shared.change_days
        self._shared = shared

    @staticmethod
    def build(session: Session, window_days: int, known_on: date) -> _KnownOnChanges:
        first = seen_otherwise(session, known_on)
        # Every stored change up to K, counted by day; then the ones K saw otherwise taken off.
        by_day = (
            select(StatusChange.day, func.count())
            .where(StatusChange.day <= known_on)
            .group_by(StatusChange.day)
        )
        days: Counter[date] = Counter(
            {
                iso_date(day): int(n)
                for day, n in session.connection().execute(as_driver_values(by_day))
            }
        )
        new_events: list[ChangeEvent] = []
        kept_changes: dict[int, list[date]] = defaultdict(list)
        if first:
            stored = (
                select(StatusChange.settlement_id, StatusChange.day, StatusChange.after)
                .where(StatusChange.settlement_id.in_(first), StatusChange.day <= known_on)
                .order_by(StatusChange.settlement_id, StatusChange.day)
            )
            before: dict[int, ControlStatus] = {}
            for sid, stored_day, after in session.connection().execute(as_driver_values(stored)):
                day_of = iso_date(stored_day)
                if day_of >= first[int(sid)]:
                    days[day_of] -= 1
                else:
                    before[int(sid)] = ControlStatus(after)
                    kept_changes[int(sid)].append(day_of)
            span = timedelta(days=window_days)
            # Dated by K too (a claim is never published before its date): with both bounds
            # the claims of a few weeks are read, not every claim dated since the first day.
            facts = _facts_by_settlement(
                session,
                known_on,
                settlement_ids=first,
                known_on=known_on,
                after=min(first.values()) - span,
            )
            for settlement_id, day in first.items():
                window = [f for f in facts.get(settlement_id, []) if f.as_of > day - span]
                suffix = [
                    (d, derived)
                    for d, derived in derive_history(window, window_days, known_on)
                    if d >= day
                ]
                status = before.get(settlement_id, ControlStatus.unknown)
                side_of = {f.id: f.side for f in window}
                for interval in timeline_from_history(suffix):
                    if interval.status == status:
                        continue  # the same run as before that day: no change
                    new_events.append(change_event(settlement_id, interval, status, side_of))
                    status = interval.status
        days.update(e.day for e in new_events)
        return _KnownOnChanges(
            known_on,
            first,
            tuple(sorted(new_events, key=lambda e: (e.day, e.settlement_id))),
            {sid: tuple(found) for sid, found in kept_changes.items()},
            sorted(d for d, n in days.items() if n > 0),
        )

    def _kept(self, settlement_id: int, day: date) -> bool:
        first = self._shared.first.get(settlement_id)
        return first is None or day < first

    def since_by_settlement(self, day: date) -> dict[int, date]:
        """Each settlement's latest change on or before ``day``, as known on K."""
        until = min(day, self.known_on)
        first = self._shared.first
        since = {
            sid: found
            for sid, found in PersistedChanges(self.session).since_by_settlement(until).items()
            if sid not in first
        }
        for sid, days in self._shared.kept_changes.items():
            i = bisect_right(days, until)
            if i:
                since[sid] = days[i - 1]
        for event in self._shared.new_events:
            if event.day > day:
                break
            since[event.settlement_id] = max(since.get(event.settlement_id, date.min), event.day)
        return since

    def newest_events_until(self, day: date) -> Iterator[ChangeEvent]:
        """Changes on or before ``day``, newest first (as ``RegionHistory`` orders them)."""
        stored = (
            e
            for e in PersistedChanges(self.session).newest_events_until(min(day, self.known_on))
            if self._kept(e.settlement_id, e.day)
        )
        new = (e for e in reversed(self._shared.new_events) if e.day <= day)
        return heapq.merge(stored, new, key=lambda e: (e.day, e.settlement_id), reverse=True)

    def previous_change(self, day: date) -> date | None:
        i = bisect_left(self.change_days, day) - 1
        return self.change_days[i] if i >= 0 else None

    def next_change(self, day: date) -> date | None:
        i = bisect_right(self.change_days, day)
        return self.change_days[i] if i < len(self.change_days) else None


ChangeLog = RegionHistory | PersistedChanges | ChangesAsKnownOn


def change_log(session: Session, window_days: int, known_on: date | None = None) -> ChangeLog:
    """Where the changes of status come from: as known now, the persisted ones (no history
    derived); as known on an earlier date, the region's history as then known."""
    known_on = knowledge_date(known_on)
    if persisted_changes_hold(session, window_days):
        if known_on is None:
            return PersistedChanges(session)
        return changes_as_known_on(session, window_days, known_on)
    return region_history(session, window_days, known_on)


_changes_as_known_on: RevisionCache[_KnownOnChanges] = RevisionCache(size=8)


def changes_as_known_on(session: Session, window_days: int, known_on: date) -> ChangesAsKnownOn:
    """The changes as known on ``known_on`` (before today), kept per knowledge date."""
    shared = _changes_as_known_on.build_once(
        (database_key(session), window_days, known_on),
        revisions.current(session),
        lambda _cached: ChangesAsKnownOn.build(session, window_days, known_on),
    )
    return ChangesAsKnownOn(session, shared)


_histories: RevisionCache[RegionHistory] = RevisionCache()
# Histories as known on an earlier date ("as reported then"), a few at a time.
_reported_histories: RevisionCache[RegionHistory] = RevisionCache(size=8)


def knowledge_date(known_on: date | None) -> date | None:
    """None for "everything known now": a knowledge date of today (or later) is the default."""
    return None if known_on is None or known_on >= dates.today() else known_on


def region_history(
    session: Session, window_days: int, known_on: date | None = None
) -> RegionHistory:
    """Every settlement's derived history as known on ``known_on``, never older than the data.

    As known now: from the cache when the content revision has not moved; otherwise only
    the settlements that writes since then derived again (app/freshness.py; after an
    approval: one); a cold start derives everything from one facts query. As known on an earlier
    date: derived once from the claims published by then, and kept per knowledge date.
    """
    known_on = knowledge_date(known_on)
    if known_on is not None:
        return _reported_histories.build_once(
            (database_key(session), window_days, known_on),
            revisions.current(session),
            lambda _cached: _history_as_known_on(session, window_days, known_on),
        )

    def build(cached: Entry[RegionHistory] | None) -> RegionHistory:
        changed = (
            None
            if cached is None
            else marks.settlements_derived_since(session, cached.revision, window_days)
        )
        if cached is None or changed is None:
            return RegionHistory.build(_facts_by_settlement(session), window_days)
        facts = _facts_by_settlement(session, settlement_ids=changed) if changed else {}
        return cached.value.replacing({sid: facts.get(sid, []) for sid in changed}, window_days)

    key = (database_key(session), window_days)
    return _histories.build_once(key, revisions.current(session), build)


def seen_otherwise(session: Session, known_on: date) -> dict[int, date]:
    """Settlements with an approved claim dated by ``known_on`` that was then seen otherwise
    than now (published after that day, or corrected by a correction published after it),
    each with the date of its first such claim. Two small queries: claims published late,
    and corrections."""
    first: dict[int, date] = {}

    def note(settlement_id: int, day: date) -> None:
        if settlement_id not in first or day < first[settlement_id]:
            first[settlement_id] = day

    late = (
        select(Claim.settlement_id, func.min(Claim.as_of))
        .where(
            Claim.review_state == ReviewState.approved,
            Claim.published_on > known_on,
            Claim.as_of <= known_on,
            # Published after K yet dated by K: dated within the longest delay of K (an
            # index range of days, not every claim dated before K).
            Claim.as_of >= known_on - timedelta(days=publication_delay(session)),
        )
        .group_by(Claim.settlement_id)
    )
    for settlement_id, day in session.execute(late):
        note(settlement_id, day)
    # Corrections are few: read them all by the supersedes index (the review state is checked
    # here: given both, SQLite would pick the review-state index and read every claim). A
    # range, not IS NOT NULL: for that SQLite reads the whole table (60 ms at 500,000 claims).
    corrections = session.execute(
        select(Claim.supersedes_id, Claim.published_on, Claim.review_state).where(
            Claim.supersedes_id > 0
        )
    ).all()
    corrected_later = {
        old
        for old, published_on, state in corrections
        if state == ReviewState.approved and published_on > known_on
    }
    if corrected_later:
        corrected = session.execute(
            select(Claim.settlement_id, Claim.as_of).where(
                Claim.id.in_(corrected_later), Claim.as_of <= known_on
            )
        )
        for settlement_id, day in corrected:
            note(settlement_id, day)
    return first


def _history_as_known_on(session: Session, window_days: int, known_on: date) -> RegionHistory:
    """The region's history as known on an earlier date: today's, cut at that date, with the
    part of it that the date saw otherwise derived again (RegionHistory.as_known_on)."""
    current = region_history(session, window_days)
    first = seen_otherwise(session, known_on)
    if not first:
        return current.as_known_on(known_on, {}, window_days)
    span = timedelta(days=window_days)
    facts = _facts_by_settlement(
        session, settlement_ids=first, known_on=known_on, after=min(first.values()) - span
    )
    changed = {
        settlement_id: (day, [f for f in facts.get(settlement_id, []) if f.as_of > day - span])
        for settlement_id, day in first.items()
    }
    return current.as_known_on(known_on, changed, window_days)


def settlement_history(
    session: Session, settlement_id: int, window_days: int, known_on: date | None = None
) -> SettlementHistory:
    """One settlement's derived history: the region's when it is at hand (cached for this
    revision), else derived from the settlement's own claims alone, so that its page never
    waits for every other settlement's history. The rule is per settlement, so both are the
    same history (tests/status/test_window.py holds them equal)."""
    known_on = knowledge_date(known_on)
    revision = revisions.current(session)
    if known_on is None:
        region = _histories.get((database_key(session), window_days), revision)
    else:
        region = _reported_histories.get((database_key(session), window_days, known_on), revision)
    if region is not None:
        return region.of(settlement_id)
    key = (database_key(session), window_days, known_on, settlement_id)
    found = _settlement_histories.get(key, revision)
    if found is None:
        facts = settlement_facts(session, settlement_id, known_on)
        found = _settlement_histories.put(
            key, revision, SettlementHistory.build(facts, window_days, known_on)
        )
    return found


# One settlement's facts and history, per content revision: its page asks for them three
# times per request (the date bar, the timeline, the rule's explanation), and an editor's
# reload (no page cache) would otherwise read and derive its 1,000 claims each time.
_settlement_facts: RevisionCache[tuple[ClaimFact, ...]] = RevisionCache(size=64)
_settlement_histories: RevisionCache[SettlementHistory] = RevisionCache(size=64)


def settlement_timeline(
    session: Session,
    settlement: Settlement,
    as_of: date,
    window_days: int,
    known_on: date | None = None,
) -> list[Interval]:
    return settlement_history(session, settlement.id, window_days, known_on).timeline(as_of)


def settlement_facts(
    session: Session, settlement_id: int, known_on: date | None = None
) -> list[ClaimFact]:
    """One settlement's candidate facts (its page explains the rule over them)."""
    known_on = knowledge_date(known_on)
    key = (database_key(session), known_on, settlement_id)
    revision = revisions.current(session)
    found = _settlement_facts.get(key, revision)
    if found is None:
        facts = _facts_by_settlement(session, None, [settlement_id], known_on)
        found = _settlement_facts.put(key, revision, tuple(facts.get(settlement_id, [])))
    return list(found)


def status_from_timeline(
    settlement: Settlement,
    timeline: Sequence[Interval],
    as_of: date,
    window_days: int,
    stale_days: int = DEFAULT_STALE_DAYS,
) -> SettlementStatus:
    """The status on ``as_of``, the timeline's last day, since when it has held, and its age."""
    if not timeline:
        return SettlementStatus(settlement, UNKNOWN, None)
    derived = timeline[-1].latest
    return SettlementStatus(
        settlement,
        derived,
        timeline[-1].start,
        evidence_of(derived, as_of, window_days, stale_days),
    )


def settlement_status(
    session: Session,
    settings: Settings,
    settlement: Settlement,
    as_of: date,
    known_on: date | None = None,
) -> tuple[list[Interval], SettlementStatus]:
    """One settlement's timeline up to ``as_of`` and its status that day: the one path the
    settlement's page and the API's settlement both take."""
    window = settings.contest_window_days
    timeline = settlement_timeline(session, settlement, as_of, window, known_on)
    return timeline, status_from_timeline(settlement, timeline, as_of, window, settings.stale_days)


# Periods per page of a settlement's timeline list: the newest first (a settlement fought over
# for a year has well over a hundred).
PERIODS_PAGE = 25


def periods_newest_first(
    timeline: Sequence[Interval], *, after: str | None = None, size: int = PERIODS_PAGE
) -> Page[Interval]:
    """A page of a settlement's periods, newest first (``after``: a "next" link's cursor, the
    start of the last period it showed; periods of one timeline never share a start)."""
    newest_first = list(reversed(timeline))
    keys: list[Key] = [(-period.start.toordinal(),) for period in newest_first]
    return page_of_ordered(newest_first, keys, (int,), after=after, size=size, field="periods")


# Status tables by (database, window, date, filters): the dates and searches readers use most.
_tables: RevisionCache[tuple[SettlementStatus, ...]] = RevisionCache(size=16)


def status_table(
    session: Session,
    as_of: date,
    window_days: int,
    *,
    known_on: date | None = None,
    stale_days: int = DEFAULT_STALE_DAYS,
    q: str = "",
    district: str = "",
    status: ControlStatus | None = None,
    stale: bool | None = None,
) -> list[SettlementStatus]:
    """Every matching settlement with its derived status on ``as_of``: three queries at most.

    Kept per content revision: a dashboard or list rendered for an editor (no page cache)
    would otherwise look up thousands of settlements in the history on every request.
    ``stale`` keeps only the rows whose evidence is (True) or is not (False) stale.
    """
    _key, _revision, cached = _table(
        session,
        as_of,
        window_days,
        known_on=known_on,
        stale_days=stale_days,
        q=q,
        district=district,
        status=status,
    )
    if stale is None:
        return list(cached)
    return [r for r in cached if r.evidence.stale is stale]


def _table(
    session: Session,
    as_of: date,
    window_days: int,
    *,
    known_on: date | None,
    stale_days: int,
    q: str,
    district: str,
    status: ControlStatus | None,
) -> tuple[Any, int, tuple[SettlementStatus, ...]]:
    """The kept status table, with its cache key and the revision it holds."""
    known_on = knowledge_date(known_on)
    key = (database_key(session), window_days, stale_days, as_of, known_on, q, district, status)
    revision = revisions.current(session)
    cached = _tables.get(key, revision)
    if cached is None:
        settlements = settlements_service.search(session, q, district)
        status_and_since: Callable[[int], tuple[Derived, date | None]]
        if known_on is None and persisted_changes_hold(session, window_days):
            # No history needed: the window of each settlement, and the persisted changes.
            statuses = statuses_on(session, as_of, window_days)
            since_of = PersistedChanges(session).since_by_settlement(as_of)

            def status_and_since(settlement_id: int) -> tuple[Derived, date | None]:
                return statuses.get(settlement_id, UNKNOWN), since_of.get(settlement_id)

        elif known_on is not None and persisted_changes_hold(session, window_days):
            # As known on an earlier date: the window query as known then, and the changes
            # as then known (no history of the region derived).
            statuses = statuses_on(session, as_of, window_days, known_on)
            since_of = changes_as_known_on(session, window_days, known_on).since_by_settlement(
                as_of
            )

            def status_and_since(settlement_id: int) -> tuple[Derived, date | None]:
                return statuses.get(settlement_id, UNKNOWN), since_of.get(settlement_id)

        else:
            status_and_since = region_history(session, window_days, known_on).of_day(as_of)
        rows = []
        for settlement in settlements:
            derived, since = status_and_since(settlement.id)
            if status is not None and derived.status != status:
                continue
            evidence = evidence_of(derived, as_of, window_days, stale_days)
            rows.append(SettlementStatus(settlement, derived, since, evidence))
        cached = _tables.put(key, revision, tuple(rows))
    return key, revision, cached


@dataclass(frozen=True, slots=True)
class TableSummary:
    """What pages count and list of one status table, kept beside it for the revision: plain
    numbers and the table's own rows (no words, so every language shares it)."""

    counts: dict[ControlStatus, int]
    stale_counts: dict[ControlStatus, int]
    # The contested rows in contested_rows_of's order, and each one's contested_key.
    contested_rows: tuple[SettlementStatus, ...]
    contested_keys: tuple[Key, ...]


_summaries: RevisionCache[TableSummary] = RevisionCache(size=16)


def table_summary(
    session: Session,
    as_of: date,
    window_days: int,
    *,
    known_on: date | None = None,
    stale_days: int = DEFAULT_STALE_DAYS,
    q: str = "",
    district: str = "",
    status: ControlStatus | None = None,
) -> TableSummary:
    """The counts and the contested rows of ``status_table``'s table, kept per revision: an
    uncached dashboard or contested page would otherwise count and sort 5,000 rows."""
    key, revision, rows = _table(
        session,
        as_of,
        window_days,
        known_on=known_on,
        stale_days=stale_days,
        q=q,
        district=district,
        status=status,
    )
    summary = _summaries.get(key, revision)
    if summary is None:
        contested_rows = contested_rows_of(rows)
        summary = _summaries.put(
            key,
            revision,
            TableSummary(
                count_by_status(rows),
                count_stale(rows),
                tuple(contested_rows),
                tuple(contested_key(r) for r in contested_rows),
            ),
        )
    return summary


def table_summary_for(
    session: Session, settings: Settings, as_of: date, **filters: Any
) -> TableSummary:
    """``table_summary`` with the rule's window and staleness horizon from the settings."""
    return table_summary(
        session, as_of, settings.contest_window_days, stale_days=settings.stale_days, **filters
    )


def contested_key(row: SettlementStatus) -> Key:
    """contested_rows_of's order as a key, ending on the settlement's id (the contested page's
    cursor)."""
    since = row.since or date.min
    return (int(row.evidence.stale), -since.toordinal(), row.settlement.name, row.settlement.id)


def status_table_for(
    session: Session, settings: Settings, as_of: date, **filters: Any
) -> list[SettlementStatus]:
    """``status_table`` with the rule's window and staleness horizon from the settings."""
    return status_table(
        session, as_of, settings.contest_window_days, stale_days=settings.stale_days, **filters
    )


def search_rows(
    session: Session, rows: Sequence[SettlementStatus], q: str
) -> list[SettlementStatus]:
    """The rows whose settlement a search for ``q`` finds (rows already derived)."""
    if not q.strip():
        return list(rows)
    wanted = {s.id for s in settlements_service.search(session, q)}
    return [r for r in rows if r.settlement.id in wanted]


def count_by_status(rows: Sequence[SettlementStatus]) -> dict[ControlStatus, int]:
    counts = Counter(r.derived.status for r in rows)
    return {s: counts.get(s, 0) for s in ControlStatus}


def count_stale(rows: Sequence[SettlementStatus]) -> dict[ControlStatus, int]:
    """Of each status, how many rest on evidence that is stale on the date shown."""
    counts = Counter(r.derived.status for r in rows if r.evidence.stale)
    return {s: counts.get(s, 0) for s in ControlStatus}


def oldest_evidence_first(rows: Sequence[SettlementStatus]) -> list[SettlementStatus]:
    """Where fresh claims are most needed: stale rows, the oldest evidence first."""
    found = [r for r in rows if r.evidence.stale]
    found.sort(key=lambda r: (-(r.evidence.days or 0), r.settlement.name))
    return found


@dataclass(frozen=True, slots=True)
class ContestedSettlement:
    """A contested settlement and the claims that make it so, grouped by the side that made them."""

    row: SettlementStatus
    claims_by_side: dict[Side, list[ClaimRecord]]


def contested(
    session: Session,
    contested_rows: Sequence[SettlementStatus],
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[ContestedSettlement]:
    """The contested set, most recently contested first, with the competing claims of each.

    For a conflict these are the conflicting claims; where the latest claims themselves say
    "contested", the newest claims of the window. ``contested_rows`` come from
    ``contested_rows_of``, which pages also count. One query for the claims of the page shown.
    """
    shown = contested_rows[offset : None if limit is None else offset + limit]
    wanted = {
        r.settlement.id: (r.derived.conflicting_claim_ids or r.derived.window_claim_ids)
        for r in shown
    }
    claims = claims_service.records_by_ids(session, (i for ids in wanted.values() for i in ids))
    result = []
    for row in shown:
        by_side: dict[Side, list[ClaimRecord]] = {side: [] for side in Side}
        for claim_id in wanted[row.settlement.id]:
            claim = claims[claim_id]
            by_side[claim.source.side].append(claim)
        result.append(ContestedSettlement(row, by_side))
    return result


def contested_rows_of(rows: Sequence[SettlementStatus]) -> list[SettlementStatus]:
    """The contested rows: fresh ones first, then the stale group; within each, the most
    recently contested first (then by name)."""
    contested_status = ControlStatus.contested
    found = [r for r in rows if r.derived.status is contested_status]
    found.sort(key=lambda r: r.settlement.name)
    found.sort(key=lambda r: r.since or date.min, reverse=True)
    found.sort(key=lambda r: r.evidence.stale)
    return found


def area_figures(
    session: Session, as_of: date, known_on: date | None = None
) -> Sequence[AreaFigure]:
    """Area held by each side as stated by sources, oldest first, up to a date.

    As known on an earlier date: only figures dated by then (a figure carries no publication
    date of its own, and one dated later cannot have been published by then).
    """
    last = min(as_of, known_on) if known_on is not None else as_of
    return session.scalars(
        select(AreaFigure).where(AreaFigure.as_of <= last).order_by(AreaFigure.as_of, AreaFigure.id)
    ).all()


def latest_area(figures: Sequence[AreaFigure]) -> dict[Holder, AreaFigure]:
    """The most recent figure per holder among these."""
    latest: dict[Holder, AreaFigure] = {}
    for figure in figures:
        latest[figure.holder] = figure
    return latest


@dataclass(frozen=True, slots=True)
class Change:
    """A change of derived status, with the settlement and the claims that made it."""

    event: ChangeEvent
    settlement: SettlementRow | Settlement
    claims: list[ClaimRecord]


def changes(
    session: Session,
    history: ChangeLog,
    as_of: date,
    *,
    district: str = "",
    side: Side | None = None,
    limit: int | None = None,
) -> list[Change]:
    """Changes of derived status up to ``as_of``, newest first, filtered (one query)."""
    return changes_of(session, change_events(session, history, as_of, district, side, limit))


def change_events(
    session: Session,
    history: ChangeLog,
    as_of: date,
    district: str = "",
    side: Side | None = None,
    limit: int | None = None,
) -> list[ChangeEvent]:
    """The changes of status up to ``as_of``, newest first, filtered; no claims read."""
    if isinstance(history, PersistedChanges) and not district and side is None and limit:
        # The dashboard's few latest changes: plain events, kept per revision.
        latest: tuple[ChangeEvent, ...] = kept(
            _latest_events,
            session,
            (as_of, limit),
            lambda: tuple(_change_events(session, history, as_of, "", None, limit)),
        )
        return list(latest)
    return _change_events(session, history, as_of, district, side, limit)


def _change_events(
    session: Session,
    history: ChangeLog,
    as_of: date,
    district: str,
    side: Side | None,
    limit: int | None,
) -> list[ChangeEvent]:
    wanted = (
        {s.id for s in settlements_service.search(session, district=district)} if district else None
    )
    events = []
    for event in history.newest_events_until(as_of):
        if (wanted is None or event.settlement_id in wanted) and (
            side is None or side in event.sides
        ):
            events.append(event)
            if limit is not None and len(events) >= limit:
                break
    return events


def changes_of(session: Session, events: Sequence[ChangeEvent]) -> list[Change]:
    """Changes with their settlements and the claims that made them (one query)."""
    settlements = settlements_service.directory(
        session, with_ids={e.settlement_id for e in events}
    ).by_id
    claims = claims_service.records_by_ids(session, (i for e in events for i in e.claim_ids))
    return [
        Change(e, settlements[e.settlement_id], [claims[i] for i in e.claim_ids if i in claims])
        for e in events
        if e.settlement_id in settlements
    ]


def settlement_date_nav(
    session: Session,
    settlement_id: int,
    as_of: date,
    window_days: int,
    known_on: date | None = None,
    *,
    reported_then: bool = False,
) -> tuple[date | None, date | None]:
    """The nearest dates before and after ``as_of`` when this settlement's status changed (as
    reported then, also the days a claim about it was published): its page steps through its
    own story, not the region's."""
    days = set(settlement_history(session, settlement_id, window_days, known_on).starts)
    if reported_then:
        days |= {f.published_on for f in settlement_facts(session, settlement_id)}
    ordered = sorted(days)
    i, j = bisect_left(ordered, as_of) - 1, bisect_right(ordered, as_of)
    return (ordered[i] if i >= 0 else None), (ordered[j] if j < len(ordered) else None)


def date_nav(history: ChangeLog, as_of: date) -> tuple[date | None, date | None]:
    """The nearest dates before and after ``as_of`` when some settlement's status changed."""
    return history.previous_change(as_of), history.next_change(as_of)


_publication_day_lists: RevisionCache[tuple[date, ...]] = RevisionCache(size=4)
_publication_delays: RevisionCache[int] = RevisionCache(size=4)


def publication_days(session: Session) -> tuple[date, ...]:
    """Every date on which an approved claim was published, oldest first (the map's slider as
    reported then), per content revision: one pass over the persisted days' index
    (app/freshness.py; 24 ms at 500,000 claims, where reading the claims took 0.23 s)."""

    def build() -> tuple[date, ...]:
        stmt = select(PublicationDay.day).group_by(PublicationDay.day).order_by(PublicationDay.day)
        return tuple(iso_date(day) for day in session.scalars(as_driver_values(stmt)))

    return kept(_publication_day_lists, session, "days", build)


def publication_delay(session: Session) -> int:
    """The most days any approved claim was published after its date (one index look-up)."""
    return kept(
        _publication_delays,
        session,
        "delay",
        lambda: int(session.scalar(select(func.max(PublicationDay.delay))) or 0),
    )


def reported_date_nav(
    session: Session, history: ChangeLog, as_of: date
) -> tuple[date | None, date | None]:
    """As reported then, a status changes when it changes or when a claim is published: the
    nearest publication days on either side, each one index look-up."""

    def published(stmt: AnySelect) -> date | None:
        found = session.scalar(as_driver_values(stmt))
        return None if found is None else iso_date(found)

    day = PublicationDay.day
    previous = (history.previous_change(as_of), published(select(func.max(day)).where(day < as_of)))
    following = (history.next_change(as_of), published(select(func.min(day)).where(day > as_of)))
    before = [d for d in previous if d]
    after = [d for d in following if d]
    return max(before, default=None), min(after, default=None)
