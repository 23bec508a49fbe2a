"""GET /api/v1/openapi.json: the API described for clients and for schemathesis, generated from the
code (decision 0013): the routes, their models and answers in app/schemas/ (routes.py lists
every operation). tests/api/test_openapi_document.py fails when a route has no entry there.
"""
from __future__ import annotations

from flask import Flask, current_app

from app.api import bp
from app.schemas.document import document as generated


def document(app: Flask | None = None) -> dict:
    return generated(app or current_app)


@bp.get("/openapi.json")
def openapi_document():
    return document()
