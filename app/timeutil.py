"""Time helpers: store UTC, show the configured local zone, parse device times with offsets."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def now_utc() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def local_zone() -> ZoneInfo:
    name = current_app.config["TIMEZONE"] if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def to_local(value: datetime | None) -> datetime | None:
    """Convert an aware (or UTC-naive) datetime to the configured zone."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(local_zone())


# The years a time or date from outside may have: wider than any real record, narrow enough that
# no arithmetic on it (± days, a timezone shift, a period's length) leaves Python's datetime range
# (years 1..9999) or PostgreSQL's timestamp range. sync/protocol.py keeps the same bounds.
MIN_YEAR, MAX_YEAR = 1970, 2200


class YearOutOfRange(ValueError):
    """A well-formed time or date outside MIN_YEAR..MAX_YEAR."""


def parse_iso_with_offset(text: str) -> datetime:
    """Parse an ISO 8601 time that must carry an offset, in MIN_YEAR..MAX_YEAR; raise ValueError otherwise."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("time has no UTC offset")
    if not MIN_YEAR <= value.year <= MAX_YEAR:  # checked before astimezone(), which can overflow
        raise YearOutOfRange(f"year {value.year} is outside {MIN_YEAR}..{MAX_YEAR}")
    return value.astimezone(UTC)


def parse_date(text: str) -> date:
    """Parse a calendar date YYYY-MM-DD in MIN_YEAR..MAX_YEAR; raise ValueError otherwise."""
    value = date.fromisoformat(text)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise YearOutOfRange(f"year {value.year} is outside {MIN_YEAR}..{MAX_YEAR}")
    return value


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with an explicit offset, for the API."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()
