"""A reader whose browser speaks Ukrainian lands on Ukrainian pages, switches to Russian in the
header, and every page after that (the map, a settlement, the claim form) stays in Russian."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import log_in_page, make_user

pytestmark = pytest.mark.browser

CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґЁё]")


@pytest.fixture
def ukrainian_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="uk-UA")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def test_a_ukrainian_browser_lands_in_ukrainian_and_switches_to_russian(
    ukrainian_page, demo_server, artifacts_dir
):
    page = ukrainian_page
    page.goto(f"{demo_server}/?as_of=2025-04-08")
    assert "lang=uk" in page.url
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator(".timebar__date")).to_contain_text("8 квітня 2025 р.")
    expect(page.locator("main")).to_contain_text("Під контролем Росії")
    page.screenshot(path=str(artifacts_dir / "language-dashboard-uk.png"))

    page.locator(".site-header__wide .language-switch a[lang=ru]").click()
    page.wait_for_url(re.compile(r"lang=ru"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    assert "as_of=2025-04-08" in page.url  # the same view, in the other language
    expect(page.locator(".timebar__date")).to_contain_text("8 апреля 2025 г.")
    expect(page.locator("main")).to_contain_text("Под контролем России")

    # The choice is remembered: an address without a language opens in Russian.
    page.goto(f"{demo_server}/settlements/sudzha?as_of=2025-04-08")
    assert "lang=ru" in page.url
    expect(page.locator("h1")).to_contain_text("Суджа")
    page.screenshot(path=str(artifacts_dir / "language-settlement-ru.png"))

    # The map: its legend and its labels follow the page.
    page.goto(f"{demo_server}/map?as_of=2025-04-08")
    assert "lang=ru" in page.url
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    legend = page.locator(".map-legend, .legend").first
    expect(legend).to_contain_text("Под контролем России")


def test_the_claim_form_speaks_the_editors_language(browser, fresh_server, fresh_db):
    make_user(fresh_db, "oksana")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="uk-UA")
    page = context.new_page()
    try:
        log_in_page(page, fresh_server.base, "oksana")
        page.goto(f"{fresh_server.base}/claims/new")
        assert "lang=uk" in page.url
        expect(page.locator("html")).to_have_attribute("lang", "uk")
        heading = page.locator("h1").inner_text()
        assert CYRILLIC.search(heading), heading
        # Sent with nothing filled in, the form answers beside the fields, in Ukrainian.
        page.locator("#claim-form button[type=submit]").click()
        error = page.locator(".field-error, .error").first
        expect(error).to_be_visible()
        assert CYRILLIC.search(error.inner_text()), error.inner_text()
        assert "lang=uk" in page.url or page.locator("html").get_attribute("lang") == "uk"
    finally:
        context.close()
