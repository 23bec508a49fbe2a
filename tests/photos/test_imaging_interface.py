"""imaging.inspect and imaging.derive (issue 20): the upload answers from inspect (the header and EXIF,
no pixel decoded) and a task makes the derivatives with derive (one decode); process() is both."""
from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile
from pillow_heif import register_heif_opener
from pillow_heif.as_plugin import HeifImageFile

from app.services.photos import imaging
from tests.conftest import TESTDATA
from tests.photos.conftest import jpeg_bytes, jpeg_header, png_bomb

register_heif_opener()
PHOTOS = TESTDATA / "photos"


def _png(size: tuple[int, int], mode: str = "RGB", exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 200, 30, 128)[:len(mode)]).save(out, "PNG", exif=exif.tobytes() if exif else b"")
    return out.getvalue()


def _webp(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, "WEBP")
    return out.getvalue()


def _rotated_png() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6
    return _png((600, 400), exif=exif)


SAMPLES = {
    "jpeg on its side": lambda: jpeg_bytes((1600, 1200), orientation=6, gps=(29.97, 119.95),
                                           taken_at="2026:01:02 03:04:05"),
    "12 MP camera JPEG": lambda: (PHOTOS / "jpg" / "tests" / "42_IndexError.jpg").read_bytes(),
    "portrait JPEG, orientation 8": lambda: (PHOTOS / "jpg" / "orientation" / "portrait_8.jpg").read_bytes(),
    "iPhone HEIC": lambda: (PHOTOS / "heic" / "IMG_5195.HEIC").read_bytes(),
    "PNG with EXIF orientation": _rotated_png,
    "transparent PNG": lambda: _png((900, 700), "RGBA"),
    "WebP": lambda: _webp((1500, 1000)),
}


def _refuse_pixel_decoding(monkeypatch) -> None:
    """Any decode of pixels (Pillow's ImageFile.load with work to do, pillow-heif's load) fails the test."""
    real_load = ImageFile.ImageFile.load

    def refusing_load(image):
        if image.tile:
            raise AssertionError(f"pixels decoded: {image.format} {image.size}")
        return real_load(image)

    def refusing_heif_load(image):
        raise AssertionError("HEIF pixels decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refusing_load)
    monkeypatch.setattr(HeifImageFile, "load", refusing_heif_load)


@pytest.fixture
def no_pixel_decoding(monkeypatch):
    _refuse_pixel_decoding(monkeypatch)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_inspect_reads_what_process_reports_without_decoding_a_pixel(name, monkeypatch):
    data = SAMPLES[name]()
    processed = imaging.process(data)
    with monkeypatch.context() as patch:  # process decodes; inspect must not
        _refuse_pixel_decoding(patch)
        inspected = imaging.inspect(data)
    assert (inspected.mime, inspected.width, inspected.height, inspected.exif) == (
        processed.mime, processed.width, processed.height, processed.exif)


def test_inspect_gives_the_upright_size_and_the_exif():
    inspected = imaging.inspect(SAMPLES["jpeg on its side"]())
    assert (inspected.mime, inspected.width, inspected.height) == ("image/jpeg", 1200, 1600)
    assert inspected.exif["orientation"] == 6
    assert inspected.exif["lat"] == pytest.approx(29.97, abs=1e-4)
    assert imaging.inspect(_rotated_png()).width == 400  # a PNG's EXIF orientation too


def test_the_no_decoding_guard_itself_catches_a_decode(no_pixel_decoding):
    """The guard above would fail a test that decoded: derive must trip it."""
    with pytest.raises(imaging.CorruptImage) as caught:
        imaging.derive(SAMPLES["jpeg on its side"]())
    assert isinstance(caught.value.__cause__, AssertionError)


@pytest.mark.parametrize("data, error", [
    (b"GIF89a" + bytes(100), imaging.UnsupportedType),
    (b"%PDF-1.7\n" + bytes(100), imaging.UnsupportedType),
    (b"\xff\xd8\xff\xe0" + bytes(60), imaging.CorruptImage),  # a JPEG's first bytes and nothing readable
    (jpeg_header(12_000, 8_000), imaging.TooManyPixels),  # 96 MP: over every limit
    (jpeg_header(6_000, 5_000, sof=0xC2), imaging.TooManyPixels),  # 30 MP progressive: decoded whole
], ids=["gif", "pdf", "truncated jpeg", "96 MP jpeg", "30 MP progressive"])
def test_inspect_refuses_as_process_does(data, error, no_pixel_decoding):
    with pytest.raises(error):
        imaging.inspect(data)
    with pytest.raises(error):
        imaging.derive(data)


def test_inspect_refuses_a_png_bomb_from_its_header(no_pixel_decoding):
    with pytest.raises(imaging.TooManyPixels):
        imaging.inspect(png_bomb(8900, 8900))


def test_inspect_accepts_a_header_whose_pixels_are_broken():
    """Only the header is read: a damaged body is found by derive (the task), not by inspect."""
    data = (PHOTOS / "jpg" / "tests" / "42_IndexError.jpg").read_bytes()
    broken = data[:len(data) // 3] + b"\x00" * 1000
    assert imaging.inspect(broken).width == 4032
    with pytest.raises(imaging.CorruptImage):
        imaging.derive(broken)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_derive_gives_what_process_gives(name):
    data = SAMPLES[name]()
    processed, derived = imaging.process(data), imaging.derive(data)
    assert (derived.web, derived.thumb, derived.phash) == (processed.web, processed.thumb, processed.phash)
    web, thumb = Image.open(io.BytesIO(derived.web)), Image.open(io.BytesIO(derived.thumb))
    assert web.format == thumb.format == "JPEG"
    assert web.size[0] / web.size[1] == pytest.approx(processed.width / processed.height, rel=0.01)
    assert max(thumb.size) == min(imaging.THUMB_SIZE, max(processed.width, processed.height))


def test_derive_decodes_once_for_both_sizes(monkeypatch):
    loads = []
    real_load = ImageFile.ImageFile.load

    def counting_load(image):
        if image.tile:
            loads.append(image.size)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    imaging.derive(SAMPLES["12 MP camera JPEG"]())
    assert loads == [(2016, 1512)]  # one decode, at libjpeg's 1/2 scale (the least that is still ≥ 1280 px)


def test_derive_waits_for_a_decode_slot_for_a_whole_decode():
    slots = imaging.DecodeSlots(1)
    with slots.held(0):
        with pytest.raises(imaging.DecoderBusy):
            imaging.derive(_png((800, 600)), slots=slots, wait_s=0.05)
        # A draft-decoded JPEG needs no slot.
        assert imaging.derive(jpeg_bytes((1600, 1200)), slots=slots, wait_s=0.05).phash
    assert imaging.derive(_png((800, 600)), slots=slots, wait_s=0.05).phash
