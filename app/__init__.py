"""Xuncha (巡查): field inspection for a county's civilized-city campaign."""
from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_babel import lazy_gettext
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.config import Config
from app.extensions import babel, configure_sqlite, csrf, db, login_manager, migrate


def create_app(config: type[Config] | None = None) -> Flask:
    """Build a configured app; importing this package has no side effects."""
    app = Flask(__name__, static_folder="../static", static_url_path="/static")
    app.config.from_object(config or Config)
    app.url_map.converters["int"] = DatabaseIdConverter
    if app.config["TRUSTED_PROXIES"]:
        # Behind nginx: take the client address and scheme from its X-Forwarded-* headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"],
                                x_proto=app.config["TRUSTED_PROXIES"])
    init_extensions(app)
    register_blueprints(app)
    from app import ops

    ops.install(app)  # before the other hooks: the request id, clock and log line wrap them all (app/ops)
    register_handlers(app)
    register_cli(app)
    return app


class DatabaseIdConverter(IntegerConverter):
    """<int:…> in URLs only matches numbers a 32-bit id column can hold; bigger ones are not found."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def select_locale() -> str:
    """Chinese unless the user chose English (?lang=en, kept in the session)."""
    if not has_request_context():  # CLI, jobs, services: the default language
        return "zh_CN"
    languages = ("zh_CN", "en")
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
    return session.get("lang") if session.get("lang") in languages else "zh_CN"


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    from app.services import commit_hooks

    commit_hooks.install(db.session)  # rollups and the change feed follow every commit (docs/architecture.md)
    from app.tasks import queue as task_queue

    task_queue.init_app(app)  # work enqueued at commits, and run (decision 0014)
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR", "migrations")),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: app.config["TIMEZONE"])
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    # The user loader is app.security's: a cookie counts only while its session row is live.


def register_blueprints(app: Flask) -> None:
    from app.api import bp as api_bp
    from app.auth.views import bp as auth_bp
    from app.web import bp as web_bp

    app.register_blueprint(auth_bp)
    from app.admin.views import bp as admin_bp
    from app.open311.views import bp as open311_bp

    app.register_blueprint(admin_bp)
    app.register_blueprint(open311_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # the API checks CSRF itself for cookie-authenticated writes (app.security)
    from sync import bp as sync_bp

    app.register_blueprint(sync_bp)  # POST /api/v1/sync
    csrf.exempt(sync_bp)  # an API endpoint too: same header check
    from app.pwa.views import bp as pwa_bp

    app.register_blueprint(pwa_bp)  # the inspector PWA at /app/


def register_handlers(app: Flask) -> None:
    from app.errors import register_error_handlers
    from app.input_guard import register_input_guard
    from app.security import register_security
    from app.web.filters import register_template_helpers

    register_error_handlers(app)
    register_security(app)
    register_input_guard(app)  # after register_security: its hooks reset who is asking first
    register_template_helpers(app)


def register_cli(app: Flask) -> None:
    from app.cli import register_commands

    register_commands(app)
