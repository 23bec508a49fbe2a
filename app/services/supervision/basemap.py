"""The offline base map: the county's main roads and rivers as GeoJSON, drawn when no tile server answers.

The seed ships a synthetic one for the demo county (app/seed_data/basemap.geojson); an admin replaces
it with the county's own (`flask --app wsgi basemap import FILE`), stored under MEDIA_ROOT.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import InspectionPoint

SEED_FILE = Path(__file__).resolve().parents[2] / "seed_data" / "basemap.geojson"
KINDS = ("road", "river")
LINE_TYPES = ("LineString", "MultiLineString", "Polygon", "MultiPolygon")


class BaseMapError(ValueError):
    """A base map file that is not a FeatureCollection of named roads and rivers."""


def stored_path(media_root: str) -> Path:
    return Path(media_root) / "basemap" / "base.geojson"


def load(media_root: str) -> dict:
    """The county's base map if an admin imported one, else the seed's."""
    path = stored_path(media_root)
    return json.loads((path if path.exists() else SEED_FILE).read_text(encoding="utf-8"))


def offline_layers(media_root: str) -> list[str]:
    """What a map draws without tiles: areas, the base map's layers, and the inspection points once
    the county has any (the names of GET /api/v1/map/config's `offline_layers`)."""
    names = ["areas", *(f"{kind}s" for kind in kinds(load(media_root)))]
    if db.session.scalar(sa.select(InspectionPoint.id).limit(1)) is not None:
        names.append("inspection_points")
    return names


def kinds(collection: dict) -> list[str]:
    """The layers (road, river) the collection holds, in a fixed order."""
    present = {feature["properties"]["kind"] for feature in collection["features"]}
    return [kind for kind in KINDS if kind in present]


def validate(collection: object) -> dict:
    """Check an import: every feature a line or polygon with `kind` road|river (name optional)."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection" \
            or not isinstance(collection.get("features"), list) or not collection["features"]:
        raise BaseMapError("expected a GeoJSON FeatureCollection with at least one feature")
    for number, feature in enumerate(collection["features"], 1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") not in LINE_TYPES \
                or not isinstance(geometry.get("coordinates"), list):
            raise BaseMapError(f"feature {number}: geometry must be one of {', '.join(LINE_TYPES)}")
        if not isinstance(properties, dict) or properties.get("kind") not in KINDS:
            raise BaseMapError(f"feature {number}: properties.kind must be one of {', '.join(KINDS)}")
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"],
         "properties": {"kind": f["properties"]["kind"], "name": str(f["properties"].get("name") or "")}}
        for f in collection["features"]]}


def store(media_root: str, collection: dict) -> int:
    """Write a validated collection atomically (no half-written file); returns the feature count."""
    clean = validate(collection)
    path = stored_path(media_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(clean, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)
    return len(clean["features"])
