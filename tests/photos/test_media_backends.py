"""Both media backends (decision 0018): serving (presigned redirect, X-Accel-Redirect, streaming),
`media migrate` both ways with hash checks, and the cleanup and slips on S3."""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.extensions import db
from app.models import PhotoKind, TicketPhoto
from app.services.actor import Actor
from app.services.photos.cleanup import sweep_orphan_media
from app.services.photos.store import store_photo
from app.services.supervision.slips import ticket_photos
from app.storage import FilesystemStore, key_for, media_store
from app.storage_s3 import S3Store
from app.timeutil import now_utc
from tests.photos.conftest import S3_SETTINGS, stored_keys

BAD = "ee" * 32


@pytest.fixture
def on_filesystem(app, monkeypatch, media_root):
    """This test's media on the filesystem, whatever MEDIA_BACKEND the run has."""
    monkeypatch.setitem(app.config, "MEDIA_BACKEND", "filesystem")
    return FilesystemStore(media_root)


@pytest.fixture
def bucket(app, s3_server, monkeypatch):
    """The S3 settings in the configuration (a prefix of this test's own), the backend left as it is."""
    for name in S3_SETTINGS:
        if name != "MEDIA_BACKEND":
            monkeypatch.setitem(app.config, name, s3_server.get(name, ""))
    monkeypatch.setitem(app.config, "S3_PREFIX", f"m-{uuid.uuid4().hex[:12]}")
    return media_store({**app.config, "MEDIA_BACKEND": "s3"})


@pytest.fixture
def photo_on_ticket(create_user, report, make_jpeg):
    """A photo uploaded by an inspector, the before photo of its ticket (supervisors see every ticket)."""
    inspector = create_user("inspector")
    data = make_jpeg(seed=60, gps=(29.975, 119.95))
    photo, _ = store_photo(data, None, "image/jpeg", Actor.of(inspector))
    db.session.commit()
    report("09009", reporter=inspector, photos=[photo.sha256])
    return {"sha": photo.sha256, "data": data, "inspector": inspector}


@pytest.fixture
def uploader(api, create_user):
    return api(create_user("inspector"))


def _get_follow(client, url):
    """What a browser does with the app's answer: follow a redirect to the bucket over HTTP."""
    answer = client.get(url)
    if answer.status_code == 302:
        fetched = requests.get(answer.headers["Location"], timeout=30)
        return answer, fetched.status_code, fetched.headers, fetched.content
    return answer, answer.status_code, answer.headers, answer.get_data()


# --- serving ----------------------------------------------------------------------------------------

def test_s3_redirects_to_a_short_lived_presigned_url_after_the_access_checks(
        app, use_s3, presigned_redirects, uploader, api, create_user, upload, make_jpeg):
    sha = upload(uploader, make_jpeg(seed=61)).json["sha256"]
    answer = uploader.get(f"/api/v1/photos/{sha}/thumb")
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(app.config["S3_ENDPOINT_URL"])
    assert "no-store" in answer.headers["Cache-Control"]  # the link expires: never cached
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Expires"] == [str(app.config["MEDIA_URL_TTL_S"])]
    assert query["response-content-type"] == ["image/jpeg"]
    fetched = requests.get(location, timeout=30)
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "image/jpeg"
    assert fetched.content == media_store().read("thumb", sha)

    # Someone who may not see the photo gets the same 404 as for an unknown hash, never a URL.
    for stranger in (api(create_user("inspector")), api(create_user("supervisor"))):
        refused = stranger.get(f"/api/v1/photos/{sha}/web")
        assert refused.status_code == 404 and "Location" not in refused.headers
    assert api(create_user("inspector")).get(f"/api/v1/photos/{'0' * 64}/web").status_code == 404


def test_s3_original_is_an_attachment_and_for_supervisors_only(
        app, use_s3, presigned_redirects, api, create_user, photo_on_ticket):
    sha = photo_on_ticket["sha"]
    assert api(photo_on_ticket["inspector"]).get(f"/api/v1/photos/{sha}/original").status_code == 403
    answer = api(create_user("supervisor")).get(f"/api/v1/photos/{sha}/original")
    assert answer.status_code == 302
    fetched = requests.get(answer.headers["Location"], timeout=30)
    assert fetched.status_code == 200 and fetched.content == photo_on_ticket["data"]
    assert fetched.headers["Content-Disposition"] == f'attachment; filename="{sha}.jpg"'
    assert fetched.headers["Content-Type"] == "image/jpeg"
    assert hashlib.sha256(fetched.content).hexdigest() == sha


def test_nginx_serving_answers_x_accel_redirect_with_the_headers(app, on_filesystem, monkeypatch, uploader,
                                                                 api, create_user, upload, make_jpeg):
    monkeypatch.setitem(app.config, "MEDIA_SERVE", "nginx")
    sha = upload(uploader, make_jpeg(seed=63)).json["sha256"]
    answer = uploader.get(f"/api/v1/photos/{sha}/web")
    assert answer.status_code == 200 and answer.get_data() == b""
    accel = answer.headers["X-Accel-Redirect"]
    assert accel == f"/_media/web/{sha[:2]}/{sha[2:4]}/{sha}.jpg"
    assert (on_filesystem.root / accel.removeprefix("/_media/")).is_file()  # what the nginx alias finds
    assert answer.headers["Content-Type"] == "image/jpeg"
    assert {"private", "immutable"} <= {p.strip().split("=")[0] for p in answer.headers["Cache-Control"].split(",")}
    assert answer.headers["ETag"] == f'"{sha}-web"'
    assert uploader.get(f"/api/v1/photos/{sha}/web", headers={"If-None-Match": f'"{sha}-web"'}).status_code == 304
    refused = api(create_user("inspector")).get(f"/api/v1/photos/{sha}/web")
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused.headers


def test_without_a_proxy_the_app_streams_the_file(app, on_filesystem, monkeypatch, uploader, upload, make_jpeg):
    monkeypatch.setitem(app.config, "MEDIA_SERVE", "app")
    sha = upload(uploader, make_jpeg(seed=64)).json["sha256"]
    answer = uploader.get(f"/api/v1/photos/{sha}/thumb", buffered=True)
    assert answer.status_code == 200 and "X-Accel-Redirect" not in answer.headers
    assert answer.get_data() == on_filesystem.read("thumb", sha) and answer.get_data()[:3] == b"\xff\xd8\xff"
    assert answer.headers["ETag"] == f'"{sha}-thumb"'


# --- migrate ----------------------------------------------------------------------------------------

def test_migrate_to_s3_and_back_verifies_every_hash_and_reports_a_corrupted_original(
        app, on_filesystem, bucket, monkeypatch, tmp_path, runner, uploader, upload, make_jpeg):
    shas = [upload(uploader, make_jpeg(seed=70 + i)).json["sha256"] for i in range(2)]
    on_filesystem.delete("web", shas[1])  # a lost derivative: remade in the target
    on_filesystem.write("original", BAD, b"these bytes do not have the hash they are named by")

    result = runner.invoke(args=["media", "migrate", "--to", "s3"])
    assert result.exit_code == 1, result.output
    assert f"corrupted: {on_filesystem.locate(f'originals/ee/ee/{BAD}')}" in result.output
    assert "5 copied, 0 already there, 1 derivatives remade, 1 corrupted" in result.output
    assert "Not switched" in result.output
    assert not bucket.exists("original", BAD)

    on_filesystem.delete("original", BAD)
    result = runner.invoke(args=["media", "migrate", "--to", "s3"])  # again, after the fix: nothing copied twice
    assert result.exit_code == 0, result.output
    assert "0 copied, 5 already there, 0 derivatives remade, 0 corrupted, 0 missing originals" in result.output
    assert "set MEDIA_BACKEND=s3" in result.output
    for sha in shas:
        assert bucket.read("original", sha) == on_filesystem.read("original", sha)
        assert bucket.size("web", sha) and bucket.size("thumb", sha)

    # Switched: the photos are served from the bucket, and migrate back into an empty folder.
    monkeypatch.setitem(app.config, "MEDIA_BACKEND", "s3")
    _answer, status, headers, body = _get_follow(uploader, f"/api/v1/photos/{shas[0]}/web")
    assert status == 200 and body == bucket.read("web", shas[0])
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "back"))
    assert runner.invoke(args=["media", "migrate", "--to", "s3"]).exit_code != 0  # already there: refused
    result = runner.invoke(args=["media", "migrate", "--to", "filesystem"])
    assert result.exit_code == 0, result.output
    assert "6 copied, 0 already there" in result.output
    back = FilesystemStore(tmp_path / "back")
    assert sorted(stored_keys(back)) == sorted(stored_keys(bucket))
    for sha in shas:
        assert hashlib.sha256(back.read("original", sha)).hexdigest() == sha


def test_migrate_reports_an_original_corrupted_in_the_target(app, on_filesystem, bucket, runner, uploader,
                                                             upload, make_jpeg):
    """A damaged copy already in the target (same size, other bytes) is found and copied again."""
    sha = upload(uploader, make_jpeg(seed=75)).json["sha256"]
    size = on_filesystem.size("original", sha)
    bucket.write("original", sha, b"\0" * size)
    result = runner.invoke(args=["media", "migrate", "--to", "s3"])
    assert result.exit_code == 0, result.output
    assert "3 copied, 0 already there" in result.output
    assert hashlib.sha256(bucket.read("original", sha)).hexdigest() == sha


# --- cleanup and slips on S3 ------------------------------------------------------------------------

def test_cleanup_on_s3_removes_orphans_past_the_grace_and_reports_lost_originals(use_s3, uploader, upload,
                                                                                 make_jpeg, runner):
    store = media_store()
    assert isinstance(store, S3Store)
    sha = upload(uploader, make_jpeg(seed=80)).json["sha256"]
    store.write("thumb", BAD, b"no row names me")
    assert sweep_orphan_media(now_utc(), grace=timedelta(hours=1)).removed == []
    report = sweep_orphan_media(now_utc() + timedelta(hours=2), grace=timedelta(hours=1))
    db.session.commit()
    assert [o.key for o in report.removed] == [f"thumb/ee/ee/{BAD}.jpg"]
    assert store.exists("original", sha) and store.exists("web", sha) and store.exists("thumb", sha)

    store.delete("original", sha)
    result = runner.invoke(args=["photos", "check"])
    assert result.exit_code == 1 and f"missing original: {sha}" in result.output


def test_slips_read_the_web_image_from_s3(use_s3, county, login, create_user, ticket_in, create_photo, make_jpeg):
    supervisor_client = login(create_user("supervisor"))
    ticket = ticket_in("in_progress", "06012")
    ticket.due_at = now_utc() - timedelta(hours=3)  # overdue: on the department's slip
    photo = create_photo()
    media_store().write("web", photo.sha256, make_jpeg(size=(800, 600), seed=81))
    db.session.add(TicketPhoto(ticket_id=ticket.id, photo_sha256=photo.sha256, kind=PhotoKind.BEFORE))
    db.session.commit()
    assert ticket_photos([ticket.id], PhotoKind.BEFORE) == {ticket.id: media_store().read("web", photo.sha256)}
    pdf = supervisor_client.get(f"/supervise/slips.pdf?department={ticket.department.code}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert b"/Subtype /Image" in pdf.data

    media_store().delete("web", photo.sha256)
    assert ticket_photos([ticket.id], PhotoKind.BEFORE) == {}


def test_healthz_checks_the_bucket_when_media_lives_in_one(client, app, bucket, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_BACKEND", "s3")
    monkeypatch.setitem(app.config, "MEDIA_ROOT", "/sys/kernel")  # not used by the s3 backend: never written
    media = client.get("/healthz").get_json()["checks"]["media"]
    assert media == {"ok": True, "detail": "the bucket xuncha-test is writable"}
    assert [key for key in _all_keys(bucket) if ".healthz" in key] == []  # the probe left nothing behind

    monkeypatch.setitem(app.config, "S3_BUCKET", "no-such-bucket")
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.get_json()["status"] == "fail"
    assert answer.get_json()["checks"]["media"] == {
        "ok": False, "detail": "the bucket no-such-bucket is not writable: NoSuchBucket"}


def test_healthz_answers_quickly_when_the_bucket_is_unreachable(client, app, bucket, monkeypatch):
    import socket

    from app.storage_s3 import client_for

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setitem(app.config, "MEDIA_BACKEND", "s3")
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["media"]["detail"].startswith("the bucket xuncha-test is not writable: ")
    # A load balancer waits seconds, not minutes: the probe makes one try with short timeouts
    # (the media client's four tries with boto3's 60 s default would hold the answer for minutes).
    probe = client_for(f"http://127.0.0.1:{port}", app.config["S3_REGION"], app.config["S3_ADDRESSING_STYLE"],
                       quick=True).meta.config
    assert (probe.retries["total_max_attempts"], probe.connect_timeout, probe.read_timeout) == (1, 2, 3)


def _all_keys(store: S3Store) -> list[str]:
    pages = store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket, Prefix=store.prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", ())]


def test_a_backup_copies_the_buckets_photos_and_a_restore_puts_them_back(app, bucket, runner, uploader, tmp_path,
                                                                          monkeypatch, make_jpeg):
    monkeypatch.setitem(app.config, "MEDIA_BACKEND", "s3")
    data = make_jpeg(seed=71)
    sha = hashlib.sha256(data).hexdigest()
    assert uploader.put(f"/api/v1/photos/{sha}", data=data, content_type="image/jpeg").status_code == 201
    kept = {key: bucket.client.get_object(Bucket=bucket.bucket, Key=key)["Body"].read() for key in _all_keys(bucket)}
    assert f"{bucket.prefix}{key_for('original', sha)}" in kept and len(kept) == 3  # original, web, thumb
    db.session.commit()

    made = runner.invoke(args=["backup", "create", str(tmp_path / "backup")])
    assert made.exit_code == 0, made.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["media"][key_for("original", sha)] == sha  # copied out of the bucket, checked by content

    for key in kept:  # the bucket loses everything
        bucket.client.delete_object(Bucket=bucket.bucket, Key=key)
    assert _all_keys(bucket) == []
    restored = runner.invoke(args=["backup", "restore", str(tmp_path / "backup"), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert {key: bucket.client.get_object(Bucket=bucket.bucket, Key=key)["Body"].read()
            for key in _all_keys(bucket)} == kept
