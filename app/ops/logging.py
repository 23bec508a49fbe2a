"""One JSON object a line on stderr, for the web workers, the scheduler and the CLI.

Every line has time (UTC, ISO 8601), level, logger, message and the request id in force; a
request's own line adds method, route (the URL rule, never the raw path or query string, which
may carry tokens), status, duration_ms and user_id. Anything that looks like a secret is scrubbed
from the fields and the message, whoever logs it.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime

from flask import Flask, g, request

from app.ops import context

request_log = logging.getLogger("xuncha.request")

SECRET_KEYS = re.compile(r"pass(word)?|token|secret|api_?key|authorization|cookie|session|dsn", re.I)
# key=value or key: value pairs inside free text, and bearer credentials.
SECRET_TEXT = re.compile(r"(?i)\b(password|passwd|pwd|token|secret|api_?key)(\s*[=:]\s*)([^\s&,;'\"]+)")
BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)([^@\s]+)(@)")
SCRUBBED = "[scrubbed]"
# LogRecord's own attributes: everything else on a record came from `extra=` and is a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def scrub_text(text: str) -> str:
    text = SECRET_TEXT.sub(lambda m: m.group(1) + m.group(2) + SCRUBBED, text)
    text = BEARER.sub(lambda m: m.group(1) + " " + SCRUBBED, text)
    return URL_PASSWORD.sub(lambda m: m.group(1) + SCRUBBED + m.group(3), text)


def scrub(value, key: str = ""):
    if key and SECRET_KEYS.search(key):
        return SCRUBBED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub_text(str(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub_text(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or context.current(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out:
                out[key] = scrub(value, key)
        if record.exc_info:
            out["exception"] = scrub_text(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_process(level: str = "INFO", fmt: str = "json") -> None:
    """Send the root logger to stderr as JSON (or plain text), once per process."""
    root = logging.getLogger()
    if any(getattr(h, "_xuncha", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._xuncha = True
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # the job runner logs each run once


def _user_id() -> int | None:
    # Only what this request already loaded: looking the user up here would cost a query.
    actor = g.get("actor")
    if actor is not None:
        return actor.user_id
    user = g.get("_login_user")
    return getattr(user, "id", None) if user is not None and user.is_authenticated else None


def configure(app: Flask) -> None:
    if not app.testing:  # tests attach their own handler and keep pytest's capture
        configure_process(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])

    @app.before_request
    def _start_clock():
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.get("request_started")
        if started is None:
            return response
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        rule = request.url_rule.rule if request.url_rule is not None else None
        request_log.log(level, "%s %s %d", request.method, rule or "(no route)", response.status_code, extra={
            "method": request.method, "route": rule, "endpoint": request.endpoint,
            "status": response.status_code, "duration_ms": duration_ms, "user_id": _user_id(),
            "remote_addr": request.remote_addr})
        return response
