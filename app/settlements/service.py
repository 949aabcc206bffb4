"""Settlements: look-ups, search and the writes that keep the search key in step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.settlements.models import ALIAS_SEPARATOR, Settlement
from app.text import fold


def search_key(settlement: Settlement) -> str:
    """Every name and spelling of a settlement, folded, one per line."""
    names = [
        settlement.slug,
        settlement.name,
        settlement.name_uk,
        settlement.name_ru,
        *settlement.alias_list,
    ]
    return "\n".join(fold(n) for n in names if n)


def get_by_slug(session: Session, slug: str) -> Settlement | None:
    return session.scalar(select(Settlement).where(Settlement.slug == slug))


def search_query(q: str = "", district: str = "") -> Select[tuple[Settlement]]:
    """Settlements whose name, Ukrainian or Russian name, or an alias contains ``q``."""
    stmt = select(Settlement).order_by(Settlement.name)
    if q.strip():
        # LIKE wildcards in the query are matched literally.
        needle = fold(q.strip()).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Settlement.search_key.like(f"%{needle}%", escape="\\"))
    if district:
        stmt = stmt.where(Settlement.district == district)
    return stmt


def search(session: Session, q: str = "", district: str = "") -> Sequence[Settlement]:
    return session.scalars(search_query(q, district)).all()


def matching_ids(session: Session, q: str) -> set[int]:
    """Ids of the settlements a search for ``q`` finds."""
    return set(session.scalars(search_query(q).with_only_columns(Settlement.id)))


def districts(session: Session) -> list[str]:
    rows = session.scalars(
        select(Settlement.district).where(Settlement.district != "").distinct()
    ).all()
    return sorted(rows)


def upsert(session: Session, values: dict[str, Any]) -> tuple[Settlement, bool]:
    """Insert a settlement, or update the one with the same slug. Returns (row, created)."""
    settlement = get_by_slug(session, values["slug"])
    created = settlement is None
    if settlement is None:
        settlement = Settlement(slug=values["slug"])
        session.add(settlement)
    for key, value in values.items():
        setattr(settlement, key, value)
    settlement.search_key = search_key(settlement)
    return settlement, created


def join_aliases(aliases: list[str]) -> str:
    return ALIAS_SEPARATOR.join(a.strip() for a in aliases if a.strip())
