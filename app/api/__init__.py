"""The JSON API under /api/v1: one parent blueprint, one module per resource."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import (  # noqa: E402,F401  (routes attach to bp)
    assessment,
    assessment_draws,
    assessment_visits,
    device_tokens,
    docs_page,
    map,
    notifications,
    openapi,
    photos,
    queues,
    ranking,
    reference,
    tickets,
)
