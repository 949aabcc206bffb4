"""The derivation rule (version 2): a settlement's status on a date, from the claims about it.

Pure functions over plain values, no database: every step can be tested (and read) on its
own. The service layer fetches ``ClaimFact``s; pages only render. ``/about/method`` explains
the same steps in plain words, with worked cases.

Two dates govern every answer: ``as_of`` (D, the day asked about) and ``known_on`` (K, what
had been published by then; None means "everything known now"). With window W days:

1. Candidates: approved claims with ``as_of <= D`` and ``published_on <= K`` that assert a
   status. Left out: refuted claims, and claims replaced by an approved correction that was
   published on or before K (what was believed then stays visible "as reported then").
   None -> ``unknown`` (reason ``no_claims``).
2. Anchor A = the greatest candidate ``as_of``; the window holds the candidates with
   ``as_of`` in ``(A - W, A]``. Anchored at the latest claim, not at D: silence does not
   resolve a dispute.
3. Confirmed: when the window's latest confirmed claims agree and no later claim of the
   window says otherwise, they decide (reason ``confirmed``). When they disagree with each
   other and nothing came later, the status is ``contested`` (reason ``conflict``). Otherwise
   they take part in step 4 like any other claim: a confirmation vouches for its own date.
4. Each side's word: its latest claims (greatest ``as_of``, then best verified, then latest
   ``published_on``); if those disagree, the side's word is ``contested``. Two sides whose
   words differ are in conflict -> ``contested`` (reason ``conflict``), except
   - prelude: one word is ``contested`` and dated before the other side first claimed, in
     the window, the control it now claims (fighting, then a capture);
   - concession: Russia's and Ukraine's words agree and the third side's differing word is
     dated before the later of the two.
5. Otherwise the latest word over all claims of the window stands (reason ``latest``).
6. Confidence: ``high`` when confirmed claims decide, or when Russia's and Ukraine's words
   both equal the status (an admission against interest); ``medium`` when a deciding claim
   (one that asserts the status and is no older than the latest claim saying otherwise) is
   geolocated or confirmed; else ``low``. A conflict is ``low`` (``high`` when confirmed claims
   disagree).
7. Evidence age (``evidence_of``): worked out when a status is looked up. A ``contested``
   status is stale when D - A > W, a control status when D - A > H; confidence drops one
   level for each full H days since A.

No step depends on the order in which claims were stored.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import combinations
from typing import NamedTuple

from app.domain import ASSERTABLE_STATUSES, ControlStatus, ReviewState, Side, Verification
from app.i18n import N_

DEFAULT_WINDOW_DAYS = 14
DEFAULT_STALE_DAYS = 30
# A derivation keeps the ids of this many of its window's newest claims (for maps and lists);
# a page about one settlement explains its own, complete.
WINDOW_IDS_KEPT = 3

# Within one date, a better-verified claim is the later word.
VERIFICATION_RANK = {
    Verification.confirmed: 3,
    Verification.geolocated: 2,
    Verification.unverified: 1,
    Verification.refuted: 0,
}

# The statuses a claim can assert; ``unknown`` is only ever derived.
ASSERTED = frozenset(ASSERTABLE_STATUSES)
BELLIGERENTS = (Side.russia, Side.ukraine)
SIDES = tuple(Side)  # the order words are listed and compared in


class Confidence(enum.StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


_CONFIDENCE_ORDER = [Confidence.low, Confidence.medium, Confidence.high]


class Reason(enum.StrEnum):
    no_claims = "no_claims"  # step 1: nothing to go on
    confirmed = "confirmed"  # step 3: independently confirmed claims decide
    conflict = "conflict"  # steps 3-4: sources of different sides (or confirmations) disagree
    latest = "latest"  # step 5: the latest word stands

    @property
    def explanation(self) -> str:
        return REASON_TEXT[self]


REASON_TEXT = {
    Reason.no_claims: N_("no approved claims up to this date"),
    Reason.confirmed: N_("decided by independently confirmed claims"),
    Reason.conflict: N_("conflicting claims: sources of different sides disagree"),
    Reason.latest: N_("the latest claims stand"),
}
# The words of a status that the latest claims themselves call contested.
FIGHTING_REPORTED = N_("the latest claims themselves report fighting there")


class Note(enum.StrEnum):
    """Why a status that could look disputed is not, or why its confidence is high."""

    prelude = "prelude"  # earlier reports of fighting were the prelude to a capture
    concession = "concession"  # both belligerents agree, overtaking a third side's report
    admission = "admission"  # Russia's and Ukraine's sources both say so

    @property
    def explanation(self) -> str:
        return NOTE_TEXT[self]


NOTE_TEXT = {
    Note.prelude: N_("earlier reports of fighting were the prelude to this capture, not a dispute"),
    Note.concession: N_(
        "the sources of both Russia and Ukraine agree, overtaking an earlier report"
    ),
    Note.admission: N_("sources of both Russia and Ukraine say so"),
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
    # The day an approved correction of this claim was published: from then on it is replaced.
    withdrawn_on: date | None = None


class Derived(NamedTuple):
    """A settlement's derived status on a date, and the claims that make it so."""

    status: ControlStatus
    reason: Reason
    confidence: Confidence | None = None  # before the evidence's age is taken into account
    deciding_claim_ids: tuple[int, ...] = ()  # newest first; empty for a conflict
    latest_as_of: date | None = None  # the anchor A: the window's latest claim date
    conflicting_claim_ids: tuple[int, ...] = ()  # the competing claims of a conflict
    window_claim_ids: tuple[int, ...] = ()  # the window's newest claims (WINDOW_IDS_KEPT)
    notes: tuple[Note, ...] = ()

    @property
    def deciding_claim_id(self) -> int | None:
        return self.deciding_claim_ids[0] if self.deciding_claim_ids else None

    @property
    def explanation(self) -> str:
        return self.explained(lambda words: words)

    def explained(self, translate: Callable[[str], str]) -> str:
        """The explanation, each of its parts passed through ``translate`` (the pages pass
        the reader's gettext; the API and exports keep the English)."""
        if self.reason == Reason.latest and self.status == ControlStatus.contested:
            text = translate(FIGHTING_REPORTED)
        else:
            text = translate(self.reason.explanation)
        for note in self.notes:
            if note is not Note.admission:
                text += f"; {translate(note.explanation)}"
        return text


UNKNOWN = Derived(status=ControlStatus.unknown, reason=Reason.no_claims)


class Evidence(NamedTuple):
    """How old a status's evidence is on the date shown (step 7)."""

    days: int | None  # D - A: days from the latest claim to the date shown
    stale: bool
    confidence: Confidence | None  # the derived confidence, lowered for age


NO_EVIDENCE = Evidence(days=None, stale=False, confidence=None)


def evidence_of(
    derived: Derived,
    as_of: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    stale_days: int = DEFAULT_STALE_DAYS,
) -> Evidence:
    """Step 7: the age of a status's evidence on ``as_of``, and what it does to confidence."""
    if derived.latest_as_of is None:
        return NO_EVIDENCE
    age = (as_of - derived.latest_as_of).days
    horizon = window_days if derived.status == ControlStatus.contested else stale_days
    confidence = derived.confidence
    if confidence is not None:
        level = max(0, _CONFIDENCE_ORDER.index(confidence) - age // stale_days)
        confidence = _CONFIDENCE_ORDER[level]
    return Evidence(days=age, stale=age > horizon, confidence=confidence)


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


# --- Step 1 --------------------------------------------------------------------------------


class LeftOut(enum.StrEnum):
    """Why a stored claim is not a candidate (shown on a settlement's page)."""

    not_approved = "not approved"
    not_a_status = "asserts no status (unknown is only ever derived)"
    refuted = "refuted"
    corrected = "replaced by an approved correction"
    not_yet_published = "not yet published on the knowledge date"
    later = "dated after the date shown"


def left_out(claim: ClaimFact, known_on: date | None, as_of: date | None = None) -> LeftOut | None:
    """Step 1 for one claim: why it is not a candidate, or None when it is one."""
    if claim.review_state != ReviewState.approved:
        return LeftOut.not_approved
    if claim.status not in ASSERTED:
        return LeftOut.not_a_status
    if claim.verification == Verification.refuted:
        return LeftOut.refuted
    if known_on is not None and claim.published_on > known_on:
        return LeftOut.not_yet_published
    if claim.withdrawn_on is not None and (known_on is None or claim.withdrawn_on <= known_on):
        return LeftOut.corrected
    if as_of is not None and claim.as_of > as_of:
        return LeftOut.later
    return None


def visible(claims: Iterable[ClaimFact], known_on: date | None) -> list[ClaimFact]:
    """Step 1's candidates for any date, as known on ``known_on`` (None: everything known now)."""
    return [c for c in claims if left_out(c, known_on) is None]


def precedence(claim: ClaimFact) -> tuple[date, int, date, int]:
    """Latest first when reversed: as_of, then verification, then publication (id: stable)."""
    return (claim.as_of, VERIFICATION_RANK[claim.verification], claim.published_on, claim.id)


def in_window(candidates: Iterable[ClaimFact], anchor: date, window_days: int) -> list[ClaimFact]:
    """Step 2: candidates with as_of in ``(anchor - W, anchor]``."""
    start = anchor - timedelta(days=window_days)
    return [c for c in candidates if start < c.as_of <= anchor]


# --- Steps 3 to 6 --------------------------------------------------------------------------


def _rank(claim: ClaimFact) -> tuple[date, int, date]:
    return (claim.as_of, VERIFICATION_RANK[claim.verification], claim.published_on)


def latest_claims(claims: Sequence[ClaimFact]) -> list[ClaimFact]:
    """The latest claims: greatest as_of, then best verified, then latest published_on."""
    best = max(_rank(c) for c in claims)
    return [c for c in claims if _rank(c) == best]


def _leading(newest: Sequence[ClaimFact]) -> list[ClaimFact]:
    """``latest_claims`` of claims already sorted newest first: the run that ties the first."""
    key = _rank(newest[0])
    latest = [newest[0]]
    for claim in newest[1:]:
        if _rank(claim) != key:
            break
        latest.append(claim)
    return latest


def _newest_first(claims: Iterable[ClaimFact]) -> tuple[ClaimFact, ...]:
    return tuple(sorted(claims, key=precedence, reverse=True))


class Word(NamedTuple):
    """What one side says in the window: the status of its latest claims, and when."""

    side: Side
    status: ControlStatus  # contested when its own latest claims disagree
    as_of: date
    claims: tuple[ClaimFact, ...]  # the latest claims behind it
    first_claimed: date  # the first date in the window this side claimed that status


def word_of(side: Side, newest: Sequence[ClaimFact]) -> Word:
    """A side's word from its claims, sorted newest first."""
    latest = _leading(newest)
    statuses = {c.status for c in latest}
    status = statuses.pop() if len(statuses) == 1 else ControlStatus.contested
    first = next((c.as_of for c in reversed(newest) if c.status == status), latest[0].as_of)
    return Word(side, status, latest[0].as_of, tuple(latest), first)


def exemption(a: Word, b: Word, words: dict[Side, Word]) -> Note | None:
    """Why two differing words are not a conflict (step 4's exceptions), or None."""
    russia, ukraine = words.get(Side.russia), words.get(Side.ukraine)
    if russia is not None and ukraine is not None and russia.status == ukraine.status:
        agreed = max(russia.as_of, ukraine.as_of)
        for third in (a, b):
            if third.side not in BELLIGERENTS and third.as_of < agreed:
                return Note.concession
    for fighting, capture in ((a, b), (b, a)):
        if (
            fighting.status == ControlStatus.contested
            and capture.status != ControlStatus.contested
            and fighting.as_of < capture.first_claimed
        ):
            return Note.prelude
    return None


@dataclass(frozen=True, slots=True)
class Analysis:
    """Every step of the rule over one window, for the settlement page's explanation."""

    window: tuple[ClaimFact, ...]  # newest first
    derived: Derived
    confirmed_claims: tuple[ClaimFact, ...] = ()  # step 3: the latest confirmed claims
    confirmed_overtaken: bool = False  # a later claim says otherwise
    words: tuple[Word, ...] = ()
    conflicts: tuple[tuple[Word, Word], ...] = ()
    exempted: tuple[tuple[Word, Word, Note], ...] = ()
    latest_word: tuple[ClaimFact, ...] = field(default=())


def _confidence_of(claims: Iterable[ClaimFact]) -> Confidence:
    if any(c.verification in (Verification.geolocated, Verification.confirmed) for c in claims):
        return Confidence.medium
    return Confidence.low


def _unanimous(newest: tuple[ClaimFact, ...]) -> Derived:
    """Steps 3-6 when every claim of the window asserts one status (most windows).

    No side can disagree with another, so no step 4 exception applies; what is left is who
    decides and how confidently.
    """
    status = newest[0].status
    anchor = newest[0].as_of
    window_ids = tuple(c.id for c in newest[:WINDOW_IDS_KEPT])
    confirmed = [c for c in newest if c.verification is Verification.confirmed]
    if confirmed:
        confirmed_on = confirmed[0].as_of
        return Derived(
            status=status,
            reason=Reason.confirmed,
            confidence=Confidence.high,
            deciding_claim_ids=tuple(c.id for c in confirmed if c.as_of == confirmed_on),
            latest_as_of=anchor,
            window_claim_ids=window_ids,
        )
    sides = {c.side for c in newest}
    notes: tuple[Note, ...] = ()
    if Side.russia in sides and Side.ukraine in sides:
        confidence, notes = Confidence.high, (Note.admission,)
    else:
        confidence = _confidence_of(newest)
    return Derived(
        status=status,
        reason=Reason.latest,
        confidence=confidence,
        deciding_claim_ids=tuple(c.id for c in newest),
        latest_as_of=anchor,
        window_claim_ids=window_ids,
        notes=notes,
    )


def analyse(window: Sequence[ClaimFact]) -> Analysis:
    """Steps 3-6 over the candidates of one window (every as_of within W of the latest)."""
    if not window:
        return Analysis((), UNKNOWN)
    return _analyse_newest_first(_newest_first(window))


def _analyse_newest_first(newest: tuple[ClaimFact, ...]) -> Analysis:
    anchor = newest[0].as_of
    window_ids = tuple(c.id for c in newest[:WINDOW_IDS_KEPT])

    # Step 3: the latest confirmed claims decide, unless a later claim says otherwise.
    confirmed = [c for c in newest if c.verification is Verification.confirmed]
    latest_confirmed: tuple[ClaimFact, ...] = ()
    overtaken = False
    if confirmed:
        confirmed_on = confirmed[0].as_of
        latest_confirmed = tuple(c for c in confirmed if c.as_of == confirmed_on)
        statuses = {c.status for c in latest_confirmed}
        later = [c for c in newest if c.as_of > confirmed_on]
        overtaken = any(c.status not in statuses for c in later) or (
            len(statuses) > 1 and bool(later)
        )
        if not overtaken:
            if len(statuses) == 1:
                derived = Derived(
                    status=latest_confirmed[0].status,
                    reason=Reason.confirmed,
                    confidence=Confidence.high,
                    deciding_claim_ids=tuple(c.id for c in latest_confirmed),
                    latest_as_of=anchor,
                    window_claim_ids=window_ids,
                )
            else:
                derived = Derived(
                    status=ControlStatus.contested,
                    reason=Reason.conflict,
                    confidence=Confidence.high,
                    latest_as_of=anchor,
                    conflicting_claim_ids=tuple(c.id for c in latest_confirmed),
                    window_claim_ids=window_ids,
                )
            return Analysis(newest, derived, latest_confirmed, False)

    # Step 4: each side's word; differing words conflict unless an exception applies.
    by_side: dict[Side, list[ClaimFact]] = {}
    for c in newest:
        by_side.setdefault(c.side, []).append(c)
    words = {side: word_of(side, claims) for side, claims in by_side.items()}
    conflicts: list[tuple[Word, Word]] = []
    exempted: list[tuple[Word, Word, Note]] = []
    ordered_words = tuple(words[side] for side in SIDES if side in words)
    for a, b in combinations(ordered_words, 2):
        if a.status == b.status:
            continue
        note = exemption(a, b, words)
        if note is None:
            conflicts.append((a, b))
        else:
            exempted.append((a, b, note))
    if conflicts:
        involved = {c for pair in conflicts for w in pair for c in w.claims}
        confirmed_statuses = {
            c.status for c in involved if c.verification is Verification.confirmed
        }
        derived = Derived(
            status=ControlStatus.contested,
            reason=Reason.conflict,
            confidence=Confidence.high if len(confirmed_statuses) > 1 else Confidence.low,
            latest_as_of=anchor,
            conflicting_claim_ids=tuple(c.id for c in _newest_first(involved)),
            window_claim_ids=window_ids,
        )
        return Analysis(
            newest,
            derived,
            latest_confirmed,
            overtaken,
            ordered_words,
            tuple(conflicts),
            tuple(exempted),
        )

    # Step 5: the latest word over all the window's claims stands.
    latest = _leading(newest)
    statuses = {c.status for c in latest}
    status = statuses.pop() if len(statuses) == 1 else ControlStatus.contested

    # Step 6: the deciding claims assert the status and are no older than any contrary claim.
    contrary_on = max((c.as_of for c in newest if c.status != status), default=None)
    deciding = tuple(
        c for c in newest if c.status == status and (contrary_on is None or c.as_of >= contrary_on)
    )
    notes = [note for note in Note if any(n is note for _, _, n in exempted)]
    russia, ukraine = words.get(Side.russia), words.get(Side.ukraine)
    if russia is not None and ukraine is not None and russia.status == ukraine.status == status:
        confidence = Confidence.high
        notes.append(Note.admission)
    else:
        confidence = _confidence_of(deciding)
    derived = Derived(
        status=status,
        reason=Reason.latest,
        confidence=confidence,
        deciding_claim_ids=tuple(c.id for c in deciding),
        latest_as_of=anchor,
        window_claim_ids=window_ids,
        notes=tuple(notes),
    )
    return Analysis(
        newest,
        derived,
        latest_confirmed,
        overtaken,
        ordered_words,
        (),
        tuple(exempted),
        tuple(latest),
    )


def decide(window: Sequence[ClaimFact], *, ascending: bool = False) -> Derived:
    """Steps 3-6 over one window's candidates: in any order, or (``ascending``) already
    sorted by ``precedence``, oldest first, as the history's sliding window is."""
    if not window:
        return UNKNOWN
    newest = tuple(reversed(window)) if ascending else _newest_first(window)
    status = newest[0].status
    if all(c.status is status for c in newest):
        return _unanimous(newest)
    return _analyse_newest_first(newest).derived


# --- One date, and every date ---------------------------------------------------------------


def window_on(
    claims: Iterable[ClaimFact],
    as_of: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    known_on: date | None = None,
) -> list[ClaimFact]:
    """Steps 1-2: the window's claims on ``as_of``, as known on ``known_on``."""
    candidates = [c for c in visible(claims, known_on) if c.as_of <= as_of]
    if not candidates:
        return []
    return in_window(candidates, max(c.as_of for c in candidates), window_days)


def derive_status(
    claims: Iterable[ClaimFact],
    as_of: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    known_on: date | None = None,
) -> Derived:
    """The rule: the derived status of one settlement on ``as_of``, as known on ``known_on``."""
    return decide(window_on(claims, as_of, window_days, known_on))


def explain(
    claims: Iterable[ClaimFact],
    as_of: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    known_on: date | None = None,
) -> Analysis:
    """The rule step by step for one settlement (its page explains the decision)."""
    return analyse(window_on(claims, as_of, window_days, known_on))


def claim_roles(derived: Derived, window_ids: Iterable[int]) -> dict[int, str]:
    """What each claim of the window does for the status: it ``decides`` it, is a
    ``competing`` claim of a conflict, or is only ``in-window`` (claims outside have none)."""
    roles = dict.fromkeys(window_ids, "in-window")
    roles.update(dict.fromkeys(derived.conflicting_claim_ids, "competing"))
    if derived.deciding_claim_id is not None:
        roles[derived.deciding_claim_id] = "decides"
    return roles


def derive_history(
    claims: Iterable[ClaimFact],
    window_days: int = DEFAULT_WINDOW_DAYS,
    known_on: date | None = None,
) -> list[tuple[date, Derived]]:
    """The rule evaluated on every date a status can change: each distinct claim date.

    Between two such dates nothing changes (the window is anchored at the latest claim), so
    this list answers "what was the status on D" for every D by looking up the last entry
    on or before D. One pass over the candidates sorted by as_of, with a sliding window.
    """
    candidates = sorted(visible(claims, known_on), key=precedence)
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
        history.append((day, decide(candidates[lo:hi], ascending=True)))
    return history


def timeline_from_history(
    history: Sequence[tuple[date, Derived]], as_of: date | None = None
) -> list[Interval]:
    """Merge a history into intervals of constant status, up to ``as_of`` (inclusive)."""
    starts: list[tuple[date, Derived, Derived]] = []  # (start, derived on start, latest)
    for day, derived in history:
        if as_of is not None and day > as_of:
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
    as_of: date | None = None,
    known_on: date | None = None,
) -> list[Interval]:
    """Intervals of constant derived status, oldest first, up to ``as_of`` (inclusive)."""
    return timeline_from_history(derive_history(claims, window_days, known_on), as_of)
