"""Claims: one dated assertion, by one source, about one settlement. Never edited once approved."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, str_enum, utcnow

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.interchange.models import ImportBatch
    from app.settlements.models import Settlement
    from app.sources.models import Source

SUMMARY_MAX_LENGTH = 2000
URL_MAX_LENGTH = 2000


# The vocabulary lives in app.domain (no dependencies); re-exported here for the models' users.
from app.domain import ASSERTABLE_STATUSES as ASSERTABLE_STATUSES  # noqa: E402
from app.domain import STATUS_LABELS as STATUS_LABELS  # noqa: E402
from app.domain import STATUS_OF as STATUS_OF  # noqa: E402
from app.domain import VERIFICATION_OF as VERIFICATION_OF  # noqa: E402
from app.domain import ControlStatus as ControlStatus  # noqa: E402
from app.domain import ReviewState as ReviewState  # noqa: E402
from app.domain import Verification as Verification  # noqa: E402


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint("published_on >= as_of", name="published_not_before_as_of"),
        # The derivation query: approved claims of a settlement up to a date, with what the
        # rule reads of each (a settlement's window is read from the index alone).
        Index(
            "ix_claims_settlement_state_as_of",
            "settlement_id",
            "review_state",
            "as_of",
            "published_on",
            "status",
            "verification",
            "source_id",
        ),
        Index("ix_claims_source_as_of", "source_id", "as_of"),
        Index("ix_claims_review_state_created", "review_state", "created_at"),
        # Approved claims by date: exports, the API's pages and "latest claims" read this order.
        Index("ix_claims_state_as_of_id", "review_state", "as_of", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    status: Mapped[ControlStatus] = mapped_column(str_enum(ControlStatus, "control_status"))
    as_of: Mapped[date] = mapped_column(Date)
    published_on: Mapped[date] = mapped_column(Date)
    source_url: Mapped[str] = mapped_column(String(URL_MAX_LENGTH), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    verification: Mapped[Verification] = mapped_column(
        str_enum(Verification, "verification"), default=Verification.unverified
    )
    review_state: Mapped[ReviewState] = mapped_column(
        str_enum(ReviewState, "review_state"), default=ReviewState.pending
    )
    review_note: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(index=True)
    # A correction points at the claim it replaces; the replaced claim is kept.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    # Optimistic locking for review: a decision names the version it saw.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The file a claim came from, when it was imported (its provenance; one audit event per file).
    import_id: Mapped[str | None] = mapped_column(ForeignKey("import_batches.id"), index=True)

    settlement: Mapped[Settlement] = relationship(lazy="joined", innerjoin=True)
    source: Mapped[Source] = relationship(lazy="joined", innerjoin=True)
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    supersedes: Mapped[Claim | None] = relationship(remote_side=[id])
    import_batch: Mapped[ImportBatch | None] = relationship()

    @property
    def origin(self) -> str:
        """Where the claim came from: "demo" (the demo dataset), "import" (a file), or "form".

        The demo's claims are stored approved by nobody; an import (web or command line) is
        marked by its batch or its note; a claim submitted through the form has its editor.
        """
        if self.import_id is not None or self.review_note == IMPORT_NOTE:
            return "import"
        if self.submitted_by_id is None:
            demo = self.reviewed_by_id is None and self.review_state == ReviewState.approved
            return "demo" if demo else "import"
        return "form"

    def __repr__(self) -> str:
        return f"<Claim {self.id} {self.status} {self.as_of}>"


# The note an import leaves on the claims it stores approved (app/interchange/importer.py).
IMPORT_NOTE = "approved on import"


# The classes the relationships above name by string: imported here (at the end, as they
# import nothing of this module at load time) so that a Claim query works whichever module
# a program imported first.
from app.accounts.models import User  # noqa: E402
from app.interchange.models import ImportBatch  # noqa: E402
from app.settlements.models import Settlement  # noqa: E402
from app.sources.models import Source  # noqa: E402
