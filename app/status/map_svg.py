"""The status map as one SVG image, drawn on the server: the map for readers without JavaScript.

The same markers as the browser map (a shape per status, faded and labelled when stale, a
dashed circle for an approximate position) over the same country borders (the geography file
that the setup step builds from Natural Earth), with a scale bar. Where markers are many, they
are grouped on a grid, each group showing its count per status with each status's shape, so
the image stays small and legible at any size of the data. Pure functions: no database, no
HTTP; the route passes the rows in.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape as escape_xml

from app.domain import ControlStatus
from app.i18n import gettext, mid_sentence, ngettext, place_name
from app.text import xml_safe

if TYPE_CHECKING:
    from app.status.service import SettlementStatus

WIDTH = 800
MAX_HEIGHT = 640
PADDING = 28
# Above this many markers the map groups them on a grid: thousands of shapes and names would
# be an unreadable (and heavy) image.
GROUP_ABOVE = 150
GRID_PX = 64
# Groups sit at the centre of their cell, so cells are as large as a group's box: no two
# groups overlap.
GROUP_CELL_W = 124
GROUP_CELL_H = 42
APPROXIMATE_RADIUS_KM = 2.5
LABEL_FONT_PX = 12
# A rough width of one character of the label font: enough to keep names from overlapping.
CHAR_PX = 7.4

COLOURS = {
    ControlStatus.russian_control: "#b3261e",
    ControlStatus.ukrainian_control: "#1d5fb4",
    ControlStatus.contested: "#b86e00",
    ControlStatus.unknown: "#6b7280",
}
# Names to keep first when they collide: what is disputed matters most.
LABEL_PRIORITY = {
    ControlStatus.contested: 0,
    ControlStatus.russian_control: 1,
    ControlStatus.ukrainian_control: 1,
    ControlStatus.unknown: 2,
}
STATUS_ORDER = [
    ControlStatus.russian_control,
    ControlStatus.ukrainian_control,
    ControlStatus.contested,
    ControlStatus.unknown,
]


@dataclass(frozen=True, slots=True)
class MapPoint:
    name: str
    lat: float
    lon: float
    status: ControlStatus
    stale: bool = False
    approximate: bool = False


@dataclass(frozen=True, slots=True)
class Geography:
    """Country borders (lines of (lon, lat)) and where to write the countries' names."""

    borders: tuple[tuple[tuple[float, float], ...], ...] = ()
    countries: tuple[tuple[str, float, float], ...] = ()  # name, lon, lat
    source: str = ""


NO_GEOGRAPHY = Geography()


def points_of(rows: Iterable[SettlementStatus]) -> list[MapPoint]:
    """The settlements that have a position, as markers, named in the language the image
    is asked for (``lang=``; English without it)."""
    return [
        MapPoint(
            name=place_name(row.settlement),
            lat=row.settlement.lat,
            lon=row.settlement.lon,
            status=row.status,
            stale=row.stale,
            approximate=row.settlement.location_precision == "approximate",
        )
        for row in rows
        if row.settlement.lat is not None and row.settlement.lon is not None
    ]


def load_geography(path: Path) -> Geography:
    """The geography file the setup step writes; none (markers only) if it is missing."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return NO_GEOGRAPHY
    return _load_geography(path, stamp)


@lru_cache(maxsize=4)
def _load_geography(path: Path, stamp: int) -> Geography:
    data = json.loads(path.read_text(encoding="utf-8"))
    borders: list[tuple[tuple[float, float], ...]] = []
    countries: list[tuple[str, float, float]] = []
    for feature in data.get("features", []):
        kind = feature.get("properties", {}).get("kind")
        geometry = feature.get("geometry", {})
        if kind == "border" and geometry.get("type") == "MultiLineString":
            for line in geometry["coordinates"]:
                borders.append(tuple((float(x), float(y)) for x, y in line))
        elif kind == "country" and geometry.get("type") == "Point":
            lon, lat = geometry["coordinates"]
            countries.append((str(feature["properties"]["name"]), float(lon), float(lat)))
    source = str(data.get("properties", {}).get("source", ""))
    return Geography(tuple(borders), tuple(countries), source)


def _mercator_y(lat: float) -> float:
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


@dataclass(frozen=True, slots=True)
class _Frame:
    """Degrees to pixels, as Leaflet's Web Mercator does, fitted to the markers."""

    west: float
    north_y: float
    scale: float  # pixels per degree of longitude (and of Mercator y)
    offset_x: float
    height: int
    centre_lat: float

    @property
    def km_per_px(self) -> float:
        return 111.32 * math.cos(math.radians(self.centre_lat)) / self.scale

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x = PADDING + self.offset_x + (lon - self.west) * self.scale
        y = PADDING + (self.north_y - _mercator_y(lat)) * self.scale
        return x, y


def _frame(points: Sequence[MapPoint], fallback: tuple[float, float, float, float]) -> _Frame:
    if points:
        west = min(p.lon for p in points)
        east = max(p.lon for p in points)
        south = min(p.lat for p in points)
        north = max(p.lat for p in points)
    else:
        west, south, east, north = fallback
    # A margin, so a lone settlement or a tight cluster still shows its surroundings.
    margin = max(0.08, 0.08 * max(east - west, north - south))
    west, east, south, north = west - margin, east + margin, south - margin, north + margin
    span_x = east - west
    span_y = _mercator_y(north) - _mercator_y(south)
    scale = min((WIDTH - 2 * PADDING) / span_x, (MAX_HEIGHT - 2 * PADDING) / span_y)
    height = round(span_y * scale + 2 * PADDING)
    offset_x = (WIDTH - 2 * PADDING - span_x * scale) / 2
    return _Frame(west, _mercator_y(north), scale, offset_x, height, (north + south) / 2)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def marker_label(point: MapPoint) -> str:
    return f"{point.name} · {point.status.label}" + (
        " " + gettext("(stale)") if point.stale else ""
    )


def _shape(status: ControlStatus, x: float, y: float, size: float = 7.0) -> str:
    """A status's shape: square, circle, hatched diamond, hollow ring (as on the page)."""
    colour = COLOURS[status]
    if status is ControlStatus.russian_control:
        return (
            f'<rect x="{_fmt(x - size)}" y="{_fmt(y - size)}" width="{_fmt(2 * size)}" '
            f'height="{_fmt(2 * size)}" fill="{colour}" stroke="#fff" stroke-width="2"/>'
        )
    if status is ControlStatus.ukrainian_control:
        return (
            f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(size)}" fill="{colour}" '
            'stroke="#fff" stroke-width="2"/>'
        )
    if status is ControlStatus.contested:
        d = size * 1.35
        return (
            f'<path d="M{_fmt(x)} {_fmt(y - d)}L{_fmt(x + d)} {_fmt(y)}L{_fmt(x)} {_fmt(y + d)}'
            f'L{_fmt(x - d)} {_fmt(y)}Z" fill="url(#hatch)" stroke="{colour}" stroke-width="2"/>'
        )
    return (
        f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(size - 1)}" fill="#fff" '
        f'stroke="{colour}" stroke-width="3"/>'
    )


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class _Boxes:
    """Boxes already drawn, on a grid of cells so that thousands stay cheap to check."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}

    def _keys(self, box: tuple[float, float, float, float]) -> list[tuple[int, int]]:
        return [
            (cx, cy)
            for cx in range(int(box[0] // GRID_PX), int(box[2] // GRID_PX) + 1)
            for cy in range(int(box[1] // GRID_PX), int(box[3] // GRID_PX) + 1)
        ]

    def hits(self, box: tuple[float, float, float, float]) -> bool:
        return any(_overlaps(box, o) for key in self._keys(box) for o in self.cells.get(key, []))

    def add(self, box: tuple[float, float, float, float]) -> None:
        for key in self._keys(box):
            self.cells.setdefault(key, []).append(box)


def _scale_bar(frame: _Frame) -> str:
    """A bar of a round number of kilometres, about a sixth of the width."""
    km_per_px = frame.km_per_px
    target = WIDTH / 6 * km_per_px
    length_km = next((n for n in (1, 2, 5, 10, 20, 25, 50, 100, 200) if n >= target * 0.6), 200)
    px = length_km / km_per_px
    x, y = PADDING, frame.height - 12
    return (
        f'<g aria-hidden="true"><rect x="{_fmt(x - 4)}" y="{_fmt(y - 18)}" '
        f'width="{_fmt(px + 8)}" height="24" fill="#fff" fill-opacity=".8"/>'
        f'<path d="M{_fmt(x)} {_fmt(y - 6)}V{_fmt(y)}H{_fmt(x + px)}V{_fmt(y - 6)}" '
        'fill="none" stroke="#1b1f24" stroke-width="2"/>'
        f'<text x="{_fmt(x + px / 2)}" y="{_fmt(y - 7)}" font-size="11" '
        f'text-anchor="middle" fill="#1b1f24">{length_km} km</text></g>'
    )


def _group_markers(
    points: Sequence[MapPoint], frame: _Frame
) -> tuple[list[tuple[MapPoint, float, float]], list[tuple[float, float, Counter[ControlStatus]]]]:
    """Single markers and groups (at their cell's centre, with a count per status)."""
    cells: dict[tuple[int, int], list[tuple[MapPoint, float, float]]] = {}
    for point in points:
        x, y = frame.xy(point.lon, point.lat)
        key = (int(x // GROUP_CELL_W), int(y // GROUP_CELL_H))
        cells.setdefault(key, []).append((point, x, y))
    singles: list[tuple[MapPoint, float, float]] = []
    groups: list[tuple[float, float, Counter[ControlStatus]]] = []
    for (cell_x, cell_y), members in cells.items():
        if len(members) == 1:
            singles.append(members[0])
            continue
        centre_x = min(max((cell_x + 0.5) * GROUP_CELL_W, 60.0), WIDTH - 60.0)
        centre_y = (cell_y + 0.5) * GROUP_CELL_H
        groups.append((centre_x, centre_y, Counter(m[0].status for m in members)))
    return singles, groups


def escape(text: str) -> str:
    """XML-escaped, and without the characters XML cannot hold (one stored before the text
    policy refused it would make the whole map unreadable)."""
    return escape_xml(xml_safe(text))


def _counted(counts: Counter[ControlStatus]) -> str:
    """ "9 Russian control, 3 contested": each status present, in the legend's order."""
    return ", ".join(f"{counts[s]} {mid_sentence(s.label)}" for s in STATUS_ORDER if counts[s])


def _group_svg(x: float, y: float, counts: Counter[ControlStatus]) -> str:
    """A group: its total, then each status present as its shape and count."""
    present = [s for s in STATUS_ORDER if counts[s]]
    total = sum(counts.values())
    row = [(s, str(counts[s])) for s in present]
    width = 8 + sum(16 + CHAR_PX * len(text) for _, text in row)
    width = min(GROUP_CELL_W - 4, max(width, 12 + CHAR_PX * (len(str(total)) + 12)))
    left, top = x - width / 2, y - 17
    if width > GROUP_CELL_W - 6:  # four statuses with long counts: tighter
        width = GROUP_CELL_W - 4
        left = x - width / 2
    pieces = [
        '<g class="group"><title>'
        + escape(
            ngettext("%(count)s settlement: %(words)s", "%(count)s settlements: %(words)s", total)
            % {"count": total, "words": _counted(counts)}
        )
        + "</title>",
        f'<rect x="{_fmt(left)}" y="{_fmt(top)}" width="{_fmt(width)}" height="34" rx="6" '
        'fill="#fff" fill-opacity=".92" stroke="#1b1f24" stroke-width="1"/>',
        f'<text x="{_fmt(x)}" y="{_fmt(top + 12)}" font-size="10.5" font-weight="700" '
        'text-anchor="middle" fill="#1b1f24">'
        + escape(ngettext("%(num)s settlement", "%(num)s settlements", total) % {"num": total})
        + "</text>",
    ]
    cursor = left + 8
    for status, text in row:
        pieces.append(_shape(status, cursor + 5, top + 24, 4.5))
        pieces.append(
            f'<text x="{_fmt(cursor + 12)}" y="{_fmt(top + 28)}" font-size="11" '
            f'fill="#1b1f24">{text}</text>'
        )
        cursor += 14 + CHAR_PX * len(text)
    pieces.append("</g>")
    return "".join(pieces)


def status_map_svg(
    points: Sequence[MapPoint],
    geography: Geography,
    *,
    title: str,
    region_box: tuple[float, float, float, float] = (34.0, 50.8, 38.6, 52.5),
) -> str:
    """The map as an SVG document. ``region_box`` (west, south, east, north) frames a map
    without markers."""
    frame = _frame(points, region_box)
    counts = Counter(p.status for p in points)
    stale = sum(1 for p in points if p.stale)
    summary = _counted(counts)
    description = (
        ngettext(
            "%(num)s settlement with a position", "%(num)s settlements with a position", len(points)
        )
        % {"num": len(points)}
        + (f": {summary}" if summary else "")
        + (
            "; "
            + ngettext(
                "%(num)s of them stale (no recent claim)",
                "%(num)s of them stale (no recent claim)",
                stale,
            )
            % {"num": stale}
            if stale
            else ""
        )
        + "."
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{frame.height}" '
        f'viewBox="0 0 {WIDTH} {frame.height}" role="img" aria-labelledby="map-title map-desc" '
        'font-family="system-ui, sans-serif">',
        f'<title id="map-title">{escape(title)}</title>',
        f'<desc id="map-desc">{escape(description)}</desc>',
        '<defs><pattern id="hatch" width="5" height="5" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="5" height="5" fill="#fff"/>'
        f'<rect width="3" height="5" fill="{COLOURS[ControlStatus.contested]}"/></pattern></defs>',
        f'<rect width="{WIDTH}" height="{frame.height}" fill="#eef1ec"/>',
    ]
    # Borders: dash-dot, the cartographer's sign for a state border.
    if geography.borders:
        path = "".join(
            "M" + "L".join(f"{_fmt(x)} {_fmt(y)}" for x, y in (frame.xy(*p) for p in line))
            for line in geography.borders
        )
        out.append(
            f'<path class="border" d="{path}" fill="none" stroke="#4b5563" stroke-width="2" '
            'stroke-dasharray="8 3 2 3" stroke-linejoin="round"/>'
        )
    for name, lon, lat in geography.countries:
        x, y = frame.xy(lon, lat)
        if PADDING <= x <= WIDTH - PADDING and PADDING <= y <= frame.height - PADDING:
            out.append(
                f'<text class="country" x="{_fmt(x)}" y="{_fmt(y)}" font-size="18" '
                f'letter-spacing="4" text-anchor="middle" fill="#8a9099">'
                f"{escape(name.upper())}</text>"
            )
    grouped = len(points) > GROUP_ABOVE
    if grouped:
        singles, groups = _group_markers(points, frame)
    else:
        singles = [(p, *frame.xy(p.lon, p.lat)) for p in points]
        groups = []
    for point, x, y in singles:
        if point.approximate:
            radius = max(9.0, APPROXIMATE_RADIUS_KM / frame.km_per_px)
            out.append(
                f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(radius)}" '
                f'fill="{COLOURS[point.status]}" fill-opacity=".08" '
                f'stroke="{COLOURS[point.status]}" stroke-width="1.5" stroke-dasharray="4 3"'
                + (' opacity=".45"' if point.stale else "")
                + "/>"
            )
    drawn = _Boxes()
    ordered = sorted(singles, key=lambda m: LABEL_PRIORITY[m[0].status])
    for _point, x, y in ordered:
        drawn.add((x - 8, y - 8, x + 8, y + 8))
    for x, y, _counts in groups:
        drawn.add((x - GROUP_CELL_W / 2, y - 17, x + GROUP_CELL_W / 2, y + 17))
    for point, x, y in ordered:
        label = marker_label(point)
        width = CHAR_PX * len(label) + 6
        right = (x + 11, y - 8, x + 11 + width, y + 7)
        left = (x - 11 - width, y - 8, x - 11, y + 7)
        place = None
        if right[2] <= WIDTH and not drawn.hits(right):
            place = right
        elif left[0] >= 0 and not drawn.hits(left):
            place = left
        fade = ' opacity=".45"' if point.stale else ""
        out.append(f"<g{fade}><title>{escape(label)}</title>{_shape(point.status, x, y)}")
        if place is not None:
            drawn.add(place)
            out.append(
                f'<rect x="{_fmt(place[0])}" y="{_fmt(place[1])}" width="{_fmt(width)}" '
                'height="15" rx="3" fill="#fff" fill-opacity=".85"/>'
                f'<text x="{_fmt(place[0] + 3)}" y="{_fmt(place[1] + 11.5)}" '
                f'font-size="{LABEL_FONT_PX}" font-weight="600" fill="#1b1f24">'
                f"{escape(label)}</text>"
            )
        out.append("</g>")
    for x, y, group_counts in groups:
        out.append(_group_svg(x, y, group_counts))
    out.append(_scale_bar(frame))
    if geography.source:
        out.append(
            f'<text x="{WIDTH - 6}" y="{frame.height - 6}" font-size="10" text-anchor="end" '
            f'fill="#4b5563">Borders: {escape(geography.source.split(" (")[0])}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)
