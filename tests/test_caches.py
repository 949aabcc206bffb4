"""The caches never serve anything older than the data, and really are used."""

from __future__ import annotations

import threading
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from app import revisions
from app.cache import database_key
from app.page_cache import PageCache
from app.sources import service as sources_service
from app.sources.track_record import judge_by_settlement, records_by_source
from app.status import service as status_service
from app.status.history import RegionHistory
from tests.helpers import (
    add_claim,
    add_settlements,
    count_queries,
    decide,
    log_in,
    make_user,
    ukrainian_sudzha,
)


def page_cache_of(app) -> PageCache:
    layer = app.middleware_stack
    while not isinstance(layer, PageCache):
        layer = layer.app
    return layer


def test_every_content_write_moves_the_revision_and_nothing_else_does(fresh_db, fresh_app):
    with fresh_db.read_session() as session:
        start = revisions.current(session)
    make_user(fresh_db, "erin")  # users are not content
    log_in(TestClient(fresh_app), "erin")  # nor are sessions and the audit log
    with fresh_db.read_session() as session:
        assert revisions.current(session) == start
    with fresh_db.writing() as session:
        from app.sources.models import Source

        session.get(Source, 1).homepage = "https://example.org"
    with fresh_db.read_session() as session:
        assert revisions.current(session) == start + 1


def test_the_settlement_directory_outlives_claim_writes_not_settlement_writes(fresh_db):
    """Keyed on the settlements table's own revision: a claim written keeps the directory
    (5,000 names are not read again after every approval); a rename, in an ORM object or a
    bulk statement, replaces it at once."""
    from sqlalchemy import update

    from app.settlements import service as settlements_service
    from app.settlements.models import Settlement

    with fresh_db.read_session() as session:
        kept = settlements_service.directory(session)
    add_claim(
        fresh_db, settlement="sudzha", source="tass", status="contested", as_of=date(2025, 1, 2)
    )
    with fresh_db.read_session() as session:
        assert settlements_service.directory(session) is kept
    with fresh_db.writing() as session:
        session.scalars(
            select(Settlement).where(Settlement.slug == "sudzha")
        ).one().name = "Sudzha I"
    with fresh_db.read_session() as session:
        renamed = settlements_service.directory(session)
        assert renamed is not kept
        assert renamed.by_slug["sudzha"].name == "Sudzha I"
    with fresh_db.writing() as session:
        session.execute(
            update(Settlement).where(Settlement.slug == "sudzha").values(name="Sudzha II")
        )
    with fresh_db.read_session() as session:
        assert settlements_service.directory(session).by_slug["sudzha"].name == "Sudzha II"


def test_a_settlement_written_by_an_older_server_is_read_in_when_asked_for(fresh_db, fresh_app):
    """During a rolling deploy a server of the older release adds a settlement and moves
    only the content revision: its claims and changes are shown, not a 500, on a server
    whose directory predates it."""
    from sqlalchemy import update

    from app.revisions import SETTLEMENTS, ContentRevision

    reader = TestClient(fresh_app)
    assert reader.get("/timeline").status_code == 200  # the directory is kept
    add_settlements(fresh_db, 1, start=900)
    with fresh_db.writing() as session:  # as the older release would have left it
        session.execute(
            update(ContentRevision)
            .where(ContentRevision.id == SETTLEMENTS)
            .values(value=ContentRevision.value - 1)
        )
    for page in ("/timeline", "/?as_of=2025-01-30", "/settlements/village-900"):
        response = reader.get(page)
        assert response.status_code == 200, page
    assert "Village 900" in reader.get("/timeline").text


def test_incremental_history_equals_a_full_rebuild(editor, reviewer, fresh_db):
    with fresh_db.read_session() as session:
        status_service.region_history(session, 14)  # cached before the change
    claim_id = ukrainian_sudzha(editor)
    decide(reviewer, claim_id, "approve")
    with fresh_db.read_session() as session:
        updated = status_service.region_history(session, 14)
        rebuilt = RegionHistory.build(status_service._facts_by_settlement(session), 14)
    assert updated.events == rebuilt.events
    for sid, history in rebuilt.settlements.items():
        assert updated.of(sid).days == history.days
        assert updated.of(sid).derived == history.derived
    assert (
        updated.on(_sudzha_id(fresh_db), date(2025, 3, 25))[0].status.value == "ukrainian_control"
    )


def test_incremental_track_records_equal_a_full_rebuild(editor, reviewer, fresh_db):
    today = date(2025, 6, 1)
    with fresh_db.read_session() as session:
        history = status_service.region_history(session, 14)
        before = sources_service.track_records(session, history, today, 14)  # cached
    decide(reviewer, ukrainian_sudzha(editor), "approve")  # a confirmed claim on Sudzha
    with fresh_db.read_session() as session, count_queries(fresh_db) as counted:
        history = status_service.region_history(session, 14)
        updated = sources_service.track_records(session, history, today, 14)
    with fresh_db.read_session() as session:
        claims = sources_service.judged_claims(session)
    rebuilt = records_by_source(
        judge_by_settlement(claims, lambda sid, day: history.on(sid, day)[0], today)
    )

    judged_again = [
        s for s in counted.statements if "claims.verification" in s and "sources" not in s
    ]
    assert len(judged_again) == 1 and " IN " in judged_again[0]  # Sudzha's claims only
    assert {s: r.outcomes for s, r in updated.items()} == {
        s: r.outcomes for s, r in rebuilt.items()
    }
    assert {s: r.outcomes for s, r in updated.items()} != {s: r.outcomes for s, r in before.items()}


def _sudzha_id(database) -> int:
    from app.settlements import service as settlements_service

    with database.read_session() as session:
        return settlements_service.get_by_slug(session, "sudzha").id


def test_readers_get_cached_pages_until_the_data_changes(editor, reviewer, fresh_app, fresh_db):
    reader = TestClient(fresh_app)
    cache = page_cache_of(fresh_app)
    first = reader.get("/settlements/sudzha?as_of=2025-03-25")
    hits = cache.hits
    second = reader.get("/settlements/sudzha?as_of=2025-03-25")
    assert cache.hits == hits + 1
    assert second.text == first.text
    assert second.headers["content-security-policy"]  # headers are added on the way out

    decide(reviewer, ukrainian_sudzha(editor), "approve")
    third = reader.get("/settlements/sudzha?as_of=2025-03-25")
    assert 'class="status-card status-card--ukrainian_control"' in third.text


def test_people_with_a_session_always_get_a_fresh_page(editor, fresh_app):
    cache = page_cache_of(fresh_app)
    before = (cache.hits, cache.misses)
    editor.get("/")
    editor.get("/")
    assert (cache.hits, cache.misses) == before


def test_caches_are_per_database(demo_db, fresh_db):
    with demo_db.read_session() as a, fresh_db.read_session() as b:
        assert database_key(a) != database_key(b)


def test_status_tables_are_kept_per_date_and_follow_approvals(editor, reviewer, fresh_db):
    on = date(2025, 3, 25)

    def sudzha_on_the_day() -> str:
        with fresh_db.read_session() as session:
            rows = status_service.status_table(session, on, 14)
        return next(r for r in rows if r.settlement.slug == "sudzha").status.value

    assert sudzha_on_the_day() == "russian_control"
    with fresh_db.read_session() as session:
        first = status_service.status_table(session, on, 14)
        again = status_service.status_table(session, on, 14)
    assert again == first and again is not first  # the same rows, a list of the caller's own
    assert all(a is b for a, b in zip(first, again, strict=True))  # derived once

    decide(reviewer, ukrainian_sudzha(editor), "approve")
    assert sudzha_on_the_day() == "ukrainian_control"


def test_readers_arriving_together_at_a_cold_cache_derive_everything_once(empty_db):
    add_settlements(empty_db, 300, 0)
    readers = 8
    start = threading.Barrier(readers)
    histories: list[RegionHistory] = []
    records: list[dict] = []

    def read() -> None:
        with empty_db.read_session() as session:
            start.wait()
            history = status_service.region_history(session, 14)
            histories.append(history)
            records.append(sources_service.track_records(session, history, date(2025, 6, 1), 14))

    with count_queries(empty_db) as counted:
        threads = [threading.Thread(target=read) for _ in range(readers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    # One derivation and one track record; the other readers waited for them.
    facts_queries = [s for s in counted.statements if "sources.side" in s]
    judged_queries = [
        s for s in counted.statements if "claims.verification" in s and "sources" not in s
    ]
    assert len(facts_queries) == 1, facts_queries
    assert len(judged_queries) == 1, judged_queries
    assert len(histories) == readers and all(h is histories[0] for h in histories)
    assert all(r is records[0] for r in records)
