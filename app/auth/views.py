"""Login and logout pages, and device tokens for the PWA and other API clients."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth.forms import LoginForm
from app.extensions import db
from app.models import Role
from app.services.accounts import login_guard, users
from app.timeutil import now_utc

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {
    Role.INSPECTOR: "pwa.shell",  # the offline-first capture app
    Role.DEPARTMENT: "web.desk_queue",
    Role.SUPERVISOR: "web.triage_queue",
    Role.ADMIN: "admin.overview",
}


def home_for(role: Role) -> str:
    return url_for(HOME_BY_ROLE[Role(role)])


def _safe_next(target: str | None) -> str | None:
    """Only follow a `next` that stays on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        now, ip = now_utc(), request.remote_addr or "unknown"
        verdict = login_guard.check(form.username.data, ip, now)
        if not verdict.allowed:
            minutes = -(-verdict.retry_after_s // 60)
            error = _("Too many failed attempts. Try again in %(n)d minutes.", n=minutes)
            return render_template("auth/login.html", form=form, error=error), 429, {
                "Retry-After": str(verdict.retry_after_s)}
        user = users.authenticate(form.username.data, form.password.data)
        login_guard.record(form.username.data, ip, success=user is not None and user.active, now=now)
        db.session.commit()
        if user is None:
            error, status = _("Wrong username or password."), 401
        elif not user.active:
            error, status = _("This account is disabled. Ask the administrator."), 403
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or home_for(user.role))
    elif request.method == "POST":
        error, status = _("Please fill in both fields."), 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You have logged out."))
    return redirect(url_for("auth.login"))


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    return redirect(url_for("auth.login"))
