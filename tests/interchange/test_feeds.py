"""Atom feeds: approved claims, most recently approved first, valid XML, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

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


def test_a_character_xml_cannot_hold_never_breaks_a_feed_or_the_map(fresh_app, fresh_db):
    """The text policy refuses U+FFFF and its kind; one stored before it (or by hand) is
    left out of the feed and the map instead of making them unreadable."""
    import xml.etree.ElementTree as ET

    from fastapi.testclient import TestClient
    from sqlalchemy import select, update

    from app.claims.models import Claim
    from app.settlements.models import Settlement
    from app.validation import check_text

    with pytest.raises(ValueError, match="U\\+FFFF"):
        check_text("a \uffff b")
    with fresh_db.writing() as session:
        claim = session.scalar(select(Claim).order_by(Claim.id.desc()).limit(1))
        claim.summary = "a \uffff b \ufffe c \x0b d"
        session.execute(
            update(Settlement).where(Settlement.slug == "sudzha").values(name="Sud\uffffzha")
        )
        slug = claim.settlement.slug
    reader = TestClient(fresh_app)
    for path in ("/feed.atom", f"/settlements/{slug}/feed.atom", "/map.svg?as_of=2025-04-08"):
        response = reader.get(path, headers={"accept-encoding": "identity"})
        assert response.status_code == 200
        ET.fromstring(response.content)  # parses
        assert int(response.headers["content-length"]) == len(response.content)
