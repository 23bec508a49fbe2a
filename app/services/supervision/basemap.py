"""The offline base map: the county's main roads and rivers as GeoJSON, drawn when no tile server answers.

The seed ships a synthetic one for the demo county (app/seed_data/basemap.geojson); an admin replaces
it with the county's own (`flask --app wsgi basemap import FILE`, or the page /admin/basemap), kept in
the database (app/models/basemap.py: every web machine serves the same one); reverting deletes that
row and the seed's shows again. The parsed map is kept per process until the row changes.
"""
from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import BaseMap, InspectionPoint
from app.models.basemap import THE_ONE
from app.services.accounts import audit
from app.services.actor import Actor
from app.text import text_problem
from app.timeutil import now_utc

SEED_FILE = Path(__file__).resolve().parents[2] / "seed_data" / "basemap.geojson"
KINDS = ("road", "river")
LINE_TYPES = ("LineString", "MultiLineString", "Polygon", "MultiPolygon")
_DEPTH = {"LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}  # lists above a position
MAX_FEATURES = 20_000
MAX_NAME = 200
MAX_FILE_BYTES = 8 * 1024 * 1024  # a county's main roads and rivers are a few hundred KB


@dataclass(frozen=True)
class Summary:
    """What the offline base map holds now: the seed's or the county's own, layer by layer."""

    source: str  # "county" (an admin's import) or "seed"
    counts: dict[str, int]  # features per kind
    named: int
    stored_at: datetime | None


class BaseMapError(ValueError):
    """A base map file that is not a FeatureCollection of named roads and rivers."""


_parsed: dict[str, tuple] = {}  # "map" → (the row's stored_at or None for the seed's, the collection)
_lock = threading.Lock()


def stamp() -> datetime | None:
    """When the county's base map was stored (None: the seed's shows): what caches key on."""
    return db.session.scalar(sa.select(BaseMap.stored_at).where(BaseMap.id == THE_ONE))


def load() -> dict:
    """The county's base map if an admin imported one, else the seed's (parsed once per change)."""
    current = stamp()
    with _lock:
        hit = _parsed.get("map")
    if hit is not None and hit[0] == current:
        return hit[1]
    text = (db.session.scalar(sa.select(BaseMap.geojson).where(BaseMap.id == THE_ONE)) if current is not None
            else None)
    collection = json.loads(text if text is not None else SEED_FILE.read_text(encoding="utf-8"))
    with _lock:
        _parsed["map"] = (current, collection)
    return collection


def offline_layers() -> list[str]:
    """What a map draws without tiles: areas, the base map's layers, and the inspection points once
    the county has any (the names of GET /api/v1/map/config's `offline_layers`)."""
    names = ["areas", *(f"{kind}s" for kind in kinds(load()))]
    if db.session.scalar(sa.select(InspectionPoint.id).limit(1)) is not None:
        names.append("inspection_points")
    return names


def kinds(collection: dict) -> list[str]:
    """The layers (road, river) the collection holds, in a fixed order."""
    present = {feature["properties"]["kind"] for feature in collection["features"]}
    return [kind for kind in KINDS if kind in present]


def validate(collection: object) -> dict:
    """Check an import: every feature a line or polygon with `kind` road|river and real WGS-84
    coordinates (name optional, storable text); the messages are the admin's, in their language."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection" \
            or not isinstance(collection.get("features"), list) or not collection["features"]:
        raise BaseMapError(_("Expected a GeoJSON FeatureCollection with at least one feature."))
    if len(collection["features"]) > MAX_FEATURES:
        raise BaseMapError(_("At most %(n)d features.", n=MAX_FEATURES))
    clean = []
    for number, feature in enumerate(collection["features"], 1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") not in LINE_TYPES \
                or not _positions_ok(geometry.get("coordinates"), _DEPTH[geometry.get("type")]):
            raise BaseMapError(_("Feature %(n)d: the geometry must be a %(types)s of longitude, latitude pairs.",
                                 n=number, types=" / ".join(LINE_TYPES)))
        if not isinstance(properties, dict) or properties.get("kind") not in KINDS:
            raise BaseMapError(_("Feature %(n)d: properties.kind must be road or river.", n=number))
        name = properties.get("name")
        name = "" if name is None else name
        if not isinstance(name, str) or len(name) > MAX_NAME or text_problem(name):
            raise BaseMapError(_("Feature %(n)d: the name must be text of at most %(max)d characters.",
                                 n=number, max=MAX_NAME))
        clean.append({"type": "Feature", "geometry": {"type": geometry["type"],
                                                      "coordinates": geometry["coordinates"]},
                      "properties": {"kind": properties["kind"], "name": name.strip()}})
    return {"type": "FeatureCollection", "features": clean}


def _positions_ok(coordinates: object, depth: int) -> bool:
    """Nested lists exactly `depth` deep ending in [lon, lat] numbers on the globe (no deeper nesting,
    no NaN): the maps' datum conversion walks them and must not meet anything else."""
    if not isinstance(coordinates, list) or not coordinates:
        return False
    if depth == 0:
        return len(coordinates) in (2, 3) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in coordinates) \
            and -180 <= coordinates[0] <= 180 and -90 <= coordinates[1] <= 90
    return all(_positions_ok(part, depth - 1) for part in coordinates)


def store(collection: dict) -> int:
    """Keep a validated collection as the county's base map (in the caller's transaction, so a
    failure stores nothing); returns the feature count."""
    clean = validate(collection)
    row = db.session.get(BaseMap, THE_ONE) or BaseMap(id=THE_ONE)
    row.geojson = json.dumps(clean, ensure_ascii=False)
    row.features = len(clean["features"])
    row.stored_at = now_utc()
    db.session.add(row)
    db.session.flush()
    return row.features


def parse(raw: bytes) -> dict:
    """An uploaded file's bytes as a validated collection (size, UTF-8, JSON, then validate)."""
    if len(raw) > MAX_FILE_BYTES:
        raise BaseMapError(_("The file is larger than %(mb)d MB.", mb=MAX_FILE_BYTES // (1024 * 1024)))
    try:
        collection = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BaseMapError(_("The file is not GeoJSON (UTF-8 JSON).")) from None
    return validate(collection)


def replace(actor: Actor, collection: dict, ip: str | None = None) -> int:
    """An admin's import: store it and keep an audit entry; returns the feature count."""
    count = store(collection)
    audit.record(actor, "basemap.import", "basemap", "county", {"features": count}, ip)
    return count


def revert(actor: Actor, ip: str | None = None) -> bool:
    """Back to the seed's base map; False when the seed's was showing already."""
    row = db.session.get(BaseMap, THE_ONE)
    if row is None:
        return False
    db.session.delete(row)
    audit.record(actor, "basemap.revert", "basemap", "county", {}, ip)
    return True


def summary() -> Summary:
    stored_at = stamp()
    collection = load()
    counts = {kind: 0 for kind in KINDS}
    for feature in collection["features"]:
        counts[feature["properties"]["kind"]] += 1
    named = sum(1 for feature in collection["features"] if feature["properties"].get("name"))
    return Summary("county" if stored_at is not None else "seed", counts, named, stored_at)
