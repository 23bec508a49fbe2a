"""Web-Mercator grid used for map clustering: integer pixel positions and per-zoom cells.

Every ticket stores its position as Web-Mercator pixels at zoom 22 (`map_x`, `map_y`, each
below 2**30, so a 32-bit integer). A cell at zoom z is 64 screen pixels wide, so the cell of
a ticket is `map_x >> (28 - z)`: one integer shift, the same in SQLite and PostgreSQL, with
no trigonometry at query time (docs/decisions/0005-map-clusters-and-kpis.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

PX_ZOOM = 22  # the zoom at which positions are stored
CELL_BITS = 6  # a cluster cell is 2**6 = 64 screen pixels at the zoom it is drawn at
WORLD_PX = 256 << PX_ZOOM  # 2**30
MAX_LAT = 85.05112878  # Web Mercator's square world
MIN_ZOOM, MAX_ZOOM = 3, 20


def to_px(lat: float, lon: float) -> tuple[int, int]:
    """Pixel position at zoom 22 of a WGS-84 point (Web Mercator, as Leaflet draws it)."""
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    x = (lon + 180.0) / 360.0 * WORLD_PX
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * WORLD_PX
    return min(WORLD_PX - 1, max(0, int(x))), min(WORLD_PX - 1, max(0, int(y)))


def from_px(x: float, y: float) -> tuple[float, float]:
    """(lat, lon) of a zoom-22 pixel position."""
    lon = x / WORLD_PX * 360.0 - 180.0
    n = math.pi - 2 * math.pi * y / WORLD_PX
    lat = math.degrees(math.atan(math.sinh(n)))
    return lat, lon


def shift_for(zoom: int) -> int:
    """Right shift that turns a zoom-22 pixel into the index of its cell at `zoom`."""
    return PX_ZOOM - zoom + CELL_BITS


@dataclass(frozen=True)
class CellRange:
    """The cells at `zoom` that cover a viewport: inclusive index ranges."""

    zoom: int
    x0: int
    x1: int
    y0: int
    y1: int

    @property
    def shift(self) -> int:
        return shift_for(self.zoom)

    def px_bounds(self) -> tuple[int, int, int, int]:
        """Inclusive zoom-22 pixel bounds of the covered cells: (x_min, x_max, y_min, y_max)."""
        s = self.shift
        return self.x0 << s, ((self.x1 + 1) << s) - 1, self.y0 << s, ((self.y1 + 1) << s) - 1

    def bbox(self) -> tuple[float, float, float, float]:
        """The covered area as (min_lon, min_lat, max_lon, max_lat)."""
        x_min, x_max, y_min, y_max = self.px_bounds()
        max_lat, min_lon = from_px(x_min, y_min)
        min_lat, max_lon = from_px(x_max + 1, y_max + 1)
        return min_lon, min_lat, max_lon, max_lat

    @property
    def cell_count(self) -> int:
        return (self.x1 - self.x0 + 1) * (self.y1 - self.y0 + 1)


def cells_covering(bbox: tuple[float, float, float, float], zoom: int) -> CellRange:
    """The whole cells at `zoom` that cover bbox = (min_lon, min_lat, max_lon, max_lat)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    x_min, y_min = to_px(max_lat, min_lon)  # pixel y grows southwards
    x_max, y_max = to_px(min_lat, max_lon)
    s = shift_for(zoom)
    return CellRange(zoom, x_min >> s, x_max >> s, y_min >> s, y_max >> s)
