"""Map tile presets chosen by configuration (TILE_PROVIDER), the one source for every map.

Tianditu: a base layer plus its label layer (vec+cva, or img+cia) on hosts t0..t7, zoom <= 18,
CGCS2000 which is drawn as WGS-84. AMap and Tencent: GCJ-02 (markers are shifted server-side).
`custom` (or no provider) uses TILE_URL and its companions; no URL at all means no tile layer and
the offline base map (the county's own vector layers) is all there is.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)
PROVIDERS = ("tianditu", "amap", "tencent", "custom")
TIANDITU_STYLES = {"vector": ("vec", "cva"), "imagery": ("img", "cia")}
TIANDITU_URL = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
                "&TILECOL={x}&tk={key}")
AMAP_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
TENCENT_URL = "https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={-y}&type=vector&styleid=0"


class TileConfigError(ValueError):
    """A tile setting that cannot work (unknown provider or style, Tianditu without a key)."""


@dataclass(frozen=True)
class TileLayer:
    url: str
    subdomains: str
    min_zoom: int
    max_zoom: int
    attribution: str


@dataclass(frozen=True)
class TileSettings:
    datum: str  # "WGS84" or "GCJ02": the datum markers are drawn in
    layers: tuple[TileLayer, ...]

    @property
    def max_zoom(self) -> int:
        return max((layer.max_zoom for layer in self.layers), default=18)

    @property
    def min_zoom(self) -> int:
        return min((layer.min_zoom for layer in self.layers), default=0)

    def as_dict(self) -> dict:
        return {"datum": self.datum, "layers": [asdict(layer) for layer in self.layers]}


def tile_settings(config: Mapping) -> TileSettings:
    """The tile layers and datum that `config` (the app's settings) asks for."""
    provider = (config.get("TILE_PROVIDER") or "custom").strip().lower()
    if provider not in PROVIDERS:
        raise TileConfigError(f"TILE_PROVIDER must be one of {', '.join(PROVIDERS)}, not {provider!r}")
    max_zoom = min(int(config.get("TILE_MAX_ZOOM") or 18), 18)
    min_zoom = int(config.get("TILE_MIN_ZOOM") or 0)
    if provider == "tianditu":
        key = config.get("TIANDITU_KEY") or ""
        if not key:
            raise TileConfigError("TILE_PROVIDER=tianditu needs TIANDITU_KEY")
        style = (config.get("TILE_STYLE") or "vector").strip().lower()
        if style not in TIANDITU_STYLES:
            raise TileConfigError(f"TILE_STYLE must be one of {', '.join(TIANDITU_STYLES)}, not {style!r}")
        attribution = config.get("TILE_ATTRIBUTION") or "© 天地图 Tianditu"
        layers = tuple(TileLayer(_hosted(config, TIANDITU_URL.replace("{layer}", name).replace("{key}", key)),
                                 "01234567", min_zoom, max_zoom, attribution if i == 0 else "")
                       for i, name in enumerate(TIANDITU_STYLES[style]))
        return TileSettings("WGS84", layers)
    if provider == "amap":
        attribution = config.get("TILE_ATTRIBUTION") or "© 高德地图 AutoNavi"
        return TileSettings("GCJ02", (TileLayer(_hosted(config, AMAP_URL), "1234", min_zoom, max_zoom, attribution),))
    if provider == "tencent":
        attribution = config.get("TILE_ATTRIBUTION") or "© 腾讯地图 Tencent"
        return TileSettings("GCJ02", (TileLayer(_hosted(config, TENCENT_URL), "0123", min_zoom, max_zoom,
                                                attribution),))
    datum = (config.get("TILE_CRS") or "WGS84").strip().upper().replace("-", "")
    if datum not in ("WGS84", "CGCS2000", "GCJ02"):
        raise TileConfigError(f"TILE_CRS must be WGS84, CGCS2000 or GCJ02, not {datum!r}")
    datum = "GCJ02" if datum == "GCJ02" else "WGS84"  # CGCS2000 differs from WGS-84 by centimetres
    url = config.get("TILE_URL") or ""
    if not url:
        return TileSettings(datum, ())
    custom_max = int(config.get("TILE_MAX_ZOOM") or 18)  # a custom server may go beyond 18
    return TileSettings(datum, (TileLayer(url, config.get("TILE_SUBDOMAINS") or "abc", min_zoom, custom_max,
                                          config.get("TILE_ATTRIBUTION") or ""),))


def usable_settings(config: Mapping) -> TileSettings:
    """The tile settings, or none at all (the offline base map) when they cannot work: a map page
    must still open; the mistake is logged."""
    try:
        return tile_settings(config)
    except TileConfigError as error:
        logger.warning("map tiles are off: %s", error)
        return TileSettings("WGS84", ())


def datum_name(config: Mapping) -> str:
    """The datum markers must be drawn in."""
    return usable_settings(config).datum


def _hosted(config: Mapping, url: str) -> str:
    """Tests (and a county's tile proxy) serve a preset from another host: TILE_HOST_OVERRIDE
    replaces "https://" so that the preset's host (with its subdomain) becomes the first path segment."""
    base = config.get("TILE_HOST_OVERRIDE") or ""
    return f"{base.rstrip('/')}/{url.removeprefix('https://')}" if base else url


def image_sources(settings: TileSettings) -> list[str]:
    """The CSP img-src entries for the layers' hosts (rotating subdomains become "*.")."""
    sources = []
    for layer in settings.layers:
        parts = urlsplit(layer.url)
        labels = parts.netloc.split(".")
        if "{s}" in labels[0]:
            labels[0] = "*"
        source = f"{parts.scheme}://{'.'.join(labels)}"
        if source not in sources:
            sources.append(source)
    return sources
