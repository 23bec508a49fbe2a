"""GET /api/v1/docs: the OpenAPI document, browsable (Swagger UI, vendored from npm).

Public, like /api/v1/openapi.json itself: the page shows only that document, and any call tried from
it is answered by the API's own checks (bearer token or session; writes need the CSRF header).
It runs under the site's Content-Security-Policy unchanged: Swagger UI's styles come from its
stylesheet and the style attributes it sets from script (CSSOM), which 'style-src self' allows;
tests/browser/test_api_docs_page.py fails if it ever needs more.
"""
from __future__ import annotations

from flask import render_template, url_for

from app.api import bp


@bp.get("/docs")
def api_docs():
    return render_template("api_docs.html", document_url=url_for("api.openapi_document"))
