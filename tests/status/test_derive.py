"""The derivation rule (version 2), step by step, on plain values: the worked cases of
/about/method first, then each step on its own."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from app.claims.models import ControlStatus, ReviewState, Verification
from app.sources.models import Side
from app.status import worked_cases
from app.status.derive import (
    ClaimFact,
    Confidence,
    Note,
    Reason,
    claim_roles,
    derive_status,
    derive_timeline,
    evidence_of,
    explain,
)

RU = ControlStatus.russian_control
UA = ControlStatus.ukrainian_control
CONTESTED = ControlStatus.contested
D = date(2025, 4, 8)
_ids = itertools.count(1)


def claim(
    status: ControlStatus,
    as_of: date = D,
    *,
    side: Side = Side.russia,
    verification: Verification = Verification.unverified,
    published_on: date | None = None,
    review_state: ReviewState = ReviewState.approved,
    withdrawn_on: date | None = None,
    id: int | None = None,
) -> ClaimFact:
    return ClaimFact(
        id=id if id is not None else next(_ids),
        status=status,
        as_of=as_of,
        published_on=published_on or as_of,
        verification=verification,
        side=side,
        review_state=review_state,
        withdrawn_on=withdrawn_on,
    )


def days(n: int) -> timedelta:
    return timedelta(days=n)


N, R, U = Side.neutral, Side.russia, Side.ukraine
UNV, GEO, CONF = Verification.unverified, Verification.geolocated, Verification.confirmed


@pytest.mark.parametrize("case", worked_cases.CASES, ids=lambda case: case.title)
def test_worked_case(case: worked_cases.WorkedCase):
    """The cases /about/method shows, answered as the page says."""
    claims = case.facts()
    derived = derive_status(claims, case.as_of, known_on=case.known_on)
    evidence = evidence_of(derived, case.as_of)
    assert (derived.status, derived.reason) == (case.status, case.reason)
    assert evidence.confidence == case.confidence
    assert evidence.stale == case.stale
    assert set(derived.notes) == case.notes
    # Claims stored in another order give the same answer.
    assert derive_status(claims[::-1], case.as_of, known_on=case.known_on) == derived


class TestStep1Candidates:
    def test_no_claims_means_unknown(self):
        result = derive_status([], D)
        assert result.status == ControlStatus.unknown
        assert result.reason == Reason.no_claims
        assert result.confidence is None

    def test_claims_after_the_date_do_not_count(self):
        result = derive_status([claim(RU, D + days(1))], D)
        assert result.status == ControlStatus.unknown

    def test_claim_on_the_date_counts(self):
        assert derive_status([claim(RU, D)], D).status == RU

    @pytest.mark.parametrize("state", [ReviewState.pending, ReviewState.rejected])
    def test_unapproved_claims_are_ignored(self, state):
        claims = [claim(UA, D - days(30)), claim(RU, D, review_state=state)]
        assert derive_status(claims, D).status == UA

    def test_refuted_claims_are_ignored(self):
        claims = [claim(UA, D - days(30)), claim(RU, D, verification=Verification.refuted)]
        assert derive_status(claims, D).status == UA

    def test_claims_asserting_unknown_are_ignored(self):
        claims = [claim(UA, D - days(30)), claim(ControlStatus.unknown, D)]
        result = derive_status(claims, D)
        assert result.status == UA
        assert result.latest_as_of == D - days(30)

    def test_corrected_claims_are_ignored_from_the_day_the_correction_was_published(self):
        corrected = claim(RU, D, withdrawn_on=D + days(3))
        claims = [claim(UA, D - days(30)), corrected]
        assert derive_status(claims, D).status == UA  # as known now
        assert derive_status(claims, D, known_on=D + days(3)).status == UA
        # As reported then, before the correction: what was believed then.
        assert derive_status(claims, D, known_on=D + days(2)).status == RU

    def test_claims_published_after_the_knowledge_date_are_not_yet_known(self):
        late = claim(RU, D, published_on=D + days(2))
        claims = [claim(UA, D - days(30)), late]
        assert derive_status(claims, D, known_on=D + days(1)).status == UA
        assert derive_status(claims, D, known_on=D + days(2)).status == RU
        assert derive_status(claims, D).status == RU

    def test_knowledge_date_may_be_earlier_than_the_date_asked_about(self):
        claims = [claim(UA, D - days(10)), claim(RU, D - days(2))]
        assert derive_status(claims, D, known_on=D - days(5)).status == UA

    def test_only_ignored_claims_means_unknown(self):
        claims = [claim(RU, D, review_state=ReviewState.pending)]
        assert derive_status(claims, D).status == ControlStatus.unknown


class TestStep2Window:
    def test_greatest_as_of_is_the_anchor(self):
        claims = [claim(UA, D - days(20)), claim(RU, D - days(1))]
        result = derive_status(claims, D)
        assert result.status == RU
        assert result.reason == Reason.latest
        assert result.latest_as_of == D - days(1)

    def test_window_expiry_ends_the_conflict(self):
        old_ua = claim(UA, D - days(14), side=Side.ukraine)
        ru = claim(RU, D, side=Side.russia)
        assert derive_status([old_ua, ru], D).status == RU
        just_inside = claim(UA, D - days(13), side=Side.ukraine)
        assert derive_status([just_inside, ru], D).status == CONTESTED

    def test_window_is_anchored_at_the_latest_claim_not_the_date(self):
        claims = [claim(RU, D, side=Side.russia), claim(UA, D, side=Side.ukraine)]
        a_year_later = D + days(365)
        assert derive_status(claims, a_year_later).status == CONTESTED

    @pytest.mark.parametrize("window", [1, 7, 30])
    def test_window_length_is_a_parameter(self, window):
        claims = [claim(UA, D - days(window - 1), side=Side.ukraine), claim(RU, D)]
        assert derive_status(claims, D, window).status == CONTESTED
        claims = [claim(UA, D - days(window), side=Side.ukraine), claim(RU, D)]
        assert derive_status(claims, D, window).status == RU


class TestStep3Confirmed:
    def test_confirmed_claim_decides_over_earlier_claims_of_other_sides(self):
        claims = [
            claim(UA, D - days(2), side=Side.ukraine),
            claim(RU, D, side=Side.neutral, verification=CONF),
        ]
        result = derive_status(claims, D)
        assert (result.status, result.reason, result.confidence) == (
            RU,
            Reason.confirmed,
            Confidence.high,
        )
        assert result.deciding_claim_ids == (claims[1].id,)

    def test_a_later_claim_saying_otherwise_overtakes_the_confirmation(self):
        confirmed = claim(UA, D - days(5), side=Side.neutral, verification=CONF)
        later = claim(RU, D, side=Side.russia)
        result = derive_status([confirmed, later], D)
        assert result.reason == Reason.conflict

    def test_a_later_claim_agreeing_keeps_the_confirmation_deciding(self):
        confirmed = claim(UA, D - days(5), side=Side.neutral, verification=CONF)
        later = claim(UA, D, side=Side.ukraine)
        result = derive_status([confirmed, later], D)
        assert result.reason == Reason.confirmed
        assert result.deciding_claim_ids == (confirmed.id,)

    def test_confirmed_ties_are_contested_whatever_the_order(self):
        a = claim(RU, D, side=Side.neutral, verification=CONF, id=1)
        b = claim(UA, D, side=Side.neutral, verification=CONF, id=2)
        for claims in ([a, b], [b, a]):
            result = derive_status(claims, D)
            assert (result.status, result.reason, result.confidence) == (
                CONTESTED,
                Reason.conflict,
                Confidence.high,
            )

    def test_confirmed_claim_outside_the_window_does_not_decide(self):
        old = claim(UA, D - days(14), verification=CONF)  # window is (D-14, D]
        result = derive_status([old, claim(RU, D)], D)
        assert result.status == RU
        assert result.reason == Reason.latest


class TestStep4Words:
    def test_different_sides_different_statuses_is_contested(self):
        ru = claim(RU, D, side=Side.russia)
        ua = claim(UA, D - days(1), side=Side.ukraine)
        result = derive_status([ru, ua], D)
        assert result.status == CONTESTED
        assert result.reason == Reason.conflict
        assert set(result.conflicting_claim_ids) == {ru.id, ua.id}

    def test_neutral_counts_as_a_side(self):
        result = derive_status([claim(RU, D), claim(UA, D, side=Side.neutral)], D)
        assert result.reason == Reason.conflict

    def test_a_sides_later_claim_replaces_its_earlier_word(self):
        claims = [claim(RU, D, side=Side.russia), claim(CONTESTED, D - days(1), side=Side.russia)]
        result = derive_status(claims, D)
        assert (result.status, result.reason) == (RU, Reason.latest)

    def test_a_sides_own_sources_disagreeing_make_its_word_contested(self):
        claims = [
            claim(RU, D, side=Side.russia),
            claim(UA, D, side=Side.russia),
            claim(UA, D - days(1), side=Side.ukraine),
        ]
        analysis = explain(claims, D)
        words = {w.side: w.status for w in analysis.words}
        assert words[Side.russia] == CONTESTED
        assert analysis.derived.reason == Reason.conflict

    def test_better_verified_claims_are_a_sides_word_on_one_date(self):
        claims = [
            claim(RU, D, side=Side.neutral, verification=GEO),
            claim(CONTESTED, D, side=Side.neutral),
        ]
        result = derive_status(claims, D)
        assert (result.status, result.confidence) == (RU, Confidence.medium)

    def test_later_publication_breaks_a_tie_of_date_and_verification(self):
        early = claim(CONTESTED, D, published_on=D, id=5)
        late = claim(RU, D, published_on=D + days(2), id=4)
        assert derive_status([early, late], D + days(2)).status == RU

    def test_full_tie_within_a_side_is_contested_not_decided_by_row_order(self):
        first = claim(UA, D, id=10)
        second = claim(RU, D, id=11)
        for claims in ([first, second], [second, first]):
            assert derive_status(claims, D).status == CONTESTED

    def test_fighting_reported_after_the_capture_is_a_dispute(self):
        claims = [claim(UA, D - days(2), side=Side.ukraine), claim(CONTESTED, D, side=Side.neutral)]
        assert derive_status(claims, D).reason == Reason.conflict

    def test_conflict_shows_the_words_that_differ(self):
        ru_taken = claim(RU, D, side=Side.russia)
        ru_fighting = claim(CONTESTED, D - days(2), side=Side.russia)
        ua_taken = claim(UA, D - days(1), side=Side.ukraine)
        result = derive_status([ru_taken, ru_fighting, ua_taken], D)
        assert set(result.conflicting_claim_ids) == {ru_taken.id, ua_taken.id}
        assert set(result.window_claim_ids) == {ru_taken.id, ru_fighting.id, ua_taken.id}


class TestStep5And6LatestWordAndConfidence:
    def test_a_claim_may_itself_say_contested(self):
        result = derive_status([claim(CONTESTED, D)], D)
        assert result.status == CONTESTED
        assert result.reason == Reason.latest
        assert "fighting" in result.explanation

    @pytest.mark.parametrize(
        ("verification", "side", "confidence"),
        [
            (UNV, Side.russia, Confidence.low),
            (UNV, Side.ukraine, Confidence.low),
            (UNV, Side.neutral, Confidence.low),  # an unverified report is not corroboration
            (GEO, Side.russia, Confidence.medium),
            (CONF, Side.russia, Confidence.high),
        ],
    )
    def test_confidence_of_a_single_claim(self, verification, side, confidence):
        result = derive_status([claim(RU, D, side=side, verification=verification)], D)
        assert result.confidence == confidence

    def test_deciding_claims_are_no_older_than_the_latest_contrary_claim(self):
        geolocated = claim(RU, D - days(5), side=Side.russia, verification=GEO)
        fighting = claim(CONTESTED, D - days(3), side=Side.russia)
        retaken = claim(RU, D, side=Side.russia)
        result = derive_status([geolocated, fighting, retaken], D)
        assert result.deciding_claim_ids == (retaken.id,)
        assert result.confidence == Confidence.low

    def test_both_belligerents_agreeing_is_high(self):
        claims = [claim(UA, D, side=Side.russia), claim(UA, D - days(1), side=Side.ukraine)]
        result = derive_status(claims, D)
        assert (result.status, result.confidence) == (UA, Confidence.high)
        assert Note.admission in result.notes


class TestStep7EvidenceAge:
    def test_age_is_counted_from_the_latest_claim_to_the_date_shown(self):
        derived = derive_status([claim(RU, D)], D + days(10))
        assert evidence_of(derived, D + days(10)).days == 10

    @pytest.mark.parametrize(("age", "stale"), [(30, False), (31, True)])
    def test_control_goes_stale_after_the_horizon(self, age, stale):
        derived = derive_status([claim(RU, D)], D + days(age))
        assert evidence_of(derived, D + days(age), stale_days=30).stale is stale

    @pytest.mark.parametrize(("age", "stale"), [(14, False), (15, True)])
    def test_fighting_goes_stale_after_the_window(self, age, stale):
        derived = derive_status([claim(CONTESTED, D)], D + days(age))
        assert evidence_of(derived, D + days(age), window_days=14).stale is stale

    @pytest.mark.parametrize(
        ("age", "confidence"),
        [
            (29, Confidence.high),
            (30, Confidence.medium),
            (60, Confidence.low),
            (400, Confidence.low),
        ],
    )
    def test_confidence_drops_a_level_per_horizon(self, age, confidence):
        derived = derive_status([claim(RU, D, verification=CONF)], D + days(age))
        assert evidence_of(derived, D + days(age), stale_days=30).confidence == confidence

    def test_unknown_has_no_age(self):
        evidence = evidence_of(derive_status([], D), D)
        assert (evidence.days, evidence.stale, evidence.confidence) == (None, False, None)


class TestTimeline:
    def test_intervals_change_only_on_claim_dates_and_merge_equal_statuses(self):
        claims = [
            claim(UA, date(2024, 8, 15), side=Side.ukraine),
            claim(UA, date(2024, 9, 1), side=Side.ukraine),
            claim(RU, date(2025, 3, 13), side=Side.russia),
        ]
        timeline = derive_timeline(claims)
        assert [(i.start, i.end, i.status) for i in timeline] == [
            (date(2024, 8, 15), date(2025, 3, 13), UA),
            (date(2025, 3, 13), None, RU),
        ]
        assert timeline[-1].start == date(2025, 3, 13)  # since when the status holds

    def test_until_cuts_the_timeline(self):
        claims = [claim(UA, date(2024, 8, 15)), claim(RU, date(2025, 3, 13))]
        timeline = derive_timeline(claims, as_of=date(2025, 1, 1))
        assert [(i.start, i.end, i.status) for i in timeline] == [(date(2024, 8, 15), None, UA)]

    def test_empty_timeline(self):
        assert derive_timeline([]) == []

    def test_timeline_agrees_with_derive_status_on_every_day(self):
        # Many claims of mixed sides, statuses and verifications over 120 days.
        statuses = [RU, UA, CONTESTED]
        sides = list(Side)
        verifications = [Verification.unverified, Verification.geolocated, Verification.confirmed]
        start = date(2024, 8, 1)
        claims = [
            claim(
                statuses[(i * 7) % 3],
                start + days((i * 11) % 120),
                side=sides[(i * 5) % 3],
                verification=verifications[(i * 13) % 7 % 3],
                id=1000 + i,
            )
            for i in range(60)
        ]
        for offset in range(0, 130):
            day = start + days(offset)
            timeline = derive_timeline(claims, as_of=day)
            expected = derive_status(claims, day)
            if not timeline:
                assert expected.status == ControlStatus.unknown
                continue
            assert timeline[-1].latest == expected, day


def test_each_window_claim_has_its_role_in_the_status():
    older = claim(RU, D - days(3), id=501)
    decider = claim(UA, D, side=Side.ukraine, verification=Verification.confirmed, id=502)
    derived = derive_status([older, decider], D)
    assert claim_roles(derived, [501, 502]) == {501: "in-window", 502: "decides"}

    russian = claim(RU, D, id=601)
    ukrainian = claim(UA, D, side=Side.ukraine, id=602)
    conflict = derive_status([russian, ukrainian], D)
    assert conflict.status == CONTESTED
    assert claim_roles(conflict, [601, 602]) == {601: "competing", 602: "competing"}
    # A claim outside the window has no role.
    assert 999 not in claim_roles(conflict, [601, 602])
