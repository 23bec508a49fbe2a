"""The address job (issue 18): every minute, the oldest tickets still without an address get one.

Reads, then ends its transaction before any geocoder is asked (SQLite: a read-only BEGIN, so no
write lock is held while the network is slow), then writes in one short transaction that the
runner commits. See app/services/reports/addresses.py for the steps and their rules.
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app

from app.extensions import db, sqlite_read_only
from app.services.reports import addresses, geocoders

log = logging.getLogger(__name__)


def fill_addresses(now: datetime) -> int:
    config = current_app.config
    try:
        geocoder = geocoders.configured(config)
    except geocoders.GeocoderMisconfigured as exc:
        log.error("no reverse geocoding, offline names only: %s", exc)
        geocoder = None
    reading = sqlite_read_only.set(True)
    try:
        work = addresses.plan(config["GEOCODER_BATCH"], geocoder.provider if geocoder else None)
        db.session.commit()  # ends the read before the network
    finally:
        sqlite_read_only.reset(reading)
    if not work.pending:
        return 0
    answers = addresses.ask(work, geocoder)
    return addresses.apply(work, answers, now, config["OFFLINE_PLACE_RADIUS_M"])
