"""The rule on the demo data (facts from public reporting), and its query budget."""

from __future__ import annotations

from datetime import date

import pytest

from app.claims.models import Claim, ControlStatus
from app.settlements.models import Settlement
from app.sources.models import Side
from app.status import service as status_service
from app.status.derive import Reason
from tests.helpers import add_settlements, correct_guyevo_recapture, count_queries

WINDOW = 14


def status_on(database, slug: str, on: date):
    with database.read_session() as session:
        rows = status_service.status_table(session, on, WINDOW)
    return next(r for r in rows if r.settlement.slug == slug)


class TestDemoData:
    """The checks data/README.md asks for."""

    def test_guyevo_on_2025_04_08_is_russian_by_the_geolocated_mod_claim(self, demo_db):
        row = status_on(demo_db, "guyevo", date(2025, 4, 8))
        assert row.status == ControlStatus.russian_control
        assert row.derived.confidence.value == "medium"
        with demo_db.read_session() as session:
            decider = session.get(Claim, row.derived.deciding_claim_id)
            assert decider.source.slug == "russia-mod"
            assert decider.verification.value == "geolocated"

    @pytest.mark.parametrize("slug", ["gornal", "oleshnya"])
    def test_gornal_and_oleshnya_on_2025_04_08_are_contested(self, demo_db, slug):
        assert status_on(demo_db, slug, date(2025, 4, 8)).status == ControlStatus.contested

    def test_sudzha_on_2024_08_20_is_ukrainian(self, demo_db):
        row = status_on(demo_db, "sudzha", date(2024, 8, 20))
        assert row.status == ControlStatus.ukrainian_control
        assert row.since == date(2024, 8, 15)

    def test_sudzha_is_contested_while_kyiv_reports_fighting_then_russian(self, demo_db):
        # 12 March: a neutral report of Russian control and Syrskyi's report of fighting, the
        # same day: a dispute. 13 March: Moscow and Reuters say Russian control; Kyiv's word
        # is still "fighting". 15 March: Ukrainian sources concede.
        row = status_on(demo_db, "sudzha", date(2025, 3, 13))
        assert (row.status, row.derived.reason) == (ControlStatus.contested, Reason.conflict)
        assert row.since == date(2025, 3, 12)
        row = status_on(demo_db, "sudzha", date(2025, 3, 20))
        assert row.status == ControlStatus.russian_control
        assert row.since == date(2025, 3, 15)
        assert row.derived.confidence.value == "high"  # both belligerents say so

    def test_sudzha_on_2024_08_20_is_confirmed_on_the_ground(self, demo_db):
        row = status_on(demo_db, "sudzha", date(2024, 8, 20))
        assert row.derived.reason == Reason.confirmed
        assert row.derived.confidence.value == "high"

    def test_gornal_on_2025_04_27_is_contested_because_the_sides_disagree(self, demo_db):
        row = status_on(demo_db, "gornal", date(2025, 4, 27))
        assert row.status == ControlStatus.contested
        assert row.derived.reason == Reason.conflict
        with demo_db.read_session() as session:
            sides = {session.get(Claim, i).source.side for i in row.derived.conflicting_claim_ids}
        assert sides == {Side.russia, Side.ukraine}

    def test_settlement_without_claims_is_unknown(self, demo_db):
        # Every demo settlement has claims; Tetkino's first is of May 2025.
        row = status_on(demo_db, "tetkino", date(2025, 4, 8))
        assert row.status == ControlStatus.unknown
        assert row.since is None

    def test_before_any_claim_everything_is_unknown(self, demo_db):
        with demo_db.read_session() as session:
            rows = status_service.status_table(session, date(2024, 1, 1), WINDOW)
        assert {r.status for r in rows} == {ControlStatus.unknown}

    def test_contested_set_carries_the_competing_claims_by_side(self, demo_db):
        with demo_db.read_session() as session:
            rows = status_service.status_table(session, date(2025, 4, 27), WINDOW)
            contested = status_service.contested(session, status_service.contested_rows_of(rows))
            gornal = next(c for c in contested if c.row.settlement.slug == "gornal")
            # Each side's latest word: Moscow's of the 27th, Kyiv's two of the 26th.
            assert {c.source.slug for c in gornal.claims_by_side[Side.russia]} == {"ria-novosti"}
            assert {c.source.slug for c in gornal.claims_by_side[Side.ukraine]} == {
                "deepstate",
                "ua-general-staff",
            }


def test_status_of_all_settlements_takes_the_same_few_queries_at_any_size(empty_db):
    add_settlements(empty_db, 10, 0)
    with empty_db.read_session() as session, count_queries(empty_db) as small:
        rows = status_service.status_table(session, date(2025, 2, 1), WINDOW)
    assert len(rows) == 10

    add_settlements(empty_db, 290, 10)
    with empty_db.read_session() as session, count_queries(empty_db) as large:
        rows = status_service.status_table(session, date(2025, 2, 1), WINDOW)
    assert len(rows) == 300

    # A cold start and an update after new claims each take a handful of statements...
    assert small.count <= 5, small.statements
    assert large.count <= 5, large.statements
    # ...and with nothing new, one: the content revision (everything else is cached).
    with empty_db.read_session() as session, count_queries(empty_db) as cached:
        status_service.status_table(session, date(2025, 2, 1), WINDOW)
    assert cached.count == 1, cached.statements
    # The rule really ran: sides disagreeing within 14 days make a village contested.
    assert {r.status for r in rows} == {ControlStatus.contested, ControlStatus.ukrainian_control}


@pytest.mark.parametrize(
    "known_on",
    [date(2024, 8, 6), date(2024, 8, 8), date(2024, 8, 20), date(2025, 3, 12), date(2025, 5, 7)],
)
def test_the_history_as_known_on_a_date_equals_one_derived_from_scratch(demo_db, known_on):
    """Today's history cut at K, with the settlements K saw otherwise derived again, is the
    history of every claim published by K (what region_history keeps per knowledge date)."""
    from app.status.history import RegionHistory

    with demo_db.read_session() as session:
        kept = status_service.region_history(session, WINDOW, known_on)
        facts = status_service._facts_by_settlement(session, known_on=known_on)
    fresh = RegionHistory.build(facts, WINDOW, known_on)
    for settlement_id in set(kept.settlements) | set(fresh.settlements):
        a, b = kept.of(settlement_id), fresh.of(settlement_id)
        assert (a.days, a.derived, a.intervals) == (b.days, b.derived, b.intervals)
    assert kept.events == fresh.events
    assert kept.change_days == fresh.change_days


def test_a_correction_counts_from_the_day_it_was_published(fresh_db):
    from sqlalchemy import select

    from app.status.history import RegionHistory

    correct_guyevo_recapture(fresh_db, published_on=date(2025, 4, 20))
    before = date(2025, 4, 10)
    with fresh_db.read_session() as session:
        as_known_then = status_service.region_history(session, WINDOW, before)
        fresh = RegionHistory.build(
            status_service._facts_by_settlement(session, known_on=before), WINDOW, before
        )
        now = status_service.region_history(session, WINDOW)
        guyevo_id = session.scalar(select(Settlement.id).where(Settlement.slug == "guyevo"))
    on = date(2025, 4, 9)
    assert as_known_then.on(guyevo_id, on)[0].status == ControlStatus.russian_control
    assert fresh.on(guyevo_id, on)[0] == as_known_then.on(guyevo_id, on)[0]
    assert now.on(guyevo_id, on)[0].status == ControlStatus.contested
