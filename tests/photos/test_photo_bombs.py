"""Memory per photo is bounded (issue 12): pixel limits by format, read from the header before any
decoding, and at most PHOTO_DECODE_SLOTS full-size decodes at once per worker, the rest answered
503 `busy` with Retry-After rather than queued without end. bench/photo_memory.py measures the
memory itself."""
from __future__ import annotations

import io
import threading
import time

import pytest
import sqlalchemy as sa
from PIL import Image, ImageFile
from pillow_heif import register_heif_opener

from app.extensions import db
from app.models import Photo
from app.services.photos import imaging
from tests.photos.conftest import jpeg_header, png_bomb, png_chunk

register_heif_opener()


@pytest.fixture(scope="module")
def issue_bomb() -> bytes:
    """The PNG of the finding: 8,900 x 8,900 RGBA (79.2 MP, under the old 80 MP cap), about 300 KiB."""
    return png_bomb(8900, 8900)


@pytest.fixture
def inspector_client(api, create_user):
    return api(create_user("inspector"))


@pytest.fixture
def decodes(monkeypatch):
    """Counts the full decodes that start (Pillow's ImageFile.load), and the most at once."""
    seen = {"started": 0, "now": 0, "most": 0}
    lock = threading.Lock()
    real_load = ImageFile.ImageFile.load

    def counting_load(image):
        if not image.tile:  # loaded already: no decode
            return real_load(image)
        with lock:
            seen["started"] += 1
            seen["now"] += 1
            seen["most"] = max(seen["most"], seen["now"])
        try:
            return real_load(image)
        finally:
            with lock:
                seen["now"] -= 1

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    return seen


def _image(fmt: str, size: tuple[int, int], **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 140, 60)).save(out, fmt, **save)
    return out.getvalue()


def _refused_too_many_pixels(resp):
    assert resp.status_code == 422, resp.text
    assert resp.json["error"]["code"] == "too_many_pixels"


def _photo_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Photo))


@pytest.mark.timeout(60)
def test_the_issues_png_bomb_is_refused_from_its_header_without_decoding(inspector_client, upload, issue_bomb,
                                                                        decodes):
    assert len(issue_bomb) < 400 * 1024
    _refused_too_many_pixels(upload(inspector_client, issue_bomb, content_type="image/png"))
    assert decodes["started"] == 0
    assert _photo_count() == 0


@pytest.mark.timeout(60)
def test_four_bombs_at_once_are_all_refused_and_none_is_decoded(app, inspector_client, issue_bomb, decodes):
    from tests.photos.conftest import sha

    db.session.commit()
    answers = []

    def put():
        client = app.test_client()
        answers.append(client.put(f"/api/v1/photos/{sha(issue_bomb)}", data=issue_bomb, content_type="image/png",
                                  headers={"Authorization": f"Bearer {inspector_client.token}"}).status_code)

    threads = [threading.Thread(target=put) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [422] * 4
    assert decodes["started"] == 0


def test_default_limits_admit_phone_photos_and_refuse_the_bomb(app, issue_bomb):
    """A 48 MP phone JPEG and a 24 MP iPhone HEIC-sized image pass; the 79 MP PNG does not."""
    limits = imaging.Limits(max_pixels=app.config["MAX_PHOTO_PIXELS"],
                            max_whole_pixels=app.config["MAX_PHOTO_PIXELS_WHOLE"],
                            max_webp_pixels=app.config["MAX_PHOTO_PIXELS_WEBP"])
    jpeg = imaging.plan(jpeg_header(8064, 6048), limits)
    assert not jpeg.whole and jpeg.decoded_bytes < 16_000_000  # decoded at a quarter of the size each way
    assert imaging.plan(png_bomb(5712, 4284, "L"), limits).whole  # the size of a 24 MP iPhone photo
    with pytest.raises(imaging.TooManyPixels):
        imaging.plan(issue_bomb, limits)


@pytest.mark.parametrize("make, setting", [
    (lambda size: _image("PNG", size), "MAX_PHOTO_PIXELS_WHOLE"),
    (lambda size: _image("HEIF", size, quality=30), "MAX_PHOTO_PIXELS_WHOLE"),
    (lambda size: _image("JPEG", size, progressive=True), "MAX_PHOTO_PIXELS_WHOLE"),
    (lambda size: _image("WEBP", size), "MAX_PHOTO_PIXELS_WEBP"),
    (lambda size: _image("JPEG", size), "MAX_PHOTO_PIXELS"),
], ids=["png", "heic", "progressive-jpeg", "webp", "jpeg"])
def test_each_format_has_its_own_pixel_limit(app, inspector_client, upload, monkeypatch, make, setting):
    for name in ("MAX_PHOTO_PIXELS", "MAX_PHOTO_PIXELS_WHOLE", "MAX_PHOTO_PIXELS_WEBP"):
        monkeypatch.setitem(app.config, name, 10_000_000)
    monkeypatch.setitem(app.config, setting, 400 * 300)
    assert upload(inspector_client, make((400, 300)), content_type="application/octet-stream").status_code == 201
    resp = upload(inspector_client, make((400, 301)), content_type="application/octet-stream")
    _refused_too_many_pixels(resp)
    assert resp.json["error"]["limit"] == 400 * 300


def test_a_sequential_jpeg_is_decoded_small_and_a_progressive_one_whole(app):
    """Draft mode decodes a baseline JPEG at 1/8 to 1/1 scale; a progressive or multi-scan one makes
    libjpeg keep every coefficient of the whole image, so it counts as a whole decode."""
    baseline = imaging.plan(jpeg_header(10_000, 8_000))
    assert (baseline.whole, baseline.decoded_bytes) == (False, 2500 * 2000 * 4)  # at 1/4: 1/8 is under 1280 px
    assert imaging.plan(jpeg_header(12_000, 6_000)).decoded_bytes == 1500 * 750 * 4  # at 1/8
    for progressive in (jpeg_header(4000, 3000, sof=0xC2), jpeg_header(4000, 3000, scan_components=1)):
        plan = imaging.plan(progressive)
        assert (plan.whole, plan.decoded_bytes) == (True, 4000 * 3000 * 4)
    with pytest.raises(imaging.TooManyPixels):
        imaging.plan(jpeg_header(10_000, 8_000, sof=0xC2))  # 80 MP: fine as baseline, not as progressive


def test_a_whole_decode_is_shrunk_without_a_full_size_copy(app, monkeypatch):
    """Reducing a whole decode works a strip at a time (never convert() the full image: a second copy)."""
    big = Image.new("RGBA", (4000, 3000), (0, 0, 0, 0))
    big.paste((200, 30, 30, 255), (0, 0, 2000, 3000))
    out = io.BytesIO()
    big.save(out, "PNG")
    sizes = []
    real_convert = Image.Image.convert

    def watched_convert(image, *args, **kwargs):
        sizes.append(image.width * image.height)
        return real_convert(image, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "convert", watched_convert)
    processed = imaging.process(out.getvalue())
    assert max(sizes) <= 1334 * 1000  # strips, then the image reduced three times each way (4000 // 1280)
    web = Image.open(io.BytesIO(processed.web))
    assert web.size == (1280, 960)
    assert all(abs(a - b) < 12 for a, b in zip(web.getpixel((300, 480)), (200, 30, 30), strict=True))
    assert all(abs(a - b) < 12 for a, b in zip(web.getpixel((1000, 480)), (255, 255, 255), strict=True))


def test_inflated_png_text_chunks_are_bounded(inspector_client, upload):
    """Compressed text is inflated while the header is read: 8 MB of it is refused, not kept."""
    import zlib

    image = _image("PNG", (40, 30))
    text = b"".join(png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b" " * 1_000_000)) for _ in range(8))
    bloated = image[:33] + text + image[33:]  # after the IHDR chunk
    resp = upload(inspector_client, bloated, content_type="image/png")
    assert resp.status_code == 422 and resp.json["error"]["code"] == "corrupt_image"


@pytest.fixture
def one_slot(app, monkeypatch):
    """One decode slot in this process, held by the test until it lets go."""
    monkeypatch.setitem(app.config, "PHOTO_DECODE_SLOTS", 1)
    slots = imaging.decode_slots(1)
    held = slots.held(0)
    held.__enter__()
    released = []

    def release():
        if not released:
            released.append(True)
            held.__exit__(None, None, None)

    yield slots, release
    release()


def test_with_every_slot_taken_a_png_is_stored_and_its_derivatives_wait(app, inspector_client, upload, one_slot,
                                                                        monkeypatch, decodes):
    """The upload decodes nothing (issue 20): it is answered; the task finds every slot taken and is retried."""
    monkeypatch.setitem(app.config, "PHOTO_DECODE_WAIT_S", 0)
    resp = upload(inspector_client, _image("PNG", (400, 300)), content_type="image/png")
    assert resp.status_code == 201 and resp.json["thumbnail_url"] is None
    assert decodes["started"] == 0 and _photo_count() == 1
    photo = db.session.get(Photo, resp.json["sha256"])
    assert photo.derivatives != "ready" and "DecoderBusy" in photo.derivative_error
    _slots, release = one_slot
    release()
    from app.services.photos import store

    store.rebuild_derivatives(photo)  # what `photos reprocess` does
    assert photo.derivatives == "ready" and decodes["started"] == 1
    # A sequential JPEG needs no slot: draft mode decodes it small.
    assert upload(inspector_client, _image("JPEG", (400, 300))).json["derivatives"] == "ready"


@pytest.mark.timeout(120)
def test_uploads_wait_for_a_slot_and_decode_one_at_a_time(app, inspector_client, one_slot, monkeypatch, decodes):
    """Three PNGs arrive while the only slot is taken: they wait, nothing decodes, then they run one by one."""
    slots, release = one_slot
    monkeypatch.setitem(app.config, "PHOTO_DECODE_WAIT_S", 60)
    db.session.commit()
    pngs = [_image("PNG", (600 + i, 400)) for i in range(3)]
    answers = []

    def put(data):
        from tests.photos.conftest import sha

        client = app.test_client()
        answers.append(client.put(f"/api/v1/photos/{sha(data)}", data=data, content_type="image/png",
                                  headers={"Authorization": f"Bearer {inspector_client.token}"}).status_code)

    threads = [threading.Thread(target=put, args=(data,)) for data in pngs]
    for thread in threads:
        thread.start()
    while slots.waiting < 3:  # every upload is at the slot (the test's timeout bounds this)
        time.sleep(0.01)
    assert decodes["started"] == 0
    release()
    for thread in threads:
        thread.join()
    assert answers == [201] * 3
    assert decodes["started"] == 3 and decodes["most"] == 1
