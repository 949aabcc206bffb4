"""A source's track record: how its claims fared. Pure functions over plain values.

For each approved claim of a source, one outcome:

- ``confirmed``: the claim itself was independently confirmed, or an independently confirmed
  claim from another source asserted the same status within ``HORIZON_DAYS`` after it;
- ``refuted``: the claim was marked refuted, or such a confirmed claim asserted another status;
- otherwise, judged against the tracker's own derived status ``HORIZON_DAYS`` after the claim:
  ``borne_out`` if it was the status the claim asserted, ``contradicted`` if not;
- ``too_recent`` when that day has not come yet.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.claims.models import ControlStatus, Verification
from app.status.derive import Derived

HORIZON_DAYS = 30


class Outcome(enum.StrEnum):
    confirmed = "confirmed"
    refuted = "refuted"
    borne_out = "borne_out"
    contradicted = "contradicted"
    too_recent = "too_recent"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    Outcome.confirmed: "confirmed",
    Outcome.refuted: "refuted",
    Outcome.borne_out: f"borne out {HORIZON_DAYS} days later",
    Outcome.contradicted: f"contradicted {HORIZON_DAYS} days later",
    Outcome.too_recent: "too recent to judge",
}


@dataclass(frozen=True, slots=True)
class JudgedClaim:
    id: int
    settlement_id: int
    source_id: int
    status: ControlStatus
    as_of: date
    verification: Verification


@dataclass(frozen=True, slots=True)
class TrackRecord:
    outcomes: dict[int, Outcome]  # claim id -> outcome

    @property
    def counts(self) -> Counter[Outcome]:
        return Counter(self.outcomes.values())

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def judged(self) -> int:
        return self.total - self.counts[Outcome.too_recent]

    def share(self, outcome: Outcome) -> float | None:
        """The share of judged claims with this outcome (None when nothing is judged)."""
        return self.counts[outcome] / self.judged if self.judged else None


def judge(
    claim: JudgedClaim,
    confirmations: Iterable[JudgedClaim],
    status_on: Callable[[int, date], Derived],
    today: date,
    horizon_days: int = HORIZON_DAYS,
) -> Outcome:
    if claim.verification == Verification.confirmed:
        return Outcome.confirmed
    if claim.verification == Verification.refuted:
        return Outcome.refuted
    horizon = claim.as_of + timedelta(days=horizon_days)
    later = [
        c
        for c in confirmations
        if c.settlement_id == claim.settlement_id
        and c.source_id != claim.source_id
        and claim.as_of <= c.as_of <= horizon
    ]
    if later:
        decisive = max(later, key=lambda c: (c.as_of, c.id))
        return Outcome.confirmed if decisive.status == claim.status else Outcome.refuted
    if horizon > today:
        return Outcome.too_recent
    derived = status_on(claim.settlement_id, horizon)
    return Outcome.borne_out if derived.status == claim.status else Outcome.contradicted


def track_record(
    claims: Sequence[JudgedClaim],
    confirmations: Sequence[JudgedClaim],
    status_on: Callable[[int, date], Derived],
    today: date,
) -> TrackRecord:
    by_settlement: dict[int, list[JudgedClaim]] = {}
    for c in confirmations:
        by_settlement.setdefault(c.settlement_id, []).append(c)
    return TrackRecord(
        {
            claim.id: judge(claim, by_settlement.get(claim.settlement_id, ()), status_on, today)
            for claim in claims
        }
    )
