"""WGS-84 → GCJ-02 against published reference points, and back."""
from __future__ import annotations

import pytest

from app.services.reports.geo import distance_m
from app.services.supervision.gcj02 import Datum, gcj02_to_wgs84, outside_china, wgs84_to_gcj02

# (WGS-84 lat, lon, GCJ-02 lat, lon): the test vectors of googollee/eviltransform (Shanghai,
# Shenzhen, Beijing), computed with the published GCJ-02 formula.
REFERENCE = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


@pytest.mark.parametrize(("lat", "lon", "gcj_lat", "gcj_lon"), REFERENCE)
def test_wgs84_to_gcj02_matches_the_reference_points(lat, lon, gcj_lat, gcj_lon):
    got = wgs84_to_gcj02(lat, lon)
    assert got == pytest.approx((gcj_lat, gcj_lon), abs=1e-7)  # about a centimetre
    assert 100 < distance_m((lat, lon), got) < 1000  # the shift is hundreds of metres


@pytest.mark.parametrize(("lat", "lon", "gcj_lat", "gcj_lon"), REFERENCE)
def test_gcj02_to_wgs84_returns_to_the_original_point(lat, lon, gcj_lat, gcj_lon):
    assert distance_m(gcj02_to_wgs84(gcj_lat, gcj_lon), (lat, lon)) < 0.01


def test_gcj02_to_wgs84_matches_gcoords_published_value():
    # hujiulong/gcoord's unit test: GCJ-02 (45, 123) → WGS-84 (44.99804071, 122.99395597), 5 decimals.
    assert gcj02_to_wgs84(45.0, 123.0) == pytest.approx((44.99804071, 122.99395597), abs=1e-5)


@pytest.mark.parametrize(("lat", "lon"), [(51.5, -0.12), (35.68, 139.69), (-33.86, 151.2)])
def test_outside_china_nothing_moves(lat, lon):
    assert outside_china(lat, lon)
    assert wgs84_to_gcj02(lat, lon) == (lat, lon)
    assert gcj02_to_wgs84(lat, lon) == (lat, lon)


def test_datum_names_and_viewports():
    assert Datum("wgs84").name == Datum("CGCS2000").name == "WGS84"
    gcj = Datum("GCJ-02")
    assert gcj.shifted
    box = (119.9, 29.9, 120.0, 30.0)
    wgs_box = gcj.bbox_to_wgs84(box)
    back = gcj.bbox_to_display(wgs_box)
    assert back[0] <= box[0] and back[1] <= box[1] and back[2] >= box[2] and back[3] >= box[3]
    assert back == pytest.approx(box, abs=5e-4)  # the shift varies a little across the box
    with pytest.raises(ValueError):
        Datum("BD09")
