"""Server-rendered pages."""
from flask import Blueprint

bp = Blueprint("web", __name__)

from app.web import (  # noqa: E402,F401  (routes attach to bp)
    assessment_desk,  # a department's points lost in the mock assessment
    assessment_draws,  # random draws: make, assign, progress
    assessment_score,  # the mock assessment score page and its exports
    assessment_visits,  # the visits flagged far from their point, and voiding
    desk,
    notifications,
    recheck,
    supervise,
    tickets,
    triage,
)
