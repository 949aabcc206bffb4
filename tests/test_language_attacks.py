"""The language machinery as a hostile stranger meets it: odd ``lang`` values anywhere, hostile
``Accept-Language`` and ``kt_lang`` headers, the switch's ``next``, lang-less addresses with
odd query strings, and caches. Every answer is a clear one (a 422 naming ``lang``, a redirect
to this site, or the page), never a 500, never a Location elsewhere, never one visitor's
language kept for another."""

from __future__ import annotations

import re
import socket
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.language import from_accept_language, with_language
from tests.live_server import LiveServer

LANGUAGE_CHOICES = "en (English), uk (Українська), ru (Русский)"


@pytest.fixture
def visitor(demo_app) -> TestClient:
    """A stranger: no cookie, redirects looked at, and a crash answered as the site answers it
    (a 500 page) rather than raised, so that the test sees what the stranger would."""
    return TestClient(demo_app, follow_redirects=False, raise_server_exceptions=False)


def language_of(response) -> str | None:
    match = re.search(r'<html lang="([a-z]+)"', response.text)
    return match.group(1) if match else None


def assert_not_kept(response) -> None:
    """An answer that depends on who asks, or that refuses: no cache may keep it."""
    assert response.status_code != 500
    assert response.headers.get("cache-control") in ("no-store", "private, no-store")
    assert "etag" not in response.headers


def assert_refused_by_name(response) -> None:
    assert response.status_code == 422, response.text[:300]
    assert "lang" in response.text
    assert_not_kept(response)


def query_pairs(address: str) -> list[tuple[str, str]]:
    """An address's query as a page reads it, byte for byte (latin-1 keeps every byte)."""
    return parse_qsl(urlsplit(address).query, keep_blank_values=True, encoding="latin-1")


# --- odd ``lang`` values ----------------------------------------------------------------------

ODD_LANGUAGES = [
    "lang=UK",
    "lang=Uk",
    "lang=%20uk",
    "lang=uk%20",
    "lang=+uk",
    "lang=uk%09",
    "lang=%00",
    "lang=uk%00",
    "lang=%FF",
    "lang=%C3%BCk",
    "lang=%E2%80%8Buk",  # a zero-width space before it
    "lang=uk%0D%0ASet-Cookie:%20a=b",
    "lang=" + "u" * 4_000,  # longer addresses are refused before any page (414)
    "lang=",
    "lang",
    "lang=uk&lang=uk",
    "lang=uk&lang=ru",
    "lang=de",
    "lang=en-GB",
    "lang=%3Cscript%3Ealert(1)%3C/script%3E",
    "lang=uk;ru",
    "lang=uk,ru",
]


@pytest.mark.parametrize("query", ODD_LANGUAGES)
@pytest.mark.parametrize("path", ["/settlements", "/settlements/sudzha", "/", "/claims/1"])
def test_an_odd_language_on_a_page_is_refused_by_name(visitor, path, query):
    response = visitor.get(f"{path}?{query}", headers={"Accept-Language": "uk"})
    assert_refused_by_name(response)
    assert "<code>lang</code>" in response.text
    if "%00" not in query and "%FF" not in query:  # those are refused as text at all
        assert LANGUAGE_CHOICES in response.text
    assert "<script>alert" not in response.text
    assert "set-cookie" not in {name.lower() for name in response.headers}


@pytest.mark.parametrize("query", ["lang=de", "lang=UK", "lang=uk&lang=ru", "lang=%00"])
@pytest.mark.parametrize(
    "path", ["/feed.atom", "/map.svg", "/docs", "/settlements/sudzha/feed.atom"]
)
def test_an_odd_language_on_a_feed_an_image_or_the_docs_is_refused_by_name(visitor, path, query):
    assert_refused_by_name(visitor.get(f"{path}?{query}"))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/status?as_of=2025-04-08",
        "/export/status.csv?as_of=2025-04-08",
        "/openapi.json",
        "/healthz/live",
    ],
)
@pytest.mark.parametrize("query", ["lang=uk", "lang=de", "lang=uk&lang=ru", "lang=UK"])
def test_the_data_contract_ignores_any_language(visitor, path, query):
    plain = visitor.get(path)
    separator = "&" if "?" in path else "?"
    asked = visitor.get(f"{path}{separator}{query}", headers={"Accept-Language": "ru"})
    assert asked.status_code == plain.status_code == 200
    assert asked.content == plain.content
    assert "location" not in asked.headers


def test_a_static_file_ignores_any_language(visitor):
    page = visitor.get("/?lang=en").text
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page).group(1)
    plain = visitor.get(stylesheet)
    for query in ("lang=de", "lang=uk&lang=ru"):
        asked = visitor.get(f"{stylesheet}?{query}", headers={"Accept-Language": "uk"})
        assert asked.status_code == 200
        assert asked.content == plain.content


def test_lang_in_a_form_body_is_not_a_language(visitor):
    # Only the address names the language: a POST answers in the address's one.
    response = visitor.post("/login?lang=de", data={"lang": "uk"})
    assert_refused_by_name(response)
    response = visitor.post("/login?lang=ru", data={"lang": "de"})
    assert response.status_code == 403  # no CSRF token: refused, in Russian
    assert language_of(response) == "ru"
    assert visitor.post("/language?lang=uk").status_code == 405


@pytest.mark.parametrize("query", ["lang=de", "lang=uk&lang=ru", "lang="])
def test_an_htmx_request_with_an_odd_language_is_refused_by_name(visitor, query):
    response = visitor.get(
        f"/settlements?{query}", headers={"HX-Request": "true", "HX-Target": "settlement-list"}
    )
    assert_refused_by_name(response)


def test_an_htmx_request_without_a_language_is_sent_to_the_readers_one(visitor):
    response = visitor.get(
        "/settlements?q=gu", headers={"HX-Request": "true", "Accept-Language": "ru"}
    )
    assert response.status_code == 302
    assert response.headers["location"] == "/settlements?q=gu&lang=ru"
    assert_not_kept(response)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_head_is_refused_and_sent_like_get(visitor, method):
    assert visitor.request(method, "/map?lang=de").status_code == 422
    sent = visitor.request(method, "/map", headers={"Accept-Language": "uk"})
    assert sent.status_code == 302
    assert sent.headers["location"] == "/map?lang=uk"


# --- hostile Accept-Language --------------------------------------------------------------------

HOSTILE_ACCEPT_LANGUAGES = [
    ("uk" * 4000, None),
    (",".join(["de"] * 5000) + ",uk", None),  # only the first twenty are read
    ("uk;q=NaN", None),
    ("uk;q=nan,ru;q=0.5", "ru"),
    ("uk;q=1e309,ru;q=0.5", "ru"),  # infinity is no weight
    ("uk;q=inf,ru;q=0.5", "ru"),
    ("uk;q=2,ru;q=0.5", "ru"),  # nor is more than 1
    ("uk;q=-1,ru", "ru"),
    ("uk;q=high,ru;q=0.1", "ru"),
    ("uk;Q=0.1,ru;q=0.5", "ru"),  # the name of the weight is any case
    ("uk;level=1;q=0.1,ru;q=0.5", "ru"),  # the weight need not come first
    ("uk;q=0.5;x=1,ru;q=0.1", "uk"),
    ("uk;q=0,ru;q=0", None),
    ("", None),
    ("*", None),
    (";;;,,,q=", None),
    ("UK-ua", "uk"),
    ("  ru  ", "ru"),
    ("zh, ru;q=0.9", "ru"),
    ("<script>alert(1)</script>, uk", "uk"),
]


@pytest.mark.parametrize(("accept_language", "sent_to"), HOSTILE_ACCEPT_LANGUAGES)
def test_a_hostile_accept_language_sends_to_a_language_or_serves_english(
    visitor, accept_language, sent_to
):
    response = visitor.get(
        "/contested?status=contested", headers={"Accept-Language": accept_language}
    )
    if sent_to is None:
        assert response.status_code == 200
        assert language_of(response) == "en"
        vary = [v.strip() for v in response.headers["vary"].split(",")]
        assert "Accept-Language" in vary
        assert len(vary) == len(set(vary)), vary  # each header named once
    else:
        assert response.status_code == 302
        assert response.headers["location"] == f"/contested?status=contested&lang={sent_to}"
        assert_not_kept(response)


@pytest.mark.parametrize(
    ("header_lines", "sent_to"),
    [
        ([b"\xd1\x83\xd0\xba, uk"], "uk"),  # UTF-8 bytes where a tag should be
        ([b"\xff\xfe", b"ru"], "ru"),  # a second line continues the list
        ([b"de", b"uk;q=0.5"], "uk"),
        ([b"\x00\x01\x7f"], None),
    ],
)
def test_accept_language_in_bytes_and_several_lines(visitor, header_lines, sent_to):
    headers = [(b"accept-language", line) for line in header_lines]
    response = visitor.get("/timeline", headers=headers)
    assert response.status_code == (302 if sent_to else 200)
    if sent_to:
        assert response.headers["location"] == f"/timeline?lang={sent_to}"


def test_a_weight_is_a_number_from_zero_to_one():
    assert from_accept_language("ru;q=1.0, uk;q=0.999") == "ru"
    assert from_accept_language("ru;q=0.001") == "ru"
    assert from_accept_language("ru;q=1.5, uk;q=0.5") == "uk"


# --- hostile cookies ----------------------------------------------------------------------------

HOSTILE_COOKIES = [
    ("kt_lang=<script>alert(1)</script>", None),
    ("kt_lang=" + "x" * 4000, None),
    ('kt_lang="uk"', None),
    ("kt_lang=UK", None),
    ("kt_lang=uk%0D%0A", None),
    ("KT_LANG=uk", None),
    ("kt_lang=ru,kt_lang=uk", None),
    ("kt_lang=ru; kt_lang=zz", "ru"),
    ("kt_lang=zz; kt_lang=uk", "uk"),
    ("a=b;kt_lang=ru;;;=", "ru"),
    ("kt_lang=", None),
]


@pytest.mark.parametrize(("cookie", "sent_to"), HOSTILE_COOKIES)
def test_a_hostile_cookie_is_a_language_or_nothing(visitor, cookie, sent_to):
    response = visitor.get("/timeline", headers={"Cookie": cookie, "Accept-Language": "en"})
    assert response.status_code != 500
    if sent_to is None:
        assert response.status_code == 200
        assert language_of(response) == "en"
        assert "<script>alert" not in response.text
    else:
        assert response.status_code == 302
        assert response.headers["location"] == f"/timeline?lang={sent_to}"
        assert_not_kept(response)


# --- the switch ---------------------------------------------------------------------------------

HOSTILE_NEXTS = [
    ("//evil.example", "/?lang=uk"),
    ("///evil.example", "/?lang=uk"),
    ("/\\evil.example", "/?lang=uk"),
    ("\\\\evil.example", "/?lang=uk"),
    ("/\t/evil.example", "/?lang=uk"),
    ("\t//evil.example", "/?lang=uk"),
    ("/\n/evil.example", "/?lang=uk"),
    (" //evil.example", "/?lang=uk"),
    ("https://evil.example/", "/?lang=uk"),
    ("http:/evil.example", "/?lang=uk"),
    ("HTTPS://evil.example", "/?lang=uk"),
    ("javascript:alert(1)", "/?lang=uk"),
    ("JaVaScRiPt:alert(1)", "/?lang=uk"),
    ("data:text/html,<script>alert(1)</script>", "/?lang=uk"),
    ("evil.example", "/?lang=uk"),
    ("", "/?lang=uk"),
    ("/api/v1/status", "/?lang=uk"),
    ("/export/status.csv", "/?lang=uk"),
    ("/static/css/app.css", "/?lang=uk"),
    ("/healthz", "/?lang=uk"),
    ("/language?lang=ru&next=/map", "/?lang=uk"),
    # Not pages (the last step has a dot), whatever the escapes hide.
    ("/%2F%2Fevil.example", "/?lang=uk"),
    ("/%5C%5Cevil.example", "/?lang=uk"),
    ("/%0D%0ASet-Cookie:%20a=b", "/%0D%0ASet-Cookie:%20a=b?lang=uk"),
    ("/%2F%2Fevil", "/%2F%2Fevil?lang=uk"),  # escapes stay escapes: a path on this site
    ("/%5C%5Cevil", "/%5C%5Cevil?lang=uk"),
    ("/map#frag", "/map?lang=uk"),
    ("/map?lang=de&lang=ru", "/map?lang=uk"),
    ("/map?lang=<script>", "/map?lang=uk"),
    ("/settlements?q=<script>alert(1)</script>", None),
    ("/settlements?q=Суджа", "/settlements?q=%D0%A1%D1%83%D0%B4%D0%B6%D0%B0&lang=uk"),
    ("/settlements/Суджа", "/settlements/%D0%A1%D1%83%D0%B4%D0%B6%D0%B0?lang=uk"),
    # An escape that is not UTF-8 is kept, for the page to refuse by name.
    ("/settlements?q=%FF", "/settlements?q=%FF&lang=uk"),
    ("/settlements?q=%", "/settlements?q=%25&lang=uk"),
    ("/\u3000/evil.example", "/?lang=uk"),
    ("/\uff0f\uff0fevil.example", "/?lang=uk"),
    ("/settlements/" + "a" * 1000, "/settlements/" + "a" * 1000 + "?lang=uk"),
]


@pytest.mark.parametrize(("next_address", "location"), HOSTILE_NEXTS)
def test_the_switch_leads_only_to_pages_of_this_site(visitor, next_address, location):
    response = visitor.get("/language", params={"lang": "uk", "next": next_address})
    assert response.status_code == 303
    sent_to = response.headers["location"]
    if location is not None:
        assert sent_to == location
    assert sent_to.startswith("/") and not sent_to.startswith(("//", "/\\"))
    assert all(33 <= ord(c) < 127 for c in sent_to), sent_to  # plain ASCII, no CR/LF/space
    assert dict(query_pairs(sent_to))["lang"] == "uk"
    assert response.headers["set-cookie"].startswith("kt_lang=uk;")
    assert_not_kept(response)


@pytest.mark.parametrize(
    "query",
    [
        "lang=de&next=/map",
        "lang=UK&next=/map",
        "lang=uk&lang=ru&next=/map",
        "lang=&next=/map",
        "lang=%3Cscript%3E&next=/map",
        "lang=uk%00&next=/map",
        "lang=uk&next=/map%00",
        "lang=uk&next=%FF",
    ],
)
def test_the_switch_refuses_an_odd_language_by_name_and_remembers_nothing(visitor, query):
    response = visitor.get(f"/language?{query}")
    assert response.status_code == 422
    assert "location" not in response.headers
    assert "set-cookie" not in response.headers
    assert "<script>" not in response.text
    assert_not_kept(response)


@pytest.mark.parametrize("path", ["/language/uk", "/language/", "/language/uk?next=//evil"])
def test_a_language_in_the_switchs_path_is_no_switch(visitor, path):
    response = visitor.get(path)
    assert response.status_code in (307, 404)
    if response.status_code == 307:  # the address without its slash
        assert urlsplit(response.headers["location"]).path == "/language"
    assert "set-cookie" not in response.headers


# --- lang-less addresses sent to the reader's language ----------------------------------------

SENT_ON = [
    ("/settlements?q=%D0%A1%D1%83", "/settlements?q=%D0%A1%D1%83&lang=uk"),
    ("/settlements?q=%FF", "/settlements?q=%FF&lang=uk"),  # not UTF-8: kept, then refused
    ("/settlements?q=%", "/settlements?q=%25&lang=uk"),
    ("/settlements?q=%zz", "/settlements?q=%25zz&lang=uk"),
    ("/settlements?q=a+b&x=%2B", "/settlements?q=a+b&x=%2B&lang=uk"),
    ("/settlements?q=a%26lang%3Dru", "/settlements?q=a%26lang%3Dru&lang=uk"),
    ("/settlements?q=1;lang=ru", "/settlements?q=1%3Blang%3Dru&lang=uk"),
    ("/settlements?Lang=ru", "/settlements?Lang=ru&lang=uk"),
    ("/settlements?flag", "/settlements?flag=&lang=uk"),
    ("/settlements?&&q=gu", "/settlements?q=gu&lang=uk"),
    ("/settlements?q=%22%3E%3Cscript%3E", "/settlements?q=%22%3E%3Cscript%3E&lang=uk"),
    ("/settlements/sudzha%3Fx", "/settlements/sudzha%3Fx?lang=uk"),
    ("/settlements/%D1%81%D1%83", "/settlements/%D1%81%D1%83?lang=uk"),
    ("/settlements/", "/settlements/?lang=uk"),
    ("/nowhere", "/nowhere?lang=uk"),
]


@pytest.mark.parametrize(("address", "location"), SENT_ON)
def test_a_langless_address_is_sent_on_unchanged_but_for_its_language(visitor, address, location):
    response = visitor.get(address, headers={"Accept-Language": "uk"})
    assert response.status_code == 302
    assert response.headers["location"] == location
    assert_not_kept(response)
    # The same address, but for ``lang``, whatever it held (read byte for byte).
    assert query_pairs(location) == [*query_pairs(address), ("lang", "uk")]
    # And no loop: within two more steps, an answer.
    for _ in range(2):
        response = visitor.get(response.headers["location"], headers={"Accept-Language": "uk"})
        if response.status_code not in (302, 307):
            break
        assert urlsplit(response.headers["location"]).netloc in ("", "testserver")
    assert response.status_code in (200, 404, 422)


@pytest.mark.parametrize(
    "address", ["/%2F%2Fevil", "/%5Cevil.example", "/%09/evil.example", "/%0D%0A/evil"]
)
def test_an_address_that_cannot_be_sent_on_is_answered_in_english_here(visitor, address):
    response = visitor.get(address, headers={"Accept-Language": "uk"})
    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.headers["content-language"] == "en"


def test_a_raw_address_keeps_its_bytes_when_sent_on():
    # What a server that passes raw bytes on (ours refuses them: see the live test) would
    # hand over, decoded as latin-1: the same bytes come back, escaped.
    raw = b"/settlements?q=\xd0\xa1\xff&lang=de".decode("latin-1")
    assert with_language(raw, "uk", encoding="latin-1") == "/settlements?q=%D0%A1%FF&lang=uk"
    raw_path = b"/settlements/\xd1\x81 x".decode("latin-1")
    assert with_language(raw_path, "ru", encoding="latin-1") == "/settlements/%D1%81%20x?lang=ru"


# --- caches ---------------------------------------------------------------------------------------


def test_no_visitors_language_is_kept_for_another(visitor):
    # An English reader fills the page cache for the address without a language...
    english = visitor.get("/contested?status=unknown")
    assert english.status_code == 200
    assert language_of(english) == "en"
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in english.headers["vary"].split(",")}
    # ...which a Ukrainian reader is never served, not even with its ETag in hand.
    for asked in (
        {"Accept-Language": "uk"},
        {"Accept-Language": "uk", "If-None-Match": english.headers["etag"]},
        {"Cookie": "kt_lang=uk", "If-None-Match": "*"},
    ):
        sent = visitor.get("/contested?status=unknown", headers=asked)
        assert sent.status_code == 302
        assert sent.headers["location"] == "/contested?status=unknown&lang=uk"
        assert_not_kept(sent)
    # A Ukrainian page is kept under its own address, and named apart from the Russian one.
    ukrainian = visitor.get("/contested?status=unknown&lang=uk")
    russian = visitor.get(
        "/contested?status=unknown&lang=ru", headers={"If-None-Match": ukrainian.headers["etag"]}
    )
    assert russian.status_code == 200
    assert language_of(russian) == "ru"
    assert russian.headers["etag"] != ukrainian.headers["etag"]
    # The English reader still gets English, from the page cache.
    again = visitor.get("/contested?status=unknown", headers={"Accept-Language": "en"})
    assert language_of(again) == "en"


@pytest.mark.parametrize("path", ["/feed.atom", "/map.svg", "/settlements/sudzha/feed.atom"])
def test_a_langless_feed_or_image_is_english_for_everyone(visitor, path):
    english = visitor.get(path)
    for asked in ({"Accept-Language": "uk"}, {"Cookie": "kt_lang=ru"}):
        response = visitor.get(path, headers=asked)
        assert response.status_code == 200
        assert response.content == english.content
        assert response.headers["etag"] == english.headers["etag"]
        assert response.headers["content-language"] == "en"


def test_a_refusal_in_the_readers_language_is_never_kept(visitor):
    for asked in ({"Accept-Language": "uk"}, {"Accept-Language": "ru"}, {}):
        response = visitor.get("/settlements?lang=de", headers=asked)
        assert_refused_by_name(response)


# --- over a real connection ----------------------------------------------------------------------


def raw_request(server: LiveServer, target: bytes, headers: bytes = b"") -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(
            b"GET "
            + target
            + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + headers
            + b"Connection: close\r\n\r\n"
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer.split(b"\r\n\r\n", 1)[0]


@pytest.mark.parametrize(
    ("target", "headers", "status", "location"),
    [
        (b"/settlements?q=\xd0\xa1", b"Accept-Language: uk\r\n", b"400", None),
        (b"/settlements?q=\xff", b"Accept-Language: uk\r\n", b"400", None),
        (b"/settlements?q=%FF", b"Accept-Language: uk\r\n", b"302", b"/settlements?q=%FF&lang=uk"),
        (b"/settlements?q=%FF&lang=uk", b"", b"422", None),
        (b"/settlements?q=a#b", b"Accept-Language: uk\r\n", b"302", b"/settlements?q=a&lang=uk"),
        (b"http://evil.example/map", b"Accept-Language: uk\r\n", b"302", b"/map?lang=uk"),
        (b"//evil.example/", b"Accept-Language: uk\r\n", b"404", None),
        (
            b"/contested",
            b"Accept-Language: \xd1\x83\xd0\xba, uk\r\n",
            b"302",
            b"/contested?lang=uk",
        ),
        (
            b"/contested",
            b"Accept-Language: de\r\nAccept-Language: ru\r\n",
            b"302",
            b"/contested?lang=ru",
        ),
        (b"/contested", b"Accept-Language: " + b"de;q=0.1," * 3000 + b"\r\n", b"200", None),
        (b"/contested", b"Cookie: kt_lang=" + b"x" * 30000 + b"\r\n", b"200", None),
        (b"/language?lang=uk&next=/%09/evil.example", b"", b"303", b"/?lang=uk"),
    ],
)
def test_over_a_real_connection(demo_server, target, headers, status, location):
    head = raw_request(demo_server, target, headers)
    assert head.split(b" ")[1] == status, head
    locations = [line for line in head.split(b"\r\n") if line.lower().startswith(b"location:")]
    assert locations == ([b"location: " + location] if location else []), head


# --- as a translator reads them ---------------------------------------------------------------

READ_PAGES = [
    "/",
    "/timeline",
    "/contested",
    "/settlements/sudzha",
    "/?as_of=2024-08-20&known_on=2024-09-01",
]


def text_of_page(html_text: str) -> str:
    without_code = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html_text, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", without_code)).replace("&#34;", '"')


@pytest.mark.parametrize("path", READ_PAGES)
@pytest.mark.parametrize("language", ["uk", "ru"])
def test_a_sentence_never_ends_in_a_dates_abbreviation_and_a_full_stop(reader, path, language):
    # A long date ends in "р." / "г." (2026 р.): a sentence must not put its own full stop
    # right after one ("2026 р..").
    separator = "&" if "?" in path else "?"
    text = text_of_page(reader.get(f"{path}{separator}lang={language}").text)
    assert not re.search(r"\d{4} (р|г)\.\s*\.", text), re.search(r".{80}\d{4} (р|г)\.\s*\.", text)
    # Nor two colons in the date control's titles ("Попередня зміна: Суджа: 15 березня").
    assert not re.search(
        r'title="[^"]*: [^"]*: [^"]*"', reader.get(f"{path}{separator}lang={language}").text
    )
