"""The views that show the front line move: timeline, map data, time travel, area held."""

from __future__ import annotations

import re

import pytest

from tests.helpers import text_of


class TestTimeline:
    @staticmethod
    def changes(html: str) -> list[str]:
        return [
            text_of(row).strip()
            for row in re.findall(r"<li class=\"change\">(.*?)</li>", html, re.S)
        ]

    def test_sudzha_changes_with_the_sources_behind_each_change(self, client):
        rows = self.changes(client.get("/timeline?as_of=2025-04-08").text)
        sudzha = [r for r in rows if "Sudzha" in r]
        assert sudzha[0].startswith("2025-03-15 Sudzha Contested → became Russian control")
        assert "on the word of General Staff of the Armed Forces of Ukraine" in sudzha[0]
        assert "and 2 more" in sudzha[0]  # five sources agree: three named
        assert sudzha[1].startswith("2025-03-12 Sudzha Ukrainian control → became Contested")

    def test_conflicts_name_both_sides(self, client):
        rows = self.changes(client.get("/timeline?as_of=2025-04-27").text)
        (oleshnya,) = [r for r in rows if r.startswith("2025-04-26 Oleshnya")]
        assert "conflicting claims from DeepState Ukrainian and Russian Ministry of Defence" in (
            oleshnya
        )

    def test_changes_after_the_date_are_not_shown(self, client):
        html = client.get("/timeline?as_of=2025-03-12").text
        assert ">2025-03-13<" not in html
        assert ">2025-03-12<" in html

    def test_filter_by_side(self, client):
        rows = self.changes(client.get("/timeline?as_of=2025-04-27&side=neutral").text)
        assert len(rows) == 17
        assert all("Neutral" in row for row in rows)  # a neutral source is behind each
        assert any("Institute for the Study of War" in row for row in rows)

    def test_filter_by_district(self, client):
        html = client.get("/timeline?as_of=2025-04-27&district=Korenevsky").text
        rows = self.changes(html)
        assert len(rows) == 12
        assert not any("Sudzha" in row for row in rows)
        assert rows[-1].startswith("2024-08-08 Korenevo Unknown → became Contested")
        assert "of Korenevsky district" in html

    def test_bad_side_is_refused_naming_it(self, client):
        response = client.get("/timeline?side=martians")
        assert response.status_code == 422
        assert "side" in text_of(response.text)

    def test_chart_is_labelled_and_every_slice_moves_the_date(self, client):
        html = client.get("/timeline?as_of=2025-04-27").text
        svg = html[
            html.index('<svg class="chart__svg"') : html.index("</svg>", html.index("chart__svg"))
        ]
        # By 27 April most statuses rest on claims older than the horizon: their own bands.
        assert "Contested 2 at the end" in svg
        assert "Russian control, stale 29 at the end" in svg
        assert 'href="/timeline?as_of=2025-03-13&amp;lang=en"' in svg
        assert "13 Mar 2025: Russian control 14, Russian control, stale 11" in svg
        legend = text_of(html[html.index('class="legend"') :][:2000])
        assert "Contested: 2" in legend and "Contested, stale: 12" in legend


class TestMapData:
    def test_geojson_properties_and_precision(self, client):
        data = client.get("/export/status.geojson?as_of=2025-04-08").json()
        assert data["type"] == "FeatureCollection"
        features = {f["properties"]["settlement"]: f for f in data["features"]}
        guyevo = features["guyevo"]
        assert guyevo["geometry"] == {"type": "Point", "coordinates": [35.2619, 51.0941]}
        props = guyevo["properties"]
        assert props["location_precision"] == "exact"
        assert props["status"] == "russian_control"
        assert props["since"] == "2025-04-08"
        assert props["reason"] == "latest"
        assert props["days_since_latest_claim"] == 0
        assert props["stale"] is False
        assert props["confidence"] == "medium"
        assert props["latest_claims"][0]["source"] == "Russian Ministry of Defence"
        assert features["sudzha"]["properties"]["location_precision"] == "exact"
        assert features["gornal"]["properties"]["location_precision"] == "approximate"

    def test_settlements_without_coordinates_are_counted_not_drawn(self, client):
        data = client.get("/export/status.geojson?as_of=2025-04-08").json()
        assert data["skipped"] == 25
        assert "makhnovka" not in {f["properties"]["settlement"] for f in data["features"]}
        assert len(data["features"]) == 21

    def test_map_page_lists_unplaced_settlements(self, client):
        html = client.get("/map?as_of=2025-04-08").text
        side = text_of(html[html.index('id="unplaced-title"') :][:4000])
        assert "No coordinates (25)" in side
        assert "Makhnovka" in side
        assert 'data-geojson="/export/status.geojson?as_of=2025-04-08"' in html
        assert 'id="map-slider"' in html

    @pytest.mark.parametrize("page", ["/map", "/"])
    def test_the_map_draws_what_was_known_on_the_knowledge_date(self, client, page):
        """The map's data, its no-script image and its list link carry the page's known_on:
        as known on 1 March 2025, Sudzha on 13 March was still reported Ukrainian."""
        import html as html_module
        import re

        html = client.get(f"{page}?as_of=2025-03-13&known_on=2025-03-01").text
        for attribute in ("data-geojson", "data-svg"):
            url = html_module.unescape(re.search(f'{attribute}="([^"]+)"', html).group(1))
            assert "as_of=2025-03-13" in url and "known_on=2025-03-01" in url, url
        image = html_module.unescape(re.search(r'<img class="map__image" src="([^"]+)"', html)[1])
        assert "known_on=2025-03-01" in image
        geojson = html_module.unescape(re.search('data-geojson="([^"]+)"', html).group(1))
        features = {
            f["properties"]["settlement"]: f["properties"]
            for f in client.get(geojson).json()["features"]
        }
        known_then = client.get(
            "/api/v1/settlements/sudzha?as_of=2025-03-13&known_on=2025-03-01"
        ).json()
        assert features["sudzha"]["status"] == known_then["status"]["status"]
        assert features["sudzha"]["status"] == "ukrainian_control"

    def test_geojson_bad_date(self, client):
        response = client.get("/export/status.geojson?as_of=2025-13-01")
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "as_of"


class TestTimeTravel:
    def test_previous_and_next_change_links(self, client):
        html = client.get("/settlements?as_of=2025-03-10&q=sud").text
        link = 'href="/settlements?as_of=2025-03-{}&amp;q=sud&amp;lang=en" title="{} change'
        assert link.format("09", "Previous") in html
        assert link.format("11", "Next") in html

    def test_no_next_change_after_the_last(self, client):
        html = client.get("/?as_of=2025-09-01").text  # the last claims are of May 2025
        assert 'rel="next"' not in html
        assert 'rel="prev"' in html

    def test_claims_export_honours_as_of(self, client):
        import csv
        import io

        rows = list(
            csv.DictReader(io.StringIO(client.get("/export/claims.csv?as_of=2024-08-31").text))
        )
        assert len(rows) == 43
        assert max(r["as_of"] for r in rows) <= "2024-08-31"


class TestAreaHeld:
    def test_headline_names_the_figure_and_its_source(self, client):
        body = text_of(client.get("/?as_of=2025-04-08").text)
        assert "Ukraine holds 58 km² per DeepState (8 Apr 2025)" in body

    def test_figure_in_force_on_an_earlier_date(self, client):
        body = text_of(client.get("/?as_of=2024-12-01").text)
        assert "Ukraine holds 800 km² per General Staff of the Armed Forces of Ukraine" in body

    def test_chart_points_name_their_source(self, client):
        html = client.get("/?as_of=2025-04-08").text
        assert "8 Apr 2025: 58 km² held by Ukraine, per DeepState" in html
        assert "16 Mar 2025: 110 km² held by Ukraine, per Reuters" in html

    def test_no_figures_before_the_first(self, client):
        assert "No area figures up to this date" in client.get("/?as_of=2024-08-01").text


@pytest.mark.parametrize(
    "day", ["2024-08-10", "2024-12-01", "2025-03-13", "2025-04-27", "2026-01-01"]
)
def test_history_agrees_with_the_rule_on_any_day(demo_db, day):
    """The cached region history gives exactly what the rule gives, claim by claim."""
    from datetime import date

    from app.status import service as status_service
    from app.status.derive import derive_status

    on = date.fromisoformat(day)
    with demo_db.read_session() as session:
        facts = status_service._facts_by_settlement(session, on)
        rows = status_service.status_table(session, on, 14)
    for row in rows:
        assert row.derived == derive_status(facts.get(row.settlement.id, []), on, 14)


@pytest.mark.parametrize(
    ("lang", "said"),
    [("en", "only Russian sources spoke"), ("uk", "російськ"), ("ru", "российск")],
)
def test_a_side_inside_a_sentence_keeps_its_capital_only_in_english(client, lang, said):
    html = client.get(f"/settlements/guyevo?as_of=2025-04-08&lang={lang}").text
    assert said in html
    assert "only russian sources" not in html
