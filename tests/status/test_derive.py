"""The derivation rule, step by step, on plain values (design.md, "The derivation rule")."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from app.claims.models import ControlStatus, ReviewState, Verification
from app.sources.models import Side
from app.status.derive import (
    ClaimFact,
    Confidence,
    Reason,
    derive_status,
    derive_timeline,
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
    superseded: bool = False,
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
        superseded=superseded,
    )


def days(n: int) -> timedelta:
    return timedelta(days=n)


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

    def test_superseded_claims_are_ignored(self):
        claims = [claim(UA, D - days(30)), claim(RU, D, superseded=True)]
        assert derive_status(claims, D).status == UA

    def test_only_ignored_claims_means_unknown(self):
        claims = [claim(RU, D, review_state=ReviewState.pending)]
        assert derive_status(claims, D).status == ControlStatus.unknown


class TestStep2Latest:
    def test_greatest_as_of_wins(self):
        claims = [claim(UA, D - days(20)), claim(RU, D - days(1))]
        result = derive_status(claims, D)
        assert result.status == RU
        assert result.reason == Reason.latest
        assert result.latest_as_of == D - days(1)

    def test_tie_on_as_of_better_verification_wins(self):
        geolocated = claim(UA, D, verification=Verification.geolocated, id=1)
        unverified = claim(CONTESTED, D, verification=Verification.unverified, id=2)
        result = derive_status([geolocated, unverified], D)
        assert result.deciding_claim_id == geolocated.id
        assert result.status == UA

    def test_tie_on_verification_later_publication_wins(self):
        early = claim(CONTESTED, D, published_on=D, id=5)
        late = claim(RU, D, published_on=D + days(2), id=4)
        assert derive_status([early, late], D + days(2)).deciding_claim_id == late.id

    def test_full_tie_higher_id_wins(self):
        first = claim(CONTESTED, D, id=10)
        second = claim(RU, D, id=11)
        assert derive_status([second, first], D).deciding_claim_id == second.id


class TestStep3ConfirmedWins:
    def test_confirmed_claim_in_window_decides_over_a_later_one(self):
        confirmed = claim(UA, D - days(5), side=Side.neutral, verification=Verification.confirmed)
        later = claim(RU, D)
        result = derive_status([confirmed, later], D)
        assert result.status == UA
        assert result.reason == Reason.confirmed
        assert result.deciding_claim_id == confirmed.id
        assert result.confidence == Confidence.high

    def test_confirmed_claim_beats_a_cross_side_conflict(self):
        claims = [
            claim(RU, D, side=Side.russia),
            claim(UA, D - days(1), side=Side.ukraine),
            claim(RU, D - days(2), side=Side.neutral, verification=Verification.confirmed),
        ]
        assert derive_status(claims, D).reason == Reason.confirmed

    def test_latest_confirmed_of_several_decides(self):
        old = claim(UA, D - days(10), verification=Verification.confirmed)
        new = claim(CONTESTED, D - days(3), verification=Verification.confirmed)
        assert derive_status([old, new, claim(RU, D)], D).deciding_claim_id == new.id

    def test_confirmed_claim_outside_the_window_does_not_decide(self):
        old = claim(UA, D - days(14), verification=Verification.confirmed)  # window is (D-14, D]
        result = derive_status([old, claim(RU, D)], D)
        assert result.status == RU
        assert result.reason == Reason.latest


class TestStep4Conflict:
    def test_different_sides_different_statuses_is_contested(self):
        ru = claim(RU, D, side=Side.russia)
        ua = claim(CONTESTED, D - days(1), side=Side.ukraine)
        result = derive_status([ru, ua], D)
        assert result.status == CONTESTED
        assert result.reason == Reason.conflict
        assert set(result.conflicting_claim_ids) == {ru.id, ua.id}

    def test_neutral_counts_as_a_side(self):
        result = derive_status([claim(RU, D), claim(UA, D, side=Side.neutral)], D)
        assert result.reason == Reason.conflict

    def test_same_side_disagreement_is_not_a_conflict(self):
        claims = [claim(RU, D, side=Side.russia), claim(CONTESTED, D - days(1), side=Side.russia)]
        result = derive_status(claims, D)
        assert result.reason == Reason.latest
        assert result.status == RU

    def test_different_sides_agreeing_is_not_a_conflict(self):
        claims = [claim(RU, D, side=Side.russia), claim(RU, D - days(2), side=Side.ukraine)]
        assert derive_status(claims, D).reason == Reason.latest

    def test_only_claims_that_disagree_across_sides_are_shown(self):
        ru_taken = claim(RU, D, side=Side.russia)
        ru_fighting = claim(CONTESTED, D - days(2), side=Side.russia)
        ua_fighting = claim(CONTESTED, D - days(1), side=Side.ukraine)
        result = derive_status([ru_taken, ru_fighting, ua_fighting], D)
        # ru_fighting agrees with the Ukrainian claim: it contradicts nobody of another side.
        assert set(result.conflicting_claim_ids) == {ru_taken.id, ua_fighting.id}
        assert set(result.window_claim_ids) == {ru_taken.id, ru_fighting.id, ua_fighting.id}

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

    def test_conflict_confidence_is_that_of_the_strongest_competing_claim(self):
        claims = [
            claim(RU, D, side=Side.russia),
            claim(UA, D, side=Side.ukraine, verification=Verification.geolocated),
        ]
        assert derive_status(claims, D).confidence == Confidence.medium
        claims = [claim(RU, D, side=Side.russia), claim(UA, D, side=Side.ukraine)]
        assert derive_status(claims, D).confidence == Confidence.low

    @pytest.mark.parametrize("window", [1, 7, 30])
    def test_window_length_is_a_parameter(self, window):
        claims = [claim(UA, D - days(window - 1), side=Side.ukraine), claim(RU, D)]
        assert derive_status(claims, D, window).status == CONTESTED
        claims = [claim(UA, D - days(window), side=Side.ukraine), claim(RU, D)]
        assert derive_status(claims, D, window).status == RU


class TestStep5And6LatestStandsAndConfidence:
    def test_a_claim_may_itself_say_contested(self):
        result = derive_status([claim(CONTESTED, D)], D)
        assert result.status == CONTESTED
        assert result.reason == Reason.latest
        assert "fighting" in result.explanation

    @pytest.mark.parametrize(
        ("verification", "side", "confidence"),
        [
            (Verification.unverified, Side.russia, Confidence.low),
            (Verification.unverified, Side.ukraine, Confidence.low),
            (Verification.geolocated, Side.russia, Confidence.medium),
            (Verification.unverified, Side.neutral, Confidence.medium),
            (Verification.confirmed, Side.russia, Confidence.high),
        ],
    )
    def test_confidence(self, verification, side, confidence):
        result = derive_status([claim(RU, D, side=side, verification=verification)], D)
        assert result.confidence == confidence


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
        timeline = derive_timeline(claims, until=date(2025, 1, 1))
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
            timeline = derive_timeline(claims, until=day)
            expected = derive_status(claims, day)
            if not timeline:
                assert expected.status == ControlStatus.unknown
                continue
            assert timeline[-1].latest == expected, day
