"""Login and logout pages, and device tokens for the PWA and other API clients."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.forms import LoginForm
from app.extensions import db
from app.models import Role, User
from app.security import end_web_session, start_web_session
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


def _throttled(form: LoginForm, retry_after_s: int):
    """The answer to an attempt that must wait: the same for every username, known or not."""
    if retry_after_s < 120:
        error = _("Too many failed attempts. Try again in %(n)d seconds.", n=retry_after_s)
    else:
        error = _("Too many failed attempts. Try again in %(n)d minutes.", n=-(-retry_after_s // 60))
    return render_template("auth/login.html", form=form, error=error), 429, {"Retry-After": str(retry_after_s)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        now, ip = now_utc(), request.remote_addr or "unknown"
        verdict = login_guard.begin(form.username.data, ip, now)
        if not verdict.allowed:
            db.session.rollback()
            return _throttled(form, verdict.retry_after_s)
        candidate = users.login_candidate(form.username.data)
        # The attempt counts from here, for every worker; and no lock is held during the slow hash.
        db.session.commit()
        if not users.password_matches(candidate, form.password.data):  # the same work for unknown users
            error, status = _("Wrong username or password."), 401
        elif not candidate.active:
            error, status = _("This account is disabled. Ask the administrator."), 403
        else:
            user = db.session.get(User, candidate.user_id)
            if user is None or not user.active:  # disabled while its password was being checked
                return render_template("auth/login.html", form=form,
                                       error=_("This account is disabled. Ask the administrator.")), 403
            login_guard.succeeded(verdict.attempt_id)
            users.upgrade_hash_if_needed(user, form.password.data)
            start_web_session(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or home_for(user.role))
    elif request.method == "POST":
        error, status = _("Please fill in both fields."), 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """End this session on the server too: the same cookie is refused afterwards."""
    end_web_session("logout")
    db.session.commit()
    flash(_("You have logged out."))
    return redirect(url_for("auth.login"))


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    return redirect(url_for("auth.login"))
