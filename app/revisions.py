"""The content revision: a counter that every write to what readers see moves forward.

Caches (the region's derived history, the settlement directory, rendered pages) are keyed on
it, so that none of them can serve anything older than the data: a write that touches claims,
settlements, sources or area figures bumps the counter in its own transaction, whether it went
through a flush or an ORM bulk statement. Reading it is one tiny query.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base

CONTENT_TABLES = frozenset({"claims", "settlements", "sources", "area_figures"})


class ContentRevision(Base):
    __tablename__ = "content_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


def current(session: Session) -> int:
    """The revision this session sees (read once per session: one query per request)."""
    if "content_revision" not in session.info:
        session.info["content_revision"] = (
            session.scalar(select(ContentRevision.value).where(ContentRevision.id == 1)) or 0
        )
    revision: int = session.info["content_revision"]
    return revision


def _bump(session: Session) -> None:
    session.info.pop("content_revision", None)
    session.connection().execute(
        update(ContentRevision)
        .where(ContentRevision.id == 1)
        .values(value=ContentRevision.value + 1)
    )


def _touches_content(objects: Any) -> bool:
    return any(getattr(o, "__tablename__", None) in CONTENT_TABLES for o in objects)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    if (
        _touches_content(session.new)
        or _touches_content(session.dirty)
        or _touches_content(session.deleted)
    ):
        _bump(session)


@event.listens_for(Session, "do_orm_execute")
def _on_bulk(state: Any) -> None:
    # session.execute(insert(Claim), rows) and friends do not flush: count them here.
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in CONTENT_TABLES:
            _bump(state.session)
