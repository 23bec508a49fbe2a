"""Repeats (docs/design.md §4): a report near an open ticket of its category is that problem again."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import OPEN_STATUSES, Category, Ticket
from app.services.reports import geo


def find_open_repeat(category: Category, lat: float, lon: float, now: datetime) -> Ticket | None:
    """The nearest open ticket of the same category within the repeat radius and window."""
    config = current_app.config
    if not config["REPEAT_LINKING"]:
        return None
    radius = config["REPEAT_RADIUS_M"]
    dlat, dlon = geo.metres_to_degrees(radius, lat)
    since = now - timedelta(days=config["REPEAT_WINDOW_DAYS"])
    candidates = db.session.scalars(
        sa.select(Ticket).where(
            Ticket.category_id == category.id,
            Ticket.lat.between(lat - dlat, lat + dlat),
            Ticket.lon.between(lon - dlon, lon + dlon),
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.received_at >= since,
        )
    ).all()
    best = None
    for ticket in candidates:
        distance = geo.distance_m((lat, lon), (ticket.lat, ticket.lon))
        if distance <= radius and (best is None or distance < best[0]):
            best = (distance, ticket)
    return best[1] if best else None
