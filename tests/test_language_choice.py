"""The reader's language lives in the address (``lang=``): a visitor without one is sent to
theirs once, the switch remembers a choice, every link keeps it, and the data contract (CSV,
GeoJSON, the API) stays English whatever the reader reads."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.language import is_page
from tests.helpers import PASSWORD, csrf_from, make_user

PAGES = [
    "/",
    "/map",
    "/timeline",
    "/settlements",
    "/settlements/sudzha",
    "/contested",
    "/sources",
    "/about/method",
    "/claims/1",
    "/login",
]


@pytest.fixture
def visitor(demo_app) -> TestClient:
    """A first-time visitor: no cookie, and redirects are looked at, not followed."""
    return TestClient(demo_app, follow_redirects=False)


def language_of(response) -> str:
    match = re.search(r'<html lang="([a-z]+)"', response.text)
    assert match, response.text[:300]
    return match.group(1)


@pytest.mark.parametrize(
    ("accept_language", "sent_to"),
    [
        ("uk", "uk"),
        ("uk-UA,uk;q=0.9,en;q=0.5", "uk"),
        ("de-DE,ru;q=0.8,en;q=0.5", "ru"),
        ("ru;q=0.2,uk;q=0.7", "uk"),
    ],
)
def test_a_visitor_is_sent_to_their_browsers_language_once(visitor, accept_language, sent_to):
    response = visitor.get(
        "/settlements?q=gor&status=contested", headers={"Accept-Language": accept_language}
    )
    assert response.status_code == 302
    assert response.headers["location"] == f"/settlements?q=gor&status=contested&lang={sent_to}"
    # Where one is sent depends on who asks: no cache may keep it for the next visitor.
    assert response.headers["cache-control"] == "no-store"
    assert "Accept-Language" in response.headers["vary"]
    # Once there, the address names the language: no further redirect.
    arrived = visitor.get(response.headers["location"], headers={"Accept-Language": "en"})
    assert arrived.status_code == 200
    assert language_of(arrived) == sent_to


@pytest.mark.parametrize("accept_language", ["", "en-GB,en;q=0.9", "de, fr;q=0.5", "q=;;,"])
def test_english_or_unknown_languages_get_the_page_at_once_in_english(visitor, accept_language):
    response = visitor.get("/contested", headers={"Accept-Language": accept_language})
    assert response.status_code == 200
    assert language_of(response) == "en"
    assert response.headers["content-language"] == "en"
    # The same address may send the next visitor elsewhere: shared caches must ask again.
    assert "Accept-Language" in response.headers["vary"]
    # Its links name the language, so that a shared link shows what its sender saw.
    assert 'href="/settlements?lang=en"' in response.text


def test_a_remembered_choice_wins_over_the_browser(visitor):
    visitor.cookies.set("kt_lang", "ru")
    response = visitor.get("/timeline", headers={"Accept-Language": "uk"})
    assert response.headers["location"] == "/timeline?lang=ru"


def test_the_switch_remembers_the_choice_and_keeps_the_view(visitor):
    response = visitor.get(
        "/language",
        params={"lang": "ru", "next": "/settlements/sudzha?as_of=2025-04-08&lang=uk"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/settlements/sudzha?as_of=2025-04-08&lang=ru"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("kt_lang=ru;")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    # The next address without a language follows the choice, whatever the browser says.
    assert visitor.get("/map", headers={"Accept-Language": "uk"}).headers["location"] == (
        "/map?lang=ru"
    )


@pytest.mark.parametrize(
    "next_address",
    [
        "//evil.example/x",
        "https://evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "/export/status.csv",
        "/\r\nSet-Cookie: a=b",
        "",
    ],
)
def test_the_switch_never_leaves_the_site_nor_the_pages(visitor, next_address):
    response = visitor.get("/language", params={"lang": "uk", "next": next_address})
    assert response.status_code == 303
    assert response.headers["location"] == "/?lang=uk"


def test_the_switch_refuses_an_unknown_language_by_name_and_remembers_nothing(visitor):
    response = visitor.get("/language", params={"lang": "de", "next": "/map"})
    assert response.status_code == 422
    assert "<code>lang</code>" in response.text
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "query",
    ["lang=de", "lang=", "lang=UK", "lang=uk&lang=ru", "lang=%3Cscript%3Ealert(1)%3C/script%3E"],
)
def test_an_unknown_or_repeated_language_is_a_422_naming_lang(visitor, query):
    response = visitor.get(f"/settlements?{query}")
    assert response.status_code == 422
    assert "<code>lang</code>" in response.text
    assert "<script>alert" not in response.text
    assert "en (English), uk (Українська), ru (Русский)" in response.text


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("language", ["uk", "ru"])
def test_every_page_speaks_its_language_and_names_its_alternates(reader, path, language):
    response = reader.get(path, params={"lang": language})
    assert response.status_code == 200
    assert language_of(response) == language
    assert response.headers["content-language"] == language
    for code in ("en", "uk", "ru"):
        assert re.search(
            rf'<link rel="alternate" hreflang="{code}" href="http[^"]*lang={code}"', response.text
        )
    # The switch offers every language, in its own words, and marks the one being read.
    assert re.search(
        rf'<a href="/language\?lang={language}[^"]*"[^>]*aria-current="true"', response.text
    )


@pytest.mark.parametrize("path", PAGES)
def test_every_link_to_a_page_keeps_the_language(reader, path):
    html = reader.get(path, params={"lang": "uk", "as_of": "2025-04-08"}).text
    links = [
        link.replace("&amp;", "&")
        for link in re.findall(r'<a [^>]*href="(/[^"#]*)"', html)
        + re.findall(r'<form [^>]*method="post"[^>]*action="(/[^"#]*)"', html)
    ]
    lost = [
        link
        for link in links
        # Downloads, feeds and the API are data (they speak English); the switch sets its own.
        if is_page(urlsplit(link).path)
        and not link.startswith("/language?")
        and parse_qs(urlsplit(link).query).get("lang") != ["uk"]
    ]
    assert not lost, lost
    # A form sent by GET names the language in a field of its own (its action's query is
    # replaced by the fields).
    for form in re.findall(r'<form [^>]*method="get"[^>]*>.*?</form>', html, re.S):
        assert '<input type="hidden" name="lang" value="uk">' in form, form[:200]


def test_each_language_is_its_own_page_with_its_own_etag(reader):
    english = reader.get("/contested?lang=en")
    ukrainian = reader.get("/contested?lang=uk")
    assert english.headers["etag"] != ukrainian.headers["etag"]
    assert language_of(english) == "en"
    assert language_of(ukrainian) == "uk"
    # Asked again, each is served as it was (the page cache keeps them apart).
    assert language_of(reader.get("/contested?lang=uk")) == "uk"
    again = reader.get("/contested?lang=uk", headers={"If-None-Match": ukrainian.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/export/status.csv?as_of=2025-04-08",
        "/api/v1/status?as_of=2025-04-08",
        "/export/claims.csv",
    ],
)
def test_the_data_contract_stays_english(reader, path):
    plain = reader.get(path)
    for asked in ({"Accept-Language": "uk"}, {"Cookie": "kt_lang=ru"}):
        assert reader.get(path, headers=asked).content == plain.content
    separator = "&" if "?" in path else "?"
    assert reader.get(f"{path}{separator}lang=uk").content == plain.content


def test_api_errors_stay_english(reader):
    response = reader.get(
        "/api/v1/status?as_of=2025-13-01&lang=uk", headers={"Accept-Language": "uk"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "as_of"
    assert re.search(r"[а-яіїєґ]", response.text.lower()) is None


def test_a_form_posted_in_a_language_answers_in_it(fresh_app, fresh_db):
    make_user(fresh_db, "olena")
    browser = TestClient(fresh_app, follow_redirects=False)
    token = csrf_from(browser, "/login?lang=uk")
    response = browser.post(
        "/login?lang=uk",
        data={"username": "olena", "password": PASSWORD, "csrf_token": token, "next": "/review"},
    )
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["location"]).query)["lang"] == ["uk"]


def test_a_form_posted_without_a_language_answers_in_the_remembered_one(fresh_app, fresh_db):
    make_user(fresh_db, "petro")
    browser = TestClient(fresh_app, follow_redirects=False)
    browser.cookies.set("kt_lang", "ru")
    token = csrf_from(browser, "/login?lang=ru")
    response = browser.post(
        "/login", data={"username": "petro", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["location"]).query)["lang"] == ["ru"]


def test_head_is_answered_like_get(visitor):
    response = visitor.head("/", headers={"Accept-Language": "ru"})
    assert response.status_code == 302
    assert response.headers["location"] == "/?lang=ru"
