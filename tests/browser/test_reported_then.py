"""As reported then, in a real browser: a claim appears on the day it was published."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.helpers import add_claim

pytestmark = pytest.mark.browser


def test_stepping_as_reported_then_shows_a_claim_only_once_published(
    page, fresh_db, fresh_server, artifacts_dir
):
    add_claim(
        fresh_db,
        settlement="sudzha",
        source="ua-general-staff",
        status="ukrainian_control",
        as_of=date(2026, 1, 10),
        published_on=date(2026, 1, 10),
        summary="ua-general-staff says ukrainian_control",
    )
    # Dated 12 January, but published only on the 15th.
    add_claim(
        fresh_db,
        settlement="sudzha",
        source="russia-mod",
        status="russian_control",
        as_of=date(2026, 1, 12),
        published_on=date(2026, 1, 15),
        summary="russia-mod says russian_control",
    )
    page.goto(f"{fresh_server}/settlements/sudzha?as_of=2026-01-13")
    # As known now, the Russian claim of the 12th counts: the sides disagree.
    expect(page.locator(".status-card .badge").first).to_have_text("Contested")

    page.locator(".date-control__view input").check()
    page.locator(".date-control button[type=submit]").click()
    expect(page.locator(".timebar__date")).to_contain_text("As reported by 13 Jan 2026")
    expect(page).to_have_url(
        f"{fresh_server}/settlements/sudzha?as_of=2026-01-13&view=reported&lang=en"
    )
    expect(page.locator(".status-card .badge").first).to_have_text("Ukrainian control")
    expect(page.locator(".claims")).not_to_contain_text("russia-mod says")
    page.screenshot(path=str(artifacts_dir / "reported-then-before.png"), full_page=True)

    page.locator(".timebar a[rel=next]").click()  # the next day something was published
    expect(page.locator(".timebar__date")).to_contain_text("As reported by 15 Jan 2026")
    expect(page).to_have_url(
        f"{fresh_server}/settlements/sudzha?as_of=2026-01-15&known_on=2026-01-15&lang=en"
    )
    expect(page.locator(".claims")).to_contain_text("russia-mod says russian_control")
    expect(page.locator(".status-card .badge").first).to_have_text("Contested")
    expect(page.locator(".explain")).to_contain_text("Conflict")
    page.screenshot(path=str(artifacts_dir / "reported-then-after.png"), full_page=True)
