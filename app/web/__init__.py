"""Server-rendered pages."""
from flask import Blueprint

bp = Blueprint("web", __name__)

from app.web import tickets  # noqa: E402,F401  (routes attach to bp)
