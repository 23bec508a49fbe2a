"""Evidence flags: each one raised when it should be and not otherwise, and shown only to supervisors."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from app.extensions import db
from app.models import PhotoKind, User
from app.services.actor import Actor
from app.services.photos import evidence
from app.services.photos.attach import attach_photos
from app.services.photos.store import store_photo
from app.services.tickets.transitions import ActionInput, transition
from app.timeutil import now_utc
from tests.factories import OUTSIDE, SEAT, record_uploads

PHASH = "c3d4a1b2e5f60718"


def _codes(ticket) -> list[str]:
    return sorted(f.code for f in evidence.flags_for(ticket))


def _flip_bits(hex_hash: str, bits: int) -> str:
    return f"{int(hex_hash, 16) ^ ((1 << bits) - 1):016x}"


def _resolve_with(ticket, sha: str, create_user):
    staff = create_user("department", ticket.department.code)
    record_uploads([sha], staff)  # the department uploaded this after photo
    ticket = transition(ticket.id, ActionInput(action="resolve", version=ticket.version, photos=[sha]),
                        Actor.of(staff))
    db.session.commit()
    return ticket


@pytest.mark.parametrize("metres_north, flagged", [(500, True), (50, False)])
def test_gps_far_from_the_ticket(metres_north, flagged, report, create_photo):
    photo = create_photo(exif_lat=SEAT[0] + metres_north / 111_000, exif_lon=SEAT[1])
    ticket = report(at=SEAT, photos=[photo.sha256]).ticket
    assert _codes(ticket) == (["gps_far"] if flagged else [])
    if flagged:
        assert evidence.flags_for(ticket)[0].details["distance_m"] == pytest.approx(500, abs=10)


def test_distance_limit_is_configuration(app, report, create_photo, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_DISTANCE_M", 1000.0)
    photo = create_photo(exif_lat=SEAT[0] + 500 / 111_000, exif_lon=SEAT[1])
    assert _codes(report(at=SEAT, photos=[photo.sha256]).ticket) == []


def test_no_exif_no_flags(report, create_photo):
    assert _codes(report(at=SEAT, photos=[create_photo().sha256]).ticket) == []


@pytest.mark.parametrize("hours_before, flagged", [(30, True), (2, False)])
def test_capture_time_far_from_the_reports(hours_before, flagged, report, create_photo):
    now = now_utc()
    photo = create_photo(exif_taken_at=now - timedelta(hours=hours_before))
    ticket = report(at=SEAT, now=now, photos=[photo.sha256]).ticket
    assert _codes(ticket) == (["time_drift"] if flagged else [])


@pytest.mark.parametrize("minutes_after_capture, flagged", [(-60, True), (30, False)])
def test_after_photo_taken_before_the_ticket(minutes_after_capture, flagged, ticket_in, create_photo, create_user):
    ticket = ticket_in("in_progress")
    photo = create_photo(exif_taken_at=ticket.captured_at + timedelta(minutes=minutes_after_capture))
    ticket = _resolve_with(ticket, photo.sha256, create_user)
    assert _codes(ticket) == (["after_predates_ticket"] if flagged else [])


def test_same_photo_as_before_and_after(report, create_photo, create_user):
    photo = create_photo(phash=PHASH)
    ticket = report(at=SEAT, photos=[photo.sha256]).ticket
    staff = create_user("department", ticket.department.code)
    transition(ticket.id, ActionInput(action="accept", version=ticket.version), Actor.of(staff))
    ticket = _resolve_with(ticket, photo.sha256, create_user)
    [flag] = evidence.flags_for(ticket)
    assert (flag.code, flag.kind.value, flag.details["identical"]) == ("reused_photo", "after", True)


@pytest.mark.parametrize("bits_changed, flagged", [(2, True), (20, False)])
def test_near_identical_photo_as_before_and_after(bits_changed, flagged, ticket_in, create_photo, create_user):
    ticket = ticket_in("in_progress")
    before = create_photo(phash=PHASH)
    attach_photos(ticket, [before.sha256], PhotoKind.BEFORE, Actor.of(db.session.get(User, ticket.reporter_id)))
    db.session.commit()
    after = create_photo(phash=_flip_bits(PHASH, bits_changed))
    ticket = _resolve_with(ticket, after.sha256, create_user)
    assert _codes(ticket) == (["reused_photo"] if flagged else [])


def test_reencoded_photo_is_recognised_by_its_perceptual_hash(report, create_user, make_jpeg):
    inspector = create_user("inspector")
    original = make_jpeg(size=(1600, 1200), seed=11)
    smaller = io.BytesIO()
    Image.open(io.BytesIO(original)).resize((1200, 900)).save(smaller, "JPEG", quality=55)
    unrelated = make_jpeg(size=(1600, 1200), seed=12)
    shas = [store_photo(data, None, "image/jpeg", Actor.of(inspector))[0].sha256
            for data in (original, smaller.getvalue(), unrelated)]
    db.session.commit()

    ticket = report(at=SEAT, reporter=inspector, photos=[shas[0]]).ticket
    staff = create_user("department", ticket.department.code)
    for data in (smaller.getvalue(), unrelated):  # the department uploads its after photos (the same bytes)
        store_photo(data, None, "image/jpeg", Actor.of(staff))
    ticket = transition(ticket.id, ActionInput(action="accept", version=ticket.version), Actor.of(staff))
    ticket = transition(ticket.id, ActionInput(action="resolve", version=ticket.version, photos=shas[1:]),
                        Actor.of(staff))
    db.session.commit()
    [flag] = evidence.flags_for(ticket)
    assert (flag.code, flag.photo_sha256, flag.details["identical"]) == ("reused_photo", shas[1], False)


def test_photo_position_outside_the_county(report, create_photo):
    photo = create_photo(exif_lat=OUTSIDE[0], exif_lon=OUTSIDE[1])
    ticket = report(at=SEAT, photos=[photo.sha256]).ticket
    assert _codes(ticket) == ["gps_far", "outside_county"]
    outside = next(f for f in evidence.flags_for(ticket) if f.code == "outside_county")
    assert outside.details["source"] == "exif"


def test_photo_position_inside_the_county(report, create_photo):
    photo = create_photo(exif_lat=SEAT[0] + 0.0001, exif_lon=SEAT[1])
    assert _codes(report(at=SEAT, photos=[photo.sha256]).ticket) == []


def test_ticket_outside_the_county_is_flagged_once(report, create_photo):
    ticket = report(at=OUTSIDE, photos=[create_photo().sha256, create_photo().sha256]).ticket
    [flag] = evidence.flags_for(ticket)
    assert (flag.code, flag.details["source"]) == ("outside_county", "ticket")


def test_flags_from_a_real_upload(api, create_user, report, make_jpeg, upload):
    inspector = create_user("inspector")
    data = make_jpeg(gps=OUTSIDE, taken_at=(now_utc() - timedelta(days=3)).astimezone())
    sha = upload(api(inspector), data).json["sha256"]
    ticket = report(at=SEAT, reporter=inspector, photos=[sha]).ticket
    assert _codes(ticket) == ["gps_far", "outside_county", "time_drift"]


@pytest.fixture
def flagged_ticket(report, create_user, create_photo):
    photo = create_photo(exif_lat=SEAT[0] + 0.01, exif_lon=SEAT[1])  # about 1.1 km away
    reporter = create_user("inspector")
    return report(at=SEAT, reporter=reporter, photos=[photo.sha256]).ticket, reporter


def _user_for(role, ticket, reporter, create_user):
    if role == "inspector":
        return reporter
    if role == "department":
        return create_user("department", ticket.department.code)
    return create_user(role)


@pytest.mark.parametrize("role, sees", [("supervisor", True), ("admin", True), ("department", False),
                                        ("inspector", False)])
def test_flags_in_the_ticket_api_for_supervisors_only(role, sees, flagged_ticket, api, create_user):
    ticket, reporter = flagged_ticket
    resp = api(_user_for(role, ticket, reporter, create_user)).get(f"/api/v1/tickets/{ticket.id}?lang=en")
    assert resp.status_code == 200
    if sees:
        [flag] = resp.json["flags"]
        assert (flag["code"], flag["kind"], flag["details"]["limit_m"]) == ("gps_far", "before", 200)
        assert flag["reason"].startswith("The photo's GPS position is 1.1 km")  # metres above 1 km read as km
    else:
        assert "flags" not in resp.json


@pytest.mark.parametrize("role, sees", [("supervisor", True), ("inspector", False), ("department", False)])
def test_flags_on_the_ticket_page_for_supervisors_only(role, sees, flagged_ticket, create_user, login):
    ticket, reporter = flagged_ticket
    browser = login(_user_for(role, ticket, reporter, create_user))
    page = browser.get(f"/tickets/{ticket.id}?lang=en").text
    assert ("evidence-flags" in page) == sees
    assert ("m from the ticket&#39;s location (limit 200 m)" in page) == sees


def test_a_new_ticket_is_flagged_without_reading_flags_or_photos_it_cannot_have_yet(report, create_photo):
    """Its photos are checked for what they say themselves (here GPS far away); there is nothing to
    compare them with, so intake sends no query for the ticket's flags or other photos, and reads
    the photo's row once (issue 20)."""
    import sqlalchemy as sa

    photo = create_photo(exif_lat=SEAT[0] + 500 / 111_000, exif_lon=SEAT[1])
    sent = []

    def seen(_conn, _cursor, statement, *_args):
        sent.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        ticket = report(at=SEAT, photos=[photo.sha256]).ticket
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert _codes(ticket) == ["gps_far"]
    reads = [s for s in sent if s.startswith("SELECT")]
    assert not [s for s in reads if "FROM evidence_flag" in s]
    # (Whether the reporter may use the photo looks at ticket_photo inside an EXISTS: that one stays.)
    assert not [s for s in reads if s.startswith("SELECT ticket_photo.") or "WHERE ticket_photo.ticket_id =" in s]
    assert any(s.startswith("INSERT INTO evidence_flag") for s in sent)
    start = next(i for i, s in enumerate(reads) if s.startswith("SELECT report.ticket_id, report.fingerprint"))
    intake_reads = reads[start:]  # from intake's first question (the factory records the upload before)
    assert sum(s.startswith("SELECT photo.") for s in intake_reads) == 1  # checked and flagged from one read
