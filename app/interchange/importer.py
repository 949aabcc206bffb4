"""CSV import: check every row (a dry run), then store all of it or nothing.

A file is read a row at a time, so memory does not grow with it. A claims file is checked
row by row with the same rules as the submit form (ClaimIn, known settlement and source), and
each row is put in a temporary table of the transaction with the column values of the claim
it would become (claims_service.claim_values, the form's builder). The rest is asked of the
database for every row at once: which rows repeat a stored claim (claims_service.
first_duplicate, the form's duplicate rule) or an earlier row, which row each correction
names. Committing does all of this inside the caller's one write transaction, then copies the
rows to add from the temporary table into claims: two imports of the same file at once cannot
both store it, and a file with any bad row stores nothing. Problems and skipped rows are
counted in full and listed up to MAX_PROBLEMS_SHOWN.

Settlements, sources and area figures files are small (one row per place, per source, per
figure): they are checked in memory, with the same all-or-nothing rule.
"""

from __future__ import annotations

import enum
import io
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import BaseModel, ValidationError
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    false,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from app.accounts import audit
from app.accounts.models import User
from app.claims import service as claims_service
from app.claims.models import IMPORT_NOTE, Claim, ControlStatus, ReviewState
from app.claims.schemas import ClaimIn
from app.dates import check_in_range
from app.db import pause_before_commit, utcnow
from app.interchange.csv_io import CsvFormatError, CsvRow, read_stream
from app.interchange.formats import (
    AREA_FIGURE_COLUMNS,
    CLAIM_COLUMNS,
    SETTLEMENT_COLUMNS,
    SOURCE_COLUMNS,
)
from app.settlements import service as settlements_service
from app.settlements.models import ALIAS_SEPARATOR, Settlement
from app.settlements.regions import Bounds
from app.settlements.schemas import SettlementIn
from app.sources import service as sources_service
from app.sources.models import Source
from app.sources.schemas import SourceIn
from app.status.models import AreaFigure
from app.status.schemas import AreaFigureIn
from app.text import fold
from app.validation import field_errors, for_a_file

# Reported per file at most; the count says how many more there were.
MAX_PROBLEMS_SHOWN = 1000
# Rows to be added that the web preview lists.
PREVIEW_ROWS = 100
# Checked rows written to the temporary table per statement.
STAGE_BATCH = 1000


class FileKind(enum.StrEnum):
    """What a file holds. The web import takes claims and settlements (WEB_KINDS); sources and
    area figures are imported on the command line."""

    claims = "claims"
    settlements = "settlements"
    sources = "sources"
    area_figures = "area_figures"


ALL_KINDS: tuple[FileKind, ...] = tuple(FileKind)
WEB_KINDS = (FileKind.claims, FileKind.settlements)

REQUIRED = {
    FileKind.claims: ("settlement", "status", "as_of", "source"),
    FileKind.settlements: ("slug", "name"),
    FileKind.sources: ("slug", "name", "side"),
    FileKind.area_figures: ("as_of", "holder", "area_km2", "source"),
}
KNOWN = {
    FileKind.claims: set(CLAIM_COLUMNS),  # supersedes among them
    FileKind.settlements: set(SETTLEMENT_COLUMNS) | {"location_precision", "population"},
    FileKind.sources: set(SOURCE_COLUMNS),
    FileKind.area_figures: set(AREA_FIGURE_COLUMNS),
}
HEADER_EXAMPLES = {
    FileKind.claims: CLAIM_COLUMNS,
    FileKind.settlements: SETTLEMENT_COLUMNS,
    FileKind.sources: SOURCE_COLUMNS,
    FileKind.area_figures: AREA_FIGURE_COLUMNS,
}
# Columns that describe a row but are not stored from it (the export writes them for readers).
INFORMATIONAL = {"claim_id", "settlement_name", "source_side"}

Progress = Callable[[int, int], None]
# What is imported: the file's bytes (a web upload, kept with its batch) or a file to read.
ImportSource = bytes | Path


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    column: str
    reason: str
    value: str = ""  # what the cell held, shortened, to find it in the file


@dataclass(frozen=True, slots=True)
class SkippedRow:
    line: int
    reason: str
    existing_claim_id: int | None = None


@dataclass
class ImportPlan:
    kind: FileKind | None
    rows: int = 0
    added: int = 0
    # Settlements, sources or area figures to add (small files); a claims file's rows wait
    # in the transaction's temporary table instead.
    add: list[Any] = field(default_factory=list)
    update: list[SettlementIn] = field(default_factory=list)  # settlements gaining aliases
    skipped: list[SkippedRow] = field(default_factory=list)  # the first MAX_PROBLEMS_SHOWN
    skipped_count: int = 0
    problems: list[RowProblem] = field(default_factory=list)  # the first MAX_PROBLEMS_SHOWN
    problem_count: int = 0
    refused_rows: int = 0
    warnings: list[str] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problem_count and self.kind is not None

    def problem(self, line: int, column: str, reason: str, value: str = "") -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_SHOWN:
            shown = value if len(value) <= 80 else value[:77] + "…"
            self.problems.append(RowProblem(line, column, reason, shown))

    def skip(self, line: int, reason: str, existing_claim_id: int | None = None) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_PROBLEMS_SHOWN:
            self.skipped.append(SkippedRow(line, reason, existing_claim_id))

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value if self.kind else None,
            "rows": self.rows,
            "added": self.added,
            "updated": len(self.update),
            "skipped": self.skipped_count,
            "refused_rows": self.refused_rows,
            "problem_count": self.problem_count,
            "problems": [
                {"line": p.line, "column": p.column, "reason": p.reason, "value": p.value}
                for p in self.problems
            ],
            "skipped_rows": [
                {"line": s.line, "reason": s.reason, "existing_claim_id": s.existing_claim_id}
                for s in self.skipped
            ],
            "warnings": self.warnings,
            "preview": self.preview,
        }


class ImportRefused(Exception):
    def __init__(self, plan: ImportPlan) -> None:
        super().__init__(f"{plan.problem_count} problem(s); nothing was stored")
        self.plan = plan


def detect_kind(header: Sequence[str]) -> FileKind | None:
    columns = set(header)
    if {"holder", "area_km2"} & columns:
        return FileKind.area_figures
    if {"status", "as_of"} & columns or "source" in columns:
        return FileKind.claims
    if {"slug", "name", "side"} <= columns:
        return FileKind.sources
    if "slug" in columns and "name" in columns:
        return FileKind.settlements
    return None


@contextmanager
def _opened(source: ImportSource) -> Iterator[BinaryIO]:
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    else:
        with source.open("rb") as f:
            yield f


def _line_count(source: ImportSource) -> int:
    """How many lines the file has: the total that progress is reported against."""
    if isinstance(source, bytes):
        return source.count(b"\n") + 1
    count = 1
    with source.open("rb") as f:
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
    return count


@dataclass(frozen=True, slots=True)
class _Storing:
    """How checked rows become stored ones: given when committing, None for a dry run."""

    user: User | None
    approve: bool
    batch_id: str | None


def plan_import(
    session: Session,
    data: ImportSource,
    progress: Progress | None = None,
    *,
    region_bounds: dict[str, Bounds] | None = None,
    kind: FileKind | None = None,
    kinds: Collection[FileKind] = ALL_KINDS,
) -> ImportPlan:
    """Check a file without storing anything: what would be added, skipped and refused.

    ``region_bounds`` are the configured boxes settlements must lie in (default: the
    built-in ones, app.settlements.regions). ``kind`` says what the file holds (default:
    told by its header); ``kinds`` are those this caller takes.
    """
    return _run(session, data, progress, region_bounds, kind, kinds, None)


def _run(
    session: Session,
    data: ImportSource,
    progress: Progress | None,
    region_bounds: dict[str, Bounds] | None,
    kind: FileKind | None,
    kinds: Collection[FileKind],
    storing: _Storing | None,
) -> ImportPlan:
    """Check a file and, when ``storing`` and every row is fine, store it (all or nothing)."""
    total = _line_count(data) if progress is not None else 0
    try:
        with _opened(data) as stream:
            header, rows = read_stream(stream)
            plan = _header_plan(header, kind, kinds)
            if not plan.ok:
                return plan
            counted = _counting(rows, plan, progress, total)
            if plan.kind is FileKind.claims:
                _claims(session, plan, counted, storing)
            else:
                _small_file(session, plan, list(counted), region_bounds)
    except CsvFormatError as error:
        # The file's shape is broken: whatever rows before said, the file is refused whole.
        _drop_stage(session)
        plan = ImportPlan(kind=None)
        plan.problem(error.line, "", error.message)
        plan.refused_rows = 1
        return plan
    if progress is not None:
        progress(total, total)
    return plan


def _header_plan(
    header: Sequence[str], kind: FileKind | None, kinds: Collection[FileKind]
) -> ImportPlan:
    kind = kind or detect_kind(header)
    plan = ImportPlan(kind=kind)
    if not header or kind is None:
        plan.problem(
            1,
            "",
            "the first line must be a header naming the columns, as in the claims export "
            f"({','.join(CLAIM_COLUMNS)}) or the settlements export",
        )
    elif kind not in kinds:
        plan.problem(
            1,
            "",
            f"this is a {kind.value.replace('_', ' ')} file: import it on the command line "
            "(kursk-tracker import FILE --approve)",
        )
    elif missing := [c for c in REQUIRED[kind] if c not in header]:
        plan.problem(
            1,
            ",".join(missing),
            f"required column missing: {', '.join(missing)} (a {kind.value.replace('_', ' ')} "
            f"file has the columns {','.join(HEADER_EXAMPLES[kind])})",
        )
    elif duplicates := sorted(c for c, n in Counter(header).items() if c and n > 1):
        # Counted once (header.count per column was quadratic: 80,000 columns took 54 s).
        plan.problem(1, ",".join(duplicates), "column named twice in the header")
    else:
        plan.warnings.extend(_ignored_columns(header, KNOWN[kind]))
        return plan
    plan.refused_rows = 1
    return plan


def _counting(
    rows: Iterator[CsvRow], plan: ImportPlan, progress: Progress | None, total: int
) -> Iterator[CsvRow]:
    for i, row in enumerate(rows):
        plan.rows += 1
        if progress is not None and i % 500 == 0:
            progress(row.line, total)
        yield row


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


# --- claims ------------------------------------------------------------------------------

ASSERTED_STATUSES = tuple(s for s in ControlStatus if s is not ControlStatus.unknown)
STAGE_TABLE = "kt_import_rows"
# The columns of a claim that the builder fills (claims_service.claim_values), in order.
CLAIM_VALUE_COLUMNS = (
    "settlement_id",
    "source_id",
    "status",
    "as_of",
    "published_on",
    "source_url",
    "verification",
    "summary",
    "review_state",
    "review_note",
    "submitted_by_id",
    "reviewed_by_id",
    "reviewed_at",
    "created_at",
    "version",
    "supersedes_id",
    "import_id",
)
_TYPES: dict[str, Any] = {
    "settlement_id": Integer,
    "source_id": Integer,
    "as_of": Date,
    "published_on": Date,
    "summary": Text,
    "review_note": Text,
    "submitted_by_id": Integer,
    "reviewed_by_id": Integer,
    "reviewed_at": DateTime,
    "created_at": DateTime,
    "version": Integer,
    "supersedes_id": Integer,
}


def _stage_table() -> Table:
    """The transaction's temporary table: one row per row of the file (valid or not)."""
    return Table(
        STAGE_TABLE,
        MetaData(),
        Column("line", Integer, primary_key=True),
        Column("bad", Boolean, nullable=False),  # the row has a problem
        Column("file_claim_id", String),  # the file's own claim_id, and what supersedes names
        Column("supersedes", String),
        Column("settlement_text", Text),  # as the file wrote it, for the preview
        Column("source_slug", String),
        *(Column(name, _TYPES.get(name, String)) for name in CLAIM_VALUE_COLUMNS),
        Column("existing_id", Integer),  # the stored claim this row repeats
        Column("repeats_line", Integer),  # the earlier row of the file it repeats
        Column("corrects_line", Integer),  # the row its supersedes names
        Column("target_line", Integer),  # the row to add that it corrects (a repeat's first)
        Column("new_id", Integer),  # its claim id, once stored
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def _drop_stage(session: Session) -> None:
    session.connection().exec_driver_sql(f"DROP TABLE IF EXISTS {STAGE_TABLE}")


def _corrected_ids(row: CsvRow) -> tuple[str | None, str | None]:
    file_id = row.values.get("claim_id", "").strip() or None
    return file_id, row.values.get("supersedes", "").strip() or None


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


class _ClaimChecker:
    """The row-by-row rules: the form's (ClaimIn), a known settlement and source."""

    def __init__(self, session: Session, plan: ImportPlan) -> None:
        self.plan = plan
        self.settlements = settlements_service.directory(session)
        self.sources = {
            slug: (sid, side)
            for sid, slug, side in session.execute(select(Source.id, Source.slug, Source.side))
        }

    def check(self, row: CsvRow) -> tuple[ClaimIn, int, int] | None:
        """The claim, its settlement and source ids; None (with problems noted) when bad.

        Every problem of the row is noted at once: the references (settlement, source, the
        source's side) are checked even when other cells are bad, so that one round of fixes
        makes the row good.
        """
        plan = self.plan
        values = {k: v for k, v in row.values.items() if k not in INFORMATIONAL}
        claim: ClaimIn | None = None
        bad_columns: set[str] = set()
        try:
            claim = ClaimIn.model_validate(values)
        except ValidationError as error:
            for column, reason in field_errors(error.errors()).items():
                plan.problem(
                    row.line, column, for_a_file(column, reason), row.values.get(column, "")
                )
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
            settlement = self.settlements.resolve(name.lower())
            settlement_id = settlement.id if settlement is not None else None
            if settlement_id is None:
                plan.problem(
                    row.line,
                    "settlement",
                    "No settlement of that name: give its name in any spelling, or its short "
                    "name (slug) as the settlements export lists it",
                    name,
                )
        source = None
        if "source" not in bad_columns:
            slug = row.values.get("source", "").strip().lower()
            source = self.sources.get(slug)
            if source is None:
                plan.problem(
                    row.line,
                    "source",
                    "No source of that short name (slug): use one the sources page lists, or "
                    "add the source through the claim form first",
                    slug,
                )
            elif (stated := row.values.get("source_side", "").strip()) not in (
                "",
                source[1].value,
            ):
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
        return claim, settlement_id, source[0]


def _claims(
    session: Session, plan: ImportPlan, rows: Iterator[CsvRow], storing: _Storing | None
) -> None:
    """Check every row into the temporary table; then repeats, corrections; then store."""
    connection = session.connection()
    stage = _stage_table()
    _drop_stage(session)
    stage.create(connection)
    has_corrections = _stage_rows(session, plan, stage, rows, storing)
    key = (stage.c[name] for name in claims_service.DUPLICATE_KEY)
    Index("ix_kt_import_key", *key, stage.c.line).create(connection)
    if has_corrections:
        Index("ix_kt_import_file_id", stage.c.file_claim_id).create(connection)
        _resolve_supersedes(connection, plan, stage)
    _find_repeats(connection, stage)
    if has_corrections:
        _link_corrections(connection, plan, stage)
    _count(connection, plan, stage)
    if storing is not None and plan.ok:
        _store_claims(session, stage, storing)
    # After an error the transaction's rollback takes the table away.
    _drop_stage(session)


def _stage_rows(
    session: Session,
    plan: ImportPlan,
    stage: Table,
    rows: Iterator[CsvRow],
    storing: _Storing | None,
) -> bool:
    """Check each row, and write it with its claim's column values to the temporary table.

    Returns whether any row names a claim it corrects.
    """
    checker = _ClaimChecker(session, plan)
    connection = session.connection()
    now = utcnow()
    user_id = storing.user.id if storing and storing.user else None
    approve = storing.approve if storing else False
    batch_id = storing.batch_id if storing else None
    empty = dict.fromkeys(CLAIM_VALUE_COLUMNS)
    has_corrections = False
    batch: list[dict[str, Any]] = []
    for row in rows:
        file_id, supersedes = _corrected_ids(row)
        has_corrections = has_corrections or supersedes is not None
        checked = checker.check(row)
        if checked is None:
            values = {**empty, "bad": True, "settlement_text": None, "source_slug": None}
        else:
            claim, settlement_id, source_id = checked
            values = claims_service.claim_values(
                claim,
                settlement_id=settlement_id,
                source_id=source_id,
                submitted_by_id=user_id,
                approved_by_id=user_id,
                approve=approve,
                review_note=IMPORT_NOTE if approve else "",
                import_id=batch_id,
                now=now,
            )
            values |= {
                "bad": False,
                "settlement_text": claim.settlement,
                "source_slug": claim.source,
            }
        values |= {"line": row.line, "file_claim_id": file_id, "supersedes": supersedes}
        batch.append(values)
        if len(batch) >= STAGE_BATCH:
            connection.execute(insert(stage), batch)
            batch = []
    if batch:
        connection.execute(insert(stage), batch)
    return has_corrections


def _mark_bad(connection: Connection, stage: Table, lines: Sequence[int]) -> None:
    if lines:
        connection.execute(
            update(stage)
            .where(stage.c.line == bindparam("bad_line"))
            .values(bad=True, corrects_line=None),
            [{"bad_line": line} for line in lines],
        )


def _resolve_supersedes(connection: Connection, plan: ImportPlan, stage: Table) -> None:
    """Each ``supersedes`` names the claim_id of another row of the file, exactly one."""
    other = stage.alias("other")
    named = select(func.count()).where(other.c.file_claim_id == stage.c.supersedes)
    first = select(func.min(other.c.line)).where(other.c.file_claim_id == stage.c.supersedes)
    connection.execute(
        update(stage)
        .where(stage.c.supersedes.is_not(None))
        .values(corrects_line=first.scalar_subquery())
    )
    faulty = connection.execute(
        select(stage.c.line, stage.c.supersedes, named.scalar_subquery(), stage.c.corrects_line)
        .where(stage.c.supersedes.is_not(None))
        .where(
            (stage.c.corrects_line.is_(None))
            | (stage.c.corrects_line == stage.c.line)
            | (named.scalar_subquery() > 1)
        )
        .order_by(stage.c.line)
    ).all()
    for line, target, count, _first in faulty:
        if count == 0:
            plan.problem(
                line,
                "supersedes",
                f"no row of this file has claim_id {target}: a correction is imported together "
                "with the claim it corrects",
                target,
            )
        elif count > 1:
            lines = connection.scalars(
                select(stage.c.line).where(stage.c.file_claim_id == target).order_by(stage.c.line)
            )
            places = ", ".join(str(n) for n in lines)
            plan.problem(
                line, "supersedes", f"claim_id {target} is on more than one line ({places})", target
            )
        else:
            plan.problem(line, "supersedes", "a claim cannot correct itself", target)
    _mark_bad(connection, stage, [line for line, *_ in faulty])


def _find_repeats(connection: Connection, stage: Table) -> None:
    """Rows that repeat a stored claim (the form's duplicate rule) or an earlier row."""
    key = [stage.c[name] for name in claims_service.DUPLICATE_KEY]
    connection.execute(
        update(stage)
        .where(stage.c.bad == false())
        .values(existing_id=claims_service.first_duplicate(*key).scalar_subquery())
    )
    earlier = stage.alias("earlier")
    connection.execute(
        update(stage)
        .where(stage.c.bad == false(), stage.c.existing_id.is_(None))
        .values(
            repeats_line=select(func.min(earlier.c.line))
            .where(
                *(earlier.c[name] == stage.c[name] for name in claims_service.DUPLICATE_KEY),
                earlier.c.line < stage.c.line,
                earlier.c.bad == false(),
            )
            .scalar_subquery()
        )
    )


def _to_add(stage: Any) -> Any:
    return and_(
        stage.c.bad == false(), stage.c.existing_id.is_(None), stage.c.repeats_line.is_(None)
    )


def _link_corrections(connection: Connection, plan: ImportPlan, stage: Table) -> None:
    """Point each correction to be added at the claim it corrects: a row added with it, or the
    stored claim that row repeats. Corrections about another settlement, or in a loop, are
    refused as the submit form refuses them."""
    target = stage.alias("target")
    links = connection.execute(
        select(
            stage.c.line,
            stage.c.settlement_id,
            target.c.line,
            target.c.bad,
            target.c.existing_id,
            target.c.repeats_line,
            target.c.settlement_id,
        )
        .join(target, target.c.line == stage.c.corrects_line)
        .where(_to_add(stage))
        .order_by(stage.c.line)
    ).all()
    edges: dict[int, int] = {}  # line of a correction to add -> line of the row it corrects
    updates: list[dict[str, Any]] = []
    bad: list[int] = []
    for line, settlement_id, target_line, target_bad, existing, repeats, target_settlement in links:
        if target_bad:
            continue  # the corrected row is refused (reported on its line)
        if existing is not None:
            updates.append({"link_line": line, "target": None, "stored": existing})
            continue
        if target_settlement != settlement_id:
            plan.problem(
                line,
                "supersedes",
                f"the claim on line {target_line} is about another settlement: a correction "
                "is about the same settlement as the claim it corrects",
                f"line {target_line}",
            )
            bad.append(line)
            continue
        edges[line] = repeats or target_line
        updates.append({"link_line": line, "target": edges[line], "stored": None})
    for line in edges:
        chain = [line]
        step = edges.get(line)
        while step is not None and step not in chain:
            chain.append(step)
            step = edges.get(step)
        if step == line:
            loop = " → ".join(str(n) for n in [*chain, step])
            plan.problem(line, "supersedes", f"corrections form a loop (lines {loop})")
            bad.append(line)
    once = _corrected_once(connection, plan, [u for u in updates if u["link_line"] not in bad])
    bad += [u["link_line"] for u in updates if u["link_line"] not in once]
    updates = [u for u in updates if u["link_line"] in once]
    if updates:
        connection.execute(
            update(stage)
            .where(stage.c.line == bindparam("link_line"))
            .values(target_line=bindparam("target"), supersedes_id=bindparam("stored")),
            updates,
        )
    _mark_bad(connection, stage, bad)


def _corrected_once(
    connection: Connection, plan: ImportPlan, links: list[dict[str, Any]]
) -> set[int]:
    """The lines of corrections that may be added: a claim is corrected at most once, as the
    form and the review rule it. Refused: a second row correcting the same claim, and a row
    correcting a stored claim that an approved correction already replaced."""
    stored_ids = {link["stored"] for link in links if link["stored"] is not None}
    corrected: dict[int, int] = {}
    if stored_ids:
        rows = connection.execute(
            select(Claim.supersedes_id, func.min(Claim.id))
            .where(
                Claim.supersedes_id.in_(stored_ids),
                Claim.review_state == ReviewState.approved,
            )
            .group_by(Claim.supersedes_id)
        )
        corrected = {old: new for old, new in rows if old is not None}
    first_line: dict[tuple[str, int], int] = {}
    allowed: set[int] = set()
    for link in sorted(links, key=lambda link: link["link_line"]):
        line, stored = link["link_line"], link["stored"]
        target = ("claim", stored) if stored is not None else ("line", link["target"])
        named = f"claim #{stored}" if stored is not None else f"the claim on line {link['target']}"
        if stored in corrected:
            plan.problem(
                line,
                "supersedes",
                f"{named} was already corrected by claim #{corrected[stored]}: correct claim "
                f"#{corrected[stored]} instead",
            )
        elif target in first_line:
            plan.problem(
                line,
                "supersedes",
                f"{named} is already corrected by line {first_line[target]}: a claim is "
                "corrected once (correct the correction instead)",
            )
        else:
            first_line[target] = line
            allowed.add(line)
    return allowed


def _count(connection: Connection, plan: ImportPlan, stage: Table) -> None:
    """The plan's counts and lists, from the temporary table."""
    plan.refused_rows = connection.scalar(select(func.count()).where(stage.c.bad == true())) or 0
    plan.added = connection.scalar(select(func.count()).where(_to_add(stage))) or 0
    repeated = and_(
        stage.c.bad == false(),
        stage.c.existing_id.is_not(None) | stage.c.repeats_line.is_not(None),
    )
    plan.skipped_count = connection.scalar(select(func.count()).where(repeated)) or 0
    for line, existing, repeats in connection.execute(
        select(stage.c.line, stage.c.existing_id, stage.c.repeats_line)
        .where(repeated)
        .order_by(stage.c.line)
        .limit(MAX_PROBLEMS_SHOWN)
    ):
        if existing is not None:
            plan.skipped.append(
                SkippedRow(line, f"already recorded as claim #{existing}", existing)
            )
        else:
            plan.skipped.append(SkippedRow(line, f"repeats line {repeats} of this file"))
    # Problems in file order (a correction's are found after every row was read).
    plan.problems.sort(key=lambda p: p.line)
    columns = (
        stage.c.line,
        stage.c.settlement_text,
        stage.c.status,
        stage.c.as_of,
        stage.c.source_slug,
        stage.c.verification,
        stage.c.target_line,
        stage.c.supersedes_id,
    )
    for line, settlement, status, as_of, source, verification, target, stored in connection.execute(
        select(*columns).where(_to_add(stage)).order_by(stage.c.line).limit(PREVIEW_ROWS)
    ):
        plan.preview.append(
            {
                "line": line,
                "settlement": settlement,
                "status": status,
                "as_of": as_of.isoformat(),
                "source": source,
                "verification": verification,
                "corrects": f"line {target}" if target else f"claim #{stored}" if stored else "",
            }
        )


def _store_claims(session: Session, stage: Table, storing: _Storing) -> None:
    """Copy the rows to add into claims, with the ids given to them, in one statement."""
    connection = session.connection()
    to_add = _to_add(stage)
    ordered = select(stage.c.line).where(to_add).order_by(stage.c.line).subquery()
    if connection.dialect.name == "postgresql":
        # Ids from the claims' own sequence: a claim submitted meanwhile takes another.
        sequence = func.pg_get_serial_sequence(Claim.__tablename__, "id")
        new_id: Any = func.nextval(sequence)
    else:
        # SQLite: the write transaction holds the database, so the next ids are free.
        base = session.scalar(select(func.coalesce(func.max(Claim.id), 0))) or 0
        new_id = base + func.row_number().over(order_by=ordered.c.line)
    numbered = select(ordered.c.line, new_id.label("new_id")).subquery()
    connection.execute(
        update(stage).where(stage.c.line == numbered.c.line).values(new_id=numbered.c.new_id)
    )
    target = stage.alias("target")
    connection.execute(
        update(stage)
        .where(stage.c.target_line.is_not(None))
        .values(
            supersedes_id=select(target.c.new_id)
            .where(target.c.line == stage.c.target_line)
            .scalar_subquery()
        )
    )
    # Through the session: the content revision moves with the claims (app.revisions).
    session.execute(
        insert(Claim).from_select(
            ["id", *CLAIM_VALUE_COLUMNS],
            select(stage.c.new_id, *(stage.c[name] for name in CLAIM_VALUE_COLUMNS))
            .where(to_add)
            .order_by(stage.c.line),
        )
    )
    if storing.approve:
        # Approved claims show their sources, in this same transaction.
        source_ids = connection.scalars(select(stage.c.source_id).where(to_add).distinct())
        for source_id in sorted(source_ids):
            source = session.get(Source, source_id)
            if source is not None:
                sources_service.publish(session, source, actor=storing.user)


# --- settlements, sources, area figures ----------------------------------------------------


def _small_file(
    session: Session,
    plan: ImportPlan,
    rows: list[CsvRow],
    region_bounds: dict[str, Bounds] | None,
) -> None:
    if plan.kind is FileKind.settlements:
        _plan_settlements(session, plan, rows, region_bounds)
    elif plan.kind is FileKind.sources:
        _plan_sources(session, plan, rows)
    else:
        _plan_area_figures(session, plan, rows)
    plan.added = len(plan.add)
    plan.refused_rows = len({p.line for p in plan.problems})
    plan.preview = [_preview(item) for item in (plan.add + plan.update)[:PREVIEW_ROWS]]


def _preview(item: BaseModel) -> dict[str, Any]:
    if isinstance(item, SettlementIn):
        return {"settlement": item.slug, "name": item.name, "aliases": item.aliases}
    return item.model_dump(mode="json")


def _validated(plan: ImportPlan, row: CsvRow, model: type[Any], **context: Any) -> Any:
    """The row as ``model``, or None with its problems noted."""
    try:
        return model.model_validate(row.values, context=context or None)
    except ValidationError as error:
        for column, reason in field_errors(error.errors()).items():
            plan.problem(row.line, column or "lat", reason, row.values.get(column, ""))
        return None


def _plan_settlements(
    session: Session,
    plan: ImportPlan,
    rows: Sequence[CsvRow],
    region_bounds: dict[str, Bounds] | None,
) -> None:
    stored = {s.slug: s for s in session.scalars(select(Settlement))}
    spellings = _Spellings(stored.values())
    seen: dict[str, int] = {}
    for row in rows:
        item = _validated(plan, row, SettlementIn, region_bounds=region_bounds)
        if item is None:
            continue
        if item.slug in seen:
            plan.skip(row.line, f"repeats line {seen[item.slug]} of this file")
            continue
        seen[item.slug] = row.line
        current = stored.get(item.slug)
        new_aliases = [
            a
            for a in item.aliases.split(ALIAS_SEPARATOR)
            if a and (current is None or a not in current.alias_list)
        ]
        # The new spellings: a new settlement's slug and names, and aliases it did not have.
        if current is None:
            named = [
                ("slug", item.slug),
                ("name", item.name),
                ("name_uk", item.name_uk),
                ("name_ru", item.name_ru),
            ]
            checked, name = [(c, v) for c, v in named if v], item.name
        else:
            checked, name = [], current.name
        checked += [("aliases", alias) for alias in new_aliases]
        taken = spellings.taken(item.slug, name, checked)
        for column, spelling, owner in taken:
            plan.problem(
                row.line,
                column,
                f"“{spelling}” is already a spelling of {owner}: "
                + (
                    "claims by that name would go to the new settlement"
                    if column == "slug"
                    else "claims by that name would name no settlement (only settlements "
                    "of the same name share spellings)"
                ),
                spelling,
            )
        if taken:
            continue
        spellings.add(item.slug, name, [spelling for _, spelling in checked])
        if current is None:
            plan.add.append(item)
            continue
        if new_aliases:
            plan.update.append(
                item.model_copy(update={"aliases": ALIAS_SEPARATOR.join(new_aliases)})
            )
        else:
            plan.skip(row.line, f"settlement {item.slug} is already recorded")


class _Spellings:
    """Which settlements each folded spelling (slug, names, aliases) names, as claims resolve
    them. A new slug that is another settlement's spelling would take that spelling's claims
    to the new place (a slug wins); a new name or alias that is another's would leave the
    spelling naming none. Settlements of the same name (twin villages) share spellings, as
    they always could."""

    def __init__(self, settlements: Iterable[Settlement]) -> None:
        self.owners: dict[str, set[str]] = defaultdict(set)
        self.names: dict[str, str] = {}
        for settlement in settlements:
            search_key = settlements_service.search_key(settlement)
            self.add(settlement.slug, settlement.name, search_key.split("\n"))

    def add(self, slug: str, name: str, spellings: Iterable[str]) -> None:
        """A settlement's (English) name and spellings, as it is stored or will be."""
        self.names.setdefault(slug, name)
        for spelling in spellings:
            if spelling:
                self.owners[fold(spelling)].add(slug)

    def taken(
        self, slug: str, name: str, checked: list[tuple[str, str]]
    ) -> list[tuple[str, str, str]]:
        """(column, spelling, the other settlement) for each (column, spelling) of a row that is
        already another settlement's: any for the slug, one of another name for the rest."""
        found = []
        for column, value in checked:
            others = sorted(
                other
                for other in self.owners.get(fold(value), set()) - {slug}
                if column == "slug" or fold(self.names.get(other, "")) != fold(name)
            )
            if others:
                other = others[0]
                found.append((column, value, f"{self.names.get(other, other)} ({other})"))
        return found


def _plan_sources(session: Session, plan: ImportPlan, rows: Sequence[CsvRow]) -> None:
    """New sources are added; one already recorded (by slug) is left as it is."""
    seen: dict[str, int] = {}
    for row in rows:
        item = _validated(plan, row, SourceIn)
        if item is None:
            continue
        if item.slug in seen:
            plan.skip(row.line, f"repeats line {seen[item.slug]} of this file")
            continue
        seen[item.slug] = row.line
        if sources_service.get_by_slug(session, item.slug) is not None:
            plan.skip(row.line, f"source {item.slug} is already recorded")
            continue
        namesake = sources_service.named(session, item.name)
        if namesake is not None:
            # Sources are never merged silently, nor made twice under two slugs.
            plan.problem(
                row.line,
                "name",
                f"is the name of the recorded source {namesake.slug}: give that slug, or "
                "another name",
                item.name,
            )
            continue
        plan.add.append(item)


def _plan_area_figures(session: Session, plan: ImportPlan, rows: Sequence[CsvRow]) -> None:
    """One figure per date, holder and source (two sources may give two figures a day)."""
    sources = {slug: sid for slug, sid in session.execute(select(Source.slug, Source.id))}
    stored = {
        (as_of, holder, source_id)
        for as_of, holder, source_id in session.execute(
            select(AreaFigure.as_of, AreaFigure.holder, AreaFigure.source_id)
        )
    }
    seen: dict[tuple[Any, ...], int] = {}
    for row in rows:
        item = _validated(plan, row, AreaFigureIn)
        if item is None:
            continue
        source_id = sources.get(item.source)
        if source_id is None:
            plan.problem(row.line, "source", "no such source (slug)", item.source)
            continue
        key = (item.as_of, item.holder, source_id)
        if key in seen:
            plan.skip(row.line, f"repeats line {seen[key]} of this file")
        elif key in stored:
            plan.skip(row.line, "this figure (date, holder, source) is already recorded")
        else:
            seen[key] = row.line
            plan.add.append(item)


def _store_small_file(session: Session, plan: ImportPlan, storing: _Storing) -> None:
    """Each settlement, source or area figure stored is audited on its own, with its values
    before and after (the import's own event counts them)."""

    def audited(action: str, entity: str, entity_id: object, **change: Any) -> None:
        audit.record(session, action, entity, entity_id, actor=storing.user, **change)

    if plan.kind is FileKind.settlements:
        for item in plan.add:
            settlements_service.upsert(session, item.model_dump())
            audited("settlement.import", "settlement", item.slug, after=item.model_dump())
        for item in plan.update:
            known = settlements_service.get_by_slug(session, item.slug)
            assert known is not None  # planned as an update: it exists
            before = known.aliases
            merged = ALIAS_SEPARATOR.join([*known.alias_list, *item.aliases.split(ALIAS_SEPARATOR)])
            settlements_service.upsert(session, {"slug": item.slug, "aliases": merged})
            audited(
                "settlement.import",
                "settlement",
                item.slug,
                before={"aliases": before},
                after={"aliases": merged},
            )
    elif plan.kind is FileKind.sources:
        for item in plan.add:
            # An admin's sources are public; anyone else's wait, hidden, as the form's do.
            values = {**item.model_dump(), "public": storing.approve}
            source, _created = sources_service.upsert(session, values)
            session.flush()  # its id, which the audit names sources by
            audited("source.import", "source", source.id, after=values)
    else:
        sources = {slug: sid for slug, sid in session.execute(select(Source.slug, Source.id))}
        for item in plan.add:
            values = item.model_dump(exclude={"source"})
            figure = AreaFigure(source_id=sources[item.source], **values)
            session.add(figure)
            session.flush()
            audited("area_figure.import", "area_figure", figure.id, after=item.model_dump())
    session.flush()


def _counts(plan: ImportPlan) -> dict[str, Any]:
    summary = plan.summary()
    return {k: summary[k] for k in ("kind", "rows", "added", "updated", "skipped")}


def lock_imports(session: Session) -> None:
    """One import commits at a time (SQLite: BEGIN IMMEDIATE already; PostgreSQL: a lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(0x4B54494D)))  # "KTIM"


def commit_import(
    session: Session,
    data: ImportSource,
    *,
    user: User | None,
    approve: bool,
    batch_id: str | None = None,
    filename: str = "",
    progress: Progress | None = None,
    region_bounds: dict[str, Bounds] | None = None,
    kind: FileKind | None = None,
    kinds: Collection[FileKind] = ALL_KINDS,
) -> ImportPlan:
    """Store a file's rows in the caller's write transaction, all or none (ImportRefused).

    The rows are checked again inside that transaction. Area figures are published at once,
    so they are stored only with ``approve`` (an admin's import).
    """
    lock_imports(session)
    pause_before_commit(session)  # a test hook: off unless KT_TEST_PAUSE_BEFORE_COMMIT is set
    storing = _Storing(user, approve, batch_id)
    plan = _run(session, data, progress, region_bounds, kind, kinds, storing)
    if plan.ok and plan.kind is FileKind.area_figures and not approve:
        plan.problem(
            1,
            "",
            "area figures are shown at once, without review: an admin imports them "
            "(kursk-tracker import FILE --approve)",
        )
        plan.refused_rows = max(plan.refused_rows, 1)
    if not plan.ok:
        raise ImportRefused(plan)
    if plan.kind is not FileKind.claims:
        _store_small_file(session, plan, storing)
    audit.record(
        session,
        "import.commit",
        "import",
        batch_id or "",
        actor=user,
        after={"file": filename, "approved": approve, **_counts(plan)},
    )
    return plan
