"""Who may see a photo, how its files are served, and what happens when a file is lost."""
from __future__ import annotations

import hashlib

import pytest

from app.extensions import db
from app.models import Photo
from app.services.actor import Actor
from app.services.photos.store import store_photo
from app.services.tickets.transitions import ActionInput, transition


@pytest.fixture
def photo_on_ticket(create_user, report, make_jpeg):
    """A photo uploaded by an inspector and used as the before photo of a ticket routed to a department."""
    inspector = create_user("inspector")
    data = make_jpeg(gps=(29.975, 119.95), model="Phone")
    photo, _ = store_photo(data, None, "image/jpeg", Actor.of(inspector))
    db.session.commit()
    ticket = report("09009", reporter=inspector, photos=[photo.sha256]).ticket
    assert ticket.department is not None
    return {"sha": photo.sha256, "data": data, "inspector": inspector, "ticket": ticket}


def _meta(client, sha):
    return client.get(f"/api/v1/photos/{sha}")


@pytest.mark.parametrize("who, status", [
    ("uploader", 200), ("other_inspector", 404), ("own_department", 200), ("other_department", 404),
    ("supervisor", 200), ("admin", 200),
])
def test_metadata_and_derivatives_follow_ticket_visibility(who, status, photo_on_ticket, api, create_user):
    ticket = photo_on_ticket["ticket"]
    user = {
        "uploader": lambda: photo_on_ticket["inspector"],
        "other_inspector": lambda: create_user("inspector"),
        "own_department": lambda: create_user("department", ticket.department.code),
        "other_department": lambda: create_user("department", "CGZF" if ticket.department.code != "CGZF"
                                                else "SWJ"),
        "supervisor": lambda: create_user("supervisor"),
        "admin": lambda: create_user("admin"),
    }[who]()
    client = api(user)
    sha = photo_on_ticket["sha"]
    meta = _meta(client, sha)
    assert meta.status_code == status
    for variant in ("web", "thumb"):
        assert client.get(f"/api/v1/photos/{sha}/{variant}", buffered=True).status_code == status
    if status == 404:
        assert meta.json["error"]["code"] == "not_found"
    else:
        assert meta.json["sha256"] == sha
        assert ("original_url" in meta.json) == (who in ("supervisor", "admin"))


def test_uploader_sees_own_photo_before_any_ticket_uses_it(api, create_user, upload, make_jpeg):
    owner, other = api(create_user("inspector")), api(create_user("inspector"))
    sha = upload(owner, make_jpeg()).json["sha256"]
    assert _meta(owner, sha).status_code == 200
    assert _meta(other, sha).status_code == 404


@pytest.mark.parametrize("role, status", [("inspector", 403), ("department", 403), ("supervisor", 200),
                                          ("admin", 200)])
def test_originals_only_for_supervisors_and_admins(role, status, photo_on_ticket, api, create_user):
    ticket = photo_on_ticket["ticket"]
    user = (photo_on_ticket["inspector"] if role == "inspector"
            else create_user("department", ticket.department.code) if role == "department" else create_user(role))
    resp = api(user).get(f"/api/v1/photos/{photo_on_ticket['sha']}/original", buffered=True)
    assert resp.status_code == status
    if status == 200:
        assert resp.data == photo_on_ticket["data"]
        assert resp.headers["Content-Disposition"].startswith("attachment")
        if not resp.history:  # served here, not by the bucket a presigned redirect went to (MEDIA_BACKEND=s3)
            assert resp.headers["Content-Security-Policy"] == "sandbox"
    else:
        assert resp.json["error"]["code"] == "forbidden"


def test_photos_need_a_login(client, photo_on_ticket):
    for suffix in ("", "/web", "/thumb", "/original"):
        resp = client.get(f"/api/v1/photos/{photo_on_ticket['sha']}{suffix}")
        assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthorized"


def test_derivatives_have_etag_and_long_private_cache(photo_on_ticket, api):
    client = api(photo_on_ticket["inspector"])
    url = f"/api/v1/photos/{photo_on_ticket['sha']}/thumb"
    resp = client.get(url, buffered=True)
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert resp.headers["ETag"]
    if resp.history:  # MEDIA_BACKEND=s3: the app's redirect is never cached, the bucket's answer is private
        assert "no-store" in resp.history[0].headers["Cache-Control"]
        assert resp.headers["Cache-Control"].startswith("private")
        return
    cache = resp.cache_control
    assert cache.private and not cache.public and cache.immutable and cache.max_age >= 30 * 24 * 3600
    again = client.get(url, headers={"If-None-Match": resp.headers["ETag"]}, buffered=True)
    assert again.status_code == 304 and again.data == b""


def test_ticket_page_shows_photos_through_the_session(photo_on_ticket, create_user, login):
    browser = login(create_user("supervisor"))
    page = browser.get(f"/tickets/{photo_on_ticket['ticket'].id}")
    thumb = f"/api/v1/photos/{photo_on_ticket['sha']}/thumb"
    assert thumb in page.text
    assert browser.get(thumb, buffered=True).status_code == 200


def _delete(media, sha, *variants):
    for variant in variants:
        media.delete(variant, sha)


@pytest.mark.parametrize("damage", ["deleted", "emptied"])
def test_lost_derivative_is_made_again(damage, photo_on_ticket, api, media):
    sha = photo_on_ticket["sha"]
    if damage == "deleted":  # a crash can leave either
        media.delete("web", sha)
    else:
        media.write("web", sha, b"")
    resp = api(photo_on_ticket["inspector"]).get(f"/api/v1/photos/{sha}/web", buffered=True)
    assert resp.status_code == 200 and resp.data[:3] == b"\xff\xd8\xff"
    assert media.size("web", sha) == len(resp.data)


def test_lost_original_is_reported_not_crashed(photo_on_ticket, api, create_user, media):
    sha = photo_on_ticket["sha"]
    _delete(media, sha, "original", "web", "thumb")
    client = api(create_user("supervisor"))
    for suffix in ("/web", "/thumb", "/original"):
        resp = client.get(f"/api/v1/photos/{sha}{suffix}")
        assert resp.status_code == 410 and resp.json["error"]["code"] == "file_missing"
    assert _meta(client, sha).status_code == 200  # the row and its metadata are still there


def test_uploading_a_lost_photo_again_restores_it(photo_on_ticket, api, media, upload):
    sha = photo_on_ticket["sha"]
    _delete(media, sha, "original", "web", "thumb")
    photo = db.session.get(Photo, sha)
    photo.status = "missing"
    db.session.commit()
    client = api(photo_on_ticket["inspector"])
    resp = upload(client, photo_on_ticket["data"])
    assert resp.status_code == 200 and resp.json["status"] == "ready"
    assert hashlib.sha256(client.get(f"/api/v1/photos/{sha}/web", buffered=True).data).hexdigest()
    assert media.read("original", sha) == photo_on_ticket["data"]


def test_department_sees_after_photo_it_added(ticket_in, create_user, api, make_jpeg):
    ticket = ticket_in("in_progress")
    staff = create_user("department", ticket.department.code)
    client = api(staff)
    sha = client.put(f"/api/v1/photos/{hashlib.sha256(data := make_jpeg(seed=5)).hexdigest()}", data=data,
                     content_type="image/jpeg").json["sha256"]
    transition(ticket.id, ActionInput(action="resolve", version=ticket.version, photos=[sha]), Actor.of(staff))
    db.session.commit()
    detail = api(create_user("supervisor")).get(f"/api/v1/tickets/{ticket.id}").json
    assert {"sha256": sha, "kind": "after"}.items() <= next(p for p in detail["photos"] if p["sha256"] == sha).items()
    assert _meta(client, sha).status_code == 200


@pytest.mark.parametrize("who, sees_gps", [("uploader", False), ("own_department", False), ("supervisor", True),
                                           ("admin", True)])
def test_exif_gps_only_for_those_who_may_see_originals(who, sees_gps, photo_on_ticket, api, create_user):
    """The GPS position is what the originals are kept from others for (docs/design.md §5): the
    metadata carries it under the same rule, photos.store.may_see_originals."""
    ticket = photo_on_ticket["ticket"]
    user = {"uploader": lambda: photo_on_ticket["inspector"],
            "own_department": lambda: create_user("department", ticket.department.code),
            "supervisor": lambda: create_user("supervisor"), "admin": lambda: create_user("admin")}[who]()
    client = api(user)
    exif = _meta(client, photo_on_ticket["sha"]).json["exif"]
    assert exif["model"] == "Phone"  # the rest of the metadata is for everyone who sees the photo
    assert ({"lat", "lon"} <= set(exif)) == sees_gps
    if sees_gps:
        assert (exif["lat"], exif["lon"]) == (pytest.approx(29.975, abs=1e-4), pytest.approx(119.95, abs=1e-4))
    again = client.put(f"/api/v1/photos/{photo_on_ticket['sha']}", data=photo_on_ticket["data"],
                       content_type="image/jpeg")  # uploading the same bytes: the same answer
    assert again.status_code == 200 and again.json["exif"] == exif
