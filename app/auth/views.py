"""Login and logout pages, and device tokens for the PWA and other API clients."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth.forms import LoginForm
from app.extensions import db
from app.models import Role
from app.services import users

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {
    Role.INSPECTOR: "web.ticket_list",
    Role.DEPARTMENT: "web.ticket_list",
    Role.SUPERVISOR: "web.ticket_list",
    Role.ADMIN: "web.ticket_list",
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
        user = users.authenticate(form.username.data, form.password.data)
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
