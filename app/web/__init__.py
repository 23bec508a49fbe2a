"""Server-rendered pages."""
from flask import Blueprint

bp = Blueprint("web", __name__)

from app.web import desk, notifications, recheck, supervise, tickets, triage  # noqa: E402,F401  (routes attach to bp)
from app.web import assessment_score  # noqa: E402,F401  (the mock assessment score page and its exports)
