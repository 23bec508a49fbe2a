"""The cheaper derivatives (issue 20 §3) look like the expensive ones: the web image made with the draft
decode and a bicubic last step, against a reference made the slow way (full-size decode, Lanczos
straight to the same size), on real camera photos; and every size is exactly what it was.

The threshold is measured, not guessed: the derivative has always been a JPEG at JPEG_QUALITY, so
the reference encoded once at that quality is what viewers already see. The new web image may
differ from the reference by at most 15 % more than that encode alone (mean absolute difference
per channel), and lose at most 0.01 of its structural similarity (8 x 8 blocks of luma). Measured
on these photos: bicubic 0-10 % more and at most 0.006 less similar (the 10 % comes from the box
reduce of a whole decode, and Lanczos has it too); Lanczos after the draft decode 0-10 % and 0.002;
bilinear or box up to 18-29 % and 0.02, which this test refuses.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps
from pillow_heif import register_heif_opener

from app.services.photos import imaging
from tests.conftest import TESTDATA

register_heif_opener()
PHOTOS = TESTDATA / "photos"
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

# (web size, thumbnail size) as the Lanczos pipeline before issue 20 made them (orientation applied).
SIZES_BEFORE = {
    "jpg/tests/42_IndexError.jpg": ((1280, 960), (320, 240)),  # 4032 x 3024, a 12 MP phone photo
    "jpg/corrupted.jpg": ((1280, 960), (320, 240)),  # 3648 x 2736
    "jpg/tests/30-type_error.jpg": ((1280, 795), (320, 199)),  # 3872 x 2403, progressive
    "jpg/tests/33-type_error.jpg": ((1280, 800), (320, 200)),  # 2560 x 1600, with an ICC profile
    "jpg/tests/35-empty.jpg": ((1280, 962), (320, 241)),  # 2164 x 1626: no draft scale fits
    "jpg/tests/28-hex_value.jpg": ((960, 1280), (240, 320)),  # 1704 x 2272, portrait
    "jpg/tests/87_OSError.jpg": ((850, 1280), (212, 320)),
    "jpg/tests/36-memory_error.jpg": ((1280, 960), (320, 240)),
    "jpg/tests/45-gps_ifd.jpg": ((1280, 720), (320, 180)),
    "jpg/tests/67-0_length_string.jpg": ((1280, 639), (320, 160)),
    "jpg/tests/11-tests.jpg": ((1136, 775), (320, 218)),  # under the web size: not enlarged
    "jpg/orientation/landscape_6.jpg": ((600, 450), (320, 240)),  # stored 450 x 600, orientation 6
    "jpg/orientation/portrait_8.jpg": ((450, 600), (240, 320)),  # stored 600 x 450, orientation 8
    "jpg/invalid/image01713.jpg": ((49, 500), (31, 320)),
    "heic/IMG_5195.HEIC": ((991, 1280), (248, 320)),  # 2566 x 3313, rotated by libheif
}
# Real photos with detail enough to show a filter (67-0_length_string is nearly flat).
COMPARED = ["jpg/tests/42_IndexError.jpg", "jpg/corrupted.jpg", "jpg/tests/30-type_error.jpg",
            "jpg/tests/33-type_error.jpg", "jpg/tests/28-hex_value.jpg", "jpg/tests/87_OSError.jpg",
            "jpg/tests/36-memory_error.jpg", "heic/IMG_5195.HEIC"]


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float64)


def mean_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def block_ssim(a: np.ndarray, b: np.ndarray, block: int = 8) -> float:
    """Structural similarity of the luma, per 8 x 8 block (where JPEG and resampling errors live), averaged."""
    ya, yb = (x @ np.array([0.299, 0.587, 0.114]) for x in (a, b))
    h, w = ya.shape[0] // block * block, ya.shape[1] // block * block
    ya, yb = (y[:h, :w].reshape(h // block, block, w // block, block) for y in (ya, yb))
    mean_a, mean_b = ya.mean((1, 3)), yb.mean((1, 3))
    var_a, var_b = ya.var((1, 3)), yb.var((1, 3))
    cov = (ya * yb).mean((1, 3)) - mean_a * mean_b
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ssim = (2 * mean_a * mean_b + c1) * (2 * cov + c2) / ((mean_a ** 2 + mean_b ** 2 + c1) * (var_a + var_b + c2))
    return float(ssim.mean())


def lanczos_reference(data: bytes, size: tuple[int, int]) -> Image.Image:
    """The slow way, written independently of imaging: every pixel decoded, upright, sRGB, Lanczos to `size`."""
    image = Image.open(io.BytesIO(data))
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)
    if icc:
        image = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB, outputMode="RGB")
    return image.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def _jpeg_round_trip(image: Image.Image) -> Image.Image:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=imaging.JPEG_QUALITY)
    return Image.open(out)


@pytest.mark.parametrize("name", list(SIZES_BEFORE))
def test_derivative_sizes_are_exactly_as_before(name):
    data = (PHOTOS / name).read_bytes()
    derived = imaging.derive(data)
    sizes = (Image.open(io.BytesIO(derived.web)).size, Image.open(io.BytesIO(derived.thumb)).size)
    assert sizes == SIZES_BEFORE[name]
    inspected = imaging.inspect(data)
    assert (inspected.width >= inspected.height) == (sizes[0][0] >= sizes[0][1])


@pytest.mark.parametrize("name", COMPARED)
def test_the_cheaper_web_image_is_as_close_to_lanczos_as_the_jpeg_encode_allows(name):
    data = (PHOTOS / name).read_bytes()
    web = Image.open(io.BytesIO(imaging.derive(data).web))
    reference = lanczos_reference(data, web.size)
    ref = _pixels(reference)
    encode_only = _pixels(_jpeg_round_trip(reference))
    new = _pixels(web)
    allowed = 1.15 * mean_abs_difference(encode_only, ref)
    assert mean_abs_difference(new, ref) <= allowed
    assert block_ssim(new, ref) >= block_ssim(encode_only, ref) - 0.01


def test_a_rotated_12_mp_photo_is_upright_and_close_to_lanczos():
    """Orientation still applied on the cheap path: the photo stored on its side (EXIF 6)."""
    original = Image.open(PHOTOS / "jpg" / "tests" / "42_IndexError.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    original.transpose(Image.Transpose.ROTATE_90).save(out, "JPEG", quality=92, exif=exif.tobytes())
    data = out.getvalue()
    web = Image.open(io.BytesIO(imaging.derive(data).web))
    assert web.size == (1280, 960)  # stored 3024 x 4032, shown as the landscape it was taken as
    reference = lanczos_reference(data, web.size)
    ref = _pixels(reference)
    assert mean_abs_difference(_pixels(web), ref) <= 1.15 * mean_abs_difference(
        _pixels(_jpeg_round_trip(reference)), ref)


def test_the_quality_measure_would_catch_a_careless_filter():
    """The same measure refuses nearest-neighbour after the draft decode: it is not a test that cannot fail."""
    data = (PHOTOS / "jpg" / "tests" / "42_IndexError.jpg").read_bytes()
    careless = Image.open(io.BytesIO(data))
    careless.draft("RGB", (1280, 960))
    careless = _jpeg_round_trip(careless.convert("RGB").resize((1280, 960), Image.Resampling.NEAREST))
    reference = lanczos_reference(data, (1280, 960))
    ref = _pixels(reference)
    assert mean_abs_difference(_pixels(careless), ref) > 1.15 * mean_abs_difference(
        _pixels(_jpeg_round_trip(reference)), ref)
