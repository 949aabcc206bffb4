"""The map without JavaScript: /map.svg, the same markers over the same borders, as an image."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import insert

from app.db import Database
from app.domain import ControlStatus
from app.settlements.models import LocationPrecision, Settlement
from app.status import map_svg
from tests.helpers import running_app

SVG = "{http://www.w3.org/2000/svg}"


def parse(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    return root


def test_map_svg_draws_every_placed_settlement_with_its_label(client):
    response = client.get("/map.svg?as_of=2025-04-08")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert "max-age" in response.headers["cache-control"]
    root = parse(response.text)
    assert root.find(f"{SVG}title").text == "Map of the derived status on 8 Apr 2025"
    assert "21 settlements with a position" in root.find(f"{SVG}desc").text
    # One titled marker per placed settlement, each naming its status (not colour alone).
    titles = [t.text for t in root.iter(f"{SVG}title")][1:]
    assert len(titles) == 21
    assert "Gornal · Contested" in titles
    assert sum("(stale)" in t for t in titles) == 10
    texts = "".join(root.itertext())
    assert "Oleshnya · Contested" in texts  # named on the map, not only in a tooltip
    assert "km" in texts  # the scale bar


def test_map_svg_draws_the_borders_when_the_setup_built_them(client):
    geography = map_svg.load_geography(map_svg_path())
    root = parse(client.get("/map.svg?as_of=2025-04-08").text)
    borders = [p for p in root.iter(f"{SVG}path") if p.get("class") == "border"]
    if geography.borders:
        assert len(borders) == 1 and borders[0].get("d", "").count("M") >= 1
    else:
        assert borders == []


def map_svg_path():
    from app.status.router import GEOGRAPHY

    return GEOGRAPHY


def test_map_svg_follows_the_dates_and_refuses_bad_ones(client):
    early = parse(client.get("/map.svg?as_of=2024-08-06").text)
    titles = [t.text for t in early.iter(f"{SVG}title")][1:]
    assert sum("· Unknown" in t for t in titles) == 20
    bad = client.get("/map.svg?as_of=2025-02-30")
    assert bad.status_code == 422
    assert "as_of" in bad.text
    bad = client.get("/map.svg?as_of=2025-04-08&known_on=yesterday")
    assert bad.status_code == 422
    assert "known_on" in bad.text


def test_map_svg_groups_thousands_of_markers_with_counts_per_status(fresh_url):
    database = Database(fresh_url)
    rng = random.Random(7)
    with database.writing() as session:
        session.execute(
            insert(Settlement),
            [
                {
                    "slug": f"village-{i}",
                    "name": f"Village {i}",
                    "region": "Kursk",
                    "lat": rng.uniform(50.9, 52.4),
                    "lon": rng.uniform(34.1, 38.5),
                    "location_precision": LocationPrecision.exact,
                    "search_key": f"village {i}",
                }
                for i in range(1200)
            ],
        )
    database.dispose()
    with running_app(fresh_url) as (_app, client):
        response = client.get("/map.svg?as_of=2025-04-08")
    assert response.status_code == 200
    root = parse(response.text)
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "group"]
    assert 10 <= len(groups) <= 200
    counted = 0
    for group in groups:
        title = group.find(f"{SVG}title").text
        total = int(title.split(" settlements:")[0])
        counted += total
        assert " unknown" in title or " Russian control" in title or " contested" in title
    singles = len([t for t in root.iter(f"{SVG}title")]) - 1 - len(groups)
    assert counted + singles == 1221
    assert len(response.content) < 200_000  # small at any size of the data


def test_status_map_svg_marks_each_status_by_shape():
    points = [
        map_svg.MapPoint("A", 51.2, 35.2, ControlStatus.russian_control),
        map_svg.MapPoint("B", 51.3, 35.4, ControlStatus.ukrainian_control, approximate=True),
        map_svg.MapPoint("C", 51.1, 35.0, ControlStatus.contested, stale=True),
        map_svg.MapPoint("D", 51.4, 35.6, ControlStatus.unknown),
    ]
    root = parse(map_svg.status_map_svg(points, map_svg.NO_GEOGRAPHY, title="t"))
    shapes = {
        g.find(f"{SVG}title").text: g
        for g in root.iter(f"{SVG}g")
        if g.find(f"{SVG}title") is not None
    }
    assert shapes["A · Russian control"].find(f"{SVG}rect") is not None  # square
    assert shapes["B · Ukrainian control"].find(f"{SVG}circle").get("fill") == "#1d5fb4"
    assert shapes["C · Contested (stale)"].get("opacity") == ".45"
    assert shapes["C · Contested (stale)"].find(f"{SVG}path").get("fill") == "url(#hatch)"
    assert shapes["D · Unknown"].find(f"{SVG}circle").get("fill") == "#fff"  # a hollow ring
    dashed = [c for c in root.iter(f"{SVG}circle") if c.get("stroke-dasharray")]
    assert len(dashed) == 1  # B's approximate position


@pytest.mark.parametrize(
    ("lang", "words", "wrong"),
    [
        ("en", "9 Russian control", "russian control"),
        ("uk", "під контролем Росії", "росії"),
        ("ru", "под контролем России", "россии"),
    ],
)
def test_the_maps_summary_keeps_the_capital_of_a_country(client, lang, words, wrong):
    """Inside a sentence a status loses its first capital only: never a country's."""
    svg = client.get(f"/map.svg?as_of=2025-03-13&lang={lang}").text
    description = parse(svg).find(f"{SVG}desc").text
    assert words in description and wrong not in description
