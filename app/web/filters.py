"""Template helpers: local times, labels, the current language."""
from flask import Flask
from flask_babel import get_locale

from app.labels import ACTION_LABELS, LOCATION_SOURCE_LABELS, ROLE_LABELS, STATUS_LABELS, localized_name
from app.timeutil import to_local


def register_template_helpers(app: Flask) -> None:
    @app.template_filter("local")
    def local_time(value, fmt: str = "%Y-%m-%d %H:%M"):
        value = to_local(value)
        return value.strftime(fmt) if value else ""

    @app.template_filter("status_label")
    def status_label(value) -> str:
        value = getattr(value, "value", value)
        return str(STATUS_LABELS.get(value, value))

    @app.template_filter("action_label")
    def action_label(value) -> str:
        return str(ACTION_LABELS.get(value, value))

    @app.template_filter("role_label")
    def role_label(value) -> str:
        value = getattr(value, "value", value)
        return str(ROLE_LABELS.get(value, value))

    @app.template_filter("source_label")
    def source_label(value) -> str:
        value = getattr(value, "value", value)
        return str(LOCATION_SOURCE_LABELS.get(value, value))

    @app.template_filter("name")
    def name(obj) -> str:
        return localized_name(obj)

    @app.context_processor
    def language():
        english = get_locale().language == "en"
        return {"current_lang": "en" if english else "zh_CN", "html_lang": "en" if english else "zh-CN"}
