"""Moving through time in a real browser: the dashboard and the map follow the date."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import MAP_READY, map_counts, wait_for_script, zoom_to

pytestmark = pytest.mark.browser


def test_date_control_moves_the_dashboard_and_the_url(page, demo_server, artifacts_dir):
    page.goto(f"{demo_server}/?as_of=2024-08-20")
    expect(page.locator("#headline-title")).to_have_text("On 20 Aug 2024")
    page.evaluate("window.__still_same_page = true")

    page.locator(".timebar a[rel=next]").click()  # the next change of status
    expect(page.locator("#headline-title")).to_have_text("On 21 Aug 2024")
    expect(page).to_have_url(f"{demo_server}/?as_of=2024-08-21&lang=en")
    assert page.evaluate("window.__still_same_page") is True  # swapped, not reloaded
    expect(page).to_have_title(
        "Who controls the Kursk region · 21 Aug 2024 · Kursk Control Tracker"
    )

    page.fill("#as_of", "2025-04-08")
    page.locator(".date-control button[type=submit]").click()
    expect(page.locator("#headline-title")).to_have_text("On 8 Apr 2025")
    expect(page).to_have_url(f"{demo_server}/?as_of=2025-04-08&lang=en")
    expect(page.locator(".headline__lead")).to_contain_text("58 km²")
    wait_for_script(page, MAP_READY)
    counts = map_counts(page)
    assert counts["alone"] + counts["grouped"] == 21
    page.screenshot(path=str(artifacts_dir / "dashboard-2025-04-08.png"), full_page=True)

    page.go_back()
    expect(page.locator("#headline-title")).to_have_text("On 21 Aug 2024")


def test_map_shows_markers_and_the_slider_moves_it(page, demo_server, artifacts_dir):
    page.goto(f"{demo_server}/map?as_of=2025-04-08")
    counts = map_counts(page)  # each settlement drawn alone or counted in a group
    assert counts["alone"] + counts["grouped"] == 21
    assert counts["status"]["contested"] == 7
    # Ten rest on claims older than the horizon: drawn faded and labelled "(stale)".
    assert counts["stale"] == 10
    # Approximate positions (11 of the 21) carry a dashed circle.
    assert page.locator(".map .map-marker__approx").count() >= 1
    zoom_to(page, "Gornal", 12)
    wait_for_script(page, MAP_READY)
    # From the keyboard: a marker takes the focus and Enter opens its popup.
    page.locator(".map .leaflet-marker-icon", has_text="Gornal").press("Enter")
    expect(page.locator(".leaflet-popup")).to_contain_text("Contested")
    expect(page.locator(".leaflet-popup")).to_contain_text("TASS")
    page.screenshot(path=str(artifacts_dir / "map-2025-04-08.png"), full_page=True)

    slider = page.locator("#map-slider")
    slider.focus()
    slider.press("Home")  # the first date on which a status changed
    expect(page).to_have_url(f"{demo_server}/map?as_of=2024-08-06&lang=en")
    expect(page.locator("h1")).to_have_text("Map on 6 Aug 2024")
    wait_for_script(page, "document.querySelector('.map').dataset.ready === '1'")
    counts = map_counts(page)
    assert counts["status"] == {"contested": 1, "unknown": 20}  # Oleshnya contested


VISIBLE_LABEL_BOXES = """() => Array.from(document.querySelectorAll(".map .map-marker__label"))
    .filter((label) => getComputedStyle(label).display !== "none")
    .map((label) => {
        const box = label.getBoundingClientRect();
        return {text: label.textContent, box: [box.left, box.top, box.right, box.bottom]};
    })"""
# The map is idle: labels placed, no zoom animation running.
MAP_SETTLED = """() => document.querySelector(".map[data-hidden-labels]") !== null
    && document.querySelector(".leaflet-zoom-anim") === null"""


@pytest.mark.parametrize("width", [1280, 375])
def test_map_labels_never_print_over_each_other(page, demo_server, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{demo_server}/map?as_of=2025-04-08")
    wait_for_script(page, MAP_SETTLED)
    page.wait_for_timeout(300)  # a last placement after the fit's zoom animation
    labels = page.evaluate(VISIBLE_LABEL_BOXES)

    def overlap(a: list[float], b: list[float]) -> bool:
        slack = 3  # label padding may touch
        return (
            a[0] + slack < b[2]
            and b[0] + slack < a[2]
            and a[1] + slack < b[3]
            and b[1] + slack < a[3]
        )

    crossing = [
        (a["text"], b["text"])
        for i, a in enumerate(labels)
        for b in labels[i + 1 :]
        if overlap(a["box"], b["box"])
    ]
    assert crossing == []
    shown = {label["text"] for label in labels}
    hidden = int(page.locator(".map").get_attribute("data-hidden-labels"))
    # Every placed settlement: named, counted as hidden, or counted in a group.
    assert len(shown) + hidden + map_counts(page)["grouped"] == 21


def test_timeline_chart_click_moves_the_date(page, demo_server):
    page.goto(f"{demo_server}/timeline?as_of=2025-04-27")
    page.locator('.chart__slice[data-href="/timeline?as_of=2025-03-13&lang=en"]').click()
    expect(page).to_have_url(f"{demo_server}/timeline?as_of=2025-03-13&lang=en")
    expect(page.locator(".timebar__date")).to_contain_text("13 Mar 2025")
