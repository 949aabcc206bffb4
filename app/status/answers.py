"""The dashboard's answer card: who holds a place on the date shown, since when, on whose word.

Built on the status service's public functions only (the rows it derived, and the claims by
id): each answer names the claims that decide the status, or, for a conflict, the competing
claims of each side, so the card can say "on whose word" without another page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.claims import service as claims_service
from app.claims.service import ClaimRecord
from app.sources.models import Side
from app.status.service import SettlementStatus

# Sides in the order a card lists them: the two belligerents, then everyone else.
SIDE_ORDER = (Side.russia, Side.ukraine, Side.neutral)


@dataclass(frozen=True, slots=True)
class Answer:
    """One settlement's status with the claims behind it, newest first."""

    row: SettlementStatus
    claims: list[ClaimRecord]

    @property
    def disputed(self) -> bool:
        """True when the status is a conflict between sides: the card names each side."""
        return not self.row.derived.deciding_claim_ids and bool(
            self.row.derived.conflicting_claim_ids
        )

    @property
    def by_side(self) -> list[tuple[Side, list[ClaimRecord]]]:
        """The claims grouped by their source's side, sides without claims left out."""
        grouped = [(side, [c for c in self.claims if c.source.side == side]) for side in SIDE_ORDER]
        return [(side, claims) for side, claims in grouped if claims]


def claim_ids_behind(row: SettlementStatus) -> tuple[int, ...]:
    """The claims a reader must see to trust a status: the deciding ones, else the competing
    ones of a conflict, else the window's newest."""
    derived = row.derived
    return derived.deciding_claim_ids or derived.conflicting_claim_ids or derived.window_claim_ids


def answers(session: Session, rows: Sequence[SettlementStatus]) -> list[Answer]:
    """An answer per row, with its claims: one query for all of them."""
    claims = claims_service.records_by_ids(session, (i for r in rows for i in claim_ids_behind(r)))
    result = []
    for row in rows:
        behind = [claims[i] for i in claim_ids_behind(row) if i in claims]
        behind.sort(key=lambda c: (c.as_of, c.id), reverse=True)
        result.append(Answer(row, behind))
    return result
