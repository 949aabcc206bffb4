"""Geometry for the server-rendered SVG charts: plain numbers in, coordinates out.

Templates only draw what these functions computed: no chart JavaScript (see README, Layout).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TypeVar

from app.domain import ControlStatus
from app.i18n import N_, format_date, format_day_month, format_month_year, format_number
from app.status.derive import Interval
from app.status.history import CHART_GROUPS, ChartGroup
from app.status.models import AreaFigure, Holder

WIDTH, HEIGHT = 1000, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 36, 40, 40
# Labels are drawn at up to this size in the chart's own units: on a phone the chart is at least
# 640 px wide, 0.64 px per unit, so 19 units stay above 12 px (static/css/app.css). Placement
# below assumes this size, so labels that do not collide at it never collide smaller.
LABEL_UNITS = 19
CHAR_UNITS = 0.6 * LABEL_UNITS  # an average digit or letter's width
_T = TypeVar("_T")

MAX_X_LABELS = 7
# The stacked chart draws at most this many dates (the plot is ~600 units wide, so a column
# stays ~5 units): a region where something changes every day would otherwise put hundreds of
# kilobytes of SVG and table rows into the page for detail no screen can show.
MAX_CHART_COLUMNS = 120
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
    y_title: str
    start: date
    end: date  # the axis ends at the last data point, never at a date with no data
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
    # More dates changed than the chart draws: it shows every n-th date of change (and the last).
    every_nth_change: int = 1


def thinned(series: Sequence[_T], most: int) -> tuple[list[_T], int]:
    """Every n-th item, and always the last, so that at most ``most`` remain; and n."""
    if len(series) <= most:
        return list(series), 1
    step = -(-len(series) // (most - 1))
    kept = list(series[::step])
    if kept[-1] is not series[-1]:
        kept.append(series[-1])
    return kept, step


def _x_scale(start: date, end: date) -> tuple[float, float]:
    span = max((end - start).days, 1)
    return LEFT, (WIDTH - RIGHT - LEFT) / span


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def time_ticks(start: date, end: date, most: int = MAX_X_LABELS) -> list[Tick]:
    """Labelled dates between start and end: the finest of days, weeks, or months that gives
    at most ``most`` labels, so a span of ten days gets days and a year gets quarters. Never
    fewer than two labels (the first and last days) when no finer step fits."""
    origin, per_day = _x_scale(start, end)

    def at(day: date) -> float:
        return round(origin + (day - start).days * per_day, 1)

    span = (end - start).days
    for step in (1, 2, 7, 14):
        if span // step + 1 <= most:
            days = [start + timedelta(days=i) for i in range(0, span + 1, step)]
            # The year once, on the first label.
            return [
                Tick(at(d), format_day_month(d) + (f" {d.year}" if i == 0 else ""))
                for i, d in enumerate(days)
            ]
    for step in (1, 2, 3, 6, 12):
        first = _add_months(start, 0 if start.day == 1 else 1)
        while (first.month - 1) % step:  # quarters start in Jan, Apr, Jul, Oct
            first = _add_months(first, 1)
        months = []
        while first <= end:
            months.append(first)
            first = _add_months(first, step)
        if 2 <= len(months) <= most:
            return [Tick(at(m), format_month_year(m)) for m in months]
    return [Tick(at(start), format_date(start)), Tick(at(end), format_date(end))]


def stacked_status_chart(
    series: Sequence[tuple[date, dict[ChartGroup, int]]], total: int, end: date
) -> StackedChart | None:
    """Counts of settlements per status (and on stale evidence) over time, as step areas."""
    if not series or total <= 0:
        return None
    series, every_nth = thinned(series, MAX_CHART_COLUMNS)
    start, last = series[0][0], series[-1][0]
    # The axis ends at the last change (and a short stretch showing the counts after it), or
    # at the date shown if that is sooner: no empty months running on to today.
    stub = timedelta(days=max(1, (last - start).days // 40))
    end = min(max(end, last), last + stub)
    origin, per_day = _x_scale(start, end)
    plot_h = HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return round(origin + (day - start).days * per_day, 2)

    def y(count: float) -> float:
        return round(TOP + plot_h - count / total * plot_h, 2)

    edges = [x(day) for day, _ in series] + [x(end) if end > last else x(end) + 4]
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
    frame = Frame(time_ticks(start, end), y_ticks, N_("Settlements"), start, end)
    return StackedChart(frame, bands, columns, every_nth)


@dataclass(frozen=True, slots=True)
class AreaPoint:
    x: float
    y: float
    figure: AreaFigure
    label: PointLabel | None = None  # None: it would overlap another; the table has it


@dataclass(frozen=True, slots=True)
class PointLabel:
    x: float
    y: float
    text: str
    anchor: str  # "start" or "end"


def place_labels(
    points: Sequence[tuple[float, float, str]], frame_right: float, frame_top: float
) -> list[PointLabel | None]:
    """A label for each point, beside it, where it overlaps no label placed before it and stays
    inside the frame; else None. Later points are placed first: the newest figure matters most.
    """
    # Every point's dot is an obstacle too: a label never covers another figure's point.
    placed: list[tuple[float, float, float, float]] = [
        (px - 7, py - 7, px + 7, py + 7) for px, py, _ in points
    ]
    result: list[PointLabel | None] = [None] * len(points)
    height = LABEL_UNITS
    for i in reversed(range(len(points))):
        px, py, text = points[i]
        width = len(text) * CHAR_UNITS
        for dx, dy, anchor in (
            (8, -8, "start"),
            (8, 8 + height, "start"),
            (-8, -8, "end"),
            (-8, 8 + height, "end"),
        ):
            left = px + dx if anchor == "start" else px + dx - width
            box = (left, py + dy - height, left + width, py + dy)
            if box[0] < LEFT or box[2] > frame_right + RIGHT or box[1] < frame_top - 4:
                continue
            if any(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed
            ):
                continue
            placed.append(box)
            result[i] = PointLabel(round(px + dx, 2), round(py + dy, 2), text, anchor)
            break
    return result


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
    # The axis ends at the last figure: the figures are those up to the date shown.
    end = max(f.as_of for f in figures)
    origin, per_day = _x_scale(start, end)
    top_value = max(f.area_km2 for f in figures) or 1
    top_value = _nice_ceiling(top_value)
    plot_h = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return round(TOP + plot_h - value / top_value * plot_h, 2)

    def x(day: date) -> float:
        return round(origin + (day - start).days * per_day, 2)

    drawn: list[tuple[Holder, list[AreaPoint]]] = []
    for holder in Holder:
        mine = sorted((f for f in figures if f.holder == holder), key=lambda f: f.as_of)
        if mine:
            drawn.append((holder, [AreaPoint(x(f.as_of), y(f.area_km2), f) for f in mine]))
    every = sorted((p for _, points in drawn for p in points), key=lambda p: (p.figure.as_of, p.x))
    labels = dict(
        zip(
            (id(p) for p in every),
            place_labels(
                [(p.x, p.y, format_number(round(p.figure.area_km2))) for p in every],
                WIDTH - RIGHT,
                TOP,
            ),
            strict=True,
        )
    )
    series = []
    for holder, points in drawn:
        labelled = [replace(p, label=labels[id(p)]) for p in points]
        path = "M" + " L".join(f"{p.x},{p.y}" for p in labelled)
        series.append(AreaSeries(holder, labelled, path))
    y_ticks = [Tick(y(v), format_number(round(v))) for v in (0, top_value / 2, top_value)]
    frame = Frame(time_ticks(start, end), y_ticks, N_("Area held (km²)"), start, end)
    return AreaChart(frame, series)


def _nice_ceiling(value: float) -> float:
    """A round number at or above value: 1,150 -> 1,200; 58 -> 60."""
    magnitude: float = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= factor * magnitude:
            return factor * magnitude
    return value


@dataclass(frozen=True, slots=True)
class StripBar:
    """One interval of a settlement's timeline strip, on a 1000-unit axis: ``end`` None means
    still so on the last day drawn."""

    status: ControlStatus
    start: date
    end: date | None
    x: float
    width: float


def strip_bars(timeline: Sequence[Interval], start: date, end: date) -> list[StripBar]:
    """Each interval's rectangle from ``start`` to ``end``: at least 3 units wide, 4 when it
    starts on the last day (a change on the date shown stays visible)."""
    span = (end - start).days or 1
    bars = []
    for interval in timeline:
        x0 = round((interval.start - start).days / span * 1000, 2)
        stop = interval.end or end
        x1 = round((stop - start).days / span * 1000, 2) if stop > interval.start else x0 + 4
        bars.append(StripBar(interval.status, interval.start, interval.end, x0, max(x1 - x0, 3)))
    return bars
