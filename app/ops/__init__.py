"""What operators need from a running app: /healthz, /metrics, JSON logs with request ids, optional
Sentry (docs/operations.md, decision 0011). `install(app)` is called once from create_app()."""
from __future__ import annotations

from flask import Flask


def install(app: Flask) -> None:
    from app.ops import context, errors, logging, metrics, views

    logging.configure(app)
    context.install(app)
    metrics.install(app)
    views.register(app)
    errors.configure_sentry(app)
