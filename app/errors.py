"""Refusals a user can act on, and the one place that renders every error."""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from app.extensions import db


class DomainError(Exception):
    """A refusal the user can act on; rendered with its code, never logged as a crash."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        self.extra = extra

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message, "field": self.field}
        body.update(self.extra)
        return {"error": body}


class ValidationFailed(DomainError):
    status, code = 422, "validation_failed"


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Conflict(DomainError):
    """The request is valid but the ticket's state or version does not allow it."""

    status, code = 409, "conflict"


def wants_json() -> bool:
    """API paths and clients asking for JSON get JSON errors; pages get HTML."""
    if request.path.startswith(("/api/", "/open311/")):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _http_code(exc: HTTPException) -> str:
    return {
        400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
        405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
        429: "too_many_requests",
    }.get(exc.code or 500, "http_error")


def render_error(exc: DomainError):
    """A refusal as JSON for the API, as a page for people; nothing half-written is kept."""
    db.session.rollback()
    if wants_json():
        return exc.to_dict(), exc.status
    return render_template("errors/error.html", status=exc.status, message=exc.message), exc.status


def register_error_handlers(app: Flask) -> None:
    """Render DomainError, HTTP errors and crashes as JSON for the API and HTML for pages."""

    app.register_error_handler(DomainError, render_error)

    @app.errorhandler(HTTPException)
    def render_http_error(exc: HTTPException):
        status = exc.code or 500
        headers = {"Allow": ", ".join(exc.valid_methods)} if getattr(exc, "valid_methods", None) else {}
        if wants_json():
            body = {"error": {"code": _http_code(exc), "message": exc.description, "field": None}}
            return body, status, headers
        return render_template("errors/error.html", status=status, message=exc.description), status, headers

    @app.errorhandler(500)
    def render_crash(exc):
        db.session.rollback()
        if wants_json():
            return {"error": {"code": "internal_error", "message": _("Internal server error."), "field": None}}, 500
        return render_template("errors/error.html", status=500, message=_("Internal server error.")), 500
