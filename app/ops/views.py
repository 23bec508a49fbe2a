"""GET /healthz and GET /metrics: no login, no session, no CSRF, no database writes."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify

from app.extensions import csrf
from app.ops import health, metrics
from app.timeutil import now_utc, to_local

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    now = now_utc()
    checks = health.run_checks(now, to_local(now).date())
    status, code = health.summary(checks)
    body = {"status": status, "checks": {name: {"ok": c.ok, "detail": c.detail} for name, c in checks.items()}}
    response = jsonify(body)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(metrics.bp)
    csrf.exempt(bp)
    csrf.exempt(metrics.bp)
