"""The server-rendered pages, as a reader (or a script) gets them over HTTP."""

from __future__ import annotations

import re

import pytest

from tests.helpers import CONTESTED_ON_2025_04_08, text_of

HTMX = {"HX-Request": "true", "HX-Target": "results"}


class TestDashboard:
    def test_headline_counts_on_a_date(self, client):
        response = client.get("/?as_of=2025-04-08")
        assert response.status_code == 200
        body = text_of(response.text)
        assert "On 8 Apr 2025" in body
        assert "14 contested" in body
        assert "30 under Russian control" in body
        assert "12 stale" in body  # of the contested: no claim for more than the window

    def test_contested_list_and_latest_claims(self, client):
        body = text_of(client.get("/?as_of=2025-04-08").text)
        for name in ("Gornal", "Oleshnya", "Kurilovka"):
            assert name in body
        assert "Ministry video of the recapture" in body  # the latest claims

    def test_default_date_is_today_where_it_is_latest_on_earth(self, client):
        from app import dates

        html = client.get("/").text
        assert f'value="{dates.today().isoformat()}"' in html


class TestSettlementList:
    @pytest.mark.parametrize("query", ["Guyevo", "guevo", "Huieve", "Гуево", "ГУЄВО", "гуєво"])
    def test_search_matches_names_aliases_and_cyrillic(self, client, query):
        html = client.get("/settlements", params={"q": query}).text
        assert "/settlements/guyevo" in html
        assert "/settlements/gornal" not in html

    def test_search_with_diacritics_folded(self, client):
        # "Плёхово" is the Russian spelling; people type it with or without the ё.
        assert "/settlements/plekhovo" in client.get("/settlements", params={"q": "плехово"}).text

    def test_filter_by_status_on_a_date(self, client):
        html = client.get(
            "/settlements", params={"status": "contested", "as_of": "2025-04-08"}
        ).text
        found = set(re.findall(r'href="/settlements/([a-z-]+)\?', html))
        assert found == set(CONTESTED_ON_2025_04_08)

    def test_filter_by_district(self, client):
        html = client.get("/settlements", params={"district": "Korenevsky"}).text
        assert "/settlements/korenevo" in html
        assert "/settlements/sudzha" not in html

    def test_htmx_request_gets_only_the_results_block(self, client):
        response = client.get("/settlements", params={"q": "gornal"}, headers=HTMX)
        assert response.status_code == 200
        assert "<html" not in response.text
        assert response.text.lstrip().startswith('<section id="results"')
        assert "/settlements/gornal" in response.text
        assert "HX-Target" in response.headers["vary"]

    def test_full_page_without_htmx(self, client):
        response = client.get("/settlements", params={"q": "gornal"})
        assert "<html" in response.text
        assert 'id="results"' in response.text

    def test_no_match_says_so(self, client):
        assert "No settlement matches" in client.get("/settlements?q=zzzz").text

    @pytest.mark.parametrize(
        "query", ["%", "_", "'; DROP TABLE settlements; --", "سوجا", "🙂", "\\"]
    )
    def test_odd_queries_are_answered_not_crashed(self, client, query):
        response = client.get("/settlements", params={"q": query})
        assert response.status_code == 200
        assert "No settlement matches" in response.text

    def test_search_text_is_escaped(self, client):
        html = client.get("/settlements", params={"q": '<script>alert("x")</script>'}).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;" in html

    def test_overlong_query_is_refused(self, client):
        response = client.get("/settlements", params={"q": "x" * 201})
        assert response.status_code == 422
        assert "q" in response.text

    def test_unknown_status_filter_is_refused_naming_the_field(self, client):
        response = client.get("/settlements", params={"status": "liberated"})
        assert response.status_code == 422
        assert "status" in text_of(response.text)


class TestSettlementPage:
    def test_guyevo_on_2025_04_08(self, client):
        response = client.get("/settlements/guyevo?as_of=2025-04-08")
        assert response.status_code == 200
        body = text_of(response.text)
        assert "Russian control" in body
        assert "Confidence medium" in body
        assert "since 8 Apr 2025" in body
        assert "Latest claim: 8 Apr 2025, on the date shown" in body
        assert "Russian Ministry of Defence" in body
        assert "decides the status" in body
        assert "Гуєво" in body and "Гуево" in body
        assert 'href="https://cyprus-mail.com/2025/04/08/' in response.text

    def test_timeline_strip_is_an_inline_svg_with_a_text_alternative(self, client):
        html = client.get("/settlements/sudzha?as_of=2025-04-08").text
        svg = html[html.index("<svg") : html.index("</svg>")]
        assert 'role="img"' in svg
        # Its title says what it shows; the list of periods under it describes it.
        assert "Derived status from 14 Aug 2024 to 8 Apr 2025: 4 periods (listed below)" in svg
        assert 'aria-describedby="settlement-periods"' in svg
        assert 'id="settlement-periods"' in html
        # Each bar names its period.
        assert "Ukrainian control: 15 Aug 2024 – 12 Mar 2025" in svg
        assert "Contested: 12 Mar 2025 – 15 Mar 2025" in svg
        assert "Russian control: 15 Mar 2025 – 8 Apr 2025" in svg
        assert 'class="seg seg--russian_control"' in svg

    def test_every_claim_is_listed_with_source_side_verification_and_link(self, client):
        html = client.get("/settlements/gornal?as_of=2025-04-27").text
        assert html.count('class="claim') >= 7
        body = text_of(html)
        for source in ("DeepState", "RIA Novosti", "General Staff of the Armed Forces of Ukraine"):
            assert source in body
        assert "competing claim" in body
        assert 'href="https://tass.com/defense/1949777"' in html

    def test_later_claims_are_hidden_when_looking_back(self, client):
        body = text_of(client.get("/settlements/sudzha?as_of=2024-08-20").text)
        assert "8 claims dated after 20 Aug 2024 not shown" in body
        assert "Ukrainian control" in body

    def test_unknown_settlement_is_a_real_404_page(self, client):
        response = client.get("/settlements/atlantis")
        assert response.status_code == 404
        assert "text/html" in response.headers["content-type"]
        assert "There is no settlement “atlantis” here." in response.text
        assert "<html" in response.text

    def test_settlement_without_claims(self, client):
        # Every demo settlement has claims; Tetkino's first is of May 2025.
        body = text_of(client.get("/settlements/tetkino?as_of=2025-04-08").text)
        assert "Unknown" in body
        assert "No approved claims about Tetkino up to 8 Apr 2025" in body

    def test_settlement_without_coordinates(self, client):
        assert "no coordinates known" in client.get("/settlements/makhnovka").text


class TestContested:
    def test_competing_claims_side_by_side(self, client):
        html = client.get("/contested?as_of=2025-04-27").text
        gornal = html[
            html.index('id="gornal"') : html.index("</article>", html.index('id="gornal"'))
        ]
        assert "sides__col--russia" in gornal and "sides__col--ukraine" in gornal
        assert "RIA Novosti" in gornal and "DeepState" in gornal
        assert "conflicting claims" in gornal

    def test_nothing_contested_before_the_incursion(self, client):
        assert "No settlement is contested" in client.get("/contested?as_of=2024-01-01").text


PAGES = [
    "/",
    "/settlements",
    "/settlements/guyevo",
    "/contested",
    "/about/method",
    "/timeline",
    "/map",
    "/sources",
    "/sources/russia-mod",
]


class TestEveryPage:
    @pytest.mark.parametrize("path", PAGES)
    def test_says_which_date_it_shows(self, client, path):
        html = client.get(path, params={"as_of": "2025-03-01"}).text
        assert "· 1 Mar 2025 · Kursk Control Tracker</title>" in html
        assert "As it stood on <strong>1 Mar 2025</strong>" in html

    @pytest.mark.parametrize("path", PAGES)
    @pytest.mark.parametrize(
        "bad", ["2025-02-30", "yesterday", "2025-4-8", "08/04/2025", "0000-01-01"]
    )
    def test_malformed_as_of_is_a_422_naming_as_of(self, client, path, bad):
        response = client.get(path, params={"as_of": bad})
        assert response.status_code == 422
        assert "as_of" in text_of(response.text)

    @pytest.mark.parametrize("path", PAGES)
    def test_security_headers(self, client, path):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"

    @pytest.mark.parametrize("path", PAGES)
    def test_no_inline_script_or_style(self, client, path):
        html = client.get(path, params={"as_of": "2025-04-27"}).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        assert " style=" not in html
        assert "<style" not in html

    def test_links_keep_the_date(self, client):
        html = client.get("/?as_of=2025-04-08").text
        assert 'href="/settlements/gornal?as_of=2025-04-08&amp;lang=en"' in html


def test_method_page_states_the_window(client):
    body = text_of(client.get("/about/method").text)
    assert "14 days" in body
    assert "two sides' words differ" in body


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "writes": "ok"}


def test_unknown_page_is_an_html_404(client):
    response = client.get("/no/such/page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "<html" in response.text


def test_any_status_option_is_an_empty_value_not_an_error(client):
    # The <select>'s first option submits status= (empty): it means "any status".
    response = client.get("/settlements", params={"status": "", "district": "", "q": ""})
    assert response.status_code == 200
    assert response.text.count("<tr>") == 47  # header row and 46 settlements


def test_tile_host_is_allowed_only_when_configured(databases):
    from tests.helpers import running_app

    url = databases.copy("demo")
    with running_app(url) as (_app, plain):
        csp = plain.get("/").headers["content-security-policy"]
        assert "img-src 'self' data:;" in csp
    with running_app(url, tile_url="https://tile.openstreetmap.org/{z}/{x}/{y}.png") as (
        _app,
        tiles,
    ):
        csp = tiles.get("/").headers["content-security-policy"]
        assert "img-src 'self' data: https://tile.openstreetmap.org;" in csp
