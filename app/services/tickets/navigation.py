"""'Open in a navigation app' links for a ticket's spot, in each app's datum (issue 17 §4).

Tickets are stored in WGS-84. AMap works in GCJ-02: its marker link gets the converted position
(`coordinate=gaode`). Baidu works in BD-09 but its marker link accepts a declared datum
(`coord_type=wgs84`), so it gets the stored position as it is. Both links open the app when it is
installed (the phone's browser hands them over) and the web map otherwise.
"""
from __future__ import annotations

from urllib.parse import urlencode

from app.services.supervision.gcj02 import wgs84_to_gcj02


def amap_marker(lat: float, lon: float, name: str) -> str:
    g_lat, g_lon = wgs84_to_gcj02(lat, lon)
    return "https://uri.amap.com/marker?" + urlencode({
        "position": f"{g_lon:.6f},{g_lat:.6f}", "name": name, "coordinate": "gaode", "callnative": 1,
        "src": "xuncha"})


def baidu_marker(lat: float, lon: float, name: str, address: str) -> str:
    return "https://api.map.baidu.com/marker?" + urlencode({
        "location": f"{lat:.6f},{lon:.6f}", "title": name, "content": address or name, "coord_type": "wgs84",
        "output": "html", "src": "webapp.xuncha"})
