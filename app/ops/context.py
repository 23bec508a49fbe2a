"""The request id: taken from a valid incoming X-Request-Id or made here, answered in X-Request-Id,
kept in a context variable (so services and log lines see it without Flask's request) and stored
on every notification and group-chat robot message queued meanwhile, so the jobs that send them
log the same id."""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from flask import Flask, g, request

from app.models import Notification
from app.models.webhook import WebhookMessage

HEADER = "X-Request-Id"
# What a proxy or client may send: short, printable, no spaces (nginx's $request_id is 32 hex digits).
VALID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current() -> str | None:
    return _request_id.get()


def new_id() -> str:
    return uuid.uuid4().hex


def accept(incoming: str | None) -> str:
    """The incoming id if it is well-formed, else a fresh one (never echo arbitrary text into logs)."""
    return incoming if incoming and VALID.fullmatch(incoming) else new_id()


@contextmanager
def scope(request_id: str):
    """Run a block (a job run, a CLI command) under `request_id`."""
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)


def _stamp_notification(_mapper, _connection, target: Notification | WebhookMessage) -> None:
    if target.request_id is None:
        target.request_id = current()


def install(app: Flask) -> None:
    for model in (Notification, WebhookMessage):  # the centre's and e-mail's rows, the robots' messages
        if not sa.event.contains(model, "before_insert", _stamp_notification):
            sa.event.listen(model, "before_insert", _stamp_notification)

    @app.before_request
    def _take_request_id():
        g.request_id = accept(request.headers.get(HEADER))
        g.request_id_token = _request_id.set(g.request_id)

    @app.after_request
    def _answer_request_id(response):
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response

    @app.teardown_request
    def _forget_request_id(_exc):
        token = g.pop("request_id_token", None)
        if token is not None:
            try:
                _request_id.reset(token)
            except ValueError:  # set in another context (a test client sharing one): just clear it
                _request_id.set(None)
