"""Every page describes itself in one sentence of its own (<meta name="description">)."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from tests.helpers import log_in, make_user

DESCRIPTION = re.compile(r'<meta name="description" content="([^"]*)">')


def description(text: str) -> str:
    found = DESCRIPTION.findall(text)
    assert len(found) == 1, found
    return html.unescape(found[0])


READERS_PAGES = [
    "/",
    "/map",
    "/timeline",
    "/settlements",
    "/settlements/sudzha",
    "/settlements/guyevo",
    "/contested",
    "/sources",
    "/sources/isw",
    "/sources/russia-mod",
    "/about/method",
    "/claims/1",
    "/claims/2",
    "/login",
    "/docs",
    "/settlements/atlantis",
]


def test_every_page_has_a_description_of_its_own(reader):
    seen = {path: description(reader.get(path).text) for path in READERS_PAGES}
    for path, text in seen.items():
        assert 40 <= len(text) <= 300, (path, text)
        assert "{" not in text and "  " not in text, (path, text)
    assert len(set(seen.values())) == len(seen), "two pages share a description"


def test_a_settlement_is_described_by_its_name_date_and_status(reader):
    text = description(reader.get("/settlements/sudzha?as_of=2025-03-20").text)
    assert text.startswith("Sudzha, Sudzhansky district, Kursk region, on 20 Mar 2025: ")
    assert "Russian control since 15 Mar 2025" in text
    assert "Ukrainian control" in description(
        reader.get("/settlements/sudzha?as_of=2024-08-20").text
    )


def test_the_dashboard_gives_the_counts_of_its_date(reader):
    text = description(reader.get("/?as_of=2025-04-08").text)
    assert text.startswith("On 8 Apr 2025, of 46 tracked settlements in the Kursk region, ")
    assert "14 contested" in text


def test_errors_and_team_pages_are_described(reader, fresh_app, fresh_db):
    assert description(reader.get("/settlements/atlantis").text).startswith("Not found: ")
    make_user(fresh_db, "rita", "reviewer")
    reviewer = log_in(TestClient(fresh_app), "rita")
    for path, words in (
        ("/review", "waiting for review"),
        ("/audit", "audit log"),
        ("/import", "Import claims"),
        ("/claims/new", "Submit a claim"),
        ("/claims/1/correct", "Correct claim #1 about "),
    ):
        assert words in description(reviewer.get(path).text), path
