"""A reader opens the dashboard and narrows the settlement list by typing, without a page load."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_dashboard_search_narrows_the_list_without_a_page_load(page, demo_server, artifacts_dir):
    page.goto(f"{demo_server}/?as_of=2025-04-08")
    rows = page.locator("#finder-results tbody tr")
    assert rows.count() == 12  # the finder shows the first 12 of 46
    # A marker on the window survives an HTMX swap but not a navigation.
    page.evaluate("window.__still_same_page = true")

    page.locator("#finder-q").press_sequentially("горн", delay=40)
    expect(rows).to_have_count(1)

    assert rows.count() == 1
    assert "Gornal" in rows.first.inner_text()
    assert "Contested" in rows.first.inner_text()
    assert page.evaluate("window.__still_same_page") is True
    assert "q=%D0%B3%D0%BE%D1%80%D0%BD" in page.url  # the view is a link one can share
    page.screenshot(path=str(artifacts_dir / "dashboard-search.png"), full_page=True)


def test_settlements_page_live_search_and_filter(page, demo_server, artifacts_dir):
    page.goto(f"{demo_server}/settlements?as_of=2025-04-08")
    page.evaluate("window.__still_same_page = true")
    rows = page.locator("#results tbody tr")
    page.locator("#q").fill("loknya")
    expect(rows).to_have_count(2)
    page.locator("#status").select_option("contested")
    expect(page.locator("#results")).to_contain_text("No settlement matches")
    assert page.evaluate("window.__still_same_page") is True
    assert "status=contested" in page.url and "q=loknya" in page.url
    page.screenshot(path=str(artifacts_dir / "settlements-filtered.png"), full_page=True)


def test_pages_work_without_javascript(browser, demo_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{demo_server}/?as_of=2025-04-08")
    page.locator("#finder-q").fill("oleshnya")
    page.locator(".finder__form button").click()
    page.wait_for_url("**q=oleshnya**")
    expect(page.locator("#finder-results tbody tr")).to_have_count(1)
    context.close()
