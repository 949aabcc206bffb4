"""Who said it: the organisations and channels that make claims."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, str_enum, utcnow
from app.i18n import N_, gettext


class SourceKind(enum.StrEnum):
    government = "government"
    military = "military"
    state_media = "state_media"
    independent_media = "independent_media"
    osint = "osint"
    other = "other"


# Re-exported from the dependency-free vocabulary (app.domain).
from app.domain import SIDE_OF as SIDE_OF  # noqa: E402
from app.domain import Side as Side  # noqa: E402


class Reliability(enum.StrEnum):
    """Admiralty code: A completely reliable … E unreliable, F cannot be judged."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"

    @property
    def meaning(self) -> str:
        """In words: a bare "F" reads as "fail", when it means "not yet judged"."""
        return gettext(RELIABILITY_MEANINGS[self])


RELIABILITY_MEANINGS = {
    Reliability.A: N_("completely reliable"),
    Reliability.B: N_("usually reliable"),
    Reliability.C: N_("fairly reliable"),
    Reliability.D: N_("not usually reliable"),
    Reliability.E: N_("unreliable"),
    Reliability.F: N_("not yet judged"),
}


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SourceKind] = mapped_column(str_enum(SourceKind, "source_kind"))
    side: Mapped[Side] = mapped_column(str_enum(Side, "side"))
    reliability: Mapped[Reliability] = mapped_column(
        str_enum(Reliability, "reliability"), default=Reliability.F
    )
    homepage: Mapped[str] = mapped_column(String(2000), default="")
    # Shown to readers (pages, API, exports, feeds). A source an editor proposes with a claim
    # is not, until a reviewer approves one of its claims: a name typed once, unreviewed,
    # should not appear as a source of the tracker. Seeded and admin-made sources are public.
    public: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Source {self.slug}>"
