"""The newsroom story in a real browser: an editor submits, a reviewer approves, readers see it."""

from __future__ import annotations

import csv
import io
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.helpers import log_in_page, make_user

pytestmark = pytest.mark.browser


def test_submit_fix_review_approve_publish(browser, fresh_server, fresh_db, artifacts_dir):
    make_user(fresh_db, "erin", "editor")
    make_user(fresh_db, "rita", "reviewer")
    base = fresh_server

    # The editor fills the form with one field wrong.
    editor = browser.new_context(viewport={"width": 1100, "height": 1000}).new_page()
    log_in_page(editor, base, "erin")
    editor.goto(f"{base}/claims/new")
    editor.locator("#settlement").press_sequentially("Олешн", delay=30)
    expect(editor.locator("#settlement-options option[value=oleshnya]")).to_have_count(1)
    editor.fill("#settlement", "oleshnya")
    editor.check("input[name=status][value=ukrainian_control]")
    editor.fill("#as_of", "2025-04-28")
    editor.select_option("#source", "isw")
    editor.fill("#source_url", "javascript:alert(1)")
    editor.locator("#source_url").blur()
    # Inline validation (HTMX) puts the message beside the field before any submit.
    expect(editor.locator("#err-source_url")).to_contain_text("http:// or https://")
    editor.check("input[name=verification][value=geolocated]")
    editor.fill("#summary", "Geolocated footage shows Ukrainian troops in Oleshnya.")
    editor.screenshot(path=str(artifacts_dir / "claim-form-inline-error.png"), full_page=True)

    editor.click("form#claim-form button[type=submit]")
    expect(editor.locator(".form-error")).to_contain_text("was not stored")
    expect(editor.locator("#err-source_url")).to_contain_text("http:// or https://")
    expect(editor.locator("#summary")).to_have_value(
        "Geolocated footage shows Ukrainian troops in Oleshnya."
    )
    editor.screenshot(path=str(artifacts_dir / "claim-form-error.png"), full_page=True)

    editor.fill("#source_url", "https://understandingwar.org/oleshnya")
    editor.click("form#claim-form button[type=submit]")
    expect(editor.locator(".review-state")).to_contain_text("Waiting for review")
    claim_url = editor.url
    claim_id = claim_url.rsplit("/", 1)[1]

    # The reviewer sees it in the queue, with what it would change, and approves it.
    reviewer = browser.new_context(viewport={"width": 1100, "height": 1000}).new_page()
    log_in_page(reviewer, base, "rita")
    reviewer.goto(f"{base}/review")
    item = reviewer.locator(f"#claim-{claim_id}")
    expect(item).to_contain_text("Oleshnya")
    expect(item).to_contain_text("If approved:")
    reviewer.screenshot(path=str(artifacts_dir / "review-queue.png"), full_page=True)
    item.locator("textarea").fill("Checked the footage.")
    item.locator("button.approve").click()
    expect(reviewer.locator("body")).to_contain_text("Nothing waits for review")

    # Readers see the new status and the claim behind it.
    reader = browser.new_context().new_page()
    reader.goto(f"{base}/settlements/oleshnya?as_of=2025-04-28")
    expect(reader.locator(".status-card")).to_contain_text(
        "Contested"
    )  # Ukrainian vs Russian claims
    expect(reader.locator(f"#claim-{claim_id}")).to_contain_text("Institute for the Study of War")
    reader.goto(f"{base}/audit")
    expect(reader).to_have_url(f"{base}/login?next=%2Faudit")

    reviewer.goto(f"{base}/audit")
    expect(reviewer.locator("table")).to_contain_text("approved claim")
    reviewer.screenshot(path=str(artifacts_dir / "audit.png"), full_page=True)

    with urllib.request.urlopen(f"{base}/export/claims.csv?settlement=oleshnya") as response:
        rows = list(csv.DictReader(io.StringIO(response.read().decode("utf-8"))))
    assert any(r["claim_id"] == claim_id and r["status"] == "ukrainian_control" for r in rows)
