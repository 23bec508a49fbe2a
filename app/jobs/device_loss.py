"""Phones that fell silent while they held unsent items (issue 18): reported once, every 15 minutes.

Gaps and replaced phones are noticed at sync time (sync/ingest.py); silence needs a clock.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from app.services.reports import devices


def report_silent_devices(now: datetime) -> int:
    return devices.report_silent(now, current_app.config["DEVICE_SILENT_HOURS"])
