"""The API documentation page (/api/v1/docs): Swagger UI renders every operation of the OpenAPI
document in headless Chromium, under the site's Content-Security-Policy, with nothing refused, also
once operations, schemas and the Authorize dialog are opened."""
from __future__ import annotations

import pytest

from app.api.openapi import document
from tests.browser.conftest import wait_until

# A refused script, style or resource fires this event in the page: keep every one.
WATCH_CSP = ("document.addEventListener('securitypolicyviolation', e => "
             "(window.__refused = window.__refused || []).push(e.violatedDirective + ' ' + e.blockedURI))")
SHOWN_OPERATIONS = ("[...document.querySelectorAll('.opblock-summary')].map(s => "
                    "s.querySelector('.opblock-summary-method').textContent + ' ' + "
                    "s.querySelector('.opblock-summary-path').dataset.path)")


def _documented() -> set[str]:
    return {f"{method.upper()} {path}" for path, ops in document()["paths"].items() for method in ops}


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_page_renders_every_operation_with_no_csp_violation(chromium, live_url, county, locale):
    context = chromium.new_context(locale=locale, viewport={"width": 1280, "height": 900})  # CSP enforced
    page = context.new_page()
    console = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.add_init_script(script=WATCH_CSP)
    try:
        response = page.goto(live_url + "/api/v1/docs")
        assert response.status == 200
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "style-src 'self';" in policy and "unsafe" not in policy
        wait_until(page, "document.getElementById('swagger-ui').dataset.ready === 'true'")
        shown = set(page.evaluate(SHOWN_OPERATIONS))
        # Open what renders more of the UI: a few operations (parameters, schemas), the models, Authorize.
        for summary in page.query_selector_all(".opblock-summary-control")[:5]:
            summary.click()
        for model in page.query_selector_all(".models .model-box-control")[:3]:
            model.click()
        page.click(".authorize")
        wait_until(page, "document.querySelector('.modal-ux') !== null")
        page.wait_for_timeout(300)
        opened = page.evaluate("document.querySelectorAll('.opblock.is-open').length")
        refused = page.evaluate("window.__refused || []")
    finally:
        context.close()
    assert shown == _documented()
    assert opened == 5
    assert refused == []
    assert [line for line in console if line.startswith(("error", "pageerror"))] == []


def test_the_page_is_public_like_the_document(client, county):
    """No login: the page only shows /api/v1/openapi.json, which is public too."""
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert 'data-document-url="/api/v1/openapi.json"' in page.text
    assert "<script>" not in page.text  # the init code is static/js/api-docs.js
    assert client.get("/api/v1/openapi.json").status_code == 200
