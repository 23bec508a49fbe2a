"""Open311 GeoReport v2 as an existing integration sees it: the PyPI `georeport` client against a live
server (it only reads, and sends no key, so reads are public here), POST done as the specification
describes (form-encoded, with an administrator's api_key), photos as EXIF-free images, English on request."""
from __future__ import annotations

import io

import exifread
import pytest
import requests
import sqlalchemy as sa
from georeport import GeoReport
from PIL import Image

from app.extensions import db
from app.models import Ticket
from app.services.photos import store as photos
from app.storage import media_store
from tests.factories import SEAT, actor_of
from tests.live_server import live_server
from tests.photos.conftest import jpeg_bytes


@pytest.fixture
def public(app):
    saved = app.config["OPEN311_PUBLIC"], app.config["OPEN311_JURISDICTION"]
    app.config["OPEN311_PUBLIC"] = True
    yield app
    app.config["OPEN311_PUBLIC"], app.config["OPEN311_JURISDICTION"] = saved


@pytest.fixture
def server(public, county, tmp_path):
    public.config["MEDIA_ROOT"], saved = str(tmp_path / "media"), public.config["MEDIA_ROOT"]
    try:
        with live_server(public) as base:
            yield f"{base}/open311/v2"
    finally:
        public.config["MEDIA_ROOT"] = saved


@pytest.fixture
def key(runner):
    result = runner.invoke(args=["api-keys", "create", "--name", "hotline"])
    assert result.exit_code == 0, result.output
    return result.output.split()[-1]


def _post(server: str, key: str, fmt: str = "json", **fields) -> requests.Response:
    form = {"api_key": key, "service_code": "09009", "lat": str(SEAT[0]), "long": str(SEAT[1]),
            "description": "人民路口违停", "address_string": "人民路 1 号", "attribute[plate_number]": "浙A12345",
            "attribute[vehicle_type]": "car", **fields}
    return requests.post(f"{server}/requests.{fmt}", data=form, timeout=30)  # form-encoded, as the spec says


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_client_reads_services_and_a_definition_with_attributes(server, fmt):
    client = GeoReport(server, output_format=fmt)
    services = {s["service_code"]: s for s in client.get_service_list()}
    assert str(services["09009"]["metadata"]).lower() == "true"
    assert str(services["06012"]["metadata"]).lower() == "false"  # nothing more to ask for litter
    assert services["09009"]["service_name"] == "机动车乱停放（违章停车）"
    definition = client.get_service_definition("09009")
    attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    by_code = {a["code"]: a for a in attributes}
    plate, kind = by_code["plate_number"], by_code["vehicle_type"]
    assert str(plate["required"]).lower() == "true" and plate["datatype"] == "string"
    assert plate["description"] == "车牌号码"
    values = kind["values"] if fmt == "json" else kind["values"]["value"]
    assert kind["datatype"] == "singlevaluelist" and {v["key"] for v in values} == {"car", "truck", "motorcycle"}
    assert [int(a["order"]) for a in attributes] == list(range(1, len(attributes) + 1))
    assert {"captured_at", "client_request_id"} <= set(by_code)  # every service takes these
    vending = client.get_service_definition("09006")
    vending_attrs = vending["attributes"] if fmt == "json" else vending["attributes"]["attribute"]
    assert any(a["code"] == "vendor_kind" and str(a["required"]).lower() == "true" for a in vending_attrs)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_post_with_the_key_is_read_back_by_the_client_in_lists_and_details(server, key, fmt):
    resp = _post(server, key, fmt)
    assert resp.status_code == 201, resp.text
    client = GeoReport(server, output_format=fmt)
    listed = client.get_service_requests(status="open")
    one = listed if fmt == "xml" else listed[0]  # xmltodict: a single <request> is a dict, not a list
    case_number = one["service_request_id"]
    assert case_number.startswith("XC-") and case_number in resp.text
    detail = client.get_service_request(case_number)
    assert detail["service_code"] == "09009" and detail["status"] == "open"
    assert "【车牌号码】浙A12345" in detail["description"] and "【车辆类型】小型汽车" in detail["description"]
    assert detail["agency_responsible"].startswith("县公安局交通警察大队")
    assert client.get_service_requests(service_request_id=case_number)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def test_attributes_are_checked(server, key):
    missing = _post(server, key, **{"attribute[plate_number]": ""})
    assert missing.status_code == 400 and "plate_number" in missing.json()[0]["description"]
    wrong = _post(server, key, **{"attribute[vehicle_type]": "spaceship"})
    assert wrong.status_code == 400 and "vehicle_type" in wrong.json()[0]["description"]
    vending = _post(server, key, service_code="09006", **{"attribute[vendor_kind]": "food",
                                                          "attribute[stall_count]": "many"})
    assert vending.status_code == 400 and "stall_count" in vending.json()[0]["description"]
    ok = _post(server, key, service_code="09006", **{"attribute[vendor_kind]": "food", "attribute[stall_count]": "3"})
    assert ok.status_code == 201, ok.text
    db.session.expire_all()
    [ticket] = db.session.scalars(sa.select(Ticket)).all()
    assert ticket.description.endswith("【经营类型】餐饮小吃\n【摊位数量】3")


def test_a_retried_post_returns_the_same_request_and_its_token(server, key):
    first = _post(server, key, **{"attribute[client_request_id]": "hotline-2026-000123"})
    again = _post(server, key, **{"attribute[client_request_id]": "hotline-2026-000123"})
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert first.json() == again.json()
    other = _post(server, key, lat=str(SEAT[0] + 0.01), **{"attribute[client_request_id]": "hotline-2026-000124"})
    assert other.json()[0]["service_request_id"] != first.json()[0]["service_request_id"]
    reused = _post(server, key, service_code="06012", **{"attribute[client_request_id]": "hotline-2026-000123"})
    assert reused.status_code == 400 and first.json()[0]["service_request_id"] in reused.json()[0]["description"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2
    token = first.json()[0]["token"]
    for fmt in ("json", "xml"):
        answer = requests.get(f"{server}/tokens/{token}.{fmt}", timeout=30)
        assert answer.status_code == 200 and first.json()[0]["service_request_id"] in answer.text
    assert requests.get(f"{server}/tokens/00000000-0000-0000-0000-000000000000.json", timeout=30).status_code == 404


def _photo_ticket(create_user, report):
    inspector = create_user("inspector")
    photo, _created = photos.store_photo(jpeg_bytes(gps=(29.975, 119.95), model="Phone"), None, "image/jpeg",
                                         actor_of(inspector))
    sha = photo.sha256
    db.session.commit()
    return _case(report("06012", at=SEAT, reporter=inspector, photos=[sha])), sha


def _case(made) -> str:
    """The case number, then the test's transaction ended: SQLite's write lock is the live server's."""
    case_number = made.ticket.case_number
    db.session.rollback()
    return case_number


def _gps_tags(data: bytes) -> list[str]:
    return [t for t in exifread.process_file(io.BytesIO(data), details=False) if t.startswith("GPS")]


def test_media_url_answers_an_image_without_gps(server, create_user, report, public, key):
    case_number, sha = _photo_ticket(create_user, report)
    original = media_store().read("original", sha)
    assert _gps_tags(original)  # the upload did carry a position
    for fmt in ("json", "xml"):
        detail = GeoReport(server, output_format=fmt).get_service_request(case_number)
        assert detail["media_url"].endswith(f"/media/{sha}.jpg")
        image = requests.get(detail["media_url"], timeout=30)
        assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
        assert _gps_tags(image.content) == [] and not Image.open(io.BytesIO(image.content)).getexif()
    # Not public: the link needs the key, as every read then does.
    public.config["OPEN311_PUBLIC"] = False
    link = f"{server}/media/{sha}.jpg"
    assert requests.get(link, timeout=30).status_code == 403
    assert requests.get(link, params={"api_key": key}, timeout=30).status_code == 200
    assert requests.get(f"{server}/media/{'0' * 64}.jpg", params={"api_key": key}, timeout=30).status_code == 404


def test_media_url_is_empty_until_the_web_image_exists(server, create_user, report):
    case_number, sha = _photo_ticket(create_user, report)
    media_store().delete("web", sha)
    detail = GeoReport(server).get_service_request(case_number)
    assert detail["media_url"] == ""
    plain = _case(report("06012", at=(SEAT[0] + 0.01, SEAT[1])))
    assert GeoReport(server).get_service_request(plain)["media_url"] == ""


def test_english_names_when_asked(server, key):
    assert _post(server, key).status_code == 201
    by_param = requests.get(f"{server}/services.json", params={"locale": "en"}, timeout=30).json()
    by_header = requests.get(f"{server}/services.json", headers={"Accept-Language": "en-US,en;q=0.9"},
                             timeout=30).json()
    default = requests.get(f"{server}/services.json", timeout=30).json()
    parking = {s["service_code"]: s for s in by_param}["09009"]
    assert parking["service_name"] == "Illegal motor-vehicle parking" and parking["group"] == "Street order"
    assert by_header == by_param and {s["service_code"]: s for s in default}["09009"]["service_name"] != \
        parking["service_name"]
    definition = requests.get(f"{server}/services/09009.json?locale=en", timeout=30).json()
    plate = next(a for a in definition["attributes"] if a["code"] == "plate_number")
    assert plate["description"] == "Licence plate number"
    [request] = requests.get(f"{server}/requests.json", params={"locale": "en"}, timeout=30).json()
    assert request["service_name"] == "Illegal motor-vehicle parking"
    assert request["agency_responsible"] == "Traffic Police Brigade of the County Public Security Bureau"
    xml = requests.get(f"{server}/requests.xml", headers={"Accept-Language": "en"}, timeout=30).text
    assert "<service_name>Illegal motor-vehicle parking</service_name>" in xml
    # Refusals too; Chinese by default.
    english = _post(server, key, locale="en", **{"attribute[plate_number]": ""}).json()[0]["description"]
    chinese = _post(server, key, **{"attribute[plate_number]": ""}).json()[0]["description"]
    assert english == "attribute[plate_number]: This attribute is required."
    assert chinese == "attribute[plate_number]: 此属性为必填项。"


def test_jurisdiction_id_is_checked_when_configured(server, public, key):
    public.config["OPEN311_JURISDICTION"] = "xc-county"
    assert GeoReport(server, jurisdiction="xc-county").get_service_list()
    with pytest.raises(requests.HTTPError) as refused:
        GeoReport(server, jurisdiction="another-city").get_service_list()
    assert refused.value.response.status_code == 404
    assert _post(server, key, jurisdiction_id="another-city").status_code == 404
    assert _post(server, key, jurisdiction_id="xc-county").status_code == 201
    public.config["OPEN311_JURISDICTION"] = ""
    assert GeoReport(server, jurisdiction="another-city").get_service_list()  # not configured: not checked
