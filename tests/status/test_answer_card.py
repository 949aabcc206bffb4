"""The dashboard's answer card: who holds a place, since when, on whose word, in one glance."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def cards(html: str) -> dict[str, str]:
    """Each answer card's text (tags stripped, spaces collapsed), by settlement name."""
    found = {}
    for block in re.findall(r'<article class="answer.*?</article>', html, flags=re.S):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", block)).strip()
        name = re.search(r'class="answer__name"[^>]*><a [^>]*>([^<]+)</a>', block)
        assert name, block
        found[name.group(1)] = text
    return found


def test_the_finder_comes_first_on_the_dashboard(client: TestClient) -> None:
    html = client.get("/?as_of=2025-04-08").text
    main = html[html.index('<main id="main"') :]
    assert main.index('id="finder-q"') < main.index('class="headline__lead"')
    assert main.index('id="finder-q"') < main.index('id="contested-title"')
    assert main.index('id="finder-q"') < main.index('id="map-title"')


def test_a_found_settlement_names_its_deciding_source_and_side(client: TestClient) -> None:
    found = cards(client.get("/?as_of=2025-04-08&q=guyevo").text)
    assert list(found) == ["Guyevo"]
    card = found["Guyevo"]
    assert "Russian control" in card  # the status as a word (and a shape)
    assert "since 8 Apr 2025" in card
    word = "On the word of: Russian side: Russian Ministry of Defence · geolocated · 8 Apr 2025"
    assert word in card
    assert "Confidence medium" in card
    assert "last claim 8 Apr 2025, on the date shown" in card
    html = client.get("/?as_of=2025-04-08&q=guyevo").text
    assert 'href="/settlements/guyevo?as_of=2025-04-08&amp;lang=en"' in html


def test_a_contested_settlement_names_both_sides(client: TestClient) -> None:
    card = cards(client.get("/?as_of=2025-04-27&q=Gornal").text)["Gornal"]
    assert "Contested" in card and "since 8 Aug 2024" in card
    assert "Sources of different sides disagree" in card
    assert "Russian side: RIA Novosti: Russian control · unverified · 27 Apr 2025" in card
    assert "Ukrainian side: DeepState: fighting (contested) · unverified · 26 Apr 2025" in card
    assert "Ukrainian side: General Staff of the Armed Forces of Ukraine: fighting" in card


def test_the_evidence_age_is_counted_from_the_date_shown(client: TestClient) -> None:
    card = cards(client.get("/?as_of=2025-05-09&q=Guyevo").text)["Guyevo"]
    assert re.search(r"last claim \d+ \w+ 2025, \d+ days? before the date shown", card), card


def test_without_a_search_the_cards_are_the_contested_settlements_on_fresh_claims(
    client: TestClient,
) -> None:
    found = cards(client.get("/?as_of=2025-04-08").text)
    assert set(found) == {"Gornal", "Oleshnya"}  # the 12 stale ones are listed further down
    # Both are contested because the latest claims themselves report fighting: whose claims.
    for card in found.values():
        assert "Fighting reported, on the word of: Russian side: TASS · unverified" in card


def test_a_search_in_any_spelling_works_without_javascript(client: TestClient) -> None:
    for spelling in ("Горналь", "Hornal", "gornal"):
        assert list(cards(client.get("/", params={"as_of": "2025-04-27", "q": spelling}).text)) == [
            "Gornal"
        ]


def test_the_live_search_gets_only_the_answer(client: TestClient) -> None:
    response = client.get(
        "/?as_of=2025-04-27&q=oleshnya",
        headers={"HX-Request": "true", "HX-Target": "finder-results"},
    )
    assert response.text.lstrip().startswith('<div id="finder-results"')
    assert list(cards(response.text)) == ["Oleshnya"]


def test_many_matches_give_the_table_and_none_says_so(client: TestClient) -> None:
    html = client.get("/?as_of=2025-04-27&q=o").text
    assert "<article" not in html[html.index('id="finder-results"') :][:3000]
    assert "table--settlements" in html
    html = client.get("/?as_of=2025-04-27&q=zzzz").text
    assert "No settlement matches “zzzz”" in html


def test_a_settlement_without_claims_says_so(client: TestClient) -> None:
    card = cards(client.get("/?as_of=2024-08-01&q=gornal").text)["Gornal"]
    assert "Unknown" in card
    assert "No approved claim about Gornal up to this date" in card
