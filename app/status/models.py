"""Region-level figures: area held by a side, as stated by a source on a date."""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, str_enum

if TYPE_CHECKING:
    from app.sources.models import Source


class Holder(enum.StrEnum):
    russia = "russia"
    ukraine = "ukraine"


class AreaFigure(Base):
    __tablename__ = "area_figures"
    __table_args__ = (
        CheckConstraint("area_km2 >= 0", name="area_not_negative"),
        UniqueConstraint("as_of", "holder", "source_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    holder: Mapped[Holder] = mapped_column(str_enum(Holder, "holder"))
    area_km2: Mapped[float] = mapped_column(Float)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    source_url: Mapped[str] = mapped_column(String(2000), default="")
    summary: Mapped[str] = mapped_column(Text, default="")

    source: Mapped[Source] = relationship(lazy="joined", innerjoin=True)


class StatusChange(Base):
    """A change of a settlement's derived status, as known now (``app/freshness.py``).

    Derived data, kept in the same transaction as the claims it comes from, so that a fresh
    server answers "since when" and "what changed" without deriving every claim first.
    """

    __tablename__ = "status_changes"
    __table_args__ = (Index("ix_status_changes_day_settlement", "day", "settlement_id"),)

    settlement_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    before: Mapped[str] = mapped_column(String(20))
    after: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(20))
    claim_ids: Mapped[str] = mapped_column(
        Text, default=""
    )  # deciding or conflicting, newest first
    sides: Mapped[str] = mapped_column(String(40), default="")  # the sides of the sources behind it


class DerivedMark(Base):
    """When a settlement's status changes were last derived, and with which window.

    ``revision`` is the content revision of that write: caches built at an older revision
    derive again exactly the settlements marked after it.
    """

    __tablename__ = "derived_marks"

    settlement_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    window_days: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, index=True)


class PublicationDay(Base):
    """A day on which approved claims about a settlement were published, with the most days
    one of them came after its date (``app/freshness.py``).

    Derived like ``status_changes``, in the transaction of the claims: the days readers step
    through as reported then, and how far back a late claim can reach, are read from here
    (a row per settlement and day) instead of from every claim.
    """

    __tablename__ = "publication_days"
    # By day: the nearest publication days either side of a date, and every day in order;
    # by delay: the longest, in one look-up.
    __table_args__ = (
        Index("ix_publication_days_day_delay", "day", "delay"),
        Index("ix_publication_days_delay", "delay"),
    )

    settlement_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    delay: Mapped[int] = mapped_column(Integer)
