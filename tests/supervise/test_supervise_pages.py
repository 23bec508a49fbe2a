"""Supervisor pages: who may open them, the navigation, and pages without inline scripts."""
from __future__ import annotations

import re

import pytest

PAGES = ["/supervise", "/supervise/map", "/supervise/ranking"]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize(("role", "expected"), [("supervisor", 200), ("admin", 200), ("department", 403),
                                                ("inspector", 403)])
def test_only_supervisors_and_admins_open_the_pages(county, create_user, login, url, role, expected):
    client = login(create_user(role, "CGZF" if role == "department" else None))
    assert client.get(url).status_code == expected


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_no_inline_scripts(county, create_user, login, url):
    page = login(create_user("supervisor")).get(url).text
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert " style=" not in page


def test_supervisors_see_the_supervision_links(county, create_user, login):
    page = login(create_user("supervisor")).get("/supervise/ranking").text
    for href in ('href="/supervise"', 'href="/supervise/map"', 'href="/supervise/ranking"'):
        assert href in page
    assert "责任单位通报" in page and "按期整改率" in page


def test_department_staff_do_not_see_them(county, create_user, login):
    page = login(create_user("department", "CGZF")).get("/tickets").text
    assert 'href="/supervise"' not in page


def test_the_map_page_carries_its_tile_settings(app, county, create_user, login):
    app.config.update(TILE_URL="/tiles/{z}/{x}/{y}.png", TILE_CRS="GCJ02")
    try:
        page = login(create_user("supervisor")).get("/supervise/map?department=HWZX").text
    finally:
        app.config.update(TILE_URL="", TILE_CRS="WGS84")
    assert '"url": "/tiles/{z}/{x}/{y}.png"' in page and '"subdomains": "abc"' in page  # data-map-config
    assert '"datum": "GCJ02"' in page
    assert '<option value="HWZX" selected>' in page
