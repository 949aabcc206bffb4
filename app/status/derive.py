"""The derivation rule: a settlement's status on a date, from the claims about it.

Pure functions over plain values, no database: every step of the rule in design.md can be
tested (and read) on its own. The service layer fetches ``ClaimFact``s; pages only render.

For settlement S on date D, with window W days:

1. Candidates: S's claims that are approved, not refuted, not superseded by an approved
   correction, with ``as_of <= D``. None -> ``unknown``.
2. Latest: the candidate with the greatest ``as_of`` (ties: confirmed > geolocated >
   unverified, then later ``published_on``, then higher id).
3. If a confirmed claim lies in ``(latest.as_of - W, D]``, the latest confirmed one decides.
4. Otherwise, if two candidates in that window come from sources of different sides
   (neutral counts as a side) and assert different statuses, S is ``contested``.
5. Otherwise the latest claim's status stands.
6. Confidence: high if decided by a confirmed claim; medium if by a geolocated claim or a
   neutral source; else low. A conflict is rated by its strongest competing claim.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from app.claims.models import ControlStatus, ReviewState, Verification
from app.sources.models import Side

DEFAULT_WINDOW_DAYS = 14
# A derivation keeps the ids of this many of its window's newest claims (for maps and lists);
# a page about one settlement derives its own, complete.
WINDOW_IDS_KEPT = 3

# Step 2's tie-break: a better-verified claim wins a tie on as_of.
VERIFICATION_RANK = {
    Verification.confirmed: 3,
    Verification.geolocated: 2,
    Verification.unverified: 1,
    Verification.refuted: 0,
}


class Confidence(enum.StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class Reason(enum.StrEnum):
    no_claims = "no_claims"  # step 1: nothing to go on
    confirmed = "confirmed"  # step 3: an independently confirmed claim decides
    conflict = "conflict"  # step 4: sources of different sides disagree
    latest = "latest"  # step 5: the latest claim stands

    @property
    def explanation(self) -> str:
        return REASON_TEXT[self]


REASON_TEXT = {
    Reason.no_claims: "no approved claims up to this date",
    Reason.confirmed: "decided by an independently confirmed claim",
    Reason.conflict: "conflicting claims: sources of different sides disagree",
    Reason.latest: "the latest claim stands",
}


class ClaimFact(NamedTuple):
    """What the rule needs to know about one claim."""

    id: int
    status: ControlStatus
    as_of: date
    published_on: date
    verification: Verification
    side: Side
    review_state: ReviewState = ReviewState.approved
    superseded: bool = False  # an approved correction replaces it


class Derived(NamedTuple):
    """A settlement's derived status on a date, and the claims that make it so."""

    status: ControlStatus
    reason: Reason
    confidence: Confidence | None = None
    deciding_claim_id: int | None = None  # steps 3 and 5
    latest_as_of: date | None = None  # the date the window is anchored at
    conflicting_claim_ids: tuple[int, ...] = ()  # step 4: the competing claims
    window_claim_ids: tuple[int, ...] = ()  # the window's newest claims (WINDOW_IDS_KEPT)

    @property
    def explanation(self) -> str:
        if self.reason == Reason.latest and self.status == ControlStatus.contested:
            return "the latest claim itself reports fighting there"
        return self.reason.explanation


UNKNOWN = Derived(status=ControlStatus.unknown, reason=Reason.no_claims)


@dataclass(frozen=True, slots=True)
class Interval:
    """``[start, end)`` of constant derived status; ``end`` None means "still so".

    ``derived`` is the derivation on ``start`` (what changed the status that day); ``latest``
    the one on the last claim date inside the interval (the reasons as they now stand).
    """

    start: date
    end: date | None
    derived: Derived
    latest: Derived

    @property
    def status(self) -> ControlStatus:
        return self.derived.status


def is_candidate(claim: ClaimFact) -> bool:
    """Step 1's filter, apart from the date."""
    return (
        claim.review_state == ReviewState.approved
        and claim.verification != Verification.refuted
        and not claim.superseded
    )


def precedence(claim: ClaimFact) -> tuple[date, int, date, int]:
    """Step 2's ordering: the greatest key is the latest claim."""
    return (claim.as_of, VERIFICATION_RANK[claim.verification], claim.published_on, claim.id)


def conflicting_claims(window: Sequence[ClaimFact]) -> list[ClaimFact]:
    """Claims that disagree with a claim of another side (step 4).

    Disagreement within one side is not a conflict.

    Counted, not compared pairwise: a claim conflicts when some claim of another side
    asserts another status, i.e. when the claims of other sides are not all of its status.
    """
    by_side = Counter(c.side for c in window)
    by_status = Counter(c.status for c in window)
    by_side_status = Counter((c.side, c.status) for c in window)
    total = len(window)
    result = []
    for claim in window:
        other_sides = total - by_side[claim.side]
        other_sides_same_status = by_status[claim.status] - by_side_status[claim.side, claim.status]
        if other_sides - other_sides_same_status > 0:
            result.append(claim)
    return result


def confidence_of(claim: ClaimFact) -> Confidence:
    """Step 6 for one deciding claim."""
    if claim.verification == Verification.confirmed:
        return Confidence.high
    if claim.verification == Verification.geolocated or claim.side == Side.neutral:
        return Confidence.medium
    return Confidence.low


def decide(window: Sequence[ClaimFact]) -> Derived:
    """Steps 2-6 over the candidates of one window (all as_of within W of the latest).

    ``window`` must be sorted by ``precedence``, oldest first: the latest claim is then the
    last one, and the latest confirmed claim the last confirmed one. Every caller sorts once
    per settlement, not once per day.
    """
    if not window:
        return UNKNOWN
    latest = window[-1]
    newest_first = window[::-1]
    window_ids = tuple(c.id for c in newest_first[:WINDOW_IDS_KEPT])
    decider = next((c for c in newest_first if c.verification is Verification.confirmed), None)
    if decider is not None:
        return Derived(
            status=decider.status,
            reason=Reason.confirmed,
            confidence=Confidence.high,
            deciding_claim_id=decider.id,
            latest_as_of=latest.as_of,
            window_claim_ids=window_ids,
        )
    # A conflict needs two sides and two statuses; most windows have one or the other.
    if len({c.side for c in window}) > 1 and len({c.status for c in window}) > 1:
        conflicting = conflicting_claims(newest_first)
        if conflicting:
            strongest = max((confidence_of(c) for c in conflicting), key=_CONFIDENCE_ORDER.index)
            return Derived(
                status=ControlStatus.contested,
                reason=Reason.conflict,
                confidence=strongest,
                latest_as_of=latest.as_of,
                conflicting_claim_ids=tuple(c.id for c in conflicting),
                window_claim_ids=window_ids,
            )
    return Derived(
        status=latest.status,
        reason=Reason.latest,
        confidence=confidence_of(latest),
        deciding_claim_id=latest.id,
        latest_as_of=latest.as_of,
        window_claim_ids=window_ids,
    )


_CONFIDENCE_ORDER = [Confidence.low, Confidence.medium, Confidence.high]


def in_window(candidates: Iterable[ClaimFact], anchor: date, window_days: int) -> list[ClaimFact]:
    """Candidates with as_of in ``(anchor - W, anchor]``."""
    start = anchor - timedelta(days=window_days)
    return [c for c in candidates if start < c.as_of <= anchor]


def derive_status(
    claims: Iterable[ClaimFact], on: date, window_days: int = DEFAULT_WINDOW_DAYS
) -> Derived:
    """The rule: the derived status of one settlement on date ``on``."""
    candidates = [c for c in claims if is_candidate(c) and c.as_of <= on]
    if not candidates:
        return UNKNOWN
    # The window is anchored at the latest claim, not at `on`: silence does not resolve a dispute.
    anchor = max(c.as_of for c in candidates)
    return decide(sorted(in_window(candidates, anchor, window_days), key=precedence))


def derive_history(
    claims: Iterable[ClaimFact], window_days: int = DEFAULT_WINDOW_DAYS
) -> list[tuple[date, Derived]]:
    """The rule evaluated on every date a status can change: each distinct claim date.

    Between two such dates nothing changes (the window is anchored at the latest claim), so
    this list answers "what was the status on D" for every D by looking up the last entry
    on or before D. One pass over the candidates sorted by precedence (as_of first), with a
    sliding window.
    """
    candidates = sorted((c for c in claims if is_candidate(c)), key=precedence)
    history: list[tuple[date, Derived]] = []
    span = timedelta(days=window_days)
    lo = 0
    count = len(candidates)
    for hi in range(1, count + 1):
        day = candidates[hi - 1].as_of
        if hi < count and candidates[hi].as_of == day:
            continue  # evaluate once per day, after its last claim
        while candidates[lo].as_of <= day - span:
            lo += 1
        history.append((day, decide(candidates[lo:hi])))
    return history


def timeline_from_history(
    history: Sequence[tuple[date, Derived]], until: date | None = None
) -> list[Interval]:
    """Merge a history into intervals of constant status, up to ``until`` (inclusive)."""
    starts: list[tuple[date, Derived, Derived]] = []  # (start, derived on start, latest)
    for day, derived in history:
        if until is not None and day > until:
            break
        if starts and starts[-1][1].status == derived.status:
            starts[-1] = (starts[-1][0], starts[-1][1], derived)
        else:
            starts.append((day, derived, derived))
    return [
        Interval(start, starts[i + 1][0] if i + 1 < len(starts) else None, first, latest)
        for i, (start, first, latest) in enumerate(starts)
    ]


def derive_timeline(
    claims: Iterable[ClaimFact],
    window_days: int = DEFAULT_WINDOW_DAYS,
    until: date | None = None,
) -> list[Interval]:
    """Intervals of constant derived status, oldest first, up to ``until`` (inclusive)."""
    return timeline_from_history(derive_history(claims, window_days), until)
