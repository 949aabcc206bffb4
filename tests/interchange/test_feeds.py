"""Atom feeds: approved claims, most recently approved first, valid XML, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(response) -> list[ET.Element]:
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


def test_region_feed(client):
    items = entries(client.get("/feed.atom"))
    assert len(items) == 50  # the 50 most recently approved of the 169 demo claims
    titles = [e.findtext(f"{ATOM}title") for e in items]
    assert "Gornal: Russian control, per RIA Novosti (2025-04-27)" in titles
    assert items[0].find(f"{ATOM}link").get("href").startswith("http://testserver/claims/")


def test_settlement_feed(client):
    items = entries(client.get("/settlements/sudzha/feed.atom"))
    assert {e.findtext(f"{ATOM}title")[:6] for e in items} == {"Sudzha"}
    assert client.get("/settlements/atlantis/feed.atom").status_code == 404


def test_newly_approved_claims_come_first_and_text_is_escaped(editor, reviewer, anonymous):
    from tests.helpers import decide, submitted

    claim_id = submitted(
        editor,
        settlement="sudzha",
        status="contested",
        as_of="2024-09-01",
        published_on="2024-09-01",
        summary="<script>alert(1)</script> & fighting",
    )
    decide(reviewer, claim_id, "approve")
    items = entries(anonymous.get("/feed.atom"))
    first = items[0]
    assert first.findtext(f"{ATOM}id") == f"tag:kursk-tracker,2024:claim/{claim_id}"
    assert "<script>alert(1)</script> & fighting" in first.findtext(f"{ATOM}content")
