"""CSV import: plan every row first (a dry run), then store all of it or nothing.

The plan validates each row with the same rules as the submit form (ClaimIn, known settlement
and source), names every bad row by line and column, and skips rows that repeat an existing
claim or an earlier row of the file. Committing re-plans inside the write transaction, so two
imports of the same file at once cannot both store it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from app.accounts import audit
from app.accounts.models import User
from app.claims.models import IMPORT_NOTE, Claim, ControlStatus, ReviewState
from app.claims.schemas import ClaimIn
from app.dates import check_in_range
from app.db import pause_before_commit, utcnow
from app.interchange.csv_io import CsvFormatError, CsvRow, decode, read_rows
from app.interchange.formats import CLAIM_COLUMNS, SETTLEMENT_COLUMNS
from app.interchange.models import ImportKind
from app.settlements import service as settlements_service
from app.settlements.models import ALIAS_SEPARATOR, Settlement
from app.settlements.regions import Bounds
from app.settlements.schemas import SettlementIn
from app.sources import service as sources_service
from app.sources.models import Side, Source
from app.validation import field_errors, for_a_file

# Reported per file at most; the count says how many more there were.
MAX_PROBLEMS_SHOWN = 1000
# Rows to be added that the web preview lists.
PREVIEW_ROWS = 100
INSERT_BATCH = 1000
REQUIRED = {
    ImportKind.claims: ("settlement", "status", "as_of", "source"),
    ImportKind.settlements: ("slug", "name"),
}
KNOWN = {
    ImportKind.claims: set(CLAIM_COLUMNS),  # supersedes among them
    ImportKind.settlements: set(SETTLEMENT_COLUMNS) | {"location_precision", "population"},
}
# Columns that describe a row but are not stored from it (the export writes them for readers).
INFORMATIONAL = {"claim_id", "settlement_name", "source_side"}

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    column: str
    reason: str
    value: str = ""  # what the cell held, shortened, to find it in the file


@dataclass(frozen=True, slots=True)
class PlannedClaim:
    line: int
    claim: ClaimIn
    settlement_id: int
    source_id: int
    # What this claim corrects: the line of a claim added with it, or a stored claim's id.
    corrects_line: int | None = None
    corrects_claim_id: int | None = None


@dataclass(frozen=True, slots=True)
class SkippedRow:
    line: int
    reason: str
    existing_claim_id: int | None = None


@dataclass
class ImportPlan:
    kind: ImportKind | None
    rows: int = 0
    add: list[Any] = field(default_factory=list)  # PlannedClaim or SettlementIn
    update: list[SettlementIn] = field(default_factory=list)  # settlements gaining aliases
    skipped: list[SkippedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.kind is not None

    def problem(self, line: int, column: str, reason: str, value: str = "") -> None:
        shown = value if len(value) <= 80 else value[:77] + "…"
        self.problems.append(RowProblem(line, column, reason, shown))

    def addable(self) -> list[Any]:
        """What would be added: every planned row no problem was found on.

        While some rows are refused this is what the file would store once they are fixed
        (shown as a preview); nothing is stored until every row is fine.
        """
        if not self.problems:
            return self.add
        bad = {p.line for p in self.problems}
        return [item for item in self.add if getattr(item, "line", None) not in bad]

    def summary(self) -> dict[str, Any]:
        addable = self.addable()
        return {
            "kind": self.kind.value if self.kind else None,
            "rows": self.rows,
            "added": len(addable),
            "updated": len(self.update),
            "skipped": len(self.skipped),
            "refused_rows": len({p.line for p in self.problems}),
            "problems": [
                {"line": p.line, "column": p.column, "reason": p.reason, "value": p.value}
                for p in self.problems[:MAX_PROBLEMS_SHOWN]
            ],
            "skipped_rows": [
                {"line": s.line, "reason": s.reason, "existing_claim_id": s.existing_claim_id}
                for s in self.skipped[:MAX_PROBLEMS_SHOWN]
            ],
            "warnings": self.warnings,
            "preview": [_preview(item) for item in (addable + self.update)[:PREVIEW_ROWS]],
        }


def _preview(item: Any) -> dict[str, Any]:
    if isinstance(item, PlannedClaim):
        c = item.claim
        return {
            "line": item.line,
            "settlement": c.settlement,
            "status": c.status.value,
            "as_of": c.as_of.isoformat(),
            "source": c.source,
            "verification": c.verification.value,
            "corrects": (
                f"line {item.corrects_line}"
                if item.corrects_line
                else f"claim #{item.corrects_claim_id}"
                if item.corrects_claim_id
                else ""
            ),
        }
    return {"settlement": item.slug, "name": item.name, "aliases": item.aliases}


class ImportRefused(Exception):
    def __init__(self, plan: ImportPlan) -> None:
        super().__init__(f"{len(plan.problems)} problem(s); nothing was stored")
        self.plan = plan


def detect_kind(header: Sequence[str]) -> ImportKind | None:
    columns = set(header)
    if {"status", "as_of"} & columns or "source" in columns:
        return ImportKind.claims
    if "slug" in columns and "name" in columns:
        return ImportKind.settlements
    return None


def plan_import(
    session: Session,
    data: bytes,
    progress: Progress | None = None,
    *,
    region_bounds: dict[str, Bounds] | None = None,
) -> ImportPlan:
    """Check a file without storing anything: what would be added, skipped and refused.

    ``region_bounds`` are the configured boxes settlements must lie in (default: the
    built-in ones, app.settlements.regions).
    """
    try:
        text = decode(data)
    except CsvFormatError as error:
        plan = ImportPlan(kind=None)
        plan.problem(error.line, "", error.message)
        return plan
    if "\x00" in text:
        plan = ImportPlan(kind=None)
        line = text.count("\n", 0, text.index("\x00")) + 1
        plan.problem(line, "", "the file contains NUL bytes: it is not a CSV text file")
        return plan
    try:
        header, rows = read_rows(text)
        kind = detect_kind(header)
        plan = ImportPlan(kind=kind)
        if not header or kind is None:
            plan.problem(
                1,
                "",
                "the first line must be a header naming the columns, as in the claims export "
                f"({','.join(CLAIM_COLUMNS)}) or the settlements export",
            )
            return plan
        missing = [c for c in REQUIRED[kind] if c not in header]
        if missing:
            plan.problem(1, ",".join(missing), f"required column missing: {', '.join(missing)}")
            return plan
        duplicates = sorted({c for c in header if c and header.count(c) > 1})
        if duplicates:
            plan.problem(1, ",".join(duplicates), "column named twice in the header")
            return plan
        plan.warnings.extend(_ignored_columns(header, KNOWN[kind]))
        all_rows = list(rows)
    except CsvFormatError as error:
        plan = ImportPlan(kind=None)
        plan.problem(error.line, "", error.message)
        return plan
    plan.rows = len(all_rows)
    if kind is ImportKind.claims:
        _plan_claims(session, plan, all_rows, progress)
    else:
        _plan_settlements(session, plan, all_rows, progress, region_bounds)
    return plan


def _ignored_columns(header: Sequence[str], known: set[str]) -> list[str]:
    """Warnings for the columns an import reads nothing from: unknown names, unnamed columns."""
    warnings = []
    extra = [c for c in header if c and c not in known]
    if extra:
        warnings.append(f"column{'s' if len(extra) > 1 else ''} ignored: {', '.join(extra)}")
    unnamed = [i + 1 for i, c in enumerate(header) if not c]
    if unnamed == [1]:
        # pandas' to_csv writes its row index first, under an empty header cell.
        warnings.append("column ignored: the unnamed first column (a row index, as pandas writes)")
    elif unnamed:
        places = ", ".join(str(i) for i in unnamed)
        warnings.append(f"unnamed column{'s' if len(unnamed) > 1 else ''} ignored: {places}")
    return warnings


def _every(rows: Sequence[CsvRow], progress: Progress | None) -> Iterator[tuple[int, CsvRow]]:
    total = len(rows)
    for i, row in enumerate(rows):
        if progress is not None and i % 500 == 0:
            progress(i, total)
        yield i, row
    if progress is not None:
        progress(total, total)


def _existing_keys(
    session: Session, settlement_ids: Iterable[int]
) -> dict[tuple[int, int, date, ControlStatus], int]:
    """Claims already stored (rejected ones aside) for these settlements: key -> claim id."""
    keys: dict[tuple[int, int, date, ControlStatus], int] = {}
    ids = sorted(set(settlement_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for cid, sid, src, as_of, status in session.execute(
            select(Claim.id, Claim.settlement_id, Claim.source_id, Claim.as_of, Claim.status)
            .where(Claim.settlement_id.in_(chunk), Claim.review_state != ReviewState.rejected)
            .order_by(Claim.id)
        ):
            keys.setdefault((sid, src, as_of, status), cid)
    return keys


ASSERTED_STATUSES = tuple(s for s in ControlStatus if s is not ControlStatus.unknown)
Key = tuple[int, int, date, ControlStatus]


def _file_ids(rows: Sequence[CsvRow]) -> dict[str, list[int]]:
    """The file's own claim ids (the ``claim_id`` column) -> the lines that carry them."""
    lines: dict[str, list[int]] = {}
    for row in rows:
        if file_id := row.values.get("claim_id", "").strip():
            lines.setdefault(file_id, []).append(row.line)
    return lines


def _corrected_line(plan: ImportPlan, row: CsvRow, file_ids: dict[str, list[int]]) -> int | None:
    """The line of the row that this row's ``supersedes`` names; a problem if it names none."""
    target = row.values.get("supersedes", "").strip()
    if not target:
        return None
    lines = file_ids.get(target, [])
    if not lines:
        plan.problem(
            row.line,
            "supersedes",
            f"no row of this file has claim_id {target}: a correction is imported together "
            "with the claim it corrects",
            target,
        )
    elif len(lines) > 1:
        places = ", ".join(str(line) for line in lines)
        plan.problem(
            row.line, "supersedes", f"claim_id {target} is on more than one line ({places})", target
        )
    elif lines[0] == row.line:
        plan.problem(row.line, "supersedes", "a claim cannot correct itself", target)
    else:
        return lines[0]
    return None


def _dates_in_range(plan: ImportPlan, row: CsvRow, claim: ClaimIn) -> bool:
    ok = True
    for column, value in (("as_of", claim.as_of), ("published_on", claim.published_on)):
        if value is None or not row.values.get(column, "").strip():
            continue  # an empty published_on is as_of's, reported once under as_of
        try:
            check_in_range(value)
        except ValueError as error:
            plan.problem(row.line, column, str(error), row.values.get(column, ""))
            ok = False
    return ok


def _check_claim_row(
    plan: ImportPlan,
    row: CsvRow,
    settlements: settlements_service.Directory,
    sources: dict[str, tuple[int, Side]],
) -> PlannedClaim | None:
    """One row of a claims file: every problem it has, reported at once, or its plan.

    The references (settlement, source, the source's side) are checked even when other cells
    are bad, so that one round of fixes makes the row good.
    """
    values = {k: v for k, v in row.values.items() if k not in INFORMATIONAL}
    claim: ClaimIn | None = None
    bad_columns: set[str] = set()
    try:
        claim = ClaimIn.model_validate(values)
    except ValidationError as error:
        for column, reason in field_errors(error.errors()).items():
            plan.problem(row.line, column, for_a_file(column, reason), row.values.get(column, ""))
            bad_columns.add(column)
    if claim is not None and claim.status not in ASSERTED_STATUSES:
        allowed = ", ".join(s.value for s in ASSERTED_STATUSES)
        plan.problem(
            row.line,
            "status",
            f"a claim asserts one of: {allowed} (unknown is only ever derived)",
            claim.status.value,
        )
        claim = None
    if claim is not None and not _dates_in_range(plan, row, claim):
        claim = None
    settlement_id = None
    if "settlement" not in bad_columns:
        name = row.values.get("settlement", "").strip()
        settlement = settlements.resolve(name.lower())
        settlement_id = settlement.id if settlement is not None else None
        if settlement_id is None:
            plan.problem(
                row.line,
                "settlement",
                "No settlement of that name: give its name in any spelling, or its short name "
                "(slug) as the settlements export lists it",
                name,
            )
    source = None
    if "source" not in bad_columns:
        slug = row.values.get("source", "").strip().lower()
        source = sources.get(slug)
        if source is None:
            plan.problem(
                row.line,
                "source",
                "No source of that short name (slug): use one the sources page lists, or "
                "add the source through the claim form first",
                slug,
            )
        elif (stated := row.values.get("source_side", "").strip()) not in ("", source[1].value):
            plan.problem(
                row.line,
                "source_side",
                f"The file says {stated!r}, but {slug} is recorded as a "
                f"{source[1].value} source: correct the side or the source",
                stated,
            )
            return None
    if claim is None or settlement_id is None or source is None:
        return None
    return PlannedClaim(row.line, claim, settlement_id, source[0])


def _plan_claims(
    session: Session, plan: ImportPlan, rows: Sequence[CsvRow], progress: Progress | None
) -> None:
    settlements = settlements_service.directory(session)
    sources = {
        slug: (sid, side)
        for sid, slug, side in session.execute(select(Source.id, Source.slug, Source.side))
    }
    file_ids = _file_ids(rows)
    corrects: dict[int, int] = {}  # line of a correction -> line of the claim it corrects
    valid: list[PlannedClaim] = []
    for _, row in _every(rows, progress):
        if (target := _corrected_line(plan, row, file_ids)) is not None:
            corrects[row.line] = target
        planned = _check_claim_row(plan, row, settlements, sources)
        if planned is not None:
            valid.append(planned)
    existing = _existing_keys(session, (p.settlement_id for p in valid))
    seen: dict[Key, int] = {}
    # What each valid line became: a claim to add (its line) or a stored claim (its id).
    outcome: dict[int, tuple[str, int]] = {}
    for planned in valid:
        key = (planned.settlement_id, planned.source_id, planned.claim.as_of, planned.claim.status)
        if key in existing:
            plan.skipped.append(
                SkippedRow(
                    planned.line, f"already recorded as claim #{existing[key]}", existing[key]
                )
            )
            outcome[planned.line] = ("stored", existing[key])
        elif key in seen:
            plan.skipped.append(SkippedRow(planned.line, f"repeats line {seen[key]} of this file"))
            outcome[planned.line] = ("added", seen[key])
        else:
            seen[key] = planned.line
            plan.add.append(planned)
            outcome[planned.line] = ("added", planned.line)
    if corrects:
        _link_corrections(plan, corrects, outcome)


def _link_corrections(
    plan: ImportPlan, corrects: dict[int, int], outcome: dict[int, tuple[str, int]]
) -> None:
    """Point each correction to be added at the claim it corrects: a row added with it, or the
    stored claim that row repeats. Corrections about another settlement, or in a loop, are
    refused as the submit form refuses them."""
    settlement_of = {p.line: p.settlement_id for p in plan.add}
    for i, planned in enumerate(plan.add):
        target_line = corrects.get(planned.line)
        if target_line is None or target_line not in outcome:
            continue  # no correction, or the corrected row is refused (reported on its line)
        kind, target = outcome[target_line]
        if kind == "added":
            if settlement_of[target] != planned.settlement_id:
                plan.problem(
                    planned.line,
                    "supersedes",
                    f"the claim on line {target_line} is about another settlement: a correction "
                    "is about the same settlement as the claim it corrects",
                    f"line {target_line}",
                )
                continue
            plan.add[i] = replace(planned, corrects_line=target)
        else:
            plan.add[i] = replace(planned, corrects_claim_id=target)
    by_line = {p.line: p for p in plan.add}
    for planned in plan.add:
        chain = [planned.line]
        step = planned.corrects_line
        while step is not None and step not in chain:
            chain.append(step)
            step = by_line[step].corrects_line
        if step == planned.line:
            loop = " → ".join(str(line) for line in [*chain, step])
            plan.problem(planned.line, "supersedes", f"corrections form a loop (lines {loop})")


def _plan_settlements(
    session: Session,
    plan: ImportPlan,
    rows: Sequence[CsvRow],
    progress: Progress | None,
    region_bounds: dict[str, Bounds] | None,
) -> None:
    stored = {s.slug: s for s in session.scalars(select(Settlement))}
    seen: dict[str, int] = {}
    context = {"region_bounds": region_bounds}
    for _, row in _every(rows, progress):
        try:
            item = SettlementIn.model_validate(row.values, context=context)
        except ValidationError as error:
            for column, reason in field_errors(error.errors()).items():
                plan.problem(row.line, column or "lat", reason, row.values.get(column, ""))
            continue
        if item.slug in seen:
            plan.skipped.append(
                SkippedRow(row.line, f"repeats line {seen[item.slug]} of this file")
            )
            continue
        seen[item.slug] = row.line
        current = stored.get(item.slug)
        if current is None:
            plan.add.append(item)
            continue
        new_aliases = [
            a for a in item.aliases.split(ALIAS_SEPARATOR) if a and a not in current.alias_list
        ]
        if new_aliases:
            plan.update.append(
                item.model_copy(update={"aliases": ALIAS_SEPARATOR.join(new_aliases)})
            )
        else:
            plan.skipped.append(SkippedRow(row.line, f"settlement {item.slug} is already recorded"))


def _counts(plan: ImportPlan) -> dict[str, Any]:
    summary = plan.summary()
    return {k: summary[k] for k in ("kind", "rows", "added", "updated", "skipped")}


def lock_imports(session: Session) -> None:
    """One import commits at a time (SQLite: BEGIN IMMEDIATE already; PostgreSQL: a lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(0x4B54494D)))  # "KTIM"


def _store_claims(
    session: Session, planned: Sequence[PlannedClaim], rows: list[dict[str, Any]]
) -> None:
    """Insert the rows in batches; then point each correction at the id of what it corrects
    (known only once stored, as the file's own claim ids are not kept)."""
    corrections = [p for p in planned if p.corrects_line or p.corrects_claim_id]
    if not corrections:
        for start in range(0, len(rows), INSERT_BATCH):
            session.execute(insert(Claim), rows[start : start + INSERT_BATCH])
        return
    stored_ids: list[int] = []
    returning = insert(Claim).returning(Claim.id, sort_by_parameter_order=True)
    for start in range(0, len(rows), INSERT_BATCH):
        stored_ids.extend(session.scalars(returning, rows[start : start + INSERT_BATCH]))
    id_of_line = {p.line: claim_id for p, claim_id in zip(planned, stored_ids, strict=True)}
    session.execute(
        update(Claim),
        [
            {
                "id": id_of_line[p.line],
                "supersedes_id": (
                    id_of_line[p.corrects_line] if p.corrects_line else p.corrects_claim_id
                ),
            }
            for p in corrections
        ],
    )


def commit_import(
    session: Session,
    data: bytes,
    *,
    user: User | None,
    approve: bool,
    batch_id: str | None = None,
    filename: str = "",
    progress: Progress | None = None,
    region_bounds: dict[str, Bounds] | None = None,
) -> ImportPlan:
    """Store a file's rows in the caller's write transaction, all or none (ImportRefused)."""
    lock_imports(session)
    pause_before_commit(session)  # a test hook: off unless KT_TEST_PAUSE_BEFORE_COMMIT is set
    plan = plan_import(session, data, progress, region_bounds=region_bounds)
    if not plan.ok:
        raise ImportRefused(plan)
    now = utcnow()
    if plan.kind is ImportKind.claims:
        rows = [
            {
                "settlement_id": p.settlement_id,
                "source_id": p.source_id,
                "status": p.claim.status,
                "as_of": p.claim.as_of,
                "published_on": p.claim.published_on or p.claim.as_of,
                "source_url": p.claim.source_url,
                "verification": p.claim.verification,
                "summary": p.claim.summary,
                "review_state": ReviewState.approved if approve else ReviewState.pending,
                "review_note": IMPORT_NOTE if approve else "",
                "submitted_by_id": user.id if user else None,
                "reviewed_by_id": user.id if (user and approve) else None,
                "reviewed_at": now if approve else None,
                "created_at": now,
                "version": 1,
                "import_id": batch_id,
            }
            for p in plan.add
        ]
        _store_claims(session, plan.add, rows)
        if approve:
            # Approved claims show their sources, in this same transaction.
            for source_id in sorted({p.source_id for p in plan.add}):
                source = session.get(Source, source_id)
                if source is not None:
                    sources_service.publish(session, source, actor=user)
    else:
        for item in plan.add:
            settlements_service.upsert(session, item.model_dump())
        for item in plan.update:
            known = settlements_service.get_by_slug(session, item.slug)
            assert known is not None  # planned as an update: it exists
            merged = ALIAS_SEPARATOR.join([*known.alias_list, *item.aliases.split(ALIAS_SEPARATOR)])
            settlements_service.upsert(session, {"slug": item.slug, "aliases": merged})
    audit.record(
        session,
        "import.commit",
        "import",
        batch_id or "",
        actor=user,
        after={"file": filename, "approved": approve, **_counts(plan)},
    )
    return plan
