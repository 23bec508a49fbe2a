"""WGS-84 ⇄ GCJ-02 ("Mars coordinates"), the datum of AMap and Tencent tiles (docs/design.md §6).

Phones report WGS-84; Tianditu tiles are CGCS2000, which agrees with WGS-84 to well under a
metre. AMap and Tencent draw their tiles in GCJ-02, an obfuscated datum that moves points by
a few hundred metres in China, so markers must be shifted the same way before they are drawn
on such tiles. The forward formula is the published one (Krasovsky ellipsoid); the inverse
has no closed form and is solved by fixed-point iteration to about a millimetre.
"""
from __future__ import annotations

import math

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 formula uses
_EE = 0.00669342162296594323  # its first eccentricity squared


def outside_china(lat: float, lon: float) -> bool:
    """GCJ-02 applies only inside (a box around) China; elsewhere it equals WGS-84."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset(x: float, y: float) -> tuple[float, float]:
    """The raw (lat, lon) offsets in metres-like units for x = lon - 105, y = lat - 35."""
    waves = 20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += waves * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += waves * 2.0 / 3.0
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return dlat, dlon


def _shift(lat: float, lon: float) -> tuple[float, float]:
    """The GCJ-02 shift in degrees at a WGS-84 point."""
    dlat, dlon = _offset(lon - 105.0, lat - 35.0)
    rad = math.radians(lat)
    magic = 1 - _EE * math.sin(rad) ** 2
    dlat = dlat * 180.0 / ((_A * (1 - _EE)) / (magic * math.sqrt(magic)) * math.pi)
    dlon = dlon * 180.0 / (_A / math.sqrt(magic) * math.cos(rad) * math.pi)
    return dlat, dlon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    if outside_china(lat, lon):
        return lat, lon
    dlat, dlon = _shift(lat, lon)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Invert the shift: find the WGS-84 point whose GCJ-02 image is (lat, lon)."""
    if outside_china(lat, lon):
        return lat, lon
    wlat, wlon = lat, lon
    for _ in range(20):
        glat, glon = wgs84_to_gcj02(wlat, wlon)
        err_lat, err_lon = glat - lat, glon - lon
        wlat, wlon = wlat - err_lat, wlon - err_lon
        if abs(err_lat) < 1e-10 and abs(err_lon) < 1e-10:
            break
    return wlat, wlon


class Datum:
    """The datum map clients draw in: converts stored WGS-84 positions to it and back."""

    def __init__(self, name: str):
        name = (name or "WGS84").upper().replace("-", "")
        if name not in ("WGS84", "CGCS2000", "GCJ02"):
            raise ValueError(f"unknown tile datum {name!r}: use WGS84, CGCS2000 or GCJ02")
        self.name = "GCJ02" if name == "GCJ02" else "WGS84"

    @property
    def shifted(self) -> bool:
        return self.name == "GCJ02"

    def to_display(self, lat: float, lon: float) -> tuple[float, float]:
        return wgs84_to_gcj02(lat, lon) if self.shifted else (lat, lon)

    def to_wgs84(self, lat: float, lon: float) -> tuple[float, float]:
        return gcj02_to_wgs84(lat, lon) if self.shifted else (lat, lon)

    def bbox_to_wgs84(self, bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A display-datum viewport as the WGS-84 box that contains it."""
        if not self.shifted:
            return bbox
        min_lon, min_lat, max_lon, max_lat = bbox
        corners = [self.to_wgs84(lat, lon) for lat in (min_lat, max_lat) for lon in (min_lon, max_lon)]
        return (min(c[1] for c in corners), min(c[0] for c in corners),
                max(c[1] for c in corners), max(c[0] for c in corners))

    def bbox_to_display(self, bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        if not self.shifted:
            return bbox
        min_lon, min_lat, max_lon, max_lat = bbox
        corners = [self.to_display(lat, lon) for lat in (min_lat, max_lat) for lon in (min_lon, max_lon)]
        return (min(c[1] for c in corners), min(c[0] for c in corners),
                max(c[1] for c in corners), max(c[0] for c in corners))
