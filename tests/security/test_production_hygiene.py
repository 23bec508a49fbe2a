"""Web security by construction: no inline script or style anywhere, production settings safe."""
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MARKUP = sorted([*REPO.glob("app/templates/**/*.html"), *REPO.glob("static/pwa/*.html")])
# A JSON data block (type="application/json") is never executed, so the CSP allows it.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)


@pytest.mark.parametrize("path", MARKUP, ids=lambda p: str(p.relative_to(REPO)))
def test_markup_has_no_inline_script_handler_or_style(path):
    text = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "inline <script>: the CSP (script-src 'self') would block it"
    assert not INLINE_HANDLER.search(text), "inline event handler"
    assert not STYLE_ATTRIBUTE.search(text), "style attribute: the CSP (style-src 'self') would block it"
    assert "<style" not in text.lower()


def test_every_markup_file_was_checked():
    assert len(MARKUP) > 20


def test_production_settings_are_safe():
    from app.config import Config

    assert not getattr(Config, "DEBUG", False) and not getattr(Config, "TESTING", False)
    assert Config.SESSION_COOKIE_HTTPONLY and Config.SESSION_COOKIE_SAMESITE == "Lax"
    assert Config.MAX_CONTENT_LENGTH is not None
    assert len(Config.SECRET_KEY) >= 32


def test_no_secret_key_is_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "instance/" not in tracked and ".env" not in tracked.split()
    # Production code and settings only: tests make throwaway keys for their own servers.
    source = subprocess.run(["git", "grep", "-n", "-E", r"SECRET_KEY\s*=\s*['\"][^'\"]{8,}", "--", "app", "sync",
                             "wsgi.py", "Makefile", ".ci"], cwd=REPO, capture_output=True, text=True).stdout
    assert source == "", source


def test_makefile_serves_with_gunicorn_not_the_debug_server():
    makefile = (REPO / "Makefile").read_text()
    assert "gunicorn" in makefile and "--debug" not in makefile and "FLASK_DEBUG" not in makefile
