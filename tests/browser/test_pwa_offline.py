"""The inspector PWA in real headless Chromium: offline capture, reload, sync exactly once (docs/design.md §3, §9)."""
from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Photo, PhotoKind, Report, TicketPhoto
from tests.browser.conftest import GPS_PHOTO, PHONE_AT, all_tickets, settled, wait_until

pytestmark = pytest.mark.browser

# What ExifTool reads from DSCN0010.jpg (tests/data/photos/exiftool-truth.json): GPS and DateTimeOriginal.
EXIF_LAT, EXIF_LON = 43.467448, 11.885127
EXIF_TAKEN_AT = datetime(2008, 10, 22, 8, 28, 39, tzinfo=UTC)  # 16:28:39 on a phone in China


def test_offline_capture_survives_reloads_and_syncs_exactly_once(phone, inspector_name):
    phone.log_in(inspector_name)
    phone.context.set_offline(True)
    phone.page.reload()
    phone.wait_ready()  # the shell came from the service worker's cache
    assert phone.page.locator("select[name=category] optgroup").count() > 5  # categories cached too

    phone.fill_capture(GPS_PHOTO, "06012", "路边垃圾堆积")
    # The photo's EXIF GPS (Tuscany) is outside the county: said at once, and not offered.
    wait_until(phone.page, "!document.querySelector('[data-field=location-warning]').hidden")
    assert phone.page.is_hidden("[data-action=use-exif]")
    phone.screenshot("capture")
    phone.save_capture()
    assert phone.waiting() == 1

    phone.page.reload()
    phone.open("outbox")
    assert phone.outbox_states() == ["waiting"]
    phone.screenshot("outbox")
    assert all_tickets() == []

    phone.context.set_offline(False)
    phone.wait_waiting(0)  # the 'online' event alone sent it
    phone.open("reports")
    phone.page.wait_for_selector("[data-field=report-list] li")
    phone.screenshot("my-reports")

    [ticket] = all_tickets()
    assert phone.page.locator("[data-field=report-list] li").first.get_attribute("data-ticket-id") == str(ticket.id)
    assert ticket.category_id and ticket.description == "路边垃圾堆积"
    assert (ticket.lat, ticket.lon) == pytest.approx((PHONE_AT["latitude"], PHONE_AT["longitude"]))
    assert ticket.location_source.value == "device" and ticket.accuracy_m == PHONE_AT["accuracy"]
    [(sha, kind)] = settled(lambda: db.session.execute(
        sa.select(TicketPhoto.photo_sha256, TicketPhoto.kind).where(TicketPhoto.ticket_id == ticket.id)).all())
    assert kind == PhotoKind.BEFORE
    photo = settled(lambda: db.session.execute(sa.select(
        Photo.mime, Photo.width, Photo.height, Photo.exif_lat, Photo.exif_lon, Photo.exif_taken_at)
        .where(Photo.sha256 == sha)).one())
    assert photo.mime == "image/jpeg" and (photo.width, photo.height) == (640, 480)  # under 2048: not enlarged
    assert photo.exif_lat == pytest.approx(EXIF_LAT, abs=1e-5) and photo.exif_lon == pytest.approx(EXIF_LON, abs=1e-5)
    assert photo.exif_taken_at == EXIF_TAKEN_AT
    assert phone.errors == []


def test_two_aborted_photo_uploads_still_make_one_ticket(phone, inspector_name):
    aborted = []

    def flaky_upload(route):
        if len(aborted) < 2:
            aborted.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    phone.context.route("**/api/v1/photos/*", flaky_upload)
    phone.log_in(inspector_name)
    phone.capture(GPS_PHOTO, "06012", "两次上传失败")
    phone.sync_until_empty()

    assert len(aborted) == 2
    [ticket] = all_tickets()
    photos = settled(lambda: db.session.scalar(
        sa.select(sa.func.count()).select_from(TicketPhoto).where(TicketPhoto.ticket_id == ticket.id)))
    assert photos == 1


def test_a_lost_sync_answer_is_retried_without_a_second_ticket(phone, inspector_name):
    lost = []

    def lose_first_answer(route):
        response = route.fetch()  # the server gets the batch and commits ...
        if not lost and '"reports": [{' in (route.request.post_data or "").replace('":[{', '": [{'):
            lost.append(response.status)
            route.abort("connectionreset")  # ... but the phone never hears back
        else:
            route.fulfill(response=response)

    phone.context.route("**/api/v1/sync", lose_first_answer)
    phone.log_in(inspector_name)
    phone.capture(GPS_PHOTO, "06012", "应答丢失")
    phone.sync_until_empty()

    assert lost == [200]
    assert len(all_tickets()) == 1
    assert settled(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Report))) == 1


def test_the_ticket_is_where_the_browser_says_the_phone_is(phone, inspector_name):
    spot = {"latitude": 29.9893, "longitude": 120.0411, "accuracy": 7}  # Dongcheng, not the default spot
    phone.context.set_geolocation(spot)
    phone.log_in(inspector_name)
    phone.capture(GPS_PHOTO, "09009", "违停")
    phone.sync_until_empty()
    [ticket] = all_tickets()
    assert (ticket.lat, ticket.lon, ticket.accuracy_m) == (spot["latitude"], spot["longitude"], 7)
    assert ticket.location_source.value == "device"


def test_background_sync_sends_the_queue_with_the_app_closed(phone, inspector_name):
    phone.log_in(inspector_name)
    phone.context.set_offline(True)
    phone.capture(GPS_PHOTO, "06012", "关闭应用后发送")
    wait_until(phone.page, "navigator.serviceWorker.getRegistration('/app/')"
                           ".then((r) => r.sync.getTags()).then((tags) => tags.includes('outbox'))")
    phone.page.close()  # no page left: only the service worker can send it

    phone.context.set_offline(False)  # Chromium fires the 'sync' event when the network is back
    deadline = time.monotonic() + 30
    while not all_tickets() and time.monotonic() < deadline:
        time.sleep(0.2)
    [ticket] = all_tickets()
    assert ticket.description == "关闭应用后发送"


def test_the_outbox_shows_each_report_uploading_its_photos(phone, inspector_name):
    held = []

    def hold(route):  # the upload waits until the test lets it go
        held.append(route)

    phone.context.route("**/api/v1/photos/*", hold)
    phone.log_in(inspector_name)
    phone.capture(GPS_PHOTO, "06012", "上传进度")
    phone.page.click("[data-tab=outbox]")
    card = phone.page.locator("[data-field=outbox-list] > li[data-state=uploading]")
    card.wait_for()
    assert "1/1" in card.inner_text()
    phone.screenshot("outbox-uploading")
    held[0].continue_()
    phone.sync_until_empty()
    assert len(all_tickets()) == 1
