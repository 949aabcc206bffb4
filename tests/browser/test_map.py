"""The map in a real browser: geography, scale, groups, controls, and the map without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import MAP_READY, map_counts, wait_for_script, zoom_to

pytestmark = pytest.mark.browser


# Every settlement the map accounts for: drawn alone, or counted in a group (by status).
def test_map_draws_the_border_the_countries_and_a_scale(page, demo_server):
    page.goto(f"{demo_server}/map?as_of=2025-04-08")
    wait_for_script(page, MAP_READY)
    # The state border, from the geography file built at setup (same origin).
    expect(page.locator(".map path.map-border")).to_have_count(1)
    assert len(page.locator(".map path.map-border").get_attribute("d")) > 500
    expect(page.locator(".map .map-country", has_text="Ukraine").first).to_be_attached()
    expect(page.locator(".map .leaflet-control-scale-line")).to_have_text(re.compile(r"^\d+ k?m$"))
    expect(page.locator(".map .leaflet-control-attribution")).to_contain_text("Natural Earth")


def test_map_groups_markers_at_low_zoom_with_counts_per_status(page, demo_server):
    page.goto(f"{demo_server}/map?as_of=2025-04-08")
    wait_for_script(page, MAP_READY)
    page.evaluate("document.querySelector('.map').leafletMap.setZoom(7, {animate: false})")
    wait_for_script(page, "document.querySelectorAll('.map .map-cluster__inner').length > 0")
    counts = map_counts(page)
    assert counts["grouped"] > 0
    assert counts["alone"] + counts["grouped"] == 21
    assert counts["status"] == {"russian_control": 13, "contested": 7, "unknown": 1}
    group = page.locator(".map .map-cluster__inner").first
    # Each count carries its status's shape, and the group says it in words too.
    assert group.locator(".map-cluster__count .badge__shape").count() >= 1
    assert "settlements:" in group.get_attribute("aria-label")
    # A click on a group zooms in: it splits.
    before = counts["grouped"]
    group.click()
    page.wait_for_timeout(400)
    assert map_counts(page)["grouped"] < before


@pytest.mark.parametrize("width", [375, 1280])
def test_no_marker_or_label_under_the_map_controls(page, demo_server, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{demo_server}/map?as_of=2025-04-08")
    wait_for_script(page, MAP_READY)
    hidden = page.evaluate(
        """() => {
            const controls = Array.from(document.querySelectorAll(".map .leaflet-control"))
                .map((c) => c.getBoundingClientRect());
            const things = Array.from(document.querySelectorAll(
                ".map .badge__shape, .map .map-cluster__inner"));
            const labels = Array.from(document.querySelectorAll(".map .map-marker__label"))
                .filter((l) => getComputedStyle(l).display !== "none");
            const under = (b) => controls.some((c) =>
                b.left < c.right && c.left < b.right && b.top < c.bottom && c.top < b.bottom);
            return things.concat(labels).filter((n) => under(n.getBoundingClientRect()))
                .map((n) => n.textContent || n.className);
        }"""
    )
    assert hidden == []
    # The westernmost settlement, nearest the zoom control, is drawn and named.
    tetkino = page.locator(".map .map-marker__inner", has_text="Tetkino")
    expect(tetkino).to_be_visible()


def test_every_marker_has_a_shape_and_a_label_with_its_status(page, demo_server):
    page.goto(f"{demo_server}/map?as_of=2025-04-08")
    wait_for_script(page, MAP_READY)
    zoom_to(page, "Oleshnya", 12)
    wait_for_script(page, MAP_READY)
    oleshnya = page.locator(".map .map-marker__label", has_text="Oleshnya")
    expect(oleshnya).to_have_text("Oleshnya · Contested")
    expect(oleshnya).to_be_visible()  # what is disputed is named first
    stale = page.locator(".map .map-marker--stale .map-marker__label").first
    expect(stale).to_contain_text("(stale)")


def test_the_map_without_javascript_is_the_server_drawn_svg(browser, demo_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{demo_server}/map?as_of=2025-04-08")
        image = page.locator(".map img.map__image")
        expect(image).to_be_visible()
        assert image.get_attribute("src") == "/map.svg?as_of=2025-04-08"
        assert "settlement list" in image.get_attribute("alt")
        loaded = page.evaluate(
            "() => { const i = document.querySelector('.map img'); "
            "return i.complete && i.naturalWidth > 0 ? i.getBoundingClientRect().width : 0; }"
        )
        assert 300 < loaded <= 375
        # The text alternative: every settlement by status, one link away.
        expect(page.locator(".map-legend a", has_text="settlement list")).to_have_attribute(
            "href", "/settlements?as_of=2025-04-08&lang=en"
        )
    finally:
        context.close()
