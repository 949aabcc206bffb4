"""The status from each settlement's window alone equals the status from its whole history.

Pages ask for "every settlement on (D, K)" without deriving any history: the anchor and the
window come from the database (status_service.statuses_on), "since when" and the changes from
the persisted status changes (app/freshness.py). Here both are compared, day by day and for
several knowledge dates, with the region's history derived from every claim.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from app.claims.models import Claim
from app.db import Database
from app.settlements.models import Settlement
from app.sources.models import Source
from app.status import service as status_service
from tests.helpers import WINDOW, assert_persisted_changes_match_history, history_from_scratch

DEMO_FIRST, DEMO_LAST = date(2024, 8, 1), date(2025, 5, 20)


def every_day(first: date, last: date, step: int = 1) -> list[date]:
    return [first + timedelta(days=i) for i in range(0, (last - first).days + 1, step)]


def assert_windows_match_history(
    database: Database, days: list[date], known_ons: list[date | None]
) -> int:
    compared = 0
    with database.read_session() as session:
        settlement_ids = list(session.scalars(select(Settlement.id)))
        for known_on in known_ons:
            history = history_from_scratch(database, known_on)
            for day in days:
                from_windows = status_service.statuses_on(session, day, WINDOW, known_on)
                for settlement_id in settlement_ids:
                    expected, _since = history.on(settlement_id, day)
                    got = from_windows.get(settlement_id, status_service.UNKNOWN)
                    assert got == expected, (settlement_id, day, known_on)
                    compared += 1
    return compared


def assert_changes_as_known_on_match_history(
    database: Database, days: list[date], known_ons: list[date]
) -> None:
    """As known on an earlier date: the stored changes cut there, and the settlements that
    date saw otherwise derived again, give what deriving everything as then known gives."""
    for known_on in known_ons:
        history = history_from_scratch(database, known_on)
        with database.read_session() as session:
            log = status_service.change_log(session, WINDOW, known_on)
            assert isinstance(log, status_service.ChangesAsKnownOn)
            expected_events = list(history.newest_events_until(date.max))
            got_events = list(log.newest_events_until(date.max))
            assert [(e.day, e.settlement_id, e.before, e.after) for e in got_events] == [
                (e.day, e.settlement_id, e.before, e.after) for e in expected_events
            ], known_on
            assert [(e.claim_ids, e.derived.reason, e.sides) for e in got_events] == [
                (e.claim_ids, e.derived.reason, e.sides) for e in expected_events
            ], known_on
            assert log.change_days == history.change_days, known_on
            for day in days:
                assert log.previous_change(day) == history.previous_change(day)
                assert log.next_change(day) == history.next_change(day)
                rows = status_service.status_table(session, day, WINDOW, known_on=known_on)
                for row in rows:
                    derived, since = history.on(row.settlement.id, day)
                    assert (row.derived, row.since) == (derived, since), (
                        row.settlement.slug,
                        day,
                        known_on,
                    )


# Knowledge dates: now, and days within the demo's story (before, during and after its turns).
DEMO_KNOWN_ONS: list[date | None] = [
    None,
    date(2024, 8, 8),
    date(2024, 8, 20),
    date(2025, 3, 13),
    date(2025, 4, 8),
]


def test_on_every_day_of_the_demo_the_window_gives_the_history_status(demo_db):
    compared = assert_windows_match_history(
        demo_db, every_day(DEMO_FIRST, DEMO_LAST), DEMO_KNOWN_ONS
    )
    assert compared > 50_000


def test_on_every_day_of_the_demo_the_persisted_changes_give_since_and_changes(demo_db):
    assert_persisted_changes_match_history(demo_db, every_day(DEMO_FIRST, DEMO_LAST))


def test_on_every_day_of_the_demo_the_changes_as_known_then_match_the_history(demo_db):
    assert_changes_as_known_on_match_history(
        demo_db,
        every_day(DEMO_FIRST, DEMO_LAST, 3),
        [k for k in DEMO_KNOWN_ONS if k is not None],
    )


def generated_claims(
    rng: random.Random, settlement_ids: list[int], source_ids: list[int], count: int
) -> list[dict[str, object]]:
    """Claims in every state, dated over 120 days, published up to 20 days later."""
    start = date(2025, 1, 1)
    rows: list[dict[str, object]] = []
    for _ in range(count):
        as_of = start + timedelta(days=rng.randrange(120))
        rows.append(
            {
                "settlement_id": rng.choice(settlement_ids),
                "source_id": rng.choice(source_ids),
                "status": rng.choice(
                    ["russian_control", "ukrainian_control", "contested", "contested", "unknown"]
                ),
                "as_of": as_of,
                "published_on": as_of + timedelta(days=rng.choice([0, 0, 1, 3, 9, 20])),
                "verification": rng.choices(
                    ["unverified", "geolocated", "confirmed", "refuted"], [60, 25, 10, 5]
                )[0],
                "review_state": rng.choices(["approved", "pending", "rejected"], [90, 5, 5])[0],
                "version": 1,
            }
        )
    return rows


@pytest.mark.parametrize("seed", [1, 2])
def test_on_generated_claims_the_window_gives_the_history_status(reference_db, seed):
    rng = random.Random(seed)
    with reference_db.writing() as session:
        settlement_ids = list(session.scalars(select(Settlement.id)))[:8]
        source_ids = list(session.scalars(select(Source.id)))
        session.execute(insert(Claim), generated_claims(rng, settlement_ids, source_ids, 700))
    # Corrections published later than the claims they replace (seen otherwise before).
    with reference_db.writing() as session:
        approved = list(
            session.execute(
                select(Claim.id, Claim.settlement_id, Claim.source_id, Claim.as_of).where(
                    Claim.review_state == "approved"
                )
            )
        )
        corrections = []
        for claim_id, settlement_id, source_id, as_of in rng.sample(approved, 30):
            corrections.append(
                {
                    "settlement_id": settlement_id,
                    "source_id": source_id,
                    "status": rng.choice(["russian_control", "ukrainian_control"]),
                    "as_of": as_of,
                    "published_on": as_of + timedelta(days=rng.randrange(5, 30)),
                    "verification": "geolocated",
                    "review_state": "approved",
                    "supersedes_id": claim_id,
                    "version": 1,
                }
            )
        session.execute(insert(Claim), corrections)
    days = every_day(date(2024, 12, 25), date(2025, 6, 1))
    known_ons: list[date | None] = [
        None,
        date(2025, 1, 10),
        date(2025, 2, 15),
        date(2025, 3, 30),
        date(2025, 5, 1),
    ]
    assert_windows_match_history(reference_db, days, known_ons)
    assert_persisted_changes_match_history(reference_db, days[::3])
    assert_changes_as_known_on_match_history(
        reference_db, days[::5], [k for k in known_ons if k is not None]
    )
