"""Server-rendered pages."""
from flask import Blueprint

bp = Blueprint("web", __name__)

from app.web import desk, notifications, recheck, supervise, tickets, triage  # noqa: E402,F401  (routes attach to bp)
