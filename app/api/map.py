"""The supervisor map's data: clustered tickets for a viewport, and area outlines, in the tiles' datum."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.api import bp
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Area, Role
from app.params import filter_of
from app.schemas.params import ClustersQuery, query
from app.security import api_auth, current_actor
from app.services.supervision import basemap, map_clusters, tiles
from app.services.supervision.gcj02 import Datum
from app.services.supervision.tiles import datum_name
from app.timeutil import now_utc


def _datum() -> Datum:
    return Datum(datum_name(current_app.config))


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in text.split(","))
    except ValueError:
        raise ValidationFailed(_("bbox must be minLon,minLat,maxLon,maxLat."), field="bbox") from None
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise ValidationFailed(_("bbox must be minLon,minLat,maxLon,maxLat."), field="bbox")
    return min_lon, min_lat, max_lon, max_lat


@bp.get("/map/clusters")
@api_auth(Role.SUPERVISOR, Role.ADMIN)
def map_cluster_features():
    args = query(ClustersQuery)
    return map_clusters.clusters(current_actor(), filter_of(args), _bbox(args.bbox), args.zoom, now_utc(),
                                 _datum(), members=args.members == "1")


@bp.get("/map/config")
@api_auth()
def map_config():
    """The tile layers and datum every map uses, and the offline layers drawn without tiles."""
    settings = tiles.usable_settings(current_app.config)
    return {**settings.as_dict(), "offline_layers": basemap.offline_layers()}


@bp.get("/map/base.geojson")
@api_auth()
def map_base_layers():
    """Main roads and rivers (the seed's or the county's own), in the tiles' datum."""
    datum = _datum()
    collection = basemap.load()
    return {"type": "FeatureCollection", "datum": datum.name,
            "features": [{"type": "Feature", "geometry": _moved(f["geometry"], datum), "properties": f["properties"]}
                         for f in collection["features"]]}


@bp.get("/map/areas")
@api_auth(Role.SUPERVISOR, Role.ADMIN)
def map_area_outlines():
    """Area outlines as GeoJSON, moved into the tiles' datum so they line up with the markers."""
    datum = _datum()
    features = []
    for area in db.session.scalars(sa.select(Area).order_by(Area.id)):
        features.append({"type": "Feature", "geometry": _moved(area.geometry, datum),
                         "properties": {"code": area.code, "name_zh": area.name_zh, "name_en": area.name_en,
                                        "kind": area.kind}})
    return {"type": "FeatureCollection", "datum": datum.name, "features": features}


def _moved(geometry: dict, datum: Datum) -> dict:
    def move(coords):
        if coords and isinstance(coords[0], (int, float)):
            lat, lon = datum.to_display(coords[1], coords[0])
            return [round(lon, 7), round(lat, 7)]
        return [move(c) for c in coords]

    return {"type": geometry["type"], "coordinates": move(geometry["coordinates"])}
