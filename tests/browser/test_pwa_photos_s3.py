"""The PWA's photo cache with MEDIA_BACKEND=s3 (issue 21 §2): its fetch() follows the app's 302 to a
presigned URL on the bucket (cross-origin: the device token stays behind), keeps the thumbnails in
IndexedDB by hash, and the offline detail shows them from there, never from a link that expires."""
from __future__ import annotations

import pytest

from app.storage import media_store
from tests.browser.conftest import wait_until
from tests.browser.test_pwa_report_detail import ALL_CACHED, DETAIL, decoded, resolved_report  # noqa: F401
from tests.photos.conftest import s3_server, use_s3  # noqa: F401 - the local S3 server and its settings

pytestmark = pytest.mark.browser


def test_thumbnails_come_from_the_bucket_and_show_offline_after_the_links_expired(
        app, resolved_report, use_s3, phone, monkeypatch):  # noqa: F811 - the imported fixtures
    # Photos stored before the switch are put in the bucket, as `media migrate` would.
    from app.services.photos.derivatives import compute
    from app.storage import FilesystemStore

    local = FilesystemStore(app.config["MEDIA_ROOT"])
    bucket = media_store()
    for sha in (resolved_report["before"], resolved_report["after"]):
        if bucket.exists("original", sha):
            continue
        bucket.write("original", sha, local.read("original", sha))
        compute(sha, bucket)
    requested = []
    phone.page.on("request", lambda request: requested.append(request.url))
    monkeypatch.setitem(app.config, "MEDIA_URL_TTL_S", 1)  # links that are stale by the time we look
    phone.log_in(resolved_report["username"])
    wait_until(phone.page, ALL_CACHED)
    assert any(url.startswith(app.config["S3_ENDPOINT_URL"]) for url in requested)  # the bytes came from the bucket

    phone.page.wait_for_timeout(1500)
    phone.context.set_offline(True)
    phone.open("reports")
    phone.page.locator(f"[data-field=report-list] li[data-ticket-id='{resolved_report['id']}'] "
                       "[data-slot=open]").click()
    phone.page.locator(DETAIL).wait_for(state="visible")
    wait_until(phone.page, f"document.querySelectorAll('{DETAIL} img').length === 2")
    wait_until(phone.page, f"[...document.querySelectorAll('{DETAIL} img')].every((img) => img.complete)")
    for kind in ("before", "after"):
        widths = decoded(phone.page, f"{DETAIL} .photo-column[data-kind={kind}]")
        assert len(widths) == 1 and widths[0] > 0, (kind, widths)
    assert not phone.errors
