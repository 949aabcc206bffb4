"""The charts' geometry: the time axis ends with the data, labels never overlap, axes say
what they count, and no link sits inside an image."""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise

from fastapi.testclient import TestClient

from app import charts


def test_the_area_chart_ends_at_its_last_figure_not_at_today(client: TestClient) -> None:
    html = client.get("/").text  # today: the last area figure is from 8 Apr 2025
    svg = html[html.index('id="area-chart-title"') :]
    svg = svg[: svg.index("</svg>")]
    assert "Scroll sideways: the chart runs from 12 Aug 2024 to 8 Apr 2025" in html
    ticks = re.findall(r'text-anchor="middle">([^<]+)</text>', svg)
    assert ticks and all("2026" not in t for t in ticks), ticks


def test_a_short_span_gets_day_labels(client: TestClient) -> None:
    html = client.get("/?as_of=2024-08-20").text
    svg = html[html.index('id="area-chart-title"') :]
    svg = svg[: svg.index("</svg>")]
    ticks = re.findall(r'text-anchor="middle">([^<]+)</text>', svg)
    assert len(ticks) >= 2, ticks
    assert ticks[0] == "12 Aug 2024"


def test_the_region_chart_ends_soon_after_the_last_change(client: TestClient) -> None:
    html = client.get("/timeline").text
    assert "the chart ends shortly after the last change of a count, on" in html
    end = re.search(r"the last change of a count, on (\d+ \w+ (\d{4}))", html)
    assert end and end.group(2) == "2025", end


def test_time_ticks_stay_within_the_axis_and_few() -> None:
    spans = [
        (date(2024, 8, 10), date(2024, 8, 20)),
        (date(2024, 8, 6), date(2024, 9, 20)),
        (date(2024, 8, 6), date(2025, 5, 7)),
        (date(2024, 8, 6), date(2026, 11, 20)),
        (date(2024, 8, 6), date(2024, 8, 7)),
    ]
    for start, end in spans:
        ticks = charts.time_ticks(start, end)
        assert 2 <= len(ticks) <= charts.MAX_X_LABELS, (start, end, ticks)
        assert all(charts.LEFT <= t.at <= charts.WIDTH - charts.RIGHT for t in ticks)
        for a, b in pairwise(ticks):
            half_a = len(a.label) * charts.CHAR_UNITS / 2
            half_b = len(b.label) * charts.CHAR_UNITS / 2
            assert a.at + half_a < b.at - half_b, (a, b)  # centred labels never touch


def test_point_labels_never_overlap_each_other_or_a_point() -> None:
    # Close points, as the area figures of August 2024 and March 2025 are.
    points = [
        (100.0, 150.0, "1,000"),
        (104.0, 160.0, "800"),
        (110.0, 140.0, "1,150"),
        (900.0, 250.0, "140"),
        (912.0, 252.0, "110"),
        (960.0, 256.0, "63"),
        (964.0, 257.0, "58"),
    ]
    labels = charts.place_labels(points, charts.WIDTH - charts.RIGHT, charts.TOP)
    boxes = []
    for label in labels:
        if label is None:
            continue
        width = len(label.text) * charts.CHAR_UNITS
        left = label.x if label.anchor == "start" else label.x - width
        boxes.append((left, label.y - charts.LABEL_UNITS, left + width, label.y))
    assert len(boxes) >= 4
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
        for px, py, _ in points:
            assert not (a[0] < px + 6 and px - 6 < a[2] and a[1] < py + 6 and py - 6 < a[3])


def test_charts_have_axis_titles_and_no_links_inside_the_image(client: TestClient) -> None:
    for path, title in (("/timeline?as_of=2025-04-27", "Settlements"), ("/", "Area held (km²)")):
        html = client.get(path).text
        for svg in re.findall(r'<svg class="chart__svg".*?</svg>', html, flags=re.S):
            assert "<a " not in svg
        assert 'class="axis-title"' in html and f">{title}</text>" in html


def test_chart_scrollers_are_keyboard_reachable_and_named(client: TestClient) -> None:
    html = client.get("/timeline?as_of=2025-04-27").text
    scroller = re.search(r'<div class="chart__scroll"[^>]*>', html)
    assert scroller
    assert 'tabindex="0"' in scroller.group(0) and "aria-label=" in scroller.group(0)
    assert 'class="chart__cue"' in html
    # The chart's dates are links outside the image, carrying the view.
    assert 'class="chart__day" href="/timeline?as_of=2025-03-13&amp;lang=en"' in html


def test_a_region_that_changes_every_day_draws_at_most_120_dates_and_keeps_the_last() -> None:
    from datetime import timedelta

    from app.status.history import CHART_GROUPS

    start = date(2024, 8, 6)
    series = [
        (
            start + timedelta(days=i),
            {group: (i if n == 0 else 1) for n, group in enumerate(CHART_GROUPS)},
        )
        for i in range(700)
    ]
    chart = charts.stacked_status_chart(series, 800, start + timedelta(days=800))
    assert chart is not None
    assert len(chart.columns) <= charts.MAX_CHART_COLUMNS
    assert chart.columns[0].day == start
    assert chart.columns[-1].day == series[-1][0]  # the latest counts are always drawn
    assert chart.every_nth_change > 1
    assert chart.bands[0].final == series[-1][1][chart.bands[0].status]


def test_a_short_series_is_drawn_whole() -> None:
    series, every = charts.thinned(list(range(50)), 120)
    assert series == list(range(50)) and every == 1
    series, every = charts.thinned(list(range(1000)), 120)
    assert len(series) <= 120 and series[0] == 0 and series[-1] == 999 and every == 9
