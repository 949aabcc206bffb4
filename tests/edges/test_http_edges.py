"""The app's answers at the edge of HTTP: crashes, foreign Host headers, private pages, HEAD."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.helpers import csrf_from, log_in, make_user, running_app, snapshot, ukrainian_sudzha

SECURITY_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
}


def assert_security_headers(response) -> None:
    for name, expected in SECURITY_HEADERS.items():
        assert expected in response.headers.get(name, ""), name


# --- a 500 that still happens --------------------------------------------------------------


@pytest.fixture
def crashing_app(fresh_url):
    with running_app(fresh_url) as (app, _):

        def crash() -> None:
            raise RuntimeError("a defect the tests put here")

        # Only in this test's app: no route of the real one raises on purpose.
        app.add_api_route("/crash-for-tests", crash)
        app.add_api_route("/api/v1/crash-for-tests", crash)
        yield app


def test_a_crash_gets_the_error_page_with_the_security_headers(crashing_app):
    client = TestClient(crashing_app, raise_server_exceptions=False)
    response = client.get("/crash-for-tests", headers={"accept": "text/html"})
    assert response.status_code == 500
    assert_security_headers(response)
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in response.text
    assert 'class="site-footer"' in response.text  # the site's own page, not a bare line
    assert "a defect the tests put here" not in response.text  # no internals shown

    response = client.get("/api/v1/crash-for-tests")
    assert response.status_code == 500
    assert_security_headers(response)
    assert response.json() == {"detail": response.json()["detail"]}


# --- hosts ---------------------------------------------------------------------------------

EVIL = "evil.example"


@pytest.mark.parametrize("path", ["/feed.atom", "/settlements/sudzha/feed.atom"])
def test_feed_ids_do_not_depend_on_the_host(client, path):
    one = client.get(path).text
    other = client.get(path, headers={"host": "other.example"}).text
    ids = [line.strip() for line in one.splitlines() if "<id>" in line]
    assert ids and all("tag:kursk-tracker,2024:" in line for line in ids)
    assert ids == [line.strip() for line in other.splitlines() if "<id>" in line]


@pytest.fixture
def published_app(fresh_url):
    with running_app(
        fresh_url,
        base_url="https://tracker.example.org/",
        allowed_hosts="tracker.example.org,testserver",
    ) as (app, _):
        yield app


def test_with_a_base_url_absolute_links_ignore_the_host_header(fresh_url):
    with running_app(fresh_url, base_url="https://tracker.example.org") as (_app, client):
        for path in ("/feed.atom", "/api/v1/claims?limit=2"):
            response = client.get(path, headers={"host": EVIL})
            assert response.status_code == 200
            assert EVIL not in response.text
        next_link = client.get("/api/v1/claims?limit=2", headers={"host": EVIL}).json()["next"]
        assert next_link.startswith("https://tracker.example.org/api/v1/claims?")


def test_allowed_hosts_refuse_other_hosts(published_app):
    client = TestClient(published_app)
    response = client.get("/", headers={"host": EVIL})
    assert response.status_code == 400
    assert_security_headers(response)
    assert client.get("/", headers={"host": "tracker.example.org"}).status_code == 200


@pytest.mark.parametrize("path", ["/feed.atom", "/settlements/sudzha/feed.atom", "/api/v1/claims"])
def test_a_foreign_host_never_reaches_the_next_reader(fresh_url, path):
    """Without KT_BASE_URL, links follow the request's host: the page cache keeps them apart."""
    with running_app(fresh_url) as (_app, client):
        params = {"limit": "2"} if path.startswith("/api/") else None
        poisoned = client.get(path, params=params, headers={"host": EVIL})
        assert EVIL in poisoned.text  # what that client asked for
        normal = client.get(path, params=params)
        assert normal.status_code == 200
        assert EVIL not in normal.text


def test_the_page_cache_keeps_htmx_fragments_apart(client):
    full = client.get("/timeline", params={"as_of": "2025-04-01"})
    fragment = client.get(
        "/timeline",
        params={"as_of": "2025-04-01"},
        headers={"HX-Request": "true", "HX-Target": "page"},
    )
    again = client.get("/timeline", params={"as_of": "2025-04-01"})
    assert full.text == again.text
    assert "<html" in full.text and fragment.status_code == 200


# --- private pages -------------------------------------------------------------------------


def test_pages_for_a_signed_in_person_are_private(editor, reviewer):
    ukrainian_sudzha(editor)
    for client, paths in (
        (editor, ["/", "/settlements/sudzha", "/claims/new", "/import", "/api/v1/claims"]),
        (reviewer, ["/review", "/audit", "/", "/feed.atom", "/export/claims.csv"]),
    ):
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["cache-control"] == "private, no-store", path


def test_a_pending_claim_page_is_private(editor):
    claim_id = ukrainian_sudzha(editor)
    response = editor.get(f"/claims/{claim_id}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"


def test_a_page_with_a_csrf_token_is_private_even_without_a_session(anonymous):
    response = anonymous.get("/login")
    assert 'name="csrf_token"' in response.text
    assert response.headers["cache-control"] == "private, no-store"


def test_a_login_redirect_is_private(fresh_app, fresh_db):
    make_user(fresh_db, "erin", "editor")
    client = TestClient(fresh_app)
    token = csrf_from(client, "/login")
    response = client.post(
        "/login",
        data={"username": "erin", "password": "correct horse battery staple", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["cache-control"] == "private, no-store"


def test_public_pages_for_readers_stay_shareable(client):
    for path in ("/", "/settlements/sudzha", "/feed.atom", "/api/v1/status"):
        assert "private" not in client.get(path).headers.get("cache-control", "")


# --- HEAD ----------------------------------------------------------------------------------

HEAD_PATHS = [
    "/",
    "/map",
    "/timeline",
    "/contested",
    "/settlements",
    "/settlements/sudzha",
    "/sources",
    "/sources/isw",
    "/about/method",
    "/claims/1",
    "/feed.atom",
    "/export/claims.csv",
    "/export/settlements.csv",
    "/export/status.csv",
    "/export/status.geojson",
    "/api/v1/claims",
    "/api/v1/status",
    "/docs",
    "/healthz",
]


@pytest.mark.parametrize("path", HEAD_PATHS)
def test_head_answers_like_get_without_a_body(client, path):
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert_security_headers(head)


def test_head_keeps_get_s_refusals(client):
    assert client.head("/", params={"as_of": "9999-12-31"}).status_code == 422
    assert client.head("/settlements/atlantis").status_code == 404
    assert client.head("/login", params={}).status_code == 200


def test_head_on_a_write_route_changes_nothing(fresh_app, fresh_db):
    make_user(fresh_db, "rita", "reviewer")
    client = log_in(TestClient(fresh_app), "rita")
    before = snapshot(fresh_db)
    assert client.head("/logout").status_code == 405
    assert client.head("/claims/1/approve").status_code == 405
    assert snapshot(fresh_db) == before


# --- addresses and headers too long to repeat ----------------------------------------------

LONG_ADDRESSES = [
    "/settlements?q=" + "x" * 60_000,
    "/settlements?q=" + "%D0%96" * 10_000,
    "/" + "x" * 20_000,
    "/?as_of=" + "x" * 60_000,
    "/timeline?district=" + "x" * 60_000,
    "/settlements/sudzha?after=" + "x" * 60_000,
]


@pytest.mark.parametrize("address", LONG_ADDRESSES, ids=lambda a: a[:24])
def test_a_page_never_repeats_an_address_too_long_to_be_real(client, address):
    """A page repeats its address in its links (one per language, the date control's fields):
    an address over 8,192 bytes is refused before anything repeats it (it made 666 KB pages)."""
    response = client.get(address)
    assert response.status_code == 414
    assert len(response.content) < 2_000
    assert "longer than 8,192 characters" in response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert_security_headers(response)


def test_the_api_refuses_a_too_long_address_in_json(client):
    response = client.get("/api/v1/claims?settlement=" + "x" * 9_000)
    assert response.status_code == 414
    assert "longer than 8,192 characters" in response.json()["detail"]


def test_a_real_page_at_its_longest_and_its_links_are_answered(demo_app):
    """The longest search (200 letters of four bytes, percent-encoded) with every filter and
    both dates: the page is answered, and so is each of its own links (the language switch
    percent-encodes the whole address once more)."""
    import html as html_module
    import re

    emoji = "%F0%9F%98%80" * 200
    address = (
        f"/settlements?q={emoji}&district=Korenevsky&status=contested&stale=1"
        f"&as_of=2025-03-13&known_on=2025-03-01&after={'A' * 40}"
    )
    client = TestClient(demo_app)  # its own: the language switch leaves a cookie behind
    page = client.get(address)
    assert page.status_code in (200, 422)
    links = {html_module.unescape(h) for h in re.findall(r'href="(/[^"]*)"', page.text)}
    assert max(map(len, links)) > 4_000  # the language switch's
    for link in links:
        if not link.startswith("/static/"):
            assert client.get(link, follow_redirects=False).status_code != 414, link


def test_a_host_header_too_long_to_be_a_name_is_refused(client):
    response = client.get("/timeline?lang=ru", headers={"host": "h" * 20_000})
    assert response.status_code == 431
    assert len(response.content) < 2_000


@pytest.mark.parametrize(
    ("address", "location"),
    [
        ("/settlements/", "/settlements"),
        (
            "/settlements/sudzha/?as_of=2025-03-01&lang=en",
            "/settlements/sudzha?as_of=2025-03-01&lang=en",
        ),
        ("/api/v1/status/", "/api/v1/status"),
    ],
)
def test_a_trailing_slash_is_sent_to_the_page_by_a_relative_address(client, address, location):
    """Never an address built from the Host header (it sent readers to any host named)."""
    response = client.get(address, headers={"host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == location


@pytest.mark.parametrize("address", ["/nowhere/", "/settlements/sudzha%2F", "/%2F%2Fevil.example/"])
def test_no_redirect_where_no_page_is(client, address):
    response = client.get(address, follow_redirects=False)
    assert response.status_code == 404


@pytest.mark.parametrize("query", ["as_of=9999-12-31", "as_of=2025-02-30", "known_on=abc"])
def test_a_claim_page_checks_the_dates_its_links_carry(client, query):
    response = client.get(f"/claims/12?{query}")
    assert response.status_code == 422
    assert client.get("/claims/12?as_of=2025-03-01&known_on=2025-02-01").status_code == 200


@pytest.mark.parametrize(("address", "accept"), [("/", "text/html"), ("/api/v1/status", "*/*")])
def test_a_method_not_allowed_names_the_allowed_ones(client, address, accept):
    response = client.request("DELETE", address, headers={"accept": accept})
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"GET", "HEAD"}
    assert client.head(address).status_code == 200


@pytest.mark.parametrize(
    ("referer", "next_page"),
    [("http://testserver/claims/1?lang=en", "/claims/1?lang=en"), (None, "/")],
)
def test_a_form_posted_without_a_session_leads_back_to_its_page_after_login(
    fresh_app, referer, next_page
):
    """Not to the form's action (POST only): that was a 405 once logged in."""
    from urllib.parse import parse_qs, urlsplit

    anonymous = TestClient(fresh_app)
    token = csrf_from(anonymous, "/login")  # a session, but nobody logged in (or logged out)
    headers = {"referer": referer} if referer else {}
    response = anonymous.post(
        "/claims/1/approve",
        data={"csrf_token": token},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [next_page]
    assert anonymous.get(response.headers["location"]).status_code == 200
