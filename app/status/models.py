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
