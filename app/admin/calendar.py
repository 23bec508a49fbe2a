"""Admin pages for the county's working-day calendar: a year's holidays and make-up days, edit, import.

Also the coverage warning admins and supervisors see on every page (a context processor).
"""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin.views import _apply, _ip, bp
from app.errors import DomainError, ValidationFailed
from app.extensions import db
from app.models import DayKind, Role
from app.security import current_actor, page_auth
from app.services.calendar import holidays
from app.timeutil import now_utc, to_local

IMPORT_MAX_BYTES = 200_000  # a year's notice is a few hundred bytes


def _year() -> int:
    today = to_local(now_utc()).date()
    try:
        year = int(request.args.get("year", today.year))
    except ValueError:
        year = today.year
    return year if 1900 <= year <= 2200 else today.year


@bp.get("/calendar")
@page_auth(Role.ADMIN)
def calendar_page():
    year = _year()
    today = to_local(now_utc()).date()
    return render_template("admin/calendar.html", year=year, days=holidays.days_of_year(year),
                           years=sorted(set(holidays.years()) | {today.year, today.year + 1}),
                           covered_until=holidays.covered_until(today), kinds=[k.value for k in DayKind])


def _back():
    return url_for("admin.calendar_page", year=request.form.get("year") or None)


@bp.post("/calendar/days")
@page_auth(Role.ADMIN)
def calendar_set_day():
    form = request.form
    day_text = form.get("day", "")
    return _apply(lambda: holidays.set_day(current_actor(), holidays.parse_day(day_text),
                                           holidays.parse_kind(form.get("kind", "")), form.get("name", ""),
                                           now_utc(), _ip()),
                  _("%(day)s saved.", day=day_text), _back())


@bp.post("/calendar/days/delete")
@page_auth(Role.ADMIN)
def calendar_delete_day():
    day_text = request.form.get("day", "")
    return _apply(lambda: holidays.delete_day(current_actor(), holidays.parse_day(day_text), _ip()),
                  _("%(day)s removed: it follows the week again.", day=day_text), _back())


@bp.post("/calendar/import")
@page_auth(Role.ADMIN)
def calendar_import():
    upload = request.files.get("file")
    raw = upload.read(IMPORT_MAX_BYTES + 1) if upload else b""
    try:
        if len(raw) > IMPORT_MAX_BYTES:
            raise ValidationFailed(_("The file is too large."), field="file")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed(_("The file must be UTF-8 text."), field="file") from None
        per_year = holidays.import_lines(current_actor(), text.splitlines(), now_utc(), _ip())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.calendar_page"))
    flash(_("Imported: %(years)s.", years=", ".join(f"{y} ({n})" for y, n in sorted(per_year.items()))), "success")
    return redirect(url_for("admin.calendar_page", year=min(per_year)))


@bp.app_context_processor
def _calendar_warning():
    """For admins and supervisors: the first day within 60 days the calendar does not cover, if any."""
    if not getattr(current_user, "is_authenticated", False) or current_user.role not in (Role.ADMIN,
                                                                                         Role.SUPERVISOR):
        return {}
    if current_app.config.get("SLA_CALENDAR") != "workdays":
        return {}
    try:
        gap = holidays.coverage_gap(to_local(now_utc()).date())
    except Exception:  # noqa: BLE001 - a warning must never break the page it sits on
        db.session.rollback()
        return {}
    return {"calendar_gap": gap}
