"""Settlements: look-ups, search and the writes that keep the search key in step."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import revisions
from app.cache import RevisionCache, database_key
from app.settlements.models import (
    LocationPrecision,
    Settlement,
    SettlementNames,
)
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


@dataclass(frozen=True, slots=True)
class SettlementRow(SettlementNames):
    """A settlement as lists, maps and exports show it: read-only, shared between requests."""

    id: int
    slug: str
    name: str
    name_uk: str
    name_ru: str
    aliases: str
    district: str
    region: str
    lat: float | None
    lon: float | None
    location_precision: LocationPrecision
    search_key: str


class Directory:
    """Every settlement, in name order, with the one search the whole app uses."""

    def __init__(self, rows: list[SettlementRow]) -> None:
        self.rows = rows
        self.by_id = {r.id: r for r in rows}
        self.by_slug = {r.slug: r for r in rows}
        self.districts = sorted({r.district for r in rows if r.district})
        # Every folded spelling -> the settlements it names (some names are shared).
        self.by_spelling: dict[str, list[SettlementRow]] = defaultdict(list)
        for r in rows:
            for spelling in set(r.search_key.split("\n")):
                self.by_spelling[spelling].append(r)

    def resolve(self, text: str) -> SettlementRow | None:
        """A settlement by slug, or by a name or spelling that names exactly one settlement."""
        text = text.strip()
        if not text:
            return None
        if text.lower() in self.by_slug:
            return self.by_slug[text.lower()]
        named = self.by_spelling.get(fold(text), [])
        return named[0] if len(named) == 1 else None

    def search(self, q: str = "", district: str = "") -> list[SettlementRow]:
        """Settlements whose name, Ukrainian or Russian name, or an alias contains ``q``."""
        needle = fold(q.strip())
        return [
            r
            for r in self.rows
            if (not needle or needle in r.search_key) and (not district or r.district == district)
        ]


_directories: RevisionCache[Directory] = RevisionCache()


def directory(session: Session, *, with_ids: Collection[int] = ()) -> Directory:
    """The settlement directory, loaded once per revision of the settlements table (a claim
    written or reviewed keeps it: 5,000 rows read again cost 20-25 ms).

    ``with_ids``: settlements the caller is about to look up. A server of an older release
    moves only the content revision when it writes a settlement (during a rolling deploy,
    docs/DEPLOY.md): one it added is then missing here, and is read in rather than failing.
    """
    key = database_key(session)
    revision = revisions.of_settlements(session)
    cached = _directories.get(key, revision)
    if cached is not None and all(i in cached.by_id for i in with_ids):
        return cached
    columns = [getattr(Settlement, f.name) for f in fields(SettlementRow)]
    rows = [
        SettlementRow(*row)
        for row in session.execute(select(*columns).order_by(Settlement.name, Settlement.id))
    ]
    return _directories.put(key, revision, Directory(rows))


def search(session: Session, q: str = "", district: str = "") -> list[SettlementRow]:
    return directory(session).search(q, district)


def districts(session: Session) -> list[str]:
    return directory(session).districts


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
