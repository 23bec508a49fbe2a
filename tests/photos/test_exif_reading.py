"""EXIF reading: signed positions, capture time with offset, and hostile blocks that must not crash."""
from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.errors import DomainError
from app.services.photos import imaging
from app.services.photos.exif import read_exif, taken_at_utc


def test_south_and_west_are_negative(make_jpeg):
    meta = read_exif(make_jpeg(gps=(-33.8568, -151.2153)))
    assert meta["lat"] == pytest.approx(-33.8568, abs=1e-4)
    assert meta["lon"] == pytest.approx(-151.2153, abs=1e-4)


def test_capture_time_with_and_without_offset(make_jpeg):
    with_offset = read_exif(make_jpeg(taken_at=datetime(2026, 5, 1, 9, 30, tzinfo=ZoneInfo("Asia/Tokyo"))))
    assert with_offset["taken_at"] == "2026-05-01T09:30:00+09:00"
    assert taken_at_utc(with_offset, ZoneInfo("Asia/Shanghai")) == datetime(2026, 5, 1, 0, 30, tzinfo=UTC)
    local = read_exif(make_jpeg(taken_at="2026:05:01 09:30:00"))
    assert local["taken_at"] == "2026-05-01T09:30:00"
    assert taken_at_utc(local, ZoneInfo("Asia/Shanghai")) == datetime(2026, 5, 1, 1, 30, tzinfo=UTC)


def test_impossible_values_are_dropped(make_jpeg):
    meta = read_exif(make_jpeg(gps=(0.0, 0.0), taken_at="0000:00:00 00:00:00", orientation=9))
    assert not {"lat", "lon", "taken_at", "orientation"} & set(meta)


@pytest.mark.parametrize("blob", [b"\xff\xd8", b"\xff\xd8\xff\xe1\x00\x0aExif\x00\x00", b"Exif\x00\x00MM\x00*",
                                  b"II*\x00\xff\xff\xff\xff"])
def test_truncated_headers_are_unreadable_not_errors(blob):
    assert read_exif(blob) in ({}, {"unreadable": True})


@pytest.mark.timeout(120)
def test_mutated_exif_blocks_never_crash_the_pipeline(make_jpeg):
    """Seeded mutations of a real EXIF block: each photo is kept or refused cleanly, never a crash."""
    data = make_jpeg(size=(64, 48), gps=(29.97, 119.95), taken_at="2026:01:02 03:04:05", orientation=6,
                     model="Phone")
    start = data.index(b"Exif\x00\x00")
    end = start + int.from_bytes(data[start - 2:start], "big") - 2
    rng = random.Random(7)
    outcomes = set()
    for _ in range(300):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(start + 6, end)] = rng.randrange(256)
        try:
            imaging.process(bytes(mutated))
            outcomes.add("kept")
        except DomainError as exc:
            outcomes.add(exc.code)
    assert "kept" in outcomes
    assert outcomes <= {"kept", "corrupt_image"}
