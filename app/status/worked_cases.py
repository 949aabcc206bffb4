"""The rule's worked cases: shown on /about/method and held by the tests, one list for both.

Each case is a handful of claims in one window (dates in 2025; window 14 days, staleness
horizon 30 days), the date asked about, optionally the knowledge date, and the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.domain import ControlStatus, Side, Verification
from app.i18n import N_
from app.status.derive import ClaimFact, Confidence, Note, Reason

RU, UA, CONTESTED = (
    ControlStatus.russian_control,
    ControlStatus.ukrainian_control,
    ControlStatus.contested,
)
N, R, U = Side.neutral, Side.russia, Side.ukraine
UNV, GEO, CONF = Verification.unverified, Verification.geolocated, Verification.confirmed


def on(month: int, day: int) -> date:
    return date(2025, month, day)


@dataclass(frozen=True)
class CaseClaim:
    side: Side
    status: ControlStatus
    as_of: date
    verification: Verification = UNV
    published_on: date | None = None


@dataclass(frozen=True)
class WorkedCase:
    title: str
    claims: tuple[CaseClaim, ...]
    as_of: date
    status: ControlStatus
    reason: Reason
    confidence: Confidence | None  # after the evidence's age is taken into account
    why: str
    known_on: date | None = None
    stale: bool = False
    notes: frozenset[Note] = field(default_factory=frozenset)

    def facts(self) -> list[ClaimFact]:
        return [
            ClaimFact(
                id=i,
                status=c.status,
                as_of=c.as_of,
                published_on=c.published_on or c.as_of,
                verification=c.verification,
                side=c.side,
            )
            for i, c in enumerate(self.claims, start=1)
        ]


CASES = (
    WorkedCase(
        N_("Fighting, then a capture"),
        (CaseClaim(N, CONTESTED, on(1, 10), GEO), CaseClaim(U, UA, on(1, 11))),
        on(1, 20),
        UA,
        Reason.latest,
        Confidence.low,
        N_(
            "The report of fighting came before Ukraine claimed control: a prelude, not a "
            "dispute. Ukraine's word stands, unverified, so confidence is low."
        ),
        notes=frozenset({Note.prelude}),
    ),
    WorkedCase(
        N_("Two sides claim control"),
        (CaseClaim(R, RU, on(1, 10)), CaseClaim(U, UA, on(1, 12))),
        on(1, 15),
        CONTESTED,
        Reason.conflict,
        Confidence.low,
        N_("Russia's word and Ukraine's word differ within the window: a conflict."),
    ),
    WorkedCase(
        N_("A same-day denial"),
        (
            CaseClaim(R, RU, on(4, 26)),
            CaseClaim(U, CONTESTED, on(4, 26)),
            CaseClaim(R, RU, on(4, 27)),
        ),
        on(4, 27),
        CONTESTED,
        Reason.conflict,
        Confidence.low,
        N_(
            "Ukraine reported fighting on the very day Russia first claimed control: that is a "
            "denial, not a prelude."
        ),
    ),
    WorkedCase(
        N_("Ukraine concedes"),
        (
            CaseClaim(N, RU, on(3, 12)),
            CaseClaim(U, CONTESTED, on(3, 12)),
            CaseClaim(R, RU, on(3, 13)),
            CaseClaim(U, RU, on(3, 15)),
        ),
        on(3, 20),
        RU,
        Reason.latest,
        Confidence.high,
        N_(
            "Ukraine's later claim replaces its earlier word; every side now says Russian "
            "control, and both belligerents agreeing makes confidence high."
        ),
        notes=frozenset({Note.admission}),
    ),
    WorkedCase(
        N_("Both belligerents overtake a third report"),
        (
            CaseClaim(U, RU, on(3, 9)),
            CaseClaim(N, CONTESTED, on(3, 9)),
            CaseClaim(R, RU, on(3, 11)),
        ),
        on(3, 12),
        RU,
        Reason.latest,
        Confidence.high,
        N_(
            "Russia and Ukraine agree; the neutral report of fighting is older than their "
            "agreement."
        ),
        notes=frozenset({Note.concession, Note.admission}),
    ),
    WorkedCase(
        N_("Confirmed claims disagree"),
        (CaseClaim(R, RU, on(1, 10), CONF), CaseClaim(U, UA, on(1, 10), CONF)),
        on(1, 15),
        CONTESTED,
        Reason.conflict,
        Confidence.high,
        N_(
            "Two independently confirmed claims of the same date disagree: contested, with high "
            "confidence that it is."
        ),
    ),
    WorkedCase(
        N_("A confirmation is overtaken"),
        (
            CaseClaim(N, UA, on(1, 10), CONF),
            CaseClaim(R, RU, on(1, 12)),
            CaseClaim(U, RU, on(1, 12)),
        ),
        on(1, 15),
        RU,
        Reason.latest,
        Confidence.high,
        N_(
            "A confirmation vouches for its own date: two days later both belligerents say "
            "Russian control."
        ),
        notes=frozenset({Note.concession, Note.admission}),
    ),
    WorkedCase(
        N_("A confirmation vouches for its own date only"),
        (
            CaseClaim(N, RU, on(3, 19), CONF),
            CaseClaim(U, UA, on(3, 25)),
            CaseClaim(R, CONTESTED, on(3, 26)),
        ),
        on(3, 27),
        CONTESTED,
        Reason.conflict,
        Confidence.low,
        N_("Later claims say otherwise than the confirmed one, and the sides' words differ."),
    ),
    WorkedCase(
        N_("The belligerents agree on something else"),
        (
            CaseClaim(R, CONTESTED, on(1, 1)),
            CaseClaim(U, CONTESTED, on(1, 1)),
            CaseClaim(N, RU, on(1, 5)),
        ),
        on(1, 6),
        RU,
        Reason.latest,
        Confidence.low,
        N_(
            "Both belligerents reported fighting before the neutral report of Russian control: a "
            "prelude. Confidence is not high, since they agreed on fighting, not on control."
        ),
        notes=frozenset({Note.prelude}),
    ),
    WorkedCase(
        N_("Corroboration never lowers confidence"),
        (CaseClaim(N, RU, on(3, 8), GEO), CaseClaim(R, RU, on(3, 9))),
        on(3, 10),
        RU,
        Reason.latest,
        Confidence.medium,
        N_("Both claims assert the status; one is geolocated, so confidence is medium."),
    ),
    WorkedCase(
        N_("Not yet reported"),
        (CaseClaim(R, RU, on(1, 10), published_on=on(1, 14)),),
        on(1, 12),
        ControlStatus.unknown,
        Reason.no_claims,
        None,
        N_(
            "As reported by 12 January, nobody had said anything yet: the claim was published on "
            "14 January."
        ),
        known_on=on(1, 12),
    ),
    WorkedCase(
        N_("Old evidence of control"),
        (CaseClaim(R, RU, on(1, 10), GEO),),
        on(3, 1),
        RU,
        Reason.latest,
        Confidence.low,
        N_("50 days without a claim: stale (more than 30 days), and confidence drops one level."),
        stale=True,
    ),
    WorkedCase(
        N_("Old evidence of fighting"),
        (CaseClaim(N, CONTESTED, on(1, 10)),),
        on(2, 1),
        CONTESTED,
        Reason.latest,
        Confidence.low,
        N_(
            "Fighting reported 22 days earlier and nothing since: stale (more than the 14-day "
            "window)."
        ),
        stale=True,
    ),
)
