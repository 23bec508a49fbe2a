"""Optional error reporting: sentry-sdk when SENTRY_DSN is set, nothing (and no import) otherwise."""
from __future__ import annotations

import logging

from flask import Flask

from app.ops import context
from app.ops.logging import scrub

log = logging.getLogger(__name__)


def _before_send(event, _hint):
    # No cookies, headers or bodies leave the machine; what is left is scrubbed like a log line.
    request = event.get("request") or {}
    for key in ("cookies", "data", "headers", "query_string", "env"):
        request.pop(key, None)
    if context.current():
        event.setdefault("tags", {})["request_id"] = context.current()
    return scrub(event)


def configure_sentry(app: Flask) -> bool:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.flask import FlaskIntegration
    except ImportError:
        log.warning("SENTRY_DSN is set but sentry-sdk is not installed: errors are only logged")
        return False
    sentry_sdk.init(dsn=dsn, integrations=[FlaskIntegration()], send_default_pii=False,
                    traces_sample_rate=0.0, environment=app.config.get("SENTRY_ENVIRONMENT") or None,
                    before_send=_before_send)
    return True
