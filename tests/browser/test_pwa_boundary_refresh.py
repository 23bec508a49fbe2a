"""A county boundary edited alone reaches the phone at its next sync: GET /api/v1/places carries a
version of /areas' outlines (areas_version) beside the place names' version, and places.js fetches
the outlines again when either changes, so the outside-county warning (capture/county.js) uses the
new outline."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from shapely.geometry import box, mapping, shape

from app.extensions import db
from app.models import Area
from app.models.org import AreaKind
from app.services.reports.geo import invalidate_area_cache
from tests.browser.conftest import settled, wait_until


def _county() -> Area:
    return db.session.scalar(sa.select(Area).where(Area.kind == AreaKind.COUNTY))


def grow_county_to(lat: float, lon: float) -> None:
    """An admin's edit of the county outline alone: it now also covers a small square around (lat, lon)."""
    county = _county()
    grown = shape(county.geometry).union(box(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01))
    county.geometry = json.loads(json.dumps(mapping(grown)))  # tuples → lists, as stored GeoJSON
    county.min_lon, county.min_lat, county.max_lon, county.max_lat = grown.bounds
    db.session.commit()
    invalidate_area_cache()


def just_outside() -> tuple[float, float]:
    """A position 0.05° east of the county's outline, on the latitude of its middle."""
    county = _county()
    return (county.min_lat + county.max_lat) / 2, county.max_lon + 0.05


def test_the_areas_version_changes_when_only_an_outline_does(api, create_user):
    client = api(create_user("inspector"))
    before = client.get("/api/v1/places").get_json()
    assert len(before["areas_version"]) == 16
    assert client.get("/api/v1/places").get_json()["areas_version"] == before["areas_version"]  # stable
    grow_county_to(*just_outside())
    after = client.get("/api/v1/places").get_json()
    assert after["version"] == before["version"]  # the place names did not change ...
    assert after["areas_version"] != before["areas_version"]  # ... the outline did


def in_county(lat: float, lon: float) -> str:
    """What the capture screen's outside-county warning asks (null before the first sync)."""
    return f"import('/static/pwa/js/capture/county.js').then((county) => county.inCounty({lat}, {lon}))"


@pytest.mark.browser
def test_an_edited_boundary_reaches_the_phone_at_the_next_sync(phone, create_user):
    name = settled(lambda: create_user("inspector").username)
    lat, lon = settled(just_outside)
    phone.log_in(name)  # the first sync cached the outlines
    page = phone.page
    assert page.evaluate(in_county(lat, lon)) is False  # outside the cached outline: the phone warns

    settled(lambda: grow_county_to(lat, lon))
    page.click("[data-action=sync]")  # no place name changed: only the outlines' version did
    wait_until(page, in_county(lat, lon) + ".then((inside) => inside === true)")
    assert phone.errors == []
