"""Open311 GeoReport v2: services, requests (list, one, create) in JSON and XML; errors as the spec says."""
from xml.etree import ElementTree as ET

import pytest

from app.extensions import db
from app.services.accounts.users import issue_device_token
from tests.factories import SEAT


@pytest.fixture
def key(create_user):
    token = issue_device_token(create_user("inspector"), "open311")
    db.session.commit()
    return token


def test_services_in_json_and_xml(client, key):
    services = client.get(f"/open311/v2/services.json?api_key={key}").json
    parking = next(s for s in services if s["service_code"] == "09009")
    assert parking["service_name"] == "机动车乱停放（违章停车）" and parking["metadata"] is True
    xml = client.get(f"/open311/v2/services.xml?api_key={key}")
    assert xml.headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(xml.data)
    assert root.tag == "services" and root.find("service/service_code") is not None


def test_reads_need_a_key_unless_public(client, county, app):
    resp = client.get("/open311/v2/services.json")
    assert resp.status_code == 403 and resp.json[0]["code"] == 403
    app.config["OPEN311_PUBLIC"] = True
    try:
        assert client.get("/open311/v2/services.json").status_code == 200
    finally:
        app.config["OPEN311_PUBLIC"] = False


def test_post_creates_a_routed_ticket_and_lists_it(client, key):
    resp = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "09009", "lat": str(SEAT[0]), "long": str(SEAT[1]),
        "description": "路口违停", "address_string": "人民路 1 号", "attribute[plate_number]": "浙A12345"})
    assert resp.status_code == 201, resp.data
    case_number = resp.json[0]["service_request_id"]
    assert case_number.startswith("XC-")
    one = client.get(f"/open311/v2/requests/{case_number}.json?api_key={key}").json[0]
    assert one["status"] == "open" and one["service_code"] == "09009"
    assert one["requested_datetime"].endswith("+08:00")
    assert one["agency_responsible"].startswith("县公安局交通警察大队")
    listed = client.get(f"/open311/v2/requests.json?api_key={key}&status=open").json
    assert [r["service_request_id"] for r in listed] == [case_number]
    assert client.get(f"/open311/v2/requests.json?api_key={key}&status=closed").json == []
    xml = ET.fromstring(client.get(f"/open311/v2/requests/{case_number}.xml?api_key={key}").data)
    assert xml.find("request/service_request_id").text == case_number


@pytest.mark.parametrize(("data", "status"), [
    ({"service_code": "09009", "lat": "29.97", "long": "119.95"}, 403),  # no key
    ({"service_code": "NOPE", "lat": "29.97", "long": "119.95", "api_key": "KEY"}, 404),
    ({"service_code": "09009", "lat": "north", "long": "119.95", "api_key": "KEY"}, 400),
    ({"service_code": "09009", "lat": "95", "long": "119.95", "api_key": "KEY"}, 400),
])
def test_post_errors_follow_the_spec(client, key, data, status):
    data = {k: (key if v == "KEY" else v) for k, v in data.items()}
    resp = client.post("/open311/v2/requests.json", data=data)
    assert resp.status_code == status
    assert resp.json[0]["code"] == status and resp.json[0]["description"]


def test_unknown_request_and_bad_range(client, key):
    assert client.get(f"/open311/v2/requests/XC-0-0.json?api_key={key}").status_code == 404
    resp = client.get(f"/open311/v2/requests.json?api_key={key}&start_date=2026-01-01T00:00:00Z"
                      "&end_date=2026-06-01T00:00:00Z")
    assert resp.status_code == 400


def test_a_department_key_sees_only_its_requests(client, create_user, report):
    mine = report("09009", at=SEAT).ticket
    other = report("06012", at=(SEAT[0] + 0.01, SEAT[1])).ticket
    token = issue_device_token(create_user("department", "JJDD"), "k")
    db.session.commit()
    listed = client.get(f"/open311/v2/requests.json?api_key={token}").json
    assert [r["service_request_id"] for r in listed] == [mine.case_number]
    assert client.get(f"/open311/v2/requests/{other.case_number}.json?api_key={token}").status_code == 404


def test_discovery(client, county):
    body = client.get("/open311/v2/discovery.json").json
    assert body["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"


def test_the_xml_feed_stays_well_formed_when_a_report_holds_control_characters(client, create_user, report):
    # Text stored before the intake refused control characters (or written by bulk SQL) must not
    # break the whole requests.xml feed: XML 1.0 cannot carry them, so they are dropped.
    ticket = report("09009", at=SEAT).ticket
    ticket.description = "路口\x07违停\x1b[31m\t第二行\n第三行"
    ticket.address = "人民路\x0b1 号"
    key = issue_device_token(create_user("supervisor"), "feed")
    db.session.commit()
    feed = client.get(f"/open311/v2/requests.xml?api_key={key}")
    assert feed.status_code == 200
    root = ET.fromstring(feed.data)  # raises on a character XML 1.0 forbids
    [request] = root.findall("request")
    assert request.find("description").text == "路口违停[31m\t第二行\n第三行"
    assert request.find("address").text == "人民路1 号"
    assert client.get(f"/open311/v2/requests.json?api_key={key}").json[0]["description"] == ticket.description
