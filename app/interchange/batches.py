"""Web imports: an uploaded file is checked (a dry run), shown, then committed on request.

Checking and committing run in a worker thread so that a large file does not hold the
request; the page polls its progress (rows done / total). Progress lives in this process:
the outcome (summary, state) is written to the batch row, which any process can read.
"""

from __future__ import annotations

import io
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import audit
from app.accounts.models import Role, User
from app.accounts.service import NotAllowed, acting_user
from app.db import Database, utcnow
from app.faults import DatabaseFault, database_fault
from app.i18n import format_number, gettext, ngettext
from app.interchange.csv_io import read_stream
from app.interchange.importer import (
    WEB_KINDS,
    ImportRefused,
    commit_import,
    detect_kind,
    lock_imports,
    plan_import,
)
from app.interchange.models import ImportBatch, ImportKind, ImportState
from app.settlements.regions import Bounds

# A request waits this long for the work before answering with a progress page.
WAIT_SECONDS = 2.0


@dataclass
class Progress:
    phase: str  # "checking" or "committing"
    done: int = 0
    total: int = 0
    finished: bool = False
    # Why the work stopped when the database refused it: it cannot be written to the batch.
    fault: str | None = None


_progress: dict[str, Progress] = {}
_lock = threading.Lock()


def progress_of(batch_id: str) -> Progress | None:
    with _lock:
        return _progress.get(batch_id)


def _reporter(batch_id: str, phase: str) -> Any:
    with _lock:
        _progress[batch_id] = Progress(phase)

    def report(done: int, total: int) -> None:
        with _lock:
            entry = _progress[batch_id]
            entry.done, entry.total = done, total

    return report


def _finish(batch_id: str, fault: DatabaseFault | None = None) -> None:
    with _lock:
        if batch_id in _progress:
            _progress[batch_id].finished = True
            _progress[batch_id].fault = fault.sentence() if fault else None


def create(
    session: Session, *, user: User, filename: str, content: bytes, approve: bool
) -> ImportBatch:
    try:
        header, _rows = read_stream(io.BytesIO(content))  # reads the header only
        detected = detect_kind(header)
        # Only the kinds the web import takes are kept with a batch; the check refuses others.
        kind = ImportKind(detected.value) if detected in WEB_KINDS else ImportKind.claims
    except ValueError:
        kind = ImportKind.claims  # the check will say what is wrong with the file
    batch = ImportBatch(
        id=secrets.token_urlsafe(16),
        kind=kind,
        filename=filename[:255],
        content=content,
        user_id=user.id,
        approve=approve,
    )
    session.add(batch)
    session.flush()
    audit.record(
        session,
        "import.upload",
        "import",
        batch.id,
        actor=user,
        after={"file": batch.filename, "bytes": len(content), "approve": approve},
    )
    return batch


def get(session: Session, batch_id: str) -> ImportBatch | None:
    return session.get(ImportBatch, batch_id)


def recent(session: Session, user: User, limit: int = 10) -> list[ImportBatch]:
    return list(
        session.scalars(
            select(ImportBatch)
            .where(ImportBatch.user_id == user.id)
            .order_by(ImportBatch.created_at.desc())
            .limit(limit)
        )
    )


def check(
    database: Database, batch_id: str, region_bounds: dict[str, Bounds] | None = None
) -> None:
    """The dry run: plan every row, store the summary on the batch."""
    report = _reporter(batch_id, "checking")
    fault = None
    try:
        with database.read_session() as session:
            batch = session.get(ImportBatch, batch_id)
            assert batch is not None
            plan = plan_import(
                session, batch.content, report, region_bounds=region_bounds, kinds=WEB_KINDS
            )
        with database.writing() as session:
            batch = session.get(ImportBatch, batch_id)
            assert batch is not None
            if batch.state != ImportState.committed:
                batch.summary = plan.summary()
                batch.state = ImportState.checked if plan.ok else ImportState.refused
    except Exception as error:
        fault = database_fault(error)
        if fault is None:
            raise
    finally:
        _finish(batch_id, fault)


def confirmation(batch: ImportBatch) -> str:
    """What a committed import stored, in a sentence: "Imported 120 claims from gornal.csv …"."""
    summary = batch.summary or {}
    added, kind = summary.get("added", 0), summary.get("kind") or "rows"
    values = {"num": format_number(added), "file": batch.filename}
    if kind == "claims":
        imported = ngettext(
            "Imported %(num)s claim from %(file)s", "Imported %(num)s claims from %(file)s", added
        )
        state = gettext(", approved") if batch.approve else gettext(", waiting for review")
    elif kind == "settlements":
        imported = ngettext(
            "Imported %(num)s settlement from %(file)s",
            "Imported %(num)s settlements from %(file)s",
            added,
        )
        state = ""
    else:
        imported = ngettext(
            "Imported %(num)s row from %(file)s", "Imported %(num)s rows from %(file)s", added
        )
        state = ""
    skipped = summary.get("skipped", 0)
    tail = (
        ngettext(
            "; %(num)s skipped as already recorded",
            "; %(num)s skipped as already recorded",
            skipped,
        )
        % {"num": format_number(skipped)}
        if skipped
        else ""
    )
    return f"{imported % values}{state}{tail}."


def required_role(batch: ImportBatch) -> Role:
    """Who may commit a batch: an admin when it was uploaded to be approved, else an editor."""
    return Role.admin if batch.approve else Role.editor


def commit(
    database: Database,
    batch_id: str,
    user_id: int,
    region_bounds: dict[str, Bounds] | None = None,
) -> None:
    """Store the batch's rows in one transaction, with the batch marked committed in it.

    The uploader's role is read again inside that transaction: the approval was decided at
    upload, but it is carried out now, with the rights the uploader has now.
    """
    report = _reporter(batch_id, "committing")
    fault = None
    try:
        _commit(database, batch_id, user_id, report, region_bounds)
    except Exception as error:
        # Nothing was stored: the batch stays as it was, ready to be confirmed again.
        fault = database_fault(error)
        if fault is None:
            raise
    finally:
        _finish(batch_id, fault)


def _commit(
    database: Database,
    batch_id: str,
    user_id: int,
    report: Any,
    region_bounds: dict[str, Bounds] | None,
) -> None:
    try:
        with database.writing() as session:
            lock_imports(session)  # before reading the state: a double click commits once
            batch = session.get(ImportBatch, batch_id)
            assert batch is not None
            if batch.state == ImportState.committed:
                return
            user = acting_user(session, user_id, required_role(batch))
            plan = commit_import(
                session,
                batch.content,
                user=user,
                approve=batch.approve,
                batch_id=batch.id,
                filename=batch.filename,
                progress=report,
                region_bounds=region_bounds,
                kinds=WEB_KINDS,
            )
            batch.summary = plan.summary()
            batch.state = ImportState.committed
            batch.committed_at = utcnow()
    except ImportRefused as refused:
        with database.writing() as session:
            batch = session.get(ImportBatch, batch_id)
            assert batch is not None
            batch.summary = refused.plan.summary()
            batch.state = ImportState.refused
    except NotAllowed as refused:
        # The role was lowered after the request was let through: nothing of the file is
        # stored, and the batch says why (it stays checked: someone allowed may commit it).
        with database.writing() as session:
            batch = session.get(ImportBatch, batch_id)
            assert batch is not None
            batch.summary = {**(batch.summary or {}), "refusal": str(refused)}


def run(target: Any, *args: Any) -> None:
    """Start the work in a thread and give it a moment: small files finish before we answer."""
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    thread.join(WAIT_SECONDS)
