"""HTTP caching: readers' pages carry an ETag and a short public life, a matching
If-None-Match is answered 304 without rendering, and nothing of one person's is shared."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.http_cache import (
    MAX_STALENESS,
    Variant,
    if_none_match_matches,
    public_cache_control,
    seconds_until_tomorrow,
)
from app.page_cache import PageCache
from tests.helpers import add_claim, count_queries, running_app

PUBLIC_PATHS = [
    "/",
    "/map",
    "/timeline?as_of=2025-04-01",
    "/settlements?q=gor",
    "/settlements/sudzha",
    "/contested",
    "/sources/isw",
    "/about/method",
    "/claims/1",
    "/export/claims.csv",
    "/export/status.csv?as_of=2025-04-08",
    "/export/status.geojson",
    "/feed.atom",
    "/api/v1/status",
    "/api/v1/claims?limit=5",
    "/api/v1/settlements/sudzha",
]
CACHE_CONTROL = re.compile(r"^public, max-age=(\d+), stale-while-revalidate=(\d+)$")


def page_cache_of(app) -> PageCache:
    layer = app.middleware_stack
    while not isinstance(layer, PageCache):
        layer = layer.app
    return layer


def vary_of(response) -> set[str]:
    return {name.strip().lower() for name in response.headers.get("vary", "").split(",")}


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_readers_pages_carry_an_etag_and_a_short_public_life(reader, path):
    response = reader.get(path)
    assert response.status_code == 200
    assert re.fullmatch(r'W/"\d+-[0-9a-f]{24}"', response.headers["etag"])
    match = CACHE_CONTROL.match(response.headers["cache-control"])
    assert match, response.headers["cache-control"]
    max_age, stale = map(int, match.groups())
    assert max_age + stale <= MAX_STALENESS == 60
    # What the answer depends on, named for shared caches.
    assert {"accept-encoding", "cookie", "hx-request", "hx-target"} <= vary_of(response)


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_a_matching_etag_gets_304_without_rendering(demo_app, path):
    reader = TestClient(demo_app)
    cache = page_cache_of(demo_app)
    etag = reader.get(path).headers["etag"]
    before = (cache.hits, cache.misses, cache.not_modified)
    with count_queries(demo_app.state.db) as queries:
        response = reader.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert CACHE_CONTROL.match(response.headers["cache-control"])
    assert response.headers["content-security-policy"]
    # Neither a render nor a page-cache hit: one read of the content revision (straight
    # through the driver, so no statement of SQLAlchemy's), nothing else.
    assert (cache.hits, cache.misses, cache.not_modified) == (before[0], before[1], before[2] + 1)
    assert (queries.count, queries.checkouts) == (0, 1)


def test_if_none_match_lists_and_weak_forms_match(reader):
    etag = reader.get("/contested").headers["etag"]
    strong = etag.removeprefix("W/")
    for header in (etag, strong, f'W/"0-old", {etag}', f'"x",{strong}'):
        assert reader.get("/contested", headers={"If-None-Match": header}).status_code == 304
    assert reader.get("/contested", headers={"If-None-Match": 'W/"0-old"'}).status_code == 200
    assert reader.head("/contested", headers={"If-None-Match": etag}).status_code == 304


def test_the_etag_changes_with_the_data(fresh_client, fresh_db):
    before = fresh_client.get("/settlements/sudzha")
    etag = before.headers["etag"]
    add_claim(
        fresh_db,
        settlement="sudzha",
        source="isw",
        status="ukrainian_control",
        as_of=date(2025, 4, 20),
    )
    changed = fresh_client.get("/settlements/sudzha", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.text != before.text


def test_the_etag_follows_what_the_answer_depends_on(reader):
    def etag(path: str, **headers: str) -> str:
        return reader.get(path, headers=headers).headers["etag"]

    page = etag("/timeline?as_of=2025-04-01")
    assert etag("/timeline?as_of=2025-04-01") == page
    assert etag("/timeline?as_of=2025-04-02") != page
    assert etag("/timeline", **{"HX-Request": "true", "HX-Target": "page"}) != etag("/timeline")
    assert etag("/feed.atom", host="mirror.example.org") != etag("/feed.atom")


def test_another_process_answers_a_known_etag_with_304(fresh_url):
    """A worker that never handed the ETag out renders, sees it match, and sends no body."""
    with running_app(fresh_url) as (_app, first):
        etag = first.get("/settlements/sudzha").headers["etag"]
    with running_app(fresh_url) as (app, second):
        response = second.get("/settlements/sudzha", headers={"If-None-Match": etag})
        assert response.status_code == 304
        assert response.content == b""
        assert page_cache_of(app).misses == 1
        # Known now: the next one is answered without rendering.
        assert second.get("/settlements/sudzha", headers={"If-None-Match": etag}).status_code == 304
        assert page_cache_of(app).misses == 1


def test_without_kept_pages_readers_still_get_etags_and_304(fresh_url):
    with running_app(fresh_url, page_cache=False) as (app, reader):
        etag = reader.get("/contested").headers["etag"]
        assert reader.get("/contested", headers={"If-None-Match": etag}).status_code == 304
        assert reader.get("/contested").text.startswith("<!doctype html>")
        assert page_cache_of(app).hits == 0


# --- never shared --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/settlements/sudzha", "/claims/new", "/import", "/feed.atom"]
)
def test_a_signed_in_person_gets_private_pages_and_no_304(editor, anonymous, path):
    etag = anonymous.get("/settlements/sudzha").headers["etag"]
    response = editor.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    assert "etag" not in response.headers


def test_review_and_audit_are_private(reviewer):
    for path in ("/review", "/audit"):
        response = reviewer.get(path)
        assert response.headers["cache-control"] == "private, no-store", path
        assert "etag" not in response.headers, path


def test_a_form_with_a_csrf_token_gets_no_etag_and_never_304(anonymous):
    first = anonymous.get("/login")
    assert first.headers["cache-control"] == "private, no-store"
    assert "etag" not in first.headers
    fresh = TestClient(anonymous.app)
    answer = fresh.get("/login", headers={"If-None-Match": "*"})
    assert answer.status_code == 200 and 'name="csrf_token"' in answer.text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/settlements/atlantis", 404),
        ("/?as_of=9999-12-31", 422),
        ("/export/claims.csv?side=martian", 422),
        ("/api/v1/settlements/atlantis", 404),
        ("/static/css/none.css", 404),
    ],
)
def test_errors_are_never_cached(reader, path, status):
    response = reader.get(path)
    assert response.status_code == status
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


def test_health_checks_are_not_cached(reader):
    for path in ("/healthz", "/healthz/live"):
        assert "public" not in reader.get(path).headers.get("cache-control", "")


# --- the day and the freshness -------------------------------------------------------------

TZ14 = timedelta(hours=14)


def at_utc14(hour: int, minute: int, second: int = 0) -> datetime:
    """A moment given as the time of day in UTC+14, where "today" changes."""
    return datetime(2026, 3, 1, hour, minute, second, tzinfo=UTC) - TZ14


def test_a_page_is_never_kept_past_the_change_of_day():
    assert public_cache_control(at_utc14(12, 0)) == "public, max-age=30, stale-while-revalidate=30"
    assert seconds_until_tomorrow(at_utc14(23, 59, 10)) == 50
    assert public_cache_control(at_utc14(23, 59, 10)) == (
        "public, max-age=30, stale-while-revalidate=20"
    )
    assert public_cache_control(at_utc14(23, 59, 45)) == (
        "public, max-age=15, stale-while-revalidate=0"
    )
    assert public_cache_control(at_utc14(23, 59, 59)) == (
        "public, max-age=1, stale-while-revalidate=0"
    )


def test_the_etag_names_the_day_and_the_revision():
    base = Variant("/", b"", (b"", b"", b"", b""), None, 7, date(2026, 3, 1))
    assert base.etag == Variant("/", b"", (b"", b"", b"", b""), None, 7, date(2026, 3, 1)).etag
    assert base.etag != Variant("/", b"", (b"", b"", b"", b""), None, 7, date(2026, 3, 2)).etag
    assert base.etag != Variant("/", b"", (b"", b"", b"", b""), None, 8, date(2026, 3, 1)).etag
    assert base.etag.startswith('W/"7-')


def test_if_none_match_parsing():
    assert if_none_match_matches("*", 'W/"1-a"')
    assert if_none_match_matches(' "0-b" , W/"1-a"', 'W/"1-a"')
    assert not if_none_match_matches('W/"1-ab"', 'W/"1-a"')
    assert not if_none_match_matches("", 'W/"1-a"')


# --- the event loop ------------------------------------------------------------------------


def test_the_page_cache_reads_the_revision_off_the_event_loop(fresh_app, fresh_db):
    """A blocking database read on the event loop would stall every other request. The
    revision is read straight through the driver, so what is watched is every connection
    taken from the pool."""
    from sqlalchemy import event

    on_loop: list[bool] = []

    def checkout(*_args) -> None:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)

    reader = TestClient(fresh_app)
    reader.get("/contested")
    event.listen(fresh_db.engine, "checkout", checkout)
    try:
        reader.get("/contested")  # a page-cache hit: the revision is the only read
    finally:
        event.remove(fresh_db.engine, "checkout", checkout)
    assert on_loop == [False]


def test_reading_the_revision_leaves_pooled_connections_as_they_were(fresh_app, fresh_db):
    """The revision is read outside a transaction; the connection goes back to the pool as it
    came: on SQLite, transactions still ours (the driver's own handling off), on
    PostgreSQL not in autocommit."""
    reader = TestClient(fresh_app)
    for _ in range(3):
        reader.get("/contested")
    assert reader.get("/healthz").status_code == 200
    pool = fresh_db.engine.pool
    held = [fresh_db.engine.raw_connection() for _ in range(pool.checkedin())]
    try:
        assert held
        for pooled in held:
            driver = pooled.driver_connection
            if fresh_db.is_sqlite:
                assert driver.isolation_level is None
            else:
                assert driver.autocommit is False
    finally:
        for pooled in held:
            pooled.close()


def test_a_database_without_the_revision_row_still_answers(fresh_app, fresh_db):
    """The row is there after every migration; if someone deleted it, pages still render
    (revision 0) instead of failing on every request."""
    from sqlalchemy import text

    from app import revisions

    with fresh_db.writing() as session:
        session.execute(text("DELETE FROM content_revision"))
    assert revisions.read_current(fresh_db) == 0
    assert TestClient(fresh_app).get("/contested").status_code == 200


# --- the framework's ceiling ---------------------------------------------------------------


def test_the_liveness_route_touches_nothing(demo_app):
    reader = TestClient(demo_app)
    with count_queries(demo_app.state.db) as queries:
        response = reader.get("/healthz/live")
    assert response.status_code == 200
    assert response.text == "ok"
    assert (queries.count, queries.checkouts) == (0, 0)
    assert "set-cookie" not in response.headers
    assert response.headers["content-security-policy"]
    assert reader.head("/healthz/live").status_code == 200
    assert reader.post("/healthz/live").status_code == 405
