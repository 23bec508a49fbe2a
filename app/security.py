"""Who is calling, and may they: session or bearer token → Actor; role checks; security headers.

Web sessions: the signed cookie holds Flask-Login's user id, the secret of a `UserSession` row
(app/services/accounts/sessions.py) and when it was last used; the user loader accepts it only
while that row is live, so logout, a password reset or disabling ends it on the server.
"""
from __future__ import annotations

import functools
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, g, request, session
from flask_babel import gettext as _
from flask_babel import refresh as refresh_locale
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, validate_csrf

from app.errors import Forbidden, Unauthorized, render_error
from app.extensions import sqlite_read_only
from app.models import Role
from app.services.accounts import sessions, users
from app.services.actor import Actor
from app.services.supervision.tiles import usable_settings
from app.storage import media_url_origin
from app.timeutil import now_utc

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
SESSION_SECRET = "_sid"  # cookie keys: the UserSession's secret, and when the session was last used
SESSION_SEEN = "_seen"
SEEN_REFRESH_S = 300  # re-sign the cookie (restart its idle clock) at most every 5 minutes of use
LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember", SESSION_SECRET, SESSION_SEEN)


def start_web_session(user) -> None:
    """Log `user` in after a password check: a fresh cookie (only the language kept) naming a new
    session row. The caller commits."""
    now = now_utc()
    language = session.get("lang")
    session.clear()  # nothing from before the login (CSRF token included) carries over
    if language:
        session["lang"] = language
    session[SESSION_SECRET] = sessions.start(user, now)
    session[SESSION_SEEN] = int(now.timestamp())
    login_user(user)


def end_web_session(reason: str = "logout") -> None:
    """Log out: end this session's row, so the same cookie is refused from now on. The caller commits."""
    sessions.end(session.get(SESSION_SECRET), now_utc(), reason)
    logout_user()
    for key in LOGIN_KEYS:
        session.pop(key, None)


def load_session_user(user_id: str):
    """Flask-Login's user loader: the user of a live session row, used within the idle lifetime."""
    now = now_utc()
    seen = session.get(SESSION_SEEN)
    user = None
    if isinstance(seen, int) and now.timestamp() - seen < sessions.idle_lifetime().total_seconds():
        user = sessions.live_user(session.get(SESSION_SECRET), user_id, now, touch=request.method in UNSAFE_METHODS)
    if user is None:
        for key in LOGIN_KEYS:  # a dead session: the answer's cookie no longer names it
            session.pop(key, None)
        return None
    g.session_id = session[SESSION_SECRET]
    if now.timestamp() - seen >= SEEN_REFRESH_S:
        session[SESSION_SEEN] = int(now.timestamp())  # modified: Flask re-signs the cookie, idle clock restarts
    return user


def by_password_session() -> bool:
    """Was this request authenticated by a web session (from a password login), not by a bearer token?"""
    current_actor()
    return g.get("token_id") is None and g.get("session_id") is not None and current_user.is_authenticated


def current_actor() -> Actor | None:
    """The Actor of this request: a bearer token wins over the session cookie."""
    if "actor" in g:
        return g.actor
    actor = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        found = users.user_for_token(header[7:].strip())
        if found is None:
            raise Unauthorized(_("The device token is not valid or was revoked."), code="invalid_token")
        user, token = found
        now = now_utc()
        # Reads stay read-only (SQLite: no write lock), and a busy device writes this at most
        # every few minutes: it is for spotting lost phones, not an access log.
        if request.method in UNSAFE_METHODS and (
                token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL):
            token.last_used_at = now
        g.token_id = token.id
        actor = Actor.of(user)
    elif current_user.is_authenticated:
        # A cookie-authenticated API write must carry the CSRF token in a header.
        if request.method in UNSAFE_METHODS:
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except Exception:  # noqa: BLE001 - any failure is the same refusal
                raise Forbidden(_("The CSRF token is missing or invalid."), code="csrf_failed") from None
        actor = Actor.of(current_user)
    g.actor = actor
    return actor


def api_auth(*roles: Role):
    """Require an authenticated caller of one of `roles` (any role if none given)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                raise Unauthorized(_("Log in or send a device token."))
            if roles and actor.role not in roles:
                raise Forbidden(_("Your role may not use this."))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def page_auth(*roles: Role):
    """For web pages: log in first (redirect), then the role must fit (403 page)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from app.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            g.actor = Actor.of(current_user)
            if roles and g.actor.role not in roles:
                raise Forbidden(_("Your role may not open this page."))
            return view(*args, **kwargs)

        return wrapped

    return decorator


@functools.lru_cache(maxsize=8)
def content_security_policy(*tile_urls: str, media_origin: str = "") -> str:
    """No inline scripts or styles anywhere; images from this site, plus the map tile servers if any,
    and the photo bucket's origin (MEDIA_BACKEND=s3: photo URLs redirect there, for <img> and fetch)."""
    images = "img-src 'self' data: blob:" + (f" {media_origin}" if media_origin else "")
    for tile_url in filter(None, tile_urls):
        parts = urlsplit(tile_url)
        labels = parts.netloc.split(".")
        if "{s}" in labels[0]:  # rotating subdomains (a.tile…, t0.tianditu…): CSP allows only "*." there
            labels[0] = "*"
        source = f" {parts.scheme}://{'.'.join(labels)}"
        if source not in images:
            images += source
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        images,
        "connect-src 'self'" + (f" {media_origin}" if media_origin else ""),
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _policy(config) -> str:
    """The CSP for the tile layers configured now (settings may change under tests)."""
    return content_security_policy(*(layer.url for layer in usable_settings(config).layers),
                                   media_origin=media_url_origin(config))


def register_security(app: Flask) -> None:
    """Security headers on every response; CSRF failures as clear 4xx answers."""

    from app.extensions import login_manager

    # Replaces create_app's plain loader (db.session.get(User, id)): a cookie alone is not enough,
    # its session row must be live.
    login_manager.user_loader(load_session_user)

    @app.before_request
    def _forget_previous_actor():
        # g lives as long as the app context, which a test (or a CLI) may share across requests:
        # forget what the last request cached (our actor, Flask-Login's user, Flask-WTF's token).
        for name in ("actor", "token_id", "session_id", "_login_user", "csrf_token"):
            g.pop(name, None)
        refresh_locale()  # Flask-Babel caches the locale per app context, too
        sqlite_read_only.set(request.method in SAFE_METHODS)

    @app.teardown_request
    def _writes_allowed_again(_exc):
        sqlite_read_only.set(False)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", _policy(app.config))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return render_error(Forbidden(
            _("The form expired or was not sent from this site; please try again."), code="csrf_failed"))
