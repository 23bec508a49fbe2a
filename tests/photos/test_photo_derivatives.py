"""Derivatives: upright for all eight EXIF orientations, and stripped of every piece of metadata."""
from __future__ import annotations

import io

import exifread
import pytest
from PIL import Image, ImageChops, ImageStat

from tests.conftest import TESTDATA

ORIENTATION = TESTDATA / "photos" / "jpg" / "orientation"


def _web_image(client, upload, path) -> Image.Image:
    body = upload(client, path.read_bytes()).json
    resp = client.get(body["web_url"], buffered=True)
    assert resp.status_code == 200
    return Image.open(io.BytesIO(resp.data)).convert("RGB")


def _mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


@pytest.mark.parametrize("shape", ["landscape", "portrait"])
def test_all_eight_orientations_give_an_upright_derivative(shape, api, create_user, upload):
    client = api(create_user("inspector"))
    reference = _web_image(client, upload, ORIENTATION / f"{shape}_1.jpg")
    for orientation in range(2, 9):
        image = _web_image(client, upload, ORIENTATION / f"{shape}_{orientation}.jpg")
        # Same pixels up to JPEG noise (about 6); a wrong flip or rotation differs by 40 or more.
        assert _mean_abs_diff(reference, image) < 12, orientation
        assert _mean_abs_diff(reference, image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)) > 30


def _assert_no_metadata(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert not image.getexif()
    assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp"} & set(image.info)
    assert b"\xff\xe1" not in data[:2048]  # no APP1 segment (EXIF or XMP)
    assert not [k for k in exifread.process_file(io.BytesIO(data), details=False) if k.startswith("GPS")]


@pytest.mark.parametrize("source", ["generated", "jpg/gps/DSCN0010.jpg", "heic/IMG_5195.HEIC"])
def test_derivatives_carry_no_exif_and_no_gps(source, api, create_user, upload, make_jpeg):
    client = api(create_user("supervisor"))
    if source == "generated":
        data = make_jpeg(gps=(29.97, 119.95), taken_at="2026:01:02 10:00:00", orientation=6, model="Cam")
    else:
        data = (TESTDATA / "photos" / source).read_bytes()
    body = upload(client, data, content_type="application/octet-stream").json
    assert body["exif"]["lat"]  # the original had a position...
    for url in (body["web_url"], body["thumbnail_url"]):
        resp = client.get(url, buffered=True)
        assert resp.status_code == 200
        _assert_no_metadata(resp.data)  # ...the derivatives do not
    original = client.get(body["original_url"], buffered=True)
    assert original.data == data  # the original is kept untouched, for those allowed to see it


def test_thumbnail_and_web_sizes(api, create_user, upload, make_jpeg):
    client = api(create_user("inspector"))
    body = upload(client, make_jpeg(size=(3000, 2000), orientation=8)).json
    assert (body["width"], body["height"]) == (2000, 3000)  # as displayed
    web = Image.open(io.BytesIO(client.get(body["web_url"], buffered=True).data))
    thumb = Image.open(io.BytesIO(client.get(body["thumbnail_url"], buffered=True).data))
    assert web.size == (853, 1280)
    assert thumb.size == (213, 320)
