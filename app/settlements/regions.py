"""Where each region's settlements may lie: a box of latitudes and longitudes per region.

The one place that knows the boxes. A settlement of a known region outside its box (lat and
lon swapped, a sign dropped, a point on another continent) is refused on the way in. The
defaults can be replaced with the KT_REGION_BOUNDS setting (see app.config).
"""

from __future__ import annotations

from typing import NamedTuple


class Bounds(NamedTuple):
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float


# Kursk oblast spans about 50.9-52.4 N and 34.1-38.5 E; a little margin for border villages.
DEFAULT_REGION_BOUNDS: dict[str, Bounds] = {"kursk": Bounds(50.8, 52.5, 34.0, 38.6)}


def bounds_for(region: str, bounds: dict[str, Bounds] | None = None) -> Bounds | None:
    """The box of a region (compared case-insensitively), or None for a region without one."""
    table = DEFAULT_REGION_BOUNDS if bounds is None else bounds
    wanted = region.strip().casefold()
    return next((box for name, box in table.items() if name.casefold() == wanted), None)


def check_latitude(lat: float, region: str, bounds: dict[str, Bounds] | None = None) -> float:
    box = bounds_for(region, bounds)
    if box is not None and not box.lat_min <= lat <= box.lat_max:
        raise ValueError(
            f"{lat} is outside the {region} region (latitude {box.lat_min}–{box.lat_max}): "
            "are lat and lon swapped?"
        )
    return lat


def check_longitude(lon: float, region: str, bounds: dict[str, Bounds] | None = None) -> float:
    box = bounds_for(region, bounds)
    if box is not None and not box.lon_min <= lon <= box.lon_max:
        raise ValueError(
            f"{lon} is outside the {region} region (longitude {box.lon_min}–{box.lon_max}): "
            "are lat and lon swapped?"
        )
    return lon
