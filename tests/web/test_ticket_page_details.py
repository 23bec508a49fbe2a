"""Small things people notice on a ticket's page (issue 17 §4): the history's first line, and links
that open the spot in a navigation app in that app's datum."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from app.services.supervision.gcj02 import wgs84_to_gcj02
from tests.factories import SEAT


@pytest.fixture
def supervisor(create_user, login):
    return login(create_user("supervisor"))


def test_the_history_starts_with_the_report_not_a_status_change(report, supervisor):
    ticket = report("06012", at=SEAT).ticket
    page = supervisor.get(f"/tickets/{ticket.id}").text
    history = page.split('class="history"')[1].split("</ol>")[0]
    first = history.split("<li>")[1]
    assert "<strong>上报</strong>" in first
    assert "→" not in first and "已上报" not in first


@pytest.mark.parametrize("role", ["department", "supervisor"])
def test_navigation_links_carry_each_apps_datum(report, create_user, login, role):
    ticket = report("06012", at=SEAT).ticket
    viewer = create_user(role, ticket.department.code if role == "department" else None)
    page = login(viewer).get(f"/tickets/{ticket.id}").text  # the department's staff go there
    links = {urlsplit(html.unescape(h)).netloc: parse_qs(urlsplit(html.unescape(h)).query)
             for h in re.findall(r'<a href="(https://[^"]+)" rel="noopener noreferrer" target="_blank">', page)}
    amap, baidu = links["uri.amap.com"], links["api.map.baidu.com"]
    g_lat, g_lon = wgs84_to_gcj02(ticket.lat, ticket.lon)
    assert amap["coordinate"] == ["gaode"] and amap["position"] == [f"{g_lon:.6f},{g_lat:.6f}"]
    assert (g_lat, g_lon) != (ticket.lat, ticket.lon)  # converted: GCJ-02 is shifted in China
    assert baidu["coord_type"] == ["wgs84"] and baidu["location"] == [f"{ticket.lat:.6f},{ticket.lon:.6f}"]
    assert ticket.case_number in amap["name"][0] and "在高德地图中打开" in page and "在百度地图中打开" in page
