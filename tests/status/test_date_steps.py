"""The date control's previous/next steps: the region's changes, or one settlement's own."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def steps(html: str) -> dict[str, str]:
    """rel -> the date a step goes to, from the date control's links."""
    found = re.findall(r'href="[^"]*as_of=([0-9-]+)[^"]*" title="[^"]*" rel="(prev|next)"', html)
    return {rel: day for day, rel in found}


def test_the_dashboard_steps_through_changes_anywhere_in_the_region(client: TestClient) -> None:
    # Goncharovka changed on 14 March; Sudzha did not.
    assert steps(client.get("/?as_of=2025-03-13").text) == {
        "prev": "2025-03-12",
        "next": "2025-03-14",
    }


def test_a_settlement_page_steps_through_that_settlements_own_changes(
    client: TestClient,
) -> None:
    html = client.get("/settlements/sudzha?as_of=2025-03-13").text
    assert steps(html) == {"prev": "2025-03-12", "next": "2025-03-15"}
    assert 'title="Previous change of Sudzha: 12 Mar 2025"' in html
    assert 'title="Next change of Sudzha: 15 Mar 2025"' in html


def test_a_settlement_with_one_long_status_has_only_a_step_back(client: TestClient) -> None:
    # Gornal has been contested since 8 Aug 2024; other places changed in between.
    html = client.get("/settlements/gornal?as_of=2025-04-27").text
    assert steps(html) == {"prev": "2024-08-08"}


def test_a_step_back_from_a_settlements_first_status_leaves_no_earlier_step(
    client: TestClient,
) -> None:
    html = client.get("/settlements/sudzha?as_of=2024-08-01").text
    assert "prev" not in steps(html)
    assert steps(html)["next"] > "2024-08-01"


def test_as_reported_then_a_settlement_also_stops_where_its_claims_were_published(
    client: TestClient,
) -> None:
    # Sudzha was Ukrainian from 15 Aug 2024 to March 2025; AP's claim of 16 Aug was
    # published that day, so as reported then the next step is that day, not March.
    assert steps(client.get("/settlements/sudzha?as_of=2024-08-15").text)["next"] == "2025-03-12"
    html = client.get("/settlements/sudzha?as_of=2024-08-15&view=reported").text
    assert steps(html)["next"] == "2024-08-16"
    assert 'href="/settlements/sudzha?as_of=2024-08-16&amp;known_on=2024-08-16&amp;lang=en"' in html


def test_step_links_carry_their_date_in_words_for_phones(client: TestClient) -> None:
    html = client.get("/settlements/sudzha?as_of=2025-03-13").text
    step = html[html.index('rel="next"') : html.index("</a>", html.index('rel="next"'))]
    assert '<span class="step__label">15 Mar' in step


def test_as_reported_then_the_dashboard_also_stops_on_every_publication_day(demo_db) -> None:
    """On every day of the demo's span, the steps as reported then are the nearest change or
    publication day either side, as working them out from every claim gives."""
    from datetime import timedelta

    from sqlalchemy import select

    from app.claims.models import Claim, ReviewState
    from app.status import service as status_service
    from tests.helpers import WINDOW

    with demo_db.read_session() as session:
        published = sorted(
            set(
                session.scalars(
                    select(Claim.published_on).where(Claim.review_state == ReviewState.approved)
                )
            )
        )
        assert len(published) > 20  # the demo's claims came out on many days
        history = status_service.change_log(session, WINDOW)
        day = published[0] - timedelta(days=3)
        while day <= published[-1] + timedelta(days=3):
            before = [d for d in published if d < day]
            after = [d for d in published if d > day]
            expected_before = max(
                [d for d in (history.previous_change(day), before[-1] if before else None) if d],
                default=None,
            )
            expected_after = min(
                [d for d in (history.next_change(day), after[0] if after else None) if d],
                default=None,
            )
            assert status_service.reported_date_nav(session, history, day) == (
                expected_before,
                expected_after,
            ), day
            day += timedelta(days=1)
