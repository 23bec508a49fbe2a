"""Every real photo in tests/data/photos: accepted with the metadata ExifTool reads, or a clean 4xx."""
from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime

import pytest
from PIL import Image

from app.extensions import db
from app.models import Photo
from tests.conftest import TESTDATA

PHOTOS = TESTDATA / "photos"
TRUTH = json.loads((PHOTOS / "exiftool-truth.json").read_text())
SAMPLES = sorted(str(p.relative_to(PHOTOS)) for p in PHOTOS.rglob("*") if p.is_file()
                 and p.suffix.lower() in (".jpg", ".jpeg", ".heic"))
REFUSAL_CODES = {"unsupported_type", "corrupt_image", "too_many_pixels", "too_large"}


def test_every_sample_has_a_truth_entry():
    assert SAMPLES and set(SAMPLES) == set(TRUTH)


@pytest.mark.timeout(30)  # a hang in a parser fails this file, not the run
@pytest.mark.parametrize("name", SAMPLES)
def test_sample_gets_metadata_agreeing_with_exiftool(name, api, create_user):
    client = api(create_user("inspector"))
    data = (PHOTOS / name).read_bytes()
    resp = client.put(f"/api/v1/photos/{hashlib.sha256(data).hexdigest()}", data=data,
                      content_type="application/octet-stream")
    if 400 <= resp.status_code < 500:
        assert resp.json["error"]["code"] in REFUSAL_CODES
        return
    assert resp.status_code == 201, resp.text
    body, truth = resp.json, TRUTH[name]
    assert body["mime"] == ("image/heic" if truth["FileType"] == "HEIC" else "image/jpeg")
    assert (body["width"], body["height"]) == (truth["DisplayWidth"], truth["DisplayHeight"])
    assert not {"lat", "lon", "altitude_m"} & set(body["exif"])  # an inspector never reads the GPS back
    exif = db.session.get(Photo, body["sha256"]).exif
    if "GPSLatitude" in truth:
        assert exif["lat"] == pytest.approx(truth["GPSLatitude"], abs=1e-6)
        assert exif["lon"] == pytest.approx(truth["GPSLongitude"], abs=1e-6)
    else:
        assert "lat" not in exif and "lon" not in exif
    if "DateTimeOriginal" in truth:
        expected = datetime.strptime(truth["DateTimeOriginal"], "%Y:%m:%d %H:%M:%S")
        assert datetime.fromisoformat(exif["taken_at"]).replace(tzinfo=None) == expected
    else:
        assert "taken_at" not in exif
    if "Model" in truth:
        assert exif["model"] == truth["Model"].strip()
    if truth["FileType"] == "JPEG":
        assert exif.get("orientation") == truth.get("Orientation")

    web = client.get(body["web_url"], buffered=True)
    assert web.status_code == 200 and web.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(web.data))
    assert max(image.size) == min(1280, max(truth["DisplayWidth"], truth["DisplayHeight"]))
    # The derivative keeps the displayed shape (orientation applied).
    assert (image.width >= image.height) == (truth["DisplayWidth"] >= truth["DisplayHeight"])
