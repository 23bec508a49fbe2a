"""Points and polygons: which area a point is in, whether it is in the county (shapely)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from geopy.distance import geodesic
from shapely.geometry import Point, shape
from shapely.prepared import prep

from app.extensions import db
from app.models import Area, AreaKind

_CACHE_SECONDS = 30.0  # areas change rarely (admin edits); every worker reloads within this time
_lock = threading.Lock()
_cache: dict[str, tuple[float, list[_AreaShape]]] = {}


@dataclass(frozen=True)
class _AreaShape:
    id: int
    code: str
    kind: str
    department_id: int | None
    bbox: tuple[float, float, float, float]
    prepared: object

    def contains(self, lon: float, lat: float) -> bool:
        min_lon, min_lat, max_lon, max_lat = self.bbox
        if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
            return False
        return self.prepared.covers(Point(lon, lat))


def bbox_of(geometry: dict) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of a GeoJSON geometry."""
    return shape(geometry).bounds


def invalidate_area_cache() -> None:
    with _lock:
        _cache.clear()


def _area_shapes() -> list[_AreaShape]:
    key = str(db.engine.url)
    with _lock:
        hit = _cache.get(key)
        if hit and time.monotonic() - hit[0] < _CACHE_SECONDS:
            return hit[1]
    rows = db.session.execute(
        sa.select(Area.id, Area.code, Area.kind, Area.department_id, Area.geometry).order_by(Area.id)
    ).all()
    shapes = []
    for row in rows:
        geom = shape(row.geometry)
        shapes.append(_AreaShape(row.id, row.code, row.kind, row.department_id, geom.bounds, prep(geom)))
    with _lock:
        _cache[key] = (time.monotonic(), shapes)
    return shapes


def area_at(lat: float, lon: float) -> _AreaShape | None:
    """The most specific (non-county) area that contains the point, if any."""
    for area in _area_shapes():
        if area.kind != AreaKind.COUNTY and area.contains(lon, lat):
            return area
    return None


def in_county(lat: float, lon: float) -> bool | None:
    """True/False if a county boundary is configured, None if there is none to test against."""
    counties = [a for a in _area_shapes() if a.kind == AreaKind.COUNTY]
    if not counties:
        return None
    return any(a.contains(lon, lat) for a in counties)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance in metres between two (lat, lon) points on WGS-84."""
    return geodesic(a, b).meters


def metres_to_degrees(metres: float, lat: float) -> tuple[float, float]:
    """A conservative (dlat, dlon) box that contains every point within `metres`."""
    import math

    dlat = metres / 110_574.0
    dlon = metres / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    return dlat * 1.01, dlon * 1.01
