"""The inspector PWA under /app/: the static shell, its service worker, manifest and small JSON docs.

The service worker is served from here, not from /static, so that its scope is /app/ and so
that it starts with `VERSION` (a hash of every file it caches) and `PRECACHE`: a deploy that
changes any of those files changes sw.js, and the browser offers the update.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, Response, current_app
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from shapely.geometry import shape

from app.extensions import db
from app.models import Area, AreaKind
from app.services.supervision.tiles import usable_settings

bp = Blueprint("pwa", __name__, url_prefix="/app")

# What the capture screen needs to open with no network (the shell; budget 150 KB compressed) ...
SHELL_GLOBS = ("css/app.css", "js/*.js", "js/sync/*.js", "js/capture/*.js", "js/ui/*.js",
               "vendor/idb/index.js", "vendor/exifr/lite.esm.mjs", "icons/icon-192.png")
# ... and the map for correcting the pin, loaded only when asked for, cached at install all the same.
MAP_GLOBS = ("vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css", "vendor/leaflet/images/*.png")
SHELL_PAGES = ("/app/", "/app/config.json", "/app/manifest.webmanifest")
MODULEPRELOAD_MARKER = "  <!-- modulepreload links: added by app/pwa/views.py -->"


def pwa_dir() -> Path:
    return Path(current_app.static_folder) / "pwa"


def static_files(globs: tuple[str, ...]) -> list[Path]:
    root = pwa_dir()
    return sorted({path for pattern in globs for path in root.glob(pattern) if path.is_file()})


def static_url(path: Path) -> str:
    return "/static/pwa/" + path.relative_to(pwa_dir()).as_posix()


def precache_urls() -> list[str]:
    return [*SHELL_PAGES, *(static_url(p) for p in static_files(SHELL_GLOBS + MAP_GLOBS))]


def shell_version() -> str:
    """A hash of everything the service worker caches, and of the service worker itself."""
    digest = hashlib.sha256()
    for path in [pwa_dir() / "index.html", pwa_dir() / "sw.js", pwa_dir() / "manifest.webmanifest",
                 *static_files(SHELL_GLOBS + MAP_GLOBS)]:
        digest.update(path.relative_to(pwa_dir()).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps(client_config(), sort_keys=True).encode())
    return digest.hexdigest()[:16]


def client_config() -> dict:
    """Server settings the phone needs offline (cached with the shell)."""
    config = current_app.config
    tiles = usable_settings(config)  # the same preset as the desk's maps (TILE_PROVIDER)
    first = tiles.layers[0] if tiles.layers else None
    return {
        "tile_url": first.url if first else "",
        "tile_attribution": first.attribution if first else "",
        "tile_crs": tiles.datum,
        "tile_layers": tiles.as_dict()["layers"],
        "batch_limit": config["SYNC_BATCH_LIMIT"],
        "max_photos": config["SYNC_MAX_PHOTOS"],
        "max_description": config["SYNC_MAX_DESCRIPTION"],
        "outside_county": config["SYNC_OUTSIDE_COUNTY"],  # reject: the phone refuses such a save at once
        "map_center": _county_center(),
    }


def _county_center() -> dict | None:
    """Where the map opens when the phone has no position yet: a point inside the county."""
    geometry = db.session.scalar(sa.select(Area.geometry).where(Area.kind == AreaKind.COUNTY).limit(1))
    if geometry is None:
        return None
    point = shape(geometry).representative_point()
    return {"lat": round(point.y, 6), "lon": round(point.x, 6)}


def _no_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
def shell():
    # Preloading every module flattens the import waterfall (app.js → form.js → photo.js → …):
    # a cold start offline then waits for one round of cache reads, not four.
    links = "\n".join(f'  <link rel="modulepreload" href="{static_url(path)}">'
                      for path in static_files(SHELL_GLOBS) if path.suffix in (".js", ".mjs"))
    html = (pwa_dir() / "index.html").read_text(encoding="utf-8").replace(MODULEPRELOAD_MARKER, links)
    return _no_cache(Response(html, mimetype="text/html"))


@bp.get("/sw.js")
def service_worker():
    head = f"const VERSION = {json.dumps(shell_version())};\nconst PRECACHE = {json.dumps(precache_urls())};\n"
    body = head + (pwa_dir() / "sw.js").read_text(encoding="utf-8")
    return _no_cache(Response(body, mimetype="text/javascript"))


@bp.get("/manifest.webmanifest")
def manifest():
    body = (pwa_dir() / "manifest.webmanifest").read_bytes()
    return _no_cache(Response(body, mimetype="application/manifest+json"))


@bp.get("/config.json")
def config_json():
    return _no_cache(Response(json.dumps(client_config()), mimetype="application/json"))


@bp.get("/session.json")
def session_json():
    """Who is logged in on this browser, and the CSRF token to ask for a device token with."""
    if not current_user.is_authenticated:
        body = {"authenticated": False}
    else:
        body = {"authenticated": True, "username": current_user.username, "role": current_user.role.value,
                "csrf_token": generate_csrf()}
    response = Response(json.dumps(body), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response
