"""EXIF metadata read with exifread: position, capture time, orientation, camera.

Photos from the wild carry broken EXIF, and exifread raises bare exceptions on some of it
(IndexError on truncated headers, docs/design.md §10). Nothing here may fail an upload: a block that
cannot be parsed gives {"unreadable": True}, and a broken tag only loses its own field.
"""
from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import exifread

log = logging.getLogger(__name__)

# The fields that tell where a photo was taken: shown only to those who may see originals.
GPS_FIELDS = frozenset({"lat", "lon", "altitude_m", "gps_accuracy_m", "gps_dop"})

_DATE = re.compile(r"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")
YEARS = (1970, 2200)  # plausible capture years, as the sync protocol accepts them (sync/protocol.py)
MAX_OFFSET = timedelta(hours=14)  # UTC-12:00 .. UTC+14:00 are the offsets in use


def read_exif(source: bytes) -> dict:
    """Curated metadata from an image file (JPEG, PNG, WebP) or a bare TIFF/EXIF block."""
    if source.startswith(b"Exif\x00\x00"):  # the block as HEIF and PNG store it
        source = source[6:]
    try:
        # details=False skips maker notes, where the known infinite loops live (exif-py #182).
        tags = exifread.process_file(io.BytesIO(source), details=False, extract_thumbnail=False)
    except Exception as exc:  # noqa: BLE001 - exifread's errors are not one hierarchy
        log.info("unreadable EXIF block: %r", exc)
        return {"unreadable": True}
    meta = {}
    for name, reader in _FIELDS.items():
        try:
            value = reader(tags)
        except Exception:  # noqa: BLE001 - one broken tag costs only its own field
            value = None
        if value is not None:
            meta[name] = value
    if ("lat" in meta) != ("lon" in meta) or (meta.get("lat"), meta.get("lon")) == (0.0, 0.0):
        meta.pop("lat", None)  # half a position, or the "no fix" 0,0 some cameras write
        meta.pop("lon", None)
    return meta


def taken_at_utc(meta: dict, local_zone: tzinfo) -> datetime | None:
    """The capture time as an aware UTC datetime; a time without offset is taken as local time.

    None for no time, or one outside the plausible years (which read_exif never gives, but stored
    metadata may): such a time is absent, never an overflow."""
    text = meta.get("taken_at")
    if not text or not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
        if not plausible(value):
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=local_zone)
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def plausible(value: datetime) -> bool:
    """A capture time within YEARS: anything else is a camera's placeholder (0000, 0001, 9999) or a
    forgery, and far enough from datetime's limits that no offset or time zone arithmetic overflows."""
    return YEARS[0] <= value.year <= YEARS[1]


def _ratio(value) -> float:
    return float(value.num) / float(value.den) if hasattr(value, "den") else float(value)


def _text(tags, name: str) -> str | None:
    tag = tags.get(name)
    if tag is None:
        return None
    text = str(tag.values).strip(" \x00")
    return text[:64] if text.isprintable() and text else None


def _coordinate(tags, name: str, limit: float) -> float | None:
    tag = tags.get(f"GPS GPS{name}")
    if tag is None:
        return None
    degrees, minutes, seconds = (_ratio(v) for v in tag.values[:3])
    if min(degrees, minutes, seconds) < 0:
        return None
    value = degrees + minutes / 60 + seconds / 3600
    ref = (_text(tags, f"GPS GPS{name}Ref") or "").upper()[:1]
    if ref in ("S", "W"):
        value = -value
    return value if abs(value) <= limit else None


def _altitude(tags) -> float | None:
    tag = tags.get("GPS GPSAltitude")
    if tag is None:
        return None
    value = _ratio(tag.values[0])
    ref = tags.get("GPS GPSAltitudeRef")
    below_sea = ref is not None and ref.values and ref.values[0] == 1
    return -value if below_sea else value


def _positive(tags, *names: str) -> float | None:
    for name in names:
        tag = tags.get(name)
        if tag is not None:
            value = _ratio(tag.values[0])
            return value if value > 0 else None  # 0 means "unknown" on many phones
    return None


def _taken_at(tags) -> str | None:
    """DateTimeOriginal, with OffsetTimeOriginal when the camera wrote one (ISO 8601)."""
    match = _DATE.search(_text(tags, "EXIF DateTimeOriginal") or "")
    if not match:
        return None
    value = datetime(*(int(part) for part in match.groups()))  # ValueError for month 13 and the like
    if not plausible(value):
        return None  # 0001:01:01, 9999:12:31 …: no time, rather than one that overflows later
    offset = _OFFSET.fullmatch(_text(tags, "EXIF OffsetTimeOriginal") or "")
    if offset:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if int(minutes) < 60 and delta <= MAX_OFFSET:  # a broken offset is dropped: local time, as without one
            value = value.replace(tzinfo=timezone(-delta if sign == "-" else delta))
    return value.isoformat()


def _orientation(tags) -> int | None:
    tag = tags.get("Image Orientation")
    value = int(tag.values[0]) if tag is not None else None
    return value if value in range(1, 9) else None


_FIELDS = {
    "lat": lambda tags: _coordinate(tags, "Latitude", 90.0),
    "lon": lambda tags: _coordinate(tags, "Longitude", 180.0),
    "altitude_m": _altitude,
    "gps_accuracy_m": lambda tags: _positive(tags, "GPS GPSHPositioningError", "GPS Tag 0x001F"),
    "gps_dop": lambda tags: _positive(tags, "GPS GPSDOP"),
    "taken_at": _taken_at,
    "orientation": _orientation,
    "make": lambda tags: _text(tags, "Image Make"),
    "model": lambda tags: _text(tags, "Image Model"),
}
