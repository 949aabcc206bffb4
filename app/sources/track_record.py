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
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import NamedTuple

from app.claims.models import ControlStatus, Verification
from app.i18n import N_, gettext
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
        return gettext(OUTCOME_LABELS[self]) % {"days": HORIZON_DAYS}


OUTCOME_LABELS = {
    Outcome.confirmed: N_("confirmed"),
    Outcome.refuted: N_("refuted"),
    Outcome.borne_out: N_("borne out %(days)s days later"),
    Outcome.contradicted: N_("contradicted %(days)s days later"),
    Outcome.too_recent: N_("too recent to judge"),
}


class JudgedClaim(NamedTuple):
    id: int
    settlement_id: int
    source_id: int
    status: ControlStatus
    as_of: date
    verification: Verification


class TrackRecord:
    """Each judged claim's outcome, and the counts a page shows (counted once)."""

    def __init__(self, outcomes: dict[int, Outcome]) -> None:
        self.outcomes = outcomes
        self.counts: Counter[Outcome] = Counter(outcomes.values())
        self.total = len(outcomes)
        self.judged = self.total - self.counts[Outcome.too_recent]

    def share(self, outcome: Outcome) -> float | None:
        """The share of judged claims with this outcome (None when nothing is judged)."""
        return self.counts[outcome] / self.judged if self.judged else None


class Confirmations:
    """Independently confirmed claims per settlement, by date: who said what, and when."""

    def __init__(self, confirmations: Iterable[JudgedClaim]) -> None:
        by_settlement: dict[int, list[JudgedClaim]] = {}
        for c in confirmations:
            by_settlement.setdefault(c.settlement_id, []).append(c)
        self._claims = {
            sid: sorted(cs, key=lambda c: (c.as_of, c.id)) for sid, cs in by_settlement.items()
        }
        self._days = {sid: [c.as_of for c in cs] for sid, cs in self._claims.items()}

    def between(self, settlement_id: int, first: date, last: date) -> list[JudgedClaim]:
        claims = self._claims.get(settlement_id)
        if not claims:
            return []
        days = self._days[settlement_id]
        return claims[bisect_left(days, first) : bisect_right(days, last)]


def judge(
    claim: JudgedClaim,
    confirmations: Confirmations,
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
        for c in confirmations.between(claim.settlement_id, claim.as_of, horizon)
        if c.source_id != claim.source_id
    ]
    if later:
        decisive = later[-1]  # the latest, as they are sorted by date
        return Outcome.confirmed if decisive.status == claim.status else Outcome.refuted
    if horizon > today:
        return Outcome.too_recent
    derived = status_on(claim.settlement_id, horizon)
    return Outcome.borne_out if derived.status == claim.status else Outcome.contradicted


# One claim's outcome: (source id, claim id, outcome).
Judgement = tuple[int, int, Outcome]


def judge_by_settlement(
    claims: Sequence[JudgedClaim], status_on: Callable[[int, date], Derived], today: date
) -> dict[int, list[Judgement]]:
    """Every claim's outcome, grouped by settlement.

    An outcome depends on its settlement's claims and derived history alone, so after a
    write only the claims of the settlements it touched need judging again.
    """
    confirmations = Confirmations(c for c in claims if c.verification == Verification.confirmed)
    judged: dict[int, list[Judgement]] = {}
    for claim in claims:
        judged.setdefault(claim.settlement_id, []).append(
            (claim.source_id, claim.id, judge(claim, confirmations, status_on, today))
        )
    return judged


def records_by_source(judged: Mapping[int, Sequence[Judgement]]) -> dict[int, TrackRecord]:
    """The track record of every source with a judged claim."""
    outcomes: dict[int, dict[int, Outcome]] = {}
    for judgements in judged.values():
        for source_id, claim_id, outcome in judgements:
            outcomes.setdefault(source_id, {})[claim_id] = outcome
    return {source_id: TrackRecord(o) for source_id, o in outcomes.items()}
