"""Claims: look-ups, lists, the export query, and adding a claim with its audit event."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, and_, cast, exists, func, literal, not_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import Exists

from app import revisions
from app.accounts import audit
from app.accounts.models import AuditEvent, User
from app.cache import RevisionCache, database_key, kept
from app.claims.models import Claim, ControlStatus, ReviewState, Verification
from app.claims.schemas import ClaimIn
from app.dates import EARLIEST_DATE, today
from app.db import AnySelect, as_driver_values, iso_date, utcnow
from app.domain import SIDE_OF, STATUS_OF, STATUS_PHRASES, VERIFICATION_OF
from app.filters import ClaimFilters
from app.i18n import gettext, place_name
from app.paging import PAGE_SIZE, Order, Page, count_of, page_of_query
from app.settlements import service as settlements_service
from app.settlements.models import Settlement
from app.settlements.service import SettlementRow
from app.sources import service as sources_service
from app.sources.models import Reliability, Side, Source, SourceKind
from app.sources.schemas import SourceIn

NO_FILTERS = ClaimFilters()


def superseded_clause() -> Exists:
    """True for a claim that an approved correction replaces."""
    correction = aliased(Claim)
    return exists().where(
        and_(
            correction.supersedes_id == Claim.id,
            correction.review_state == ReviewState.approved,
        )
    )


def _settlements_touched_by(session: Session, claim: Claim) -> frozenset[int]:
    """What reviewing this claim can change (app/freshness.py): its settlement, and that of
    the claim it corrects."""
    touched = {claim.settlement_id}
    if claim.supersedes_id is not None:
        corrected = session.get(Claim, claim.supersedes_id)
        if corrected is not None:
            touched.add(corrected.settlement_id)
    return frozenset(touched)


def get(session: Session, claim_id: int) -> Claim | None:
    return session.get(Claim, claim_id)


def by_ids(session: Session, ids: Iterable[int]) -> dict[int, Claim]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(Claim).where(Claim.id.in_(wanted))).all()
    return {c.id: c for c in rows}


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A source as a reader's page names it beside a claim: plain values, no session."""

    id: int
    slug: str
    name: str
    kind: SourceKind
    side: Side
    reliability: Reliability
    homepage: str
    public: bool


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """A claim as reader pages show it: plain values with its source and settlement, no ORM
    object and no session, so that it can be kept for a content revision and shared between
    requests (and languages: nothing in it is in words but what a source said)."""

    id: int
    settlement_id: int
    source_id: int
    status: ControlStatus
    as_of: date
    published_on: date
    source_url: str
    summary: str
    verification: Verification
    review_state: ReviewState
    supersedes_id: int | None
    source: SourceRecord
    settlement: SettlementRow


_RECORD_COLUMNS = (
    Claim.id,
    Claim.settlement_id,
    Claim.source_id,
    Claim.status,
    Claim.as_of,
    Claim.published_on,
    Claim.source_url,
    Claim.summary,
    Claim.verification,
    Claim.review_state,
    Claim.supersedes_id,
    Source.slug,
    Source.name,
    Source.kind,
    Source.side,
    Source.reliability,
    Source.homepage,
    Source.public,
)
# Claim records of the current revision, by id, per database. Reader pages ask for the same
# few hundred claims (the contested ones, the latest changes') again and again: each is read
# once per revision. Past this many the dictionary starts over (a few MB at most).
_RECORDS_KEPT = 20_000
_claim_records: RevisionCache[dict[int, ClaimRecord]] = RevisionCache(size=4)


def _read_records(session: Session, ids: list[int]) -> list[ClaimRecord]:
    sources: dict[int, SourceRecord] = {}
    found = []
    stmt = as_driver_values(
        select(*_RECORD_COLUMNS).join(Source, Source.id == Claim.source_id).where(Claim.id.in_(ids))
    )
    rows = session.connection().execute(stmt).all()
    settlements = settlements_service.directory(session, with_ids={int(r[1]) for r in rows}).by_id
    for row in rows:
        (cid, sid, src, status, as_of, published_on, url, summary, verification, state, old) = row[
            :11
        ]
        source = sources.get(int(src))
        if source is None:
            slug, name, kind, side, reliability, homepage, public = row[11:]
            source = sources[int(src)] = SourceRecord(
                int(src),
                slug,
                name,
                SourceKind(kind),
                SIDE_OF[side],
                Reliability(reliability),
                homepage,
                bool(int(public)),
            )
        found.append(
            ClaimRecord(
                int(cid),
                int(sid),
                int(src),
                STATUS_OF[status],
                iso_date(as_of),
                iso_date(published_on),
                url,
                summary,
                VERIFICATION_OF[verification],
                ReviewState(state),
                None if old is None else int(old),
                source,
                settlements[int(sid)],
            )
        )
    return found


def records_by_ids(session: Session, ids: Iterable[int]) -> dict[int, ClaimRecord]:
    """Claims by id as plain records (what reader pages show), each read once per revision."""
    wanted = set(ids)
    if not wanted:
        return {}
    key = database_key(session)
    revision = revisions.current(session)
    kept = _claim_records.get(key, revision)
    if kept is None or len(kept) > _RECORDS_KEPT:
        kept = _claim_records.put(key, revision, {})
    missing = [i for i in wanted if i not in kept]
    if missing:
        kept.update((r.id, r) for r in _read_records(session, missing))
    return {i: kept[i] for i in wanted if i in kept}


def claims_of_settlement(
    session: Session,
    settlement_id: int,
    *,
    as_of: date | None = None,
    known_on: date | None = None,
    total: int | None = None,
    after: str | None = None,
    offset: int = 0,
    size: int = PAGE_SIZE,
) -> Page[Claim]:
    """A page of the approved claims about a settlement, newest first (what its page lists).

    ``known_on``: only the claims published by then ("as reported then"). ``total``: how many
    there are (count_of_settlement), for the page's position.
    """
    stmt = select(Claim).where(
        Claim.settlement_id == settlement_id, Claim.review_state == ReviewState.approved
    )
    if as_of is not None:
        stmt = stmt.where(Claim.as_of <= as_of)
    if known_on is not None:
        stmt = stmt.where(Claim.published_on <= known_on)
    return page_of_query(
        session,
        stmt,
        SETTLEMENT_CLAIMS_ORDER,
        lambda c: (c.as_of, c.published_on, c.id),
        after=after,
        offset=offset,
        size=size,
        total=total,
    )


SETTLEMENT_CLAIMS_ORDER = (
    Order(Claim.as_of, date, descending=True),
    Order(Claim.published_on, date, descending=True),
    Order(Claim.id, int, descending=True),
)
SOURCE_CLAIMS_ORDER = (
    Order(Claim.as_of, date, descending=True),
    Order(Claim.id, int, descending=True),
)


def claims_of_source(
    session: Session,
    source_id: int,
    *,
    as_of: date,
    known_on: date | None = None,
    after: str | None = None,
    offset: int = 0,
    size: int = PAGE_SIZE,
) -> Page[Claim]:
    """A page of a source's approved claims dated up to a date (published by ``known_on``,
    if given), newest first (its page)."""
    stmt = select(Claim).where(
        Claim.source_id == source_id,
        Claim.review_state == ReviewState.approved,
        Claim.as_of <= as_of,
    )
    if known_on is not None:
        stmt = stmt.where(Claim.published_on <= known_on)
    total = count_of(session, stmt)
    return page_of_query(
        session,
        stmt,
        SOURCE_CLAIMS_ORDER,
        lambda c: (c.as_of, c.id),
        after=after,
        offset=offset,
        size=size,
        total=total,
    )


def listed_claims_of_settlement(
    session: Session,
    settlement_id: int,
    as_of: date,
    known_on: date | None = None,
    *,
    after: str | None = None,
    offset: int = 0,
) -> tuple[Page[Claim], int]:
    """The page of a settlement's claims that its page and the API list (dated up to
    ``as_of``, published by ``known_on``), counted; and how many more are not shown."""
    shown, later = count_of_settlement(session, settlement_id, as_of, known_on)
    page = claims_of_settlement(
        session,
        settlement_id,
        as_of=as_of,
        known_on=known_on,
        total=shown,
        after=after,
        offset=offset,
    )
    return page, later


def listed_claim_records_of_settlement(
    session: Session,
    settlement_id: int,
    as_of: date,
    known_on: date | None = None,
    *,
    after: str | None = None,
    offset: int = 0,
) -> tuple[Page[ClaimRecord], int]:
    """``listed_claims_of_settlement`` as plain records, for the settlement's page: the page
    is found by its ids (an index walk), the claims come from ``records_by_ids``."""
    shown, later = count_of_settlement(session, settlement_id, as_of, known_on)
    stmt = select(Claim.id, Claim.as_of, Claim.published_on).where(
        Claim.settlement_id == settlement_id,
        Claim.review_state == ReviewState.approved,
        Claim.as_of <= as_of,
    )
    if known_on is not None:
        stmt = stmt.where(Claim.published_on <= known_on)
    keys = page_of_query(
        session,
        stmt,
        SETTLEMENT_CLAIMS_ORDER,
        lambda row: (row.as_of, row.published_on, row.id),
        after=after,
        offset=offset,
        size=PAGE_SIZE,
        total=shown,
        scalars=False,
    )
    records = records_by_ids(session, (row.id for row in keys.items))
    page = replace(keys, items=[records[row.id] for row in keys.items if row.id in records])
    return page, later


def count_of_settlement(
    session: Session, settlement_id: int, as_of: date, known_on: date | None = None
) -> tuple[int, int]:
    """How many approved claims about a settlement are shown on a date, and how many not.

    Not shown: those dated after ``as_of`` or (with ``known_on``) published after it.
    """
    shown = Claim.as_of <= as_of
    if known_on is not None:
        shown = and_(shown, Claim.published_on <= known_on)
    row = session.execute(
        select(func.count().filter(shown), func.count().filter(not_(shown))).where(
            Claim.settlement_id == settlement_id, Claim.review_state == ReviewState.approved
        )
    ).one()
    return row[0], row[1]


def superseded_ids(
    session: Session, claim_ids: Iterable[int], known_on: date | None = None
) -> dict[int, int]:
    """For claims replaced by an approved correction: claim id -> correction id (with
    ``known_on``: only corrections published by then)."""
    ids = list(claim_ids)
    if not ids:
        return {}
    # Filtered on the review state here, not in SQL: given both, SQLite would pick the
    # review-state index over the supersedes one and read every approved claim.
    rows = session.execute(
        select(Claim.supersedes_id, Claim.id, Claim.review_state, Claim.published_on).where(
            Claim.supersedes_id.in_(ids)
        )
    ).all()
    return {
        old: new
        for old, new, state, published_on in rows
        if old is not None
        and state == ReviewState.approved
        and (known_on is None or published_on <= known_on)
    }


def latest_approved(
    session: Session, as_of: date, limit: int = 10, *, known_on: date | None = None
) -> Sequence[Claim]:
    """The most recent approved claims as of a date (published by ``known_on``, if given)."""
    # Ordered by the as_of index (then id): a sort of 500,000 rows for six would be wasteful.
    stmt = (
        select(Claim)
        .where(Claim.review_state == ReviewState.approved, Claim.as_of <= as_of)
        .order_by(Claim.as_of.desc(), Claim.id.desc())
        .limit(limit)
    )
    if known_on is not None:
        stmt = stmt.where(Claim.published_on <= known_on)
    return session.scalars(stmt).all()


def latest_approved_records(
    session: Session, as_of: date, limit: int = 10, *, known_on: date | None = None
) -> list[ClaimRecord]:
    """``latest_approved`` as plain records (the dashboard's feed): the ids by the same index
    walk, the claims from ``records_by_ids``."""
    stmt = (
        select(Claim.id)
        .where(
            Claim.review_state == ReviewState.approved, Claim.as_of <= _dated_by(as_of, known_on)
        )
        .order_by(Claim.as_of.desc(), Claim.id.desc())
        .limit(limit)
    )
    if known_on is not None:
        stmt = stmt.where(Claim.published_on <= known_on)
    ids = kept(_latest_ids, session, (as_of, known_on, limit), lambda: tuple(session.scalars(stmt)))
    records = records_by_ids(session, ids)
    return [records[i] for i in ids if i in records]


_latest_ids: RevisionCache[tuple[int, ...]] = RevisionCache(size=16)
_newest_days: RevisionCache[date | None] = RevisionCache(size=16)


def newest_claim_day(session: Session, as_of: date, known_on: date | None = None) -> date | None:
    """The date of the newest approved claim dated up to ``as_of`` (published by ``known_on``),
    kept per revision."""
    return kept(
        _newest_days,
        session,
        (as_of, known_on),
        lambda: _newest_claim_day(session, as_of, known_on),
    )


def _newest_claim_day(session: Session, as_of: date, known_on: date | None) -> date | None:
    stmt = select(func.max(Claim.as_of)).where(
        Claim.review_state == ReviewState.approved, Claim.as_of <= _dated_by(as_of, known_on)
    )
    if known_on is not None:
        stmt = stmt.where(Claim.published_on <= known_on)
    return session.scalar(stmt)


def _dated_by(as_of: date, known_on: date | None) -> date:
    """The latest date a claim shown on ``as_of`` as known on ``known_on`` can bear: a claim
    is never published before its date, so one published by K is dated by K. Said in SQL,
    a walk down the date index starts there instead of skipping what K had not seen."""
    return as_of if known_on is None else min(as_of, known_on)


def export_query(filters: ClaimFilters = NO_FILTERS) -> AnySelect:
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
            Claim.supersedes_id.label("supersedes"),
        )
        .join(Settlement, Claim.settlement_id == Settlement.id)
        .join(Source, Claim.source_id == Source.id)
        .where(Claim.review_state == ReviewState.approved)
        .order_by(Claim.as_of, Claim.id)
    )
    f = filters
    if f.settlement:
        stmt = stmt.where(Settlement.slug == f.settlement)
    if f.source:
        stmt = stmt.where(Source.slug == f.source)
    if f.side:
        stmt = stmt.where(Source.side == f.side)
    if f.status:
        stmt = stmt.where(Claim.status == f.status)
    if f.verification:
        stmt = stmt.where(Claim.verification == f.verification)
    if f.since:
        stmt = stmt.where(Claim.as_of >= f.since)
    if f.until:
        stmt = stmt.where(Claim.as_of <= f.until)
    if f.known_on:
        stmt = stmt.where(Claim.published_on <= f.known_on)
    if f.district:
        stmt = stmt.where(Settlement.district == f.district)
    return stmt


def exportable_clause(claim: Any = Claim) -> Any:
    """True for a claim the CSV export writes: it asserts a status (not ``unknown``, which
    only older claims may hold) and its dates lie in the calendar the tracker accepts."""
    return and_(
        claim.status != ControlStatus.unknown,
        claim.as_of >= EARLIEST_DATE,
        claim.as_of <= today(),
        claim.published_on <= today(),
    )


def unexportable_ids(session: Session | Connection) -> set[int]:
    """Approved claims the export leaves out (``unknown``, dates out of the calendar): a
    correction of one of them is written without ``supersedes``, as it names no row of the
    file. Usually none."""
    return set(
        session.scalars(
            select(Claim.id).where(
                Claim.review_state == ReviewState.approved, not_(exportable_clause())
            )
        )
    )


def export_lines_query(filters: ClaimFilters = NO_FILTERS) -> AnySelect:
    """The export query with its columns joined into CSV by the database, where they are safe.

    Ids, slugs, enum values and dates need neither quoting nor formula escaping (they are
    validated on the way in), so the database writes them with their commas: what is left
    for Python per row is three fields of free text (name, URL, summary) and one f-string.
    Columns: prefix (claim_id..settlement), settlement_name, middle (status..source_side),
    source_url, verification, summary, supersedes_id (the id of the claim a correction
    replaces; the writer blanks those of unexportable_ids). No self-join: on a table PostgreSQL
    has no statistics for yet, a streamed self-join was planned as a scan per row.
    """
    stmt = export_query(filters).where(exportable_clause())
    comma = literal(",")
    prefix = cast(Claim.id, String) + comma + Settlement.slug
    middle = (
        cast(Claim.status, String)
        + comma
        + cast(Claim.as_of, String)
        + comma
        + cast(Claim.published_on, String)
        + comma
        + Source.slug
        + comma
        + cast(Source.side, String)
    )
    return stmt.with_only_columns(
        prefix,
        Settlement.name,
        middle,
        Claim.source_url,
        cast(Claim.verification, String),
        Claim.summary,
        Claim.supersedes_id,
        maintain_column_froms=True,
    )


# The duplicate rule, once, for the form and the importer: a claim repeats another when it
# has the same settlement, source, as_of and status (rejected claims do not count).
DUPLICATE_KEY = ("settlement_id", "source_id", "as_of", "status")


def first_duplicate(settlement_id: Any, source_id: Any, as_of: Any, status: Any) -> Select[Any]:
    """The id of the earliest claim that a claim with this key would repeat.

    The arguments are values (the form) or columns of the rows being imported (the importer
    asks it as a correlated subquery, for every row at once).
    """
    key = (settlement_id, source_id, as_of, status)
    return select(func.min(Claim.id)).where(
        *(getattr(Claim, name) == value for name, value in zip(DUPLICATE_KEY, key, strict=True)),
        Claim.review_state != ReviewState.rejected,
    )


def find_duplicate(
    session: Session, *, settlement_id: int, source_id: int, as_of: date, status: ControlStatus
) -> Claim | None:
    """A claim with the same settlement, source, as_of and status (rejected ones aside)."""
    claim_id = session.scalar(first_duplicate(settlement_id, source_id, as_of, status))
    return session.get(Claim, claim_id) if claim_id is not None else None


def claim_values(
    data: ClaimIn,
    *,
    settlement_id: int,
    source_id: int,
    submitted_by_id: int | None = None,
    approved_by_id: int | None = None,
    approve: bool = False,
    review_note: str = "",
    supersedes_id: int | None = None,
    import_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The one claim builder: a new claim's column values, for the form and the importer.

    Pending unless ``approve``; an empty published_on is the claim's as_of.
    """
    now = now or utcnow()
    return {
        "settlement_id": settlement_id,
        "source_id": source_id,
        "status": data.status,
        "as_of": data.as_of,
        "published_on": data.published_on or data.as_of,
        "source_url": data.source_url,
        "verification": data.verification,
        "summary": data.summary,
        "review_state": ReviewState.approved if approve else ReviewState.pending,
        "review_note": review_note,
        "submitted_by_id": submitted_by_id,
        "reviewed_by_id": approved_by_id if approve else None,
        "reviewed_at": now if approve else None,
        "created_at": now,
        "version": 1,
        "supersedes_id": supersedes_id,
        "import_id": import_id,
    }


def describe(claim: Claim) -> str:
    """A claim in a sentence's words: "claim 41 (Gornal, contested)"."""
    return gettext("claim %(claim)s (%(settlement)s, %(status)s)") % {
        "claim": claim.id,
        "settlement": place_name(claim.settlement),
        "status": gettext(STATUS_PHRASES[claim.status]),
    }


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
        **claim_values(
            data,
            settlement_id=settlement.id,
            source_id=source.id,
            submitted_by_id=submitted_by.id if submitted_by else None,
            approved_by_id=approved_by.id if approved_by else None,
            approve=approve,
            supersedes_id=supersedes.id if supersedes else None,
        )
    )
    session.add(claim)
    session.flush()
    audit.record(
        session, audit_action, "claim", claim.id, actor=submitted_by, after=snapshot(claim)
    )
    return claim


class ClaimRefused(Exception):
    """A submission that cannot be stored, with a message per field."""

    def __init__(self, errors: dict[str, str], *, duplicate_id: int | None = None) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.duplicate_id = duplicate_id


class ReviewRefused(Exception):
    """A review decision that cannot be taken: ``status_code`` says why (403 own, 409 decided)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def resolve_settlement(session: Session, text: str) -> Settlement | None:
    """A settlement by slug, or by a name or spelling that names exactly one settlement."""
    row = settlements_service.directory(session).resolve(text)
    return session.get(Settlement, row.id) if row is not None else None


@dataclass(frozen=True, slots=True)
class Submitted:
    claim: Claim
    # Set when the "new" source the form named was an existing source, filed under it.
    existing_source: Source | None = None


def correcting(session: Session, claim_id: int) -> Claim | None:
    """The approved correction of a claim, if it has one: a claim is corrected at most once."""
    return session.scalar(
        select(Claim)
        .where(Claim.supersedes_id == claim_id, Claim.review_state == ReviewState.approved)
        .order_by(Claim.id)
        .limit(1)
    )


def correctable(session: Session, claim: Claim) -> str | None:
    """Why a claim cannot be corrected, or None when it can."""
    if claim.review_state != ReviewState.approved:
        return gettext("only an approved claim can be corrected; a pending one can be rejected")
    correction = correcting(session, claim.id)
    if correction is not None:
        return gettext(
            "claim #%(claim)s was already corrected by claim #%(correction)s: "
            "correct claim #%(correction)s instead"
        ) % {"claim": claim.id, "correction": correction.id}
    return None


def submit(
    session: Session,
    data: ClaimIn,
    *,
    user: User,
    supersedes_id: int | None = None,
    new_source: SourceIn | None = None,
) -> Submitted:
    """An editor's claim or correction, pending review; unknown references, duplicates refused."""
    errors: dict[str, str] = {}
    settlement = resolve_settlement(session, data.settlement)
    if settlement is None:
        errors["settlement"] = gettext(
            "no settlement called “%(name)s”: pick one from the list"
        ) % {"name": data.settlement}
    supersedes = None
    if supersedes_id is not None:
        supersedes = session.get(Claim, supersedes_id)
        refusal = (
            correctable(session, supersedes)
            if supersedes
            else gettext("there is no such claim to correct")
        )
        if refusal is not None:
            errors["supersedes"] = refusal
        elif (
            settlement is not None
            and supersedes is not None
            and supersedes.settlement_id != settlement.id
        ):
            errors["settlement"] = gettext(
                "a correction is about the same settlement as the claim it corrects"
            )
    existing_source = None
    source: Source | None = None
    if new_source is not None:
        try:
            source, existed = sources_service.propose(session, new_source, actor=user)
            existing_source = source if existed else None
        except sources_service.SourceConflict as conflict:
            errors["new_source_name"] = str(conflict)
    else:
        source = sources_service.get_by_slug(session, data.source)
        if source is None:
            errors["source"] = gettext(
                "no source called “%(name)s”: pick one, or add a new one"
            ) % {"name": data.source}
    if errors:
        raise ClaimRefused(errors)
    assert settlement is not None and source is not None
    lock_settlement(session, settlement.id)
    duplicate = find_duplicate(
        session,
        settlement_id=settlement.id,
        source_id=source.id,
        as_of=data.as_of,
        status=data.status,
    )
    if duplicate is not None and (supersedes is None or duplicate.id != supersedes.id):
        raise ClaimRefused(
            {
                "settlement": gettext("this claim is already recorded as claim #%(claim)s")
                % {"claim": duplicate.id}
            },
            duplicate_id=duplicate.id,
        )
    claim = add(
        session,
        data,
        settlement=settlement,
        source=source,
        submitted_by=user,
        supersedes=supersedes,
        audit_action="claim.correct" if supersedes else "claim.submit",
    )
    return Submitted(claim, existing_source)


def lock_settlement(session: Session, settlement_id: int) -> None:
    """Serialise writes about one settlement, so that a duplicate check and its insert are atomic.

    SQLite's write transactions are already serial (BEGIN IMMEDIATE); PostgreSQL takes a
    transaction-scoped advisory lock on the settlement.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(settlement_id)))


def decide(
    session: Session,
    claim_id: int,
    *,
    reviewer: User,
    approve: bool,
    version: int | None,
    note: str = "",
) -> Claim:
    """Approve or reject a pending claim, once: the first decision wins, the second gets 409."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise ReviewRefused(gettext("There is no such claim."), 404)
    if claim.submitted_by_id == reviewer.id:
        raise ReviewRefused(gettext("Nobody reviews their own claim: ask another reviewer."), 403)
    if claim.review_state != ReviewState.pending or (
        version is not None and version != claim.version
    ):
        raise ReviewRefused(_already_decided(session, claim), 409)
    if approve and claim.supersedes_id is not None:
        # Two corrections of one claim may both be pending; only one can replace it.
        lock_settlement(session, claim.settlement_id)
        earlier = correcting(session, claim.supersedes_id)
        if earlier is not None:
            raise ReviewRefused(
                gettext(
                    "Claim #%(claim)s was already corrected by claim #%(earlier)s, "
                    "so this correction cannot also be approved: reject it, or ask for a "
                    "correction of claim #%(earlier)s."
                )
                % {"claim": claim.supersedes_id, "earlier": earlier.id},
                409,
            )
    before = snapshot(claim)
    new_state = ReviewState.approved if approve else ReviewState.rejected
    # Compare-and-set on the version: of two reviewers acting at once, exactly one row matches.
    result = session.execute(
        update(Claim)
        .where(
            Claim.id == claim.id,
            Claim.version == claim.version,
            Claim.review_state == ReviewState.pending,
        )
        .values(
            review_state=new_state,
            review_note=note,
            reviewed_by_id=reviewer.id,
            reviewed_at=utcnow(),
            version=Claim.version + 1,
        )
        .execution_options(
            synchronize_session=False, settlement_ids=_settlements_touched_by(session, claim)
        )
    )
    if getattr(result, "rowcount", None) != 1:  # an UPDATE's result is a CursorResult
        session.expire(claim)
        raise ReviewRefused(_already_decided(session, claim), 409)
    session.expire(claim)
    if approve:
        # The first approved claim of a proposed source shows the source, in this transaction.
        sources_service.publish(session, claim.source, actor=reviewer)
    action = "claim.approve" if approve else "claim.reject"
    audit.record(
        session, action, "claim", claim.id, actor=reviewer, before=before, after=snapshot(claim)
    )
    return claim


def _already_decided(session: Session, claim: Claim) -> str:
    session.refresh(claim)
    if claim.review_state == ReviewState.pending:
        return gettext(
            "This claim changed since you opened it. Reload the page and review it again."
        )
    who = claim.reviewed_by.username if claim.reviewed_by else gettext("someone")
    if claim.review_state == ReviewState.approved:
        message = gettext(
            "This claim was already approved by %(who)s; your decision was not recorded."
        )
    else:
        message = gettext(
            "This claim was already rejected by %(who)s; your decision was not recorded."
        )
    return message % {"who": who}


REVIEW_ORDER = (Order(Claim.created_at, datetime), Order(Claim.id, int))


def pending_queue(
    session: Session, *, after: str | None = None, offset: int = 0, size: int = PAGE_SIZE
) -> Page[Claim]:
    """A page of the claims waiting for review, oldest first, and how many wait."""
    stmt = select(Claim).where(Claim.review_state == ReviewState.pending)
    total = count_of(session, stmt)
    return page_of_query(
        session,
        stmt,
        REVIEW_ORDER,
        lambda c: (c.created_at, c.id),
        after=after,
        offset=offset,
        size=size,
        total=total,
    )


def corrections_of(session: Session, claim_id: int) -> Sequence[Claim]:
    return session.scalars(
        select(Claim).where(Claim.supersedes_id == claim_id).order_by(Claim.id)
    ).all()


def audit_trail(session: Session, claim_id: int) -> Sequence[AuditEvent]:
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "claim", AuditEvent.entity_id == str(claim_id))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()


def recently_approved(
    session: Session, *, settlement_id: int | None = None, limit: int = 50
) -> Sequence[Claim]:
    """Approved claims, most recently approved first: what a feed reader has not seen yet."""
    stmt = select(Claim).where(
        Claim.review_state == ReviewState.approved, Claim.reviewed_at.is_not(None)
    )
    if settlement_id is not None:
        stmt = stmt.where(Claim.settlement_id == settlement_id)
    stmt = stmt.order_by(Claim.reviewed_at.desc(), Claim.id.desc()).limit(limit)
    return session.scalars(stmt).all()
