"""Image bytes → their true type, metadata, upright sRGB derivatives without metadata, a perceptual hash.

Pure work on bytes (no database, no files), so the benchmark can time exactly this.

Memory per photo is bounded from the header, before any pixel is decoded (docs/design.md §5). A
sequential JPEG is decoded at a reduced DCT scale (draft mode): an 80 MP photo costs a few MB. PNG,
WebP, HEIC/HEIF and multi-scan (progressive) JPEG can only be decoded at full size, so their limit
is lower, and at most `DecodeSlots` of those decodes run at once in a process.
"""
from __future__ import annotations

import contextlib
import io
import math
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import imagehash
import pillow_heif
from flask_babel import gettext as _
from PIL import Image, ImageCms, PngImagePlugin

from app.errors import DomainError
from app.services.photos.exif import read_exif

WEB_SIZE = 1280  # long side of the web derivative
THUMB_SIZE = 320  # long side of the thumbnail
JPEG_QUALITY = 82
# The filter of the last, fractional step down to the web size (a draft-decoded 12 MP photo: 2016 → 1280 px).
# Bicubic is cheaper there than Lanczos (bench/derivatives.py times both); on real photos the web image
# stays as close to a full-size Lanczos reference as the JPEG encode at JPEG_QUALITY allows
# (tests/photos/test_imaging_quality.py), where bilinear or box would not.
WEB_RESAMPLE = Image.Resampling.BICUBIC

pillow_heif.register_heif_opener()
# Pillow only warns about a decompression bomb up to twice its limit; a warning must refuse (docs/design.md §10).
warnings.simplefilter("error", Image.DecompressionBombWarning)
# Compressed PNG text chunks are inflated when the header is read, before any pixel check; Pillow
# allows 64 MB of them. Photos need none but XMP (a few KB): more is refused as a damaged file.
PngImagePlugin.MAX_TEXT_MEMORY = 4 * 1024 * 1024
STRIP_PIXELS = 1 << 20  # pixels copied at a time while reducing a whole decode (a few MB)
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


class DecoderBusy(DomainError):
    """Every decode slot of this process stayed taken for the whole wait: try again shortly."""

    status, code = 503, "busy"

    def __init__(self, message: str, *, retry_after_s: int):
        super().__init__(message, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Limits:
    """Pixel limits by the way a format is decoded, checked from the header (docs/design.md §5).

    The defaults are the configuration's (app/config.py explains each number)."""

    max_pixels: int = 80_000_000  # a sequential JPEG (draft mode); and a cap on every photo
    max_whole_pixels: int = 25_000_000  # PNG, HEIC/HEIF, multi-scan JPEG: decoded at full size
    max_webp_pixels: int = 3_500_000  # WebP: Pillow's decoder holds four full-size canvases


@dataclass(frozen=True)
class Plan:
    """How a photo will be decoded, read from its header."""

    mime: str
    width: int  # as stored (before orientation)
    height: int
    whole: bool  # decoded at full size (needs a decode slot), rather than at a reduced scale
    decoded_bytes: int  # the decoded image in memory: full size, or the reduced size draft mode decodes
    limit: int  # the pixel limit that applies


class DecodeSlots:
    """At most `count` whole decodes at once in this process; the threads of a worker share them.

    Each slot is worth one full-size decode (at most about 100 MB with the default limits), so a
    worker's memory stays bounded however many large PNGs arrive at once; a request that cannot
    get a slot within `wait_s` is answered 503 `busy` with Retry-After, never queued without end.
    """

    def __init__(self, count: int):
        self.count = count
        self._free = threading.BoundedSemaphore(count)
        self._lock = threading.Lock()
        self.waiting = 0  # requests waiting for a slot now (tests and diagnostics)

    @contextlib.contextmanager
    def held(self, wait_s: float) -> Iterator[None]:
        with self._lock:
            self.waiting += 1
        try:
            acquired = self._free.acquire(timeout=max(0.0, wait_s))
        finally:
            with self._lock:
                self.waiting -= 1
        if not acquired:
            raise DecoderBusy(_("The server is busy processing other photos; try again in a moment."),
                              retry_after_s=max(1, math.ceil(wait_s)))
        try:
            yield
        finally:
            self._free.release()


_SLOTS: dict[int, DecodeSlots] = {}
_SLOTS_LOCK = threading.Lock()


def decode_slots(count: int) -> DecodeSlots:
    """This process's decode slots for `count` (one set per setting, shared by all its threads)."""
    with _SLOTS_LOCK:
        if count not in _SLOTS:
            _SLOTS[count] = DecodeSlots(max(1, count))
        return _SLOTS[count]


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


@dataclass(frozen=True)
class Inspected:
    """What the header and the metadata say, read without decoding a pixel (cheap: the upload answers with it)."""

    mime: str
    width: int  # as displayed, orientation applied (as Processed)
    height: int
    exif: dict


@dataclass(frozen=True)
class Derived:
    """The derivatives and the perceptual hash, made from one decode."""

    web: bytes  # JPEG, long side WEB_SIZE at most
    thumb: bytes  # JPEG, long side THUMB_SIZE at most
    phash: str


def inspect(data: bytes, limits: Limits = Limits(), *, draft: bool = True) -> Inspected:
    """The true type, displayed size and EXIF of `data`; refusals (type, pixel limits, unreadable
    header) are DomainErrors. Header only: no pixel is decoded, so no decode slot is needed."""
    image, plan_, meta, orientation = _header(data, limits, draft)
    image.close()
    return _inspected(plan_, meta, orientation)


def derive(data: bytes, limits: Limits = Limits(), *, slots: DecodeSlots | None = None, wait_s: float = 0.0,
           draft: bool = True) -> Derived:
    """The web image, thumbnail and perceptual hash of `data`, from one decode of its pixels.

    The header is checked again (a stored original is still refused beyond the limits); a whole
    decode waits up to `wait_s` for one of `slots` (None: no limit on decodes at once)."""
    image, plan_, _meta, orientation = _header(data, limits, draft)
    return _derive(image, plan_, orientation, slots, wait_s, draft)


def process(data: bytes, limits: Limits = Limits(), *, slots: DecodeSlots | None = None, wait_s: float = 0.0,
            draft: bool = True) -> Processed:
    """inspect + derive in one go (the header read once): everything the app keeps of an image."""
    image, plan_, meta, orientation = _header(data, limits, draft)
    inspected = _inspected(plan_, meta, orientation)
    derived = _derive(image, plan_, orientation, slots, wait_s, draft)
    return Processed(mime=inspected.mime, width=inspected.width, height=inspected.height, exif=inspected.exif,
                     web=derived.web, thumb=derived.thumb, phash=derived.phash)


def _header(data: bytes, limits: Limits, draft: bool) -> tuple[Image.Image, Plan, dict, int]:
    """Open `data` from its header: the image (pixels not decoded), its plan, its EXIF, and the
    orientation still to apply to its decoded pixels."""
    mime = sniff(data)
    if mime is None:
        raise UnsupportedType(_("Only JPEG, PNG, WebP and HEIC photos are accepted."))
    image = _open(data, _PILLOW_FORMAT[mime], limits.max_pixels)
    plan_ = _plan(image, mime, data, limits, draft)
    is_heif = image.format == "HEIF"
    exif_block = (image.info.get("exif") or b"") if is_heif else data  # pillow-heif digs it out of HEIF
    meta = read_exif(exif_block) if exif_block else {}
    if not is_heif and "orientation" not in meta and (xmp_orientation := _pillow_orientation(image)):
        meta["orientation"] = xmp_orientation
    # libheif already applied the HEIF rotation; there the EXIF tag is informational.
    orientation = 1 if is_heif else meta.get("orientation", 1)
    return image, plan_, meta, orientation


def _inspected(plan_: Plan, meta: dict, orientation: int) -> Inspected:
    width, height = plan_.width, plan_.height
    if orientation >= 5:  # stored on its side
        width, height = height, width
    return Inspected(mime=plan_.mime, width=width, height=height, exif=meta)


def _derive(image: Image.Image, plan_: Plan, orientation: int, slots: DecodeSlots | None, wait_s: float,
            draft: bool, *, resample: Image.Resampling = WEB_RESAMPLE) -> Derived:
    with slots.held(wait_s) if slots is not None and plan_.whole else contextlib.nullcontext():
        try:
            web = _web_image(image, orientation, draft, resample=resample)
        except Exception as exc:  # noqa: BLE001 - decoders fail in many ways on broken files
            raise CorruptImage(_("The image data is damaged or incomplete.")) from exc
        finally:
            image = None  # the full-size pixels (and a decoder's buffers) go with the slot, not later
    # From the web image, not a second decode: a box reduce to twice the size, then Lanczos (cheap at 640 px).
    thumb = web.copy()
    thumb.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    return Derived(web=_jpeg(web), thumb=_jpeg(thumb), phash=str(imagehash.phash(thumb)))


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
        raise TooManyPixels(_("The photo has more than %(n)d megapixels.", n=max_pixels // 1_000_000),
                            limit=max_pixels)
    return image


def plan(data: bytes, limits: Limits = Limits(), *, draft: bool = True) -> Plan:
    """How `data` would be decoded, and whether its header passes `limits` (TooManyPixels if not)."""
    mime = sniff(data)
    if mime is None:
        raise UnsupportedType(_("Only JPEG, PNG, WebP and HEIC photos are accepted."))
    with _open(data, _PILLOW_FORMAT[mime], limits.max_pixels) as image:
        return _plan(image, mime, data, limits, draft)


def _plan(image: Image.Image, mime: str, data: bytes, limits: Limits, draft: bool) -> Plan:
    width, height = image.size
    pixels = width * height
    per_pixel = _bytes_per_pixel(image.mode)
    if mime == "image/jpeg" and draft and _jpeg_single_scan(data):
        # libjpeg keeps a few rows of DCT blocks and writes the reduced image: memory is the reduced size.
        reduced_w, reduced_h = _draft_size(width, height)
        whole, limit, decoded = False, limits.max_pixels, reduced_w * reduced_h * per_pixel
    else:
        # Progressive or multi-scan JPEG (libjpeg holds every DCT coefficient: 2 bytes a sample), PNG,
        # WebP and HEIF: the whole image is in memory at full size.
        whole, decoded = True, pixels * per_pixel
        limit = min(limits.max_pixels, limits.max_webp_pixels if mime == "image/webp" else limits.max_whole_pixels)
    if pixels > limit:
        raise TooManyPixels(_("The photo has more than %(n)d megapixels.", n=limit // 1_000_000), limit=limit)
    return Plan(mime=mime, width=width, height=height, whole=whole, decoded_bytes=decoded, limit=limit)


def _bytes_per_pixel(mode: str) -> int:
    """What Pillow keeps per pixel of `mode` (RGB is stored as four bytes)."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


def _draft_size(width: int, height: int) -> tuple[int, int]:
    """The size Pillow's JPEG draft mode decodes at for a web image (JpegImageFile.draft's arithmetic)."""
    scale = WEB_SIZE / max(width, height)
    if scale >= 1:
        return width, height
    requested = (math.ceil(width * scale), math.ceil(height * scale))
    ratio = min(width // requested[0], height // requested[1])
    s = next(s for s in (8, 4, 2, 1) if ratio >= s)
    return -(-width // s), -(-height // s)


_SOF_MARKERS = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # frame headers (DHT, JPG, DAC excluded)
_MAX_SEGMENTS = 10_000


def _jpeg_single_scan(data: bytes) -> bool:
    """True if the JPEG is sequential Huffman with every component in its first scan.

    Only then does libjpeg decode it a band at a time; a progressive (or otherwise multi-scan) file
    makes it keep every DCT coefficient of the whole image, whatever the output scale. Anything this
    walk of the markers does not understand counts as multi-scan (the cautious answer)."""
    pos, components = 2, None
    for _segment in range(_MAX_SEGMENTS):
        if pos + 4 > len(data) or data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # no length
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        segment = data[pos + 4:pos + 2 + length]
        if marker in _SOF_MARKERS:
            if marker not in (0xC0, 0xC1) or len(segment) < 6:
                return False
            components = segment[5]
        elif marker == 0xDA:  # start of scan: how many components it holds
            return components is not None and len(segment) >= 1 and segment[0] == components
        pos += 2 + max(length, 2)
    return False


def _pillow_orientation(image: Image.Image) -> int | None:
    """Pillow also reads the orientation from XMP (tiff:Orientation), which exifread does not."""
    try:
        # The base class's getexif: a PNG's own would decode every pixel to look for an eXIf chunk
        # after them (exifread, on the whole file, has already read one there).
        value = Image.Image.getexif(image).get(0x0112)
    except Exception:  # noqa: BLE001 - getexif raises OSError and more on mutated EXIF (docs/design.md §10)
        return None
    return value if value in range(1, 9) else None


def _web_image(image: Image.Image, orientation: int, draft: bool, *,
               resample: Image.Resampling = WEB_RESAMPLE) -> Image.Image:
    """Decode (JPEG at a reduced DCT scale in draft mode), shrink, make sRGB, stand upright.

    The shrinking is cheap steps first: libjpeg's DCT scaling (1/2, 1/4, 1/8) or a box reduce by a
    whole factor, so the filtered step that follows is always less than 2x (`resample`)."""
    if draft and image.format in ("JPEG", "MPO"):
        scale = WEB_SIZE / max(image.size)
        if scale < 1:
            image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
    image.load()
    icc = image.info.get("icc_profile")
    factor = max(1, max(image.size) // WEB_SIZE)  # box-reduce as far as it stays above the web size
    if factor > 1 or image.mode not in ("RGB", "CMYK"):
        image = _reduced(image, factor)  # RGB or CMYK, transparency flattened onto white
    image.thumbnail((WEB_SIZE, WEB_SIZE), resample)
    image = _to_srgb(image, icc)
    for op in _UPRIGHT.get(orientation, []):
        image = image.transpose(op)
    return image


def _reduced(image: Image.Image, factor: int) -> Image.Image:
    """`image` box-averaged `factor` times smaller as RGB (CMYK stays CMYK for its colour profile),
    transparency flattened onto white, a strip at a time: never a second full-size copy.

    (Converting or flattening a whole decode at once would make one, or three for transparency.)
    Transparent strips are reduced with premultiplied alpha (Image.reduce does that for RGBA), so
    fully transparent pixels do not darken the edges."""
    alpha = _has_alpha(image)
    mode = "CMYK" if image.mode == "CMYK" else "RGB"
    width, height = image.size
    out = Image.new(mode, (-(-width // factor), -(-height // factor)))
    rows = max(1, STRIP_PIXELS // (width * factor)) * factor  # a whole number of boxes per strip
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(height, top + rows)))
        if alpha:
            strip = _on_white(strip.convert("RGBA").reduce(factor))
        else:
            strip = (strip if strip.mode == mode else strip.convert(mode)).reduce(factor)
        out.paste(strip, (0, top // factor))
    return out


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _on_white(rgba: Image.Image) -> Image.Image:
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


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
