"""Offline place names from the county's own data (issue 18): "城关镇 · 人民路附近".

The township or street office a position is in (the Area polygons, geo.area_at; the county's name
outside every township), then the nearest named inspection point or road within
OFFLINE_PLACE_RADIUS_M: the distance to its outline when it has one (a road's strip or line, a
market's block; 0 inside or on it), else to its position. The roads are the named roads of the
offline base map (app/services/supervision/basemap.py: the seed's, or the county's own import),
named in Chinese only ("人民路 Renmin Road" → "人民路"), beside the inspection points of type
主次干道, whose segment qualifier is dropped ("人民路（中山路—文化路段）" → "人民路"). With neither,
the position itself, so no ticket is ever without a place name.

The phone computes the same text before sync from GET /api/v1/places (this module's
`for_phone`) and the township outlines of GET /api/v1/areas, and shows it without sending it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from shapely.geometry import Point, shape
from shapely.ops import nearest_points

from app.extensions import db
from app.models import Area, AreaKind, InspectionPoint
from app.services.reports import geo
from app.services.supervision import basemap

log = logging.getLogger(__name__)

SEPARATOR = " · "
NEAR = "附近"
_SEGMENT = re.compile(r"[（(][^（()）]*段[)）]$")  # "（中山路—文化路段）": which stretch of the road
# "人民路 Renmin Road": a bilingual base-map name; the Chinese part names the place
_LATIN_TAIL = re.compile(r"^(.*[\u3000-\u9fff\uff00-\uffef])\s+[\x20-\x7e]*[A-Za-z][\x20-\x7e]*$")
_CACHE_SECONDS = 30.0  # like the areas: admin edits reach every worker within this time
_lock = threading.Lock()
_cache: dict[str, tuple[float, list[_Place], dict[int, str]]] = {}
_road_cache: dict[str, tuple] = {}  # per database: (the base map's stamp, its roads)


@dataclass(frozen=True)
class _Place:
    name: str
    lat: float
    lon: float
    geometry: dict | None
    outline: object | None  # shapely geometry, or None for a bare point


def short_name(name: str) -> str:
    """A point's name as a place name: without the stretch of road it covers."""
    return _SEGMENT.sub("", name.strip()) or name.strip()


def road_name(name: str) -> str:
    """A base-map road's name as a place name: Chinese only, without the stretch."""
    name = name.strip()
    bilingual = _LATIN_TAIL.match(name)
    return short_name(bilingual.group(1) if bilingual else name)


def invalidate_cache() -> None:
    with _lock:
        _cache.clear()
        _road_cache.clear()


def _loaded() -> tuple[list[_Place], dict[int, str]]:
    key = str(db.engine.url)
    with _lock:
        hit = _cache.get(key)
        if hit and time.monotonic() - hit[0] < _CACHE_SECONDS:
            return hit[1], hit[2]
    rows = db.session.execute(sa.select(InspectionPoint.name, InspectionPoint.lat, InspectionPoint.lon,
                                        InspectionPoint.polygon)
                              .where(InspectionPoint.active).order_by(InspectionPoint.id)).all()
    places = [_Place(short_name(r.name), r.lat, r.lon, r.polygon, shape(r.polygon) if r.polygon else None)
              for r in rows if r.name.strip()]
    places += _roads(key)
    names = dict(db.session.execute(sa.select(Area.id, Area.name_zh)).all())
    with _lock:
        _cache[key] = (time.monotonic(), places, names)
    return places, names


def _roads(key: str) -> list[_Place]:
    """The base map's named roads (its rivers name no address), read again only when an admin
    imported or reverted it (a county's file may be megabytes). A base map that cannot be read
    leaves the points alone: the names lose their roads, never their township."""
    stamp = basemap.stamp()
    with _lock:
        hit = _road_cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    try:
        features = basemap.load()["features"]
    except (OSError, ValueError, KeyError, TypeError):
        log.exception("offline place names without the base map's roads")
        return []
    roads = []
    for feature in features:
        properties, geometry = feature.get("properties") or {}, feature.get("geometry")
        name = road_name(properties.get("name") or "")
        if properties.get("kind") != "road" or not name or not geometry:
            continue
        try:
            outline = shape(geometry)
            on_it = outline.representative_point()
        except (ValueError, TypeError, AttributeError, IndexError):
            log.warning("base map road %r has a geometry shapely cannot read", name)
            continue
        roads.append(_Place(name, round(on_it.y, 6), round(on_it.x, 6), geometry, outline))
    with _lock:
        _road_cache[key] = (stamp, roads)
    return roads


def _distance_m(place: _Place, lat: float, lon: float) -> float:
    if place.outline is None:
        return geo.distance_m((lat, lon), (place.lat, place.lon))
    here = Point(lon, lat)
    if place.outline.covers(here):
        return 0.0
    near = nearest_points(place.outline, here)[0]
    return geo.distance_m((lat, lon), (near.y, near.x))


def nearest_place(lat: float, lon: float, radius_m: float) -> str | None:
    """The name of the nearest named point or road within `radius_m` (the first listed on a tie), or None."""
    places, _ = _loaded()
    dlat, dlon = geo.metres_to_degrees(radius_m, lat)
    best: tuple[float, str] | None = None
    for place in places:
        if place.outline is not None:
            min_lon, min_lat, max_lon, max_lat = place.outline.bounds
        else:
            min_lon = max_lon = place.lon
            min_lat = max_lat = place.lat
        if lat < min_lat - dlat or lat > max_lat + dlat or lon < min_lon - dlon or lon > max_lon + dlon:
            continue
        metres = _distance_m(place, lat, lon)
        if metres <= radius_m and (best is None or metres < best[0]):
            best = (metres, place.name)
    return best[1] if best else None


def township_name(lat: float, lon: float) -> str:
    """The township or street office the position is in; the county's name between them; else ""."""
    _, names = _loaded()
    area = geo.area_at(lat, lon)
    if area is not None:
        return names.get(area.id, "")
    if geo.in_county(lat, lon):
        return db.session.scalar(sa.select(Area.name_zh).where(Area.kind == AreaKind.COUNTY)
                                 .order_by(Area.id).limit(1)) or ""
    return ""


def offline_name(lat: float, lon: float, radius_m: float) -> str:
    """"城关镇 · 人民路附近", "城关镇", "人民路附近", or the position itself when nothing is known."""
    township = township_name(lat, lon)
    place = nearest_place(lat, lon, radius_m)
    text = SEPARATOR.join(p for p in (township, f"{place}{NEAR}" if place else "") if p)
    return text or f"{lat:.5f}, {lon:.5f}"


def for_phone(radius_m: float) -> dict:
    """What the phone needs to name a place the same way offline (GET /api/v1/places): the points,
    then the roads (their lines as geometry), in the order the server compares them."""
    places, _ = _loaded()
    body = {
        "radius_m": radius_m,
        "separator": SEPARATOR,
        "near": NEAR,
        "places": [{"name": p.name, "lat": p.lat, "lon": p.lon, "geometry": p.geometry} for p in places],
    }
    # The phone keeps its copy until this changes (an admin edited the points or the radius).
    body["version"] = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    return body
