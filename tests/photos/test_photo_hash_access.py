"""Knowing a photo's hash is not enough to use it (issue 12).

A photo is usable by its hash (attached to a ticket, read) only by those who uploaded its bytes (each
uploader is recorded) or may see a ticket that holds it; to anyone else it answers as if it had never
been uploaded, so hashes do not leak whether someone has the photo. EXIF a phone supplies applies
only to that phone's own upload.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app.extensions import db
from app.models import Photo, PhotoUpload, Role, TicketPhoto, User
from app.models.base import UTCDateTime
from app.services.actor import Actor
from app.services.photos.attach import missing_photos
from app.services.photos.store import store_photo
from app.services.tickets.transitions import ActionInput, transition
from app.timeutil import now_utc
from tests.conftest import REPO, drop_everything
from tests.photos.conftest import sha
from tests.sync.conftest import report_json


@pytest.fixture
def before_photo(create_user, report, make_jpeg):
    """An inspector's before photo on a ticket routed to HWZX (06012 at 29.98, 119.96)."""
    inspector = create_user("inspector")
    data = make_jpeg(seed=21, gps=(29.98, 119.96))
    photo, _created = store_photo(data, None, "image/jpeg", Actor.of(inspector))
    db.session.commit()
    ticket = report("06012", at=(29.98, 119.96), reporter=inspector, photos=[photo.sha256]).ticket
    assert ticket.department.code == "HWZX"
    return {"sha": photo.sha256, "data": data, "inspector": inspector, "ticket": ticket}


@pytest.fixture
def other_department_ticket(ticket_in):
    """A ticket of another department (09009 → JJDD), in progress: it can be resolved with after photos."""
    ticket = ticket_in("in_progress")
    assert ticket.department.code == "JJDD"
    clerk = db.session.scalar(sa.select(User).where(User.department_id == ticket.department_id))
    return ticket, clerk


def _resolve(api_client, ticket, photos):
    return api_client.post(f"/api/v1/tickets/{ticket.id}/actions/resolve",
                           json={"version": ticket.version, "note": "done", "photos": photos})


def test_another_department_cannot_attach_a_before_photo_by_its_hash_nor_then_read_it(
        before_photo, other_department_ticket, api):
    """The finding: JJDD put HWZX's before photo on its own ticket, and could then read it."""
    ticket, clerk = other_department_ticket
    client = api(clerk)
    never_uploaded = "ab" * 32
    stolen = _resolve(client, ticket, [before_photo["sha"]])
    unknown = _resolve(client, ticket, [never_uploaded])
    assert stolen.status_code == unknown.status_code == 422
    assert stolen.json["error"]["code"] == unknown.json["error"]["code"] == "missing_photos"
    assert stolen.json["error"]["missing"] == [before_photo["sha"]]  # the same answer as for no photo at all
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketPhoto).where(
        TicketPhoto.ticket_id == ticket.id, TicketPhoto.photo_sha256 == before_photo["sha"])) == 0
    for suffix in ("", "/web", "/thumb"):
        assert client.get(f"/api/v1/photos/{before_photo['sha']}{suffix}").status_code == 404


def test_whoever_has_the_bytes_uploads_them_and_may_then_use_them(before_photo, other_department_ticket, api,
                                                                 upload):
    """A second uploader of the same bytes is recorded too: they had the photo."""
    ticket, clerk = other_department_ticket
    client = api(clerk)
    again = upload(client, before_photo["data"])
    assert again.status_code == 200 and again.json["sha256"] == before_photo["sha"]
    assert client.get(f"/api/v1/photos/{before_photo['sha']}").status_code == 200
    assert _resolve(client, ticket, [before_photo["sha"]]).status_code == 200
    uploaders = set(db.session.scalars(sa.select(PhotoUpload.user_id).where(
        PhotoUpload.photo_sha256 == before_photo["sha"])))
    assert uploaders == {before_photo["inspector"].id, clerk.id}
    assert db.session.get(Photo, before_photo["sha"]).uploaded_by_id == before_photo["inspector"].id


def test_the_department_of_the_ticket_may_use_its_before_photo(before_photo, api, create_user):
    """On a ticket it may see, a photo is usable: as an after photo it raises the reused-photo flag."""
    ticket = before_photo["ticket"]
    clerk = create_user("department", "HWZX")
    ticket = transition(ticket.id, ActionInput("accept", ticket.version), Actor.of(clerk))
    db.session.commit()
    resp = _resolve(api(clerk), ticket, [before_photo["sha"]])
    assert resp.status_code == 200, resp.text
    codes = {flag["code"] for flag in api(create_user("supervisor")).get(
        f"/api/v1/tickets/{ticket.id}").json["flags"]}
    assert "reused_photo" in codes


def test_another_inspectors_sync_naming_the_hash_is_told_to_upload_it(before_photo, api, create_user, upload):
    other = api(create_user("inspector"))
    sent = report_json(photos=[before_photo["sha"]], lat=29.99, lon=119.97)
    [result] = other.post("/api/v1/sync", json={"reports": [sent]}).get_json()["results"]
    assert result["status"] == "missing_photos" and result["missing"] == [before_photo["sha"]]
    assert upload(other, before_photo["data"]).status_code == 200  # the phone that has the photo sends it
    [result] = other.post("/api/v1/sync", json={"reports": [sent]}).get_json()["results"]
    assert result["status"] == "created"


def test_a_queued_close_naming_someone_elses_photo_is_missing_photos(ticket_in, create_user, api, make_jpeg,
                                                                    upload):
    inspector = create_user("inspector")
    task = ticket_in("resolved", reporter=inspector)
    elsewhere = upload(api(create_user("inspector")), make_jpeg(seed=22)).json["sha256"]
    action = {"client_id": str(uuid.uuid4()), "ticket_id": task.id, "action": "close", "version": task.version,
              "note": "", "photos": [elsewhere]}
    [result] = api(inspector).post("/api/v1/sync", json={"actions": [action]}).get_json()["action_results"]
    assert result["status"] == "missing_photos" and result["missing"] == [elsewhere]


def test_missing_photos_is_the_same_for_unknown_and_unusable_hashes(before_photo, create_user):
    stranger = Actor.of(create_user("inspector"))
    unknown = "cd" * 32
    assert missing_photos([before_photo["sha"], unknown], stranger) == [before_photo["sha"], unknown]
    assert missing_photos([before_photo["sha"], unknown], Actor.of(before_photo["inspector"])) == [unknown]
    assert missing_photos([before_photo["sha"]], Actor.of(create_user("supervisor"))) == []  # on a ticket


def test_a_second_uploaders_client_exif_is_ignored(api, create_user, upload, make_jpeg):
    """The phone's EXIF summary describes its own original: it applies to the upload that stored the photo."""
    first, second = api(create_user("inspector")), api(create_user("inspector"))
    data = make_jpeg(seed=23)  # no EXIF in the bytes, as a browser-resized copy
    digest = upload(first, data).json["sha256"]
    assert upload(second, data).status_code == 200
    taken = (now_utc() - timedelta(minutes=5)).isoformat()
    planted = report_json(photos=[digest], photo_exif={digest: {"lat": 43.0, "lon": 11.0, "taken_at": taken}})
    [result] = second.post("/api/v1/sync", json={"reports": [planted]}).get_json()["results"]
    assert result["status"] == "created"  # the second uploader may use the photo …
    db.session.expire_all()
    photo = db.session.get(Photo, digest)
    assert (photo.exif_lat, photo.exif_lon, photo.exif_taken_at) == (None, None, None)  # … but not describe it
    own = report_json(photos=[digest], lat=29.99, photo_exif={digest: {"lat": 29.99, "lon": 119.95, "taken_at": taken}})
    assert first.post("/api/v1/sync", json={"reports": [own]}).get_json()["results"][0]["status"] == "created"
    db.session.expire_all()
    assert db.session.get(Photo, digest).exif_lat == 29.99


def test_the_uploader_sees_an_unattached_photo_and_nobody_else_does(api, create_user, upload, make_jpeg):
    owner, supervisor = api(create_user("inspector")), api(create_user("supervisor"))
    digest = upload(owner, make_jpeg(seed=24)).json["sha256"]
    assert owner.get(f"/api/v1/photos/{digest}").status_code == 200
    assert supervisor.get(f"/api/v1/photos/{digest}").status_code == 404  # on no ticket yet: a hash is not enough


def test_the_migration_keeps_existing_photos_usable_by_their_uploader(app):
    """0006 records each stored photo's uploader (photo.uploaded_by_id), so old data keeps working."""
    from app import seed

    directory = str(REPO / "migrations")
    drop_everything()
    try:
        upgrade(directory=directory, revision="0005")
        seed.seed_reference()
        db.session.commit()
        now = now_utc()
        users = sa.table("users", *(sa.column(c) for c in ("username", "display_name", "password_hash", "role",
                                                          "active")), sa.column("created_at", UTCDateTime()))
        db.session.execute(sa.insert(users).values(username="old", display_name="", password_hash="x",
                                                   role="inspector", active=True, created_at=now))
        user_id = db.session.execute(sa.text("SELECT id FROM users WHERE username = 'old'")).scalar()
        rows = [{"sha256": sha(bytes([i])), "mime": "image/jpeg", "bytes": 1, "width": 1, "height": 1, "exif": {},
                 "status": "ready", "uploaded_by_id": user_id if i else None, "created_at": now} for i in range(2)]
        photo_0005 = sa.table("photo", *(sa.column(c) for c in rows[0] if c not in ("created_at", "exif")),
                              sa.column("exif", sa.JSON()), sa.column("created_at", UTCDateTime()))  # 0005's columns
        db.session.execute(sa.insert(photo_0005), rows)  # Core: the schema of 0005 has no photo_upload
        db.session.commit()
        upgrade(directory=directory, revision="0006")
        recorded = db.session.execute(sa.select(PhotoUpload.photo_sha256, PhotoUpload.user_id)).all()
        assert recorded == [(sha(bytes([1])), user_id)]
        db.session.rollback()  # SQLite: the read above holds the write lock the migration needs
        upgrade(directory=directory)  # today's code reads today's schema (the photo's later columns too)
        assert missing_photos([sha(bytes([1])), sha(bytes([0]))], Actor(user_id, Role.INSPECTOR)) == [sha(bytes([0]))]
    finally:
        db.session.rollback()
        drop_everything()
        upgrade(directory=directory)
