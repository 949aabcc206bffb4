"""Invariants of the derivation rule, checked on generated claim sets (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.claims.models import ControlStatus, ReviewState, Verification
from app.sources.models import Side
from app.status.derive import (
    ASSERTED,
    ClaimFact,
    Reason,
    analyse,
    decide,
    derive_history,
    derive_status,
    derive_timeline,
    explain,
    visible,
    window_on,
)

START = date(2025, 1, 1)
SPAN = 60  # days: long enough for windows to open and close


@st.composite
def claim_sets(draw: st.DrawFn, max_size: int = 12) -> list[ClaimFact]:
    size = draw(st.integers(min_value=0, max_value=max_size))
    claims = []
    for claim_id in range(1, size + 1):
        as_of = START + timedelta(days=draw(st.integers(0, SPAN)))
        withdrawn = draw(st.none() | st.integers(0, 10))
        claims.append(
            ClaimFact(
                id=claim_id,
                status=draw(st.sampled_from(list(ControlStatus))),
                as_of=as_of,
                published_on=as_of + timedelta(days=draw(st.integers(0, 5))),
                verification=draw(st.sampled_from(list(Verification))),
                side=draw(st.sampled_from(list(Side))),
                review_state=draw(st.sampled_from([ReviewState.approved] * 4 + list(ReviewState))),
                withdrawn_on=None if withdrawn is None else as_of + timedelta(days=withdrawn),
            )
        )
    return claims


days_in_span = st.integers(0, SPAN + 20).map(lambda n: START + timedelta(days=n))
knowledge_dates = st.none() | days_in_span


@settings(max_examples=300)
@given(claim_sets(), days_in_span, knowledge_dates, st.randoms())
def test_the_order_claims_were_stored_in_never_matters(claims, as_of, known_on, random):
    shuffled = list(claims)
    random.shuffle(shuffled)
    assert derive_status(shuffled, as_of, known_on=known_on) == derive_status(
        claims, as_of, known_on=known_on
    )


@settings(max_examples=200)
@given(claim_sets(), days_in_span)
def test_knowing_everything_published_up_to_the_last_date_is_the_default(claims, as_of):
    everything_known = START + timedelta(days=SPAN + 30)  # after every publication and correction
    assert derive_status(claims, as_of, known_on=everything_known) == derive_status(claims, as_of)


@settings(max_examples=150)
@given(claim_sets(), knowledge_dates)
def test_the_history_and_the_rule_on_one_date_agree_on_every_day(claims, known_on):
    history = derive_history(claims, known_on=known_on)
    for offset in range(-1, SPAN + 3):
        day = START + timedelta(days=offset)
        expected = derive_status(claims, day, known_on=known_on)
        passed = [derived for d, derived in history if d <= day]
        assert (passed[-1] if passed else derive_status([], day)) == expected, day
        timeline = derive_timeline(claims, as_of=day, known_on=known_on)
        assert (timeline[-1].latest.status if timeline else ControlStatus.unknown) == (
            expected.status
        )


@settings(max_examples=200)
@given(claim_sets(), days_in_span, knowledge_dates)
def test_claims_not_yet_published_change_nothing(claims, as_of, known_on):
    if known_on is None:
        return
    published = [c for c in claims if c.published_on <= known_on]
    assert derive_status(published, as_of, known_on=known_on) == derive_status(
        claims, as_of, known_on=known_on
    )


@settings(max_examples=200)
@given(claim_sets(), days_in_span, knowledge_dates)
def test_unknown_exactly_when_nothing_is_known_up_to_the_date(claims, as_of, known_on):
    derived = derive_status(claims, as_of, known_on=known_on)
    has_candidates = any(c.as_of <= as_of for c in visible(claims, known_on))
    assert (derived.status == ControlStatus.unknown) == (not has_candidates)
    assert (derived.reason == Reason.no_claims) == (not has_candidates)


@settings(max_examples=300)
@given(claim_sets(), days_in_span, knowledge_dates)
def test_a_status_is_contested_or_one_that_a_claim_of_the_window_asserts(claims, as_of, known_on):
    analysis = explain(claims, as_of, known_on=known_on)
    derived = analysis.derived
    if derived.status is ControlStatus.unknown:
        return
    assert derived.status in ASSERTED
    if derived.status is not ControlStatus.contested:
        assert derived.status in {c.status for c in analysis.window}
        assert derived.deciding_claim_ids
        assert set(derived.deciding_claim_ids) <= {c.id for c in analysis.window}
    if derived.reason is Reason.conflict:
        assert len(derived.conflicting_claim_ids) >= 2


@settings(max_examples=300)
@given(claim_sets(), days_in_span, st.sampled_from(list(Side)))
def test_a_side_repeating_its_word_never_creates_a_conflict(claims, as_of, side):
    """Another unverified source of a side saying, on the same day, what that side says."""
    analysis = explain(claims, as_of)
    if analysis.derived.reason is Reason.conflict:
        return
    word = next((w for w in analysis.words if w.side == side), None)
    if word is None or word.status is ControlStatus.contested:
        return
    repeated = ClaimFact(
        id=10_000,
        status=word.status,
        as_of=word.as_of,
        published_on=word.as_of,
        verification=Verification.unverified,
        side=side,
    )
    assert derive_status([*claims, repeated], as_of).reason is not Reason.conflict


@settings(max_examples=200)
@given(claim_sets(), days_in_span)
def test_claims_dated_after_the_date_change_nothing(claims, as_of):
    earlier = [c for c in claims if c.as_of <= as_of]
    assert derive_status(earlier, as_of) == derive_status(claims, as_of)


@settings(max_examples=300)
@given(claim_sets(), days_in_span)
def test_the_short_cut_for_unanimous_windows_answers_as_the_full_rule(claims, as_of):
    window = window_on(claims, as_of)
    assert decide(window) == analyse(window).derived


@settings(max_examples=200)
@given(st.lists(claim_sets(max_size=8), min_size=1, max_size=3), days_in_span)
def test_a_history_as_known_on_a_date_from_todays_equals_one_from_scratch(settlements, known_on):
    """RegionHistory.as_known_on: today's history cut at K, and only the part from the first
    claim K saw otherwise derived again, is the history of the claims as known on K."""
    from app.status.history import RegionHistory

    window = timedelta(days=14)
    facts = {sid: claims for sid, claims in enumerate(settlements)}
    now = RegionHistory.build(facts, 14)
    changed = {}
    for sid, claims in facts.items():
        seen_otherwise = [
            c.as_of
            for c in claims
            if c.review_state is ReviewState.approved
            and c.as_of <= known_on
            and (c.published_on > known_on or (c.withdrawn_on or known_on) > known_on)
        ]
        if seen_otherwise:
            first = min(seen_otherwise)
            changed[sid] = (first, [c for c in claims if c.as_of > first - window])
    kept = now.as_known_on(known_on, changed, 14)
    fresh = RegionHistory.build(facts, 14, known_on)
    for sid in facts:
        a, b = kept.of(sid), fresh.of(sid)
        assert (a.days, a.derived, a.intervals) == (b.days, b.derived, b.intervals)
    assert [(e.day, e.settlement_id, e.before, e.after) for e in kept.events] == [
        (e.day, e.settlement_id, e.before, e.after) for e in fresh.events
    ]
