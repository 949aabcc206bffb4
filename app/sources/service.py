"""Sources: look-ups and the upsert used by seeding and imports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.sources.models import Source


def get_by_slug(session: Session, slug: str) -> Source | None:
    return session.scalar(select(Source).where(Source.slug == slug))


def list_sources(session: Session) -> Sequence[Source]:
    return session.scalars(select(Source).order_by(Source.side, Source.name)).all()


def upsert(session: Session, values: dict[str, Any]) -> tuple[Source, bool]:
    source = get_by_slug(session, values["slug"])
    created = source is None
    if source is None:
        source = Source(slug=values["slug"])
        session.add(source)
    for key, value in values.items():
        setattr(source, key, value)
    return source, created
