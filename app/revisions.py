"""The content revision: a counter that every write to what readers see moves forward.

Caches (the region's derived history, status tables, rendered pages) are keyed on it, so
that none of them can serve anything older than the data: a write that touches claims,
settlements, sources or area figures bumps the counter in its own transaction, whether it went
through a flush or an ORM bulk statement. A second counter moves only with the settlements
table: the settlement directory is keyed on it. Reading both is one tiny query.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, Database, read_value

CONTENT_TABLES = frozenset({"claims", "settlements", "sources", "area_figures"})


# The rows of ``content_revision``: every write to content moves the first; a write to the
# settlements table also moves the second, which keys what depends on settlements alone (the
# directory of names), so that a claim's approval does not throw it away.
CONTENT = 1
SETTLEMENTS = 2
SETTLEMENTS_TABLE = "settlements"


class ContentRevision(Base):
    __tablename__ = "content_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


# The one query read_current sends, written once.
_CURRENT_SQL = f"SELECT value FROM {ContentRevision.__tablename__} WHERE id = {CONTENT}"


def _read(session: Session) -> None:
    """Both counters in one query, once per session."""
    rows = session.execute(
        select(ContentRevision.id, ContentRevision.value).where(
            ContentRevision.id.in_((CONTENT, SETTLEMENTS))
        )
    )
    values: dict[int, int] = {row_id: value for row_id, value in rows}
    content = values.get(CONTENT) or 0
    session.info["content_revision"] = content
    # A database without the second row (before migration 0010) keys the directory on the
    # first; the migration starts the second at the first's value, so the directory's key
    # does not jump back when the row appears.
    session.info["settlements_revision"] = values.get(SETTLEMENTS, content) or 0


def read_current(database: Database) -> int:
    """The revision now, read outside any session: for the page cache, which needs it before
    the request's session exists (and on every request, so straight through the driver)."""
    return int(read_value(database, _CURRENT_SQL) or 0)


def current(session: Session) -> int:
    """The revision this session sees (read once per session: one query per request)."""
    if "content_revision" not in session.info:
        _read(session)
    revision: int = session.info["content_revision"]
    return revision


def of_settlements(session: Session) -> int:
    """The revision of the settlements table this session sees (read with ``current``)."""
    if "settlements_revision" not in session.info:
        _read(session)
    revision: int = session.info["settlements_revision"]
    return revision


def _bump(session: Session, *, settlements: bool) -> None:
    session.info.pop("content_revision", None)
    session.info.pop("settlements_revision", None)
    rows = (CONTENT, SETTLEMENTS) if settlements else (CONTENT,)
    session.connection().execute(
        update(ContentRevision)
        .where(ContentRevision.id.in_(rows))
        .values(value=ContentRevision.value + 1)
    )


def bump_everything(session: Session) -> None:
    """Move both counters (derived tables rewritten from scratch): every server's caches
    are built again."""
    _bump(session, settlements=True)


def _tables(objects: Any) -> set[str]:
    return {name for o in objects if (name := getattr(o, "__tablename__", None)) is not None}


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    touched = _tables(session.new) | _tables(session.dirty) | _tables(session.deleted)
    if touched & CONTENT_TABLES:
        _bump(session, settlements=SETTLEMENTS_TABLE in touched)


@event.listens_for(Session, "do_orm_execute")
def _on_bulk(state: Any) -> None:
    # session.execute(insert(Claim), rows) and friends do not flush: count them here.
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        name = getattr(table, "name", None)
        if name in CONTENT_TABLES:
            _bump(state.session, settlements=name == SETTLEMENTS_TABLE)
