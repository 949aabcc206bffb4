"""Loading the demo facts from data/: settlements, sources, claims, area figures. Idempotent.

The demo data has versions. A database that holds exactly an older version, and nothing anybody
added by hand, is brought to the current one (``make run`` does it on its own); any other
database is left alone. An older version is recognised by its fingerprint: a hash of what the
database holds (see ``fingerprint``), kept below for every version that was ever shipped.
"""

from __future__ import annotations

import enum
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from app.accounts import audit
from app.accounts.models import AuditEvent
from app.claims import service as claims_service
from app.claims.models import Claim, ReviewState
from app.claims.schemas import ClaimIn
from app.interchange.csv_io import CsvRow, read_file
from app.interchange.models import ImportBatch
from app.settlements import service as settlements_service
from app.settlements.models import Settlement
from app.settlements.schemas import SettlementIn
from app.sources import service as sources_service
from app.sources.models import Source
from app.sources.schemas import SourceIn
from app.status.models import AreaFigure
from app.status.schemas import AreaFigureIn
from app.validation import field_errors

M = TypeVar("M", bound=BaseModel)

# Fingerprints of the demo datasets shipped before the one in data/, with what to call them.
# When data/ changes, add the fingerprint of the version it replaces here (tests/fixtures keeps
# a copy of its files, and a test checks that the two agree).
OLDER_DEMOS: dict[str, str] = {
    "f688642d8602d0501fc2700c6dd4b1bbf01b2a961d9565c0aa555a8d2cc78abc": (
        "the first version of the demo data (18 settlements, 16 sources, 35 claims)"
    ),
}


class SeedError(Exception):
    """A demo file has rows that do not validate; nothing was stored."""


class SeedOutcome(enum.Enum):
    loaded = "loaded"  # rows of data/ missing from the database were added
    nothing_new = "nothing_new"  # the database already holds all of data/
    not_empty = "not_empty"  # --if-empty on a database with other data: nothing done
    replaced_older_demo = "replaced_older_demo"  # an untouched older demo became the current one
    older_demo_kept = "older_demo_kept"  # an older demo with other rows: left alone


@dataclass
class SeedResult:
    outcome: SeedOutcome
    added: Counter[str] = field(default_factory=Counter)
    replaced: str = ""  # which older version was replaced


@dataclass
class DemoFiles:
    """The demo CSV files of a folder, every row validated."""

    name: str
    settlements: list[tuple[CsvRow, SettlementIn]]
    sources: list[tuple[CsvRow, SourceIn]]
    claims: list[tuple[CsvRow, ClaimIn]]
    area_figures: list[tuple[CsvRow, AreaFigureIn]]


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Settlement))


def _validated(path: Path, model: type[M]) -> list[tuple[CsvRow, M]]:
    if not path.exists():
        return []
    _header, rows = read_file(path)
    good: list[tuple[CsvRow, M]] = []
    problems: list[str] = []
    for row in rows:
        try:
            good.append((row, model.model_validate(row.values)))
        except ValidationError as error:
            reasons = "; ".join(f"{k}: {v}" for k, v in field_errors(error.errors()).items())
            problems.append(f"{path.name} line {row.line}: {reasons}")
    if problems:
        raise SeedError("\n".join(problems))
    return good


def read_demo(data_dir: Path, *, reference_only: bool = False) -> DemoFiles:
    """All of a folder's demo files, validated before anything is stored."""
    return DemoFiles(
        name=data_dir.name,
        settlements=_validated(data_dir / "settlements.csv", SettlementIn),
        sources=_validated(data_dir / "sources.csv", SourceIn),
        claims=[] if reference_only else _validated(data_dir / "claims.csv", ClaimIn),
        area_figures=(
            [] if reference_only else _validated(data_dir / "area_figures.csv", AreaFigureIn)
        ),
    )


# --- fingerprints -----------------------------------------------------------------------------


def fingerprint(lines: Iterable[str]) -> str:
    """A hash of content lines, in any order (each line is one row in a canonical form)."""
    return hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()


def _settlement_line(
    slug: str, name: str, aliases: str, lat: float | None, lon: float | None, precision: str
) -> str:
    return f"settlement|{slug}|{name}|{aliases}|{lat!r}|{lon!r}|{precision}"


def _source_line(slug: str, name: str, kind: str, side: str, reliability: str) -> str:
    return f"source|{slug}|{name}|{kind}|{side}|{reliability}"


def _claim_line(settlement: str, source: str, as_of: str, status: str) -> str:
    return f"claim|{settlement}|{source}|{as_of}|{status}"


def _area_line(as_of: str, holder: str, source: str, area_km2: float) -> str:
    return f"area|{as_of}|{holder}|{source}|{float(area_km2)!r}"


def files_fingerprint(files: DemoFiles) -> str:
    """The fingerprint a database has right after these files were seeded into it."""
    lines = [
        _settlement_line(
            s.slug,
            s.name,
            s.aliases,
            s.lat,
            s.lon,
            s.location_precision.value if s.location_precision else "unknown",
        )
        for _row, s in files.settlements
    ]
    lines += [
        _source_line(s.slug, s.name, s.kind.value, s.side.value, s.reliability.value)
        for _row, s in files.sources
    ]
    # The seed skips a claim that repeats an earlier one, so the files' lines are deduplicated.
    lines += sorted(
        {
            _claim_line(c.settlement, c.source, c.as_of.isoformat(), c.status.value)
            for _row, c in files.claims
        }
    )
    lines += [
        _area_line(a.as_of.isoformat(), a.holder.value, a.source, a.area_km2)
        for _row, a in files.area_figures
    ]
    return fingerprint(lines)


def database_fingerprint(session: Session) -> str:
    """What the database holds, in the same form as ``files_fingerprint``; every claim counts."""
    lines = [
        _settlement_line(s.slug, s.name, s.aliases, s.lat, s.lon, s.location_precision.value)
        for s in session.scalars(select(Settlement))
    ]
    lines += [
        _source_line(s.slug, s.name, s.kind.value, s.side.value, s.reliability.value)
        for s in session.scalars(select(Source))
    ]
    claim_rows = session.execute(
        select(Settlement.slug, Source.slug, Claim.as_of, Claim.status)
        .join(Settlement, Claim.settlement_id == Settlement.id)
        .join(Source, Claim.source_id == Source.id)
    )
    lines += [_claim_line(st, so, a.isoformat(), s.value) for st, so, a, s in claim_rows]
    area_rows = session.execute(
        select(AreaFigure.as_of, AreaFigure.holder, Source.slug, AreaFigure.area_km2).join(
            Source, AreaFigure.source_id == Source.id
        )
    )
    lines += [_area_line(a.isoformat(), h.value, so, km2) for a, h, so, km2 in area_rows]
    return fingerprint(lines)


def has_user_made_rows(session: Session) -> bool:
    """A claim someone submitted, imported, corrected or decided; or any import at all."""
    user_made_claim = select(Claim.id).where(
        Claim.submitted_by_id.is_not(None)
        | Claim.reviewed_by_id.is_not(None)
        | Claim.import_id.is_not(None)
        | Claim.supersedes_id.is_not(None)
        | (Claim.review_state != ReviewState.approved)
    )
    return bool(
        session.scalar(select(exists(user_made_claim)))
        or session.scalar(select(exists(select(ImportBatch.id))))
    )


def _demo_claims_were_seeded(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(AuditEvent.action == "claim.seed"))))


# --- storing ----------------------------------------------------------------------------------


def _store(session: Session, files: DemoFiles, *, dry_run: bool = False) -> Counter[str]:
    """Add the rows of the files that the database lacks (or count them, when dry_run)."""
    added: Counter[str] = Counter()
    for _row, settlement in files.settlements:
        if not settlements_service.get_by_slug(session, settlement.slug):
            added["settlements"] += 1
            if not dry_run:
                settlements_service.upsert(session, settlement.model_dump())
    for _row, source in files.sources:
        if not sources_service.get_by_slug(session, source.slug):
            added["sources"] += 1
            if not dry_run:
                sources_service.upsert(session, source.model_dump())
    if not dry_run:
        session.flush()
    added["claims"] += _store_claims(session, files, dry_run=dry_run)
    for row, figure in files.area_figures:
        # One figure per date, holder AND source: two sources may state different figures
        # on the same day, and both are kept.
        figure_source = sources_service.get_by_slug(session, figure.source)
        if figure_source is None:
            if dry_run:
                added["area_figures"] += 1
                continue
            raise SeedError(f"area_figures.csv line {row.line}: unknown source")
        present = session.scalar(
            select(AreaFigure.id).where(
                AreaFigure.as_of == figure.as_of,
                AreaFigure.holder == figure.holder,
                AreaFigure.source_id == figure_source.id,
            )
        )
        if present:
            continue
        added["area_figures"] += 1
        if not dry_run:
            values = figure.model_dump(exclude={"source"})
            session.add(AreaFigure(source=figure_source, **values))
            session.flush()
    return +added


def _store_claims(
    session: Session, files: DemoFiles, *, dry_run: bool = False, ignore_stored: bool = False
) -> int:
    """Add the claims the database lacks; with ignore_stored, every claim of the files."""
    added = 0
    seen: set[tuple[int, int, object, object]] = set()
    for row, item in files.claims:
        settlement = settlements_service.get_by_slug(session, item.settlement)
        source = sources_service.get_by_slug(session, item.source)
        if settlement is None or source is None:
            if dry_run:
                added += 1
                continue
            missing = "settlement" if settlement is None else "source"
            raise SeedError(f"claims.csv line {row.line}: unknown {missing}")
        key = (settlement.id, source.id, item.as_of, item.status)
        if key in seen:
            continue
        seen.add(key)
        if not ignore_stored and claims_service.find_duplicate(
            session,
            settlement_id=settlement.id,
            source_id=source.id,
            as_of=item.as_of,
            status=item.status,
        ):
            continue
        added += 1
        if not dry_run:
            claims_service.add(
                session,
                item,
                settlement=settlement,
                source=source,
                approve=True,
                audit_action="claim.seed",
            )
    return added


def seed(session: Session, data_dir: Path, *, reference_only: bool = False) -> Counter[str]:
    """Load data_dir's CSV files; rows already present are left alone. Does not commit."""
    files = read_demo(data_dir, reference_only=reference_only)
    added = _store(session, files)
    audit.record(session, "seed", "dataset", files.name, after=dict(added))
    return added


def _replace_older_demo(session: Session, files: DemoFiles, version: str) -> Counter[str]:
    """Turn an untouched older demo into the current one, in the caller's transaction.

    Settlements and sources are updated in place (their ids and links stay). The new claims
    are stored before the old ones are deleted, so that no new claim takes the id of an old
    one and inherits its audit trail.
    """
    old_claim_ids = list(session.scalars(select(Claim.id).order_by(Claim.id)))
    old_area_figures = session.scalar(select(func.count()).select_from(AreaFigure)) or 0
    session.execute(delete(AreaFigure))
    for _row, settlement in files.settlements:
        settlements_service.upsert(session, settlement.model_dump())
    for _row, source in files.sources:
        sources_service.upsert(session, source.model_dump())
    session.flush()
    _store_claims(session, files, ignore_stored=True)
    if old_claim_ids:
        session.execute(delete(Claim).where(Claim.id.in_(old_claim_ids)))
    # What the older version had and the current one has not; nothing refers to it any more.
    session.execute(
        delete(Settlement).where(Settlement.slug.not_in([s.slug for _r, s in files.settlements]))
    )
    session.execute(delete(Source).where(Source.slug.not_in([s.slug for _r, s in files.sources])))
    _store(session, files)  # the area figures
    now = {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Settlement, Source, Claim, AreaFigure)
    }
    audit.record(
        session,
        "seed.replace_demo",
        "dataset",
        files.name,
        before={
            "version": version,
            "claims": len(old_claim_ids),
            "claim_ids": old_claim_ids,
            "area_figures": old_area_figures,
        },
        after=now,
    )
    return Counter(now)


def seed_demo(
    session: Session, data_dir: Path, *, if_empty: bool = False, reference_only: bool = False
) -> SeedResult:
    """What ``kursk-tracker seed`` does. Does not commit: the caller's transaction is the unit.

    Empty database: load everything. Holding all of data/ already: nothing. Holding exactly an
    older demo version and nothing made by hand: replace it with data/. Holding demo claims
    seeded earlier plus other changes: leave it alone. Anything else: add what is missing,
    unless ``if_empty``.
    """
    files = read_demo(data_dir, reference_only=reference_only)
    if is_empty(session):
        return SeedResult(
            SeedOutcome.loaded, seed(session, data_dir, reference_only=reference_only)
        )
    if not _store(session, files, dry_run=True):
        return SeedResult(SeedOutcome.nothing_new if not if_empty else SeedOutcome.not_empty)
    if not reference_only:
        version = OLDER_DEMOS.get(database_fingerprint(session))
        if version is not None and not has_user_made_rows(session):
            return SeedResult(
                SeedOutcome.replaced_older_demo,
                _replace_older_demo(session, files, version),
                replaced=version,
            )
        if _demo_claims_were_seeded(session):
            return SeedResult(SeedOutcome.older_demo_kept)
    if if_empty:
        return SeedResult(SeedOutcome.not_empty)
    return SeedResult(SeedOutcome.loaded, seed(session, data_dir, reference_only=reference_only))
