"""The places claims are about."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, str_enum, utcnow

ALIAS_SEPARATOR = "|"


class LocationPrecision(enum.StrEnum):
    exact = "exact"
    approximate = "approximate"
    unknown = "unknown"


class SettlementNames:
    """What the ORM row and the cached directory row of a settlement both derive."""

    __slots__ = ()
    aliases: str
    lat: float | None
    lon: float | None

    @property
    def alias_list(self) -> list[str]:
        return [a for a in self.aliases.split(ALIAS_SEPARATOR) if a]

    @property
    def has_coordinates(self) -> bool:
        return self.lat is not None and self.lon is not None


class Settlement(SettlementNames, Base):
    __tablename__ = "settlements"
    __table_args__ = (
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon_range"),
        CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="lat_lon_together"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_uk: Mapped[str] = mapped_column(String(200), default="")
    name_ru: Mapped[str] = mapped_column(String(200), default="")
    # Other spellings joined with "|", exactly as the CSV carries them.
    aliases: Mapped[str] = mapped_column(Text, default="")
    district: Mapped[str] = mapped_column(String(200), default="", index=True)
    region: Mapped[str] = mapped_column(String(200), default="Kursk")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_precision: Mapped[LocationPrecision] = mapped_column(
        str_enum(LocationPrecision, "location_precision"), default=LocationPrecision.unknown
    )
    population: Mapped[int | None] = mapped_column(Integer)
    # Every name and alias, case-folded: SQLite's LOWER() folds ASCII only, so a search for
    # "гуево" needs a key folded in Python. Kept in step by the service that writes settlements.
    search_key: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Settlement {self.slug}>"
