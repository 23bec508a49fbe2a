"""Image bytes → their true type, metadata, upright sRGB derivatives without metadata, a perceptual hash.

Pure work on bytes (no database, no files), so the benchmark can time exactly this.
"""
from __future__ import annotations

import contextlib
import io
import math
import warnings
from dataclasses import dataclass

import imagehash
import pillow_heif
from flask_babel import gettext as _
from PIL import Image, ImageCms

from app.errors import DomainError
from app.services.photos.exif import read_exif

WEB_SIZE = 1280  # long side of the web derivative
THUMB_SIZE = 320  # long side of the thumbnail
JPEG_QUALITY = 82

pillow_heif.register_heif_opener()
# Pillow only warns about a decompression bomb up to twice its limit; a warning must refuse (docs/design.md §10).
warnings.simplefilter("error", Image.DecompressionBombWarning)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

# Pixels stored rotated/mirrored: the transposes that make them upright, per EXIF orientation.
_UPRIGHT = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


class UnsupportedType(DomainError):
    status, code = 415, "unsupported_type"


class CorruptImage(DomainError):
    status, code = 422, "corrupt_image"


class TooManyPixels(DomainError):
    status, code = 422, "too_many_pixels"


@dataclass(frozen=True)
class Processed:
    mime: str
    width: int  # as displayed, orientation applied
    height: int
    exif: dict
    web: bytes  # JPEG, long side WEB_SIZE at most
    thumb: bytes  # JPEG, long side THUMB_SIZE at most
    phash: str


def sniff(data: bytes) -> str | None:
    """The image type from the magic bytes (clients mislabel HEIC as octet-stream), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        box_end = min(int.from_bytes(data[:4], "big"), 256)
        brands = {data[8:12]} | {data[i:i + 4] for i in range(16, box_end - 3, 4)}
        if brands & HEIF_BRANDS:
            return "image/heic" if brands & {b"heic", b"heix", b"hevc", b"hevx"} else "image/heif"
    return None


_PILLOW_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/heic": "HEIF",
                  "image/heif": "HEIF"}


def process(data: bytes, *, max_pixels: int, draft: bool = True) -> Processed:
    """Validate an image and make everything the app keeps of it; refusals are DomainErrors."""
    mime = sniff(data)
    if mime is None:
        raise UnsupportedType(_("Only JPEG, PNG, WebP and HEIC photos are accepted."))
    image = _open(data, _PILLOW_FORMAT[mime], max_pixels)
    is_heif = image.format == "HEIF"
    exif_block = (image.info.get("exif") or b"") if is_heif else data  # pillow-heif digs it out of HEIF
    meta = read_exif(exif_block) if exif_block else {}
    if not is_heif and "orientation" not in meta and (xmp_orientation := _pillow_orientation(image)):
        meta["orientation"] = xmp_orientation
    # libheif already applied the HEIF rotation; there the EXIF tag is informational.
    orientation = 1 if is_heif else meta.get("orientation", 1)
    width, height = image.size
    if orientation >= 5:
        width, height = height, width
    try:
        web = _web_image(image, orientation, draft)
    except Exception as exc:  # noqa: BLE001 - decoders fail in many ways on broken files
        raise CorruptImage(_("The image data is damaged or incomplete.")) from exc
    thumb = web.copy()
    thumb.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    return Processed(mime=mime, width=width, height=height, exif=meta, web=_jpeg(web), thumb=_jpeg(thumb),
                     phash=str(imagehash.phash(thumb)))


def _open(data: bytes, pillow_format: str, max_pixels: int) -> Image.Image:
    """Open from the header only, and refuse too many pixels before any decoding."""
    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow's own header check, with its warning made an error
    try:
        image = Image.open(io.BytesIO(data), formats=[pillow_format])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        image = None
    except Exception as exc:  # noqa: BLE001
        raise CorruptImage(_("The file is not a readable image.")) from exc
    if image is None or image.width * image.height > max_pixels:
        raise TooManyPixels(_("The photo has more than %(n)d megapixels.", n=max_pixels // 1_000_000))
    return image


def _pillow_orientation(image: Image.Image) -> int | None:
    """Pillow also reads the orientation from XMP (tiff:Orientation), which exifread does not."""
    try:
        value = image.getexif().get(0x0112)
    except Exception:  # noqa: BLE001 - getexif raises OSError and more on mutated EXIF (docs/design.md §10)
        return None
    return value if value in range(1, 9) else None


def _web_image(image: Image.Image, orientation: int, draft: bool) -> Image.Image:
    """Decode (JPEG at a reduced DCT scale in draft mode), shrink, make sRGB, stand upright."""
    if draft and image.format in ("JPEG", "MPO"):
        scale = WEB_SIZE / max(image.size)
        if scale < 1:
            image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
    image.load()
    icc = image.info.get("icc_profile")
    image = _rgb_or_cmyk(image)
    image.thumbnail((WEB_SIZE, WEB_SIZE), Image.Resampling.LANCZOS)
    image = _to_srgb(image, icc)
    for op in _UPRIGHT.get(orientation, []):
        image = image.transpose(op)
    return image


def _rgb_or_cmyk(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white; keep CMYK for its colour profile; everything else to RGB."""
    if image.mode in ("RGB", "CMYK"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    if icc:
        # A broken or mismatched profile: take the pixels as sRGB.
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError, TypeError):
            image = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB,
                                              outputMode="RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    """Encode with no metadata at all: no EXIF (GPS!), no XMP, no ICC (sRGB is the default)."""
    image.info.clear()  # Pillow keeps GPS in info["exif"] after transposing (docs/design.md §10)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()
