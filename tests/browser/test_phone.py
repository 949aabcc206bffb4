"""A journalist on a phone (375 px): the answer is on the first screen, and moving through
time keeps the keyboard where the news is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def phone(browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"the page logged errors: {errors}"


def bottom_of(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["y"] + box["height"]


def test_the_finder_and_its_answer_are_on_the_first_screen(phone: Page, demo_server: str) -> None:
    phone.goto(f"{demo_server}/?as_of=2025-04-27")
    assert bottom_of(phone, "#finder-q") < PHONE["height"] / 2
    # The header and the date bar together stay small.
    assert bottom_of(phone, ".timebar") < 150
    phone.locator("#finder-q").press_sequentially("Gornal", delay=30)
    card = phone.locator("#finder-results .answer")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("RIA Novosti")
    assert bottom_of(phone, "#finder-results .answer__word") < PHONE["height"]
    # Nothing sticks out sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_menu_opens_without_javascript(browser, demo_server: str) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{demo_server}/?as_of=2025-04-27")
    timeline = page.get_by_role("link", name="Timeline")
    expect(timeline).to_be_hidden()
    page.locator(".site-menu__toggle").click()
    expect(timeline).to_be_visible()
    timeline.click()
    page.wait_for_url("**/timeline**")
    context.close()


def test_a_step_moves_focus_to_the_heading_and_the_arrows_show_dates(
    phone: Page, demo_server: str
) -> None:
    phone.goto(f"{demo_server}/settlements/sudzha?as_of=2025-03-13")
    step = phone.locator(".timebar a[rel=next]")
    expect(step).to_be_visible()
    expect(step).to_contain_text("15 Mar")  # the date on the arrow, on a phone too
    today = phone.locator(".timebar .step--today").bounding_box()
    assert today is not None and today["height"] < 45  # one line, not wrapped
    phone.evaluate("window.__still_same_page = true")
    step.focus()
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(f"{demo_server}/settlements/sudzha?as_of=2025-03-15&lang=en")
    assert phone.evaluate("window.__still_same_page") is True  # swapped in, not reloaded
    heading = phone.locator("#main h1")
    expect(heading).to_have_text("Sudzha")
    expect(heading).to_be_focused()
    # Sudzha's own previous change (contested from 12 Mar), not the region's (14 Mar).
    expect(phone.locator(".timebar a[rel=prev]")).to_contain_text("12 Mar")
