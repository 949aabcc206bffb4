"""Imports: each uploaded file is kept with its outcome, and every imported claim points at it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, str_enum, utcnow

if TYPE_CHECKING:
    from app.accounts.models import User


class ImportKind(enum.StrEnum):
    claims = "claims"
    settlements = "settlements"


class ImportState(enum.StrEnum):
    uploaded = "uploaded"  # stored, not yet checked
    checked = "checked"  # dry run done: see summary
    committed = "committed"
    refused = "refused"  # had bad rows: nothing stored


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(str_enum(ImportKind, "import_kind"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approve: Mapped[bool] = mapped_column(default=False)
    state: Mapped[ImportState] = mapped_column(
        str_enum(ImportState, "import_state"), default=ImportState.uploaded
    )
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    committed_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User | None] = relationship()
