"""Admin pages (thin: parse the form, call app.services.accounts.admin, commit, redirect)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.errors import DomainError, ValidationFailed
from app.extensions import db
from app.models import Area, AuditEntry, Category, Department, Role, User
from app.security import current_actor, page_auth
from app.services.accounts import admin

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _ip() -> str | None:
    return request.remote_addr


def _flag(name: str) -> bool:
    return request.form.get(name) in ("on", "1", "true")


def _text(name: str, column) -> str:
    """A form field checked against the length of the column it is stored in (a model attribute).

    Over-long, it is a form error here; PostgreSQL would otherwise fail the whole request with a
    500 (and SQLite would store it). Call it inside the change given to _apply.
    """
    value = request.form.get(name, "")
    limit = column.type.length
    if limit is not None and len(value) > limit:
        raise ValidationFailed(_("%(field)s may be at most %(n)d characters long.", field=name, n=limit),
                               field=name)
    return value


def _apply(change, success_message: str, target: str):
    """Run one admin change, commit it with its audit row, and come back with a message."""
    try:
        change()
        db.session.commit()
        flash(success_message, "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(target)


def _departments():
    return db.session.scalars(sa.select(Department).order_by(Department.code)).all()


@bp.get("/")
@page_auth(Role.ADMIN)
def overview():
    counts = {
        "users": db.session.scalar(sa.select(sa.func.count(User.id))),
        "departments": db.session.scalar(sa.select(sa.func.count(Department.id))),
        "categories": db.session.scalar(sa.select(sa.func.count(Category.id))),
        "areas": db.session.scalar(sa.select(sa.func.count(Area.id))),
    }
    return render_template("admin/overview.html", counts=counts)


@bp.get("/users")
@page_auth(Role.ADMIN)
def user_list():
    accounts = db.session.scalars(sa.select(User).order_by(User.role, User.username)).all()
    return render_template("admin/users.html", users=accounts, departments=_departments(),
                           roles=[r.value for r in Role])


@bp.post("/users")
@page_auth(Role.ADMIN)
def user_create():
    form = request.form
    return _apply(lambda: admin.create_user(
        current_actor(), username=_text("username", User.username), password=form.get("password", ""),
        role=form.get("role", ""), department_code=form.get("department") or None,
        display_name=_text("display_name", User.display_name), email=_text("email", User.email), ip=_ip()),
        _("Account created."), url_for("admin.user_list"))


@bp.get("/users/<int:user_id>")
@page_auth(Role.ADMIN)
def user_edit(user_id: int):
    account = db.get_or_404(User, user_id)
    areas = db.session.scalars(sa.select(Area).where(Area.kind != "county").order_by(Area.code)).all()
    return render_template("admin/user_edit.html", account=account, departments=_departments(),
                           roles=[r.value for r in Role], areas=areas)


@bp.post("/users/<int:user_id>")
@page_auth(Role.ADMIN)
def user_update(user_id: int):
    form = request.form
    return _apply(lambda: admin.update_user(
        current_actor(), user_id, role=form.get("role", ""), department_code=form.get("department") or None,
        display_name=_text("display_name", User.display_name), email=_text("email", User.email),
        active=_flag("active"), area_code=form.get("area") or None, ip=_ip()),
        _("Account saved."), url_for("admin.user_edit", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@page_auth(Role.ADMIN)
def user_password(user_id: int):
    return _apply(lambda: admin.reset_password(current_actor(), user_id, request.form.get("password", ""), _ip()),
                  _("Password reset; the account's devices must log in again."),
                  url_for("admin.user_edit", user_id=user_id))


@bp.post("/users/<int:user_id>/revoke-tokens")
@page_auth(Role.ADMIN)
def user_revoke_tokens(user_id: int):
    return _apply(lambda: admin.revoke_tokens(current_actor(), user_id, _ip()),
                  _("All device tokens of this account were revoked."),
                  url_for("admin.user_edit", user_id=user_id))


@bp.get("/departments")
@page_auth(Role.ADMIN)
def department_list():
    return render_template("admin/departments.html", departments=_departments())


@bp.post("/departments")
@page_auth(Role.ADMIN)
def department_save():
    form = request.form
    return _apply(lambda: admin.save_department(
        current_actor(), code=form.get("code", ""), name_zh=_text("name_zh", Department.name_zh),
        name_en=_text("name_en", Department.name_en), active=_flag("active"), ip=_ip()),
        _("Department saved."), url_for("admin.department_list"))


@bp.get("/categories")
@page_auth(Role.ADMIN)
def category_list():
    categories = db.session.scalars(sa.select(Category).order_by(Category.group_code, Category.code)).all()
    return render_template("admin/categories.html", categories=categories, departments=_departments())


@bp.post("/categories/<int:category_id>")
@page_auth(Role.ADMIN)
def category_update(category_id: int):
    form = request.form
    try:
        sla_hours = int(form.get("sla_hours", ""))
    except ValueError:
        flash(_("SLA hours must be a whole number."), "error")
        return redirect(url_for("admin.category_list"))
    change = admin.CategoryChange(sla_hours=sla_hours, department_code=form.get("department") or None,
                                  area_scoped=_flag("area_scoped"), active=_flag("active"))
    return _apply(lambda: admin.update_category(current_actor(), category_id, change, _ip()),
                  _("Category saved."), url_for("admin.category_list"))


@bp.get("/areas")
@page_auth(Role.ADMIN)
def area_list():
    areas = db.session.scalars(sa.select(Area).order_by(Area.kind, Area.code)).all()
    return render_template("admin/areas.html", areas=areas, departments=_departments())


@bp.post("/areas/<int:area_id>")
@page_auth(Role.ADMIN)
def area_update(area_id: int):
    return _apply(lambda: admin.update_area(current_actor(), area_id, request.form.get("department") or None,
                                            _ip()),
                  _("Area saved."), url_for("admin.area_list"))


@bp.get("/audit")
@page_auth(Role.ADMIN)
def audit_log():
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)).all()
    names = dict(db.session.execute(sa.select(User.id, User.username)).all())
    return render_template("admin/audit.html", entries=entries, names=names)


import app.admin.api_keys  # noqa: E402,F401  (its views attach to bp)
import app.admin.basemap  # noqa: E402,F401  (the offline base map's roads and rivers)
import app.admin.calendar  # noqa: E402,F401  (the working-day calendar, and its warning on every page)
import app.admin.photo_tasks  # noqa: E402,F401  (photo derivatives pending and failed, issue 20)
import app.admin.webhooks  # noqa: E402,F401  (departments' group-chat robots)
from app.admin import assessment  # noqa: E402,F401  (points, weights and checklists of the mock assessment)
