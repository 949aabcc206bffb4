"""A reader opens the dashboard and finds a settlement's answer by typing, without a page load."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_dashboard_search_answers_without_a_page_load(page, demo_server, artifacts_dir):
    page.goto(f"{demo_server}/?as_of=2025-04-08")
    cards = page.locator("#finder-results .answer")
    # Before any search: the settlements contested on fresh claims that day.
    expect(cards).to_have_count(2)
    # A marker on the window survives an HTMX swap but not a navigation.
    page.evaluate("window.__still_same_page = true")

    page.locator("#finder-q").press_sequentially("горн", delay=40)
    expect(cards).to_have_count(1)
    expect(cards.first.locator(".answer__name")).to_have_text("Gornal")

    assert "Contested" in cards.first.inner_text()
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
    expect(page.locator("#finder-results .answer")).to_have_count(1)
    expect(page.locator("#finder-results .answer__name")).to_have_text("Oleshnya")
    context.close()
