"""A reviewer approves a claim in a real browser and is told so, once, on the next page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import log_in as log_in_client
from tests.helpers import log_in_page, make_user, submitted

pytestmark = pytest.mark.browser


def test_approving_shows_a_confirmation_once(browser, fresh_app, fresh_server, fresh_db):
    from fastapi.testclient import TestClient

    make_user(fresh_db, "erin", "editor")
    make_user(fresh_db, "rita", "reviewer")
    claim_id = submitted(log_in_client(TestClient(fresh_app), "erin"))

    # No JavaScript: the confirmation is in the page the redirect leads to.
    context = browser.new_context(viewport={"width": 375, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    log_in_page(page, fresh_server.base, "rita")
    page.goto(f"{fresh_server.base}/claims/{claim_id}")
    page.click(f"form[action='/claims/{claim_id}/approve'] button[type=submit]")
    flash = page.get_by_role("status").filter(has_text="Approved claim")
    expect(flash).to_have_text(f"Approved claim {claim_id} (Sudzha, contested).")
    page.reload()
    expect(page.locator(".flash")).to_have_count(0)
    context.close()
