"""sync.protocol on its own: parsing, canonical forms and fingerprints (no app, no database)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sync.protocol import Invalid, Limits, MalformedBatch, ReportIn, parse_batch, parse_report

LIMITS = Limits(batch=50, max_photos=9, max_description=1000)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SHA = "ab" * 32


def raw(**fields) -> dict:
    body = {"client_id": "0B6A7F5E-2D1C-4F3E-9A8B-1C2D3E4F5A6B", "category_code": "06012", "lat": 30, "lon": 120,
            "location_source": "device", "captured_at": "2026-11-28T19:55:00+08:00", "photos": [SHA.upper(), SHA]}
    body.update(fields)
    return body


def test_a_report_is_parsed_into_canonical_form():
    report = parse_report(raw(description="  路边垃圾  "))
    assert isinstance(report, ReportIn)
    assert report.client_id == "0b6a7f5e-2d1c-4f3e-9a8b-1c2d3e4f5a6b"
    assert report.captured_at == datetime(2026, 11, 28, 11, 55, tzinfo=UTC)
    assert report.photos == (SHA,)  # lower-cased, duplicates dropped
    assert report.description == "路边垃圾" and (report.lat, report.lon) == (30.0, 120.0)


def test_the_fingerprint_ignores_the_client_id_and_spelling_but_not_content():
    first = parse_report(raw())
    same = parse_report(raw(client_id="0b6a7f5e2d1c4f3e9a8b1c2d3e4f5a6b", lat=30.0,
                            captured_at="2026-11-28T11:55:00Z"))
    other = parse_report(raw(lat=30.0001))
    assert first.fingerprint() == same.fingerprint() != other.fingerprint()


def test_every_field_error_is_reported_at_once():
    result = parse_report({"client_id": 7, "lat": None, "photos": "x", "accuracy_m": -1})
    assert isinstance(result, Invalid) and result.client_id is None
    assert {e.field for e in result.errors} == {"client_id", "category_code", "lat", "lon", "accuracy_m",
                                               "location_source", "captured_at", "photos"}


def test_photo_exif_must_describe_the_reports_own_photos():
    good = parse_report(raw(photo_exif={SHA: {"lat": 43.4, "lon": 11.8, "taken_at": "2008-10-22T16:28:39+08:00"}}),
                        )
    assert good.photo_exif[SHA].taken_at == datetime(2008, 10, 22, 8, 28, 39, tzinfo=UTC)
    stranger = parse_report(raw(photo_exif={"cd" * 32: {"lat": 1, "lon": 2}}))
    half = parse_report(raw(photo_exif={SHA: {"lat": 1}}))
    assert isinstance(stranger, Invalid) and isinstance(half, Invalid)


def test_the_envelope_gives_the_skew_and_refuses_oversize_batches():
    batch = parse_batch({"sent_at": "2026-11-28T12:01:00Z", "reports": [raw(), "junk"]}, LIMITS, NOW)
    assert batch.clock_skew_s == 60 and batch.cursor == 0
    assert isinstance(batch.reports[0], ReportIn) and isinstance(batch.reports[1], Invalid)
    with pytest.raises(MalformedBatch) as too_many:
        parse_batch({"actions": [{}] * 51}, LIMITS, NOW)
    assert (too_many.value.code, too_many.value.field, too_many.value.limit) == ("batch_too_large", "actions", 50)
