"""Geometry for the server-rendered SVG charts: plain numbers in, coordinates out.

Templates only draw what these functions computed: no chart JavaScript (see README, Layout).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.status.history import CHART_GROUPS, ChartGroup
from app.status.models import AreaFigure, Holder

WIDTH, HEIGHT = 1000, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 36, 24, 34
# Bottom to top: the two sides, then the disputed middle, then what nobody knows; each
# status with its stale part just above it.
STACK_ORDER: list[ChartGroup] = CHART_GROUPS


@dataclass(frozen=True, slots=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True, slots=True)
class Band:
    status: ChartGroup
    path: str
    final: int  # count at the right edge


@dataclass(frozen=True, slots=True)
class Column:
    """A clickable slice of the chart: from one change to the next."""

    x: float
    width: float
    day: date
    counts: dict[ChartGroup, int]


@dataclass(frozen=True, slots=True)
class Frame:
    """The drawing area and axes every chart shares."""

    x_ticks: list[Tick]
    y_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: float = WIDTH - RIGHT
    top: int = TOP
    bottom: float = HEIGHT - BOTTOM


@dataclass(frozen=True, slots=True)
class StackedChart:
    frame: Frame
    bands: list[Band]
    columns: list[Column]


def _x_scale(start: date, end: date) -> tuple[float, float]:
    span = max((end - start).days, 1)
    return LEFT, (WIDTH - RIGHT - LEFT) / span


def month_ticks(start: date, end: date) -> list[Tick]:
    """First days of months between start and end, thinned to at most 8 labels."""
    origin, per_day = _x_scale(start, end)
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        first = date(year, month, 1)
        if start <= first <= end:
            months.append(first)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    step = max(1, -(-len(months) // 8))
    return [
        Tick(round(origin + (m - start).days * per_day, 1), f"{m:%b %Y}") for m in months[::step]
    ]


def stacked_status_chart(
    series: Sequence[tuple[date, dict[ChartGroup, int]]], total: int, end: date
) -> StackedChart | None:
    """Counts of settlements per status (and on stale evidence) over time, as step areas."""
    if not series or total <= 0:
        return None
    start = series[0][0]
    end = max(end, start)
    origin, per_day = _x_scale(start, end)
    plot_h = HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return round(origin + (day - start).days * per_day, 2)

    def y(count: float) -> float:
        return round(TOP + plot_h - count / total * plot_h, 2)

    edges = [x(day) for day, _ in series] + [x(end) if end > series[-1][0] else x(end) + 4]
    bands = []
    below = [0] * len(series)
    for status in STACK_ORDER:
        above = [b + counts[status] for b, (_, counts) in zip(below, series, strict=True)]
        upper = []
        for i, top in enumerate(above):
            upper += [f"{edges[i]},{y(top)}", f"{edges[i + 1]},{y(top)}"]
        lower = []
        for i in reversed(range(len(below))):
            lower += [f"{edges[i + 1]},{y(below[i])}", f"{edges[i]},{y(below[i])}"]
        bands.append(Band(status, "M" + " L".join(upper + lower) + " Z", series[-1][1][status]))
        below = above
    columns = [
        Column(edges[i], max(edges[i + 1] - edges[i], 2), day, counts)
        for i, (day, counts) in enumerate(series)
    ]
    y_ticks = [Tick(y(v), str(v)) for v in sorted({0, total // 2, total})]
    return StackedChart(Frame(month_ticks(start, end), y_ticks), bands, columns)


@dataclass(frozen=True, slots=True)
class AreaPoint:
    x: float
    y: float
    figure: AreaFigure


@dataclass(frozen=True, slots=True)
class AreaSeries:
    holder: Holder
    points: list[AreaPoint]
    path: str


@dataclass(frozen=True, slots=True)
class AreaChart:
    frame: Frame
    series: list[AreaSeries]


def area_chart(figures: Sequence[AreaFigure], end: date) -> AreaChart | None:
    """Area held (km²) per side over time, as lines through the sources' stated figures."""
    if not figures:
        return None
    start = min(f.as_of for f in figures)
    end = max(end, max(f.as_of for f in figures))
    origin, per_day = _x_scale(start, end)
    top_value = max(f.area_km2 for f in figures) or 1
    top_value = _nice_ceiling(top_value)
    plot_h = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return round(TOP + plot_h - value / top_value * plot_h, 2)

    series = []
    for holder in Holder:
        mine = sorted((f for f in figures if f.holder == holder), key=lambda f: f.as_of)
        if not mine:
            continue
        points = [
            AreaPoint(round(origin + (f.as_of - start).days * per_day, 2), y(f.area_km2), f)
            for f in mine
        ]
        path = "M" + " L".join(f"{p.x},{p.y}" for p in points)
        series.append(AreaSeries(holder, points, path))
    y_ticks = [Tick(y(v), f"{v:,.0f}") for v in (0, top_value / 2, top_value)]
    return AreaChart(Frame(month_ticks(start, end), y_ticks), series)


def _nice_ceiling(value: float) -> float:
    """A round number at or above value: 1,150 -> 1,200; 58 -> 60."""
    magnitude: float = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= factor * magnitude:
            return factor * magnitude
    return value
