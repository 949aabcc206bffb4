"""The map in the page's language: markers and popups name settlements in Ukrainian or
Russian from the GeoJSON's name_uk and name_ru (the data itself stays English)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import MAP_READY, wait_for_script, zoom_to

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("language", "name"), [("uk", "Коренєво"), ("ru", "Коренево"), ("en", "Korenevo")]
)
def test_map_labels_and_popups_speak_the_pages_language(page, demo_server, language, name):
    page.goto(f"{demo_server}/map?as_of=2025-04-08&lang={language}")
    wait_for_script(page, MAP_READY)
    zoom_to(page, "Korenevo", 12)  # found by its English name in the data
    wait_for_script(page, MAP_READY)
    marker = page.locator(".map .map-marker__inner", has_text=name)
    expect(marker.locator(".map-marker__label")).to_contain_text(f"{name} · ")
    # Its name on hover, as the marker's title, in the same language.
    expect(marker.locator("xpath=..")).to_have_attribute("title", re.compile(f"^{name} · "))
    marker.locator(".badge__shape").click()
    popup = page.locator(".leaflet-popup .popup__name")
    expect(popup).to_have_text(name)
