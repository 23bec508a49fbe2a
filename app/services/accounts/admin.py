"""What administrators change: accounts and the county's configuration, every change audited."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Area, Category, Department, Role, User
from app.services.accounts import api_keys, audit, users
from app.services.actor import Actor
from app.services.reports.geo import invalidate_area_cache


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden(_("Only administrators may change this."))


def _get(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        raise NotFound(_("Not found."))
    return found


KEEP = object()  # an argument left out: the value stays as it is


def _area_id(code: str | None) -> int | None:
    if not code:
        return None
    found = db.session.scalar(sa.select(Area.id).where(Area.code == code))
    if found is None:
        raise ValidationFailed(_("Unknown area."), field="area")
    return found


def _department_id(code: str | None) -> int | None:
    if not code:
        return None
    found = db.session.scalar(sa.select(Department.id).where(Department.code == code))
    if found is None:
        raise ValidationFailed(_("Unknown department."), field="department")
    return found


def create_user(actor: Actor, *, username: str, password: str, role: str, department_code: str | None,
                display_name: str = "", email: str | None = None, ip: str | None = None) -> User:
    _require_admin(actor)
    user = users.create_user(username, password, role, department_code or None, display_name=display_name,
                             email=email or None)
    audit.record(actor, "user.create", "user", user.id,
                 {"username": user.username, "role": user.role.value, "department": department_code}, ip)
    return user


def update_user(actor: Actor, user_id: int, *, role: str, department_code: str | None, display_name: str,
                email: str | None, active: bool, ip: str | None = None, area_code: str | None | object = KEEP) -> User:
    """Change an account's role, department, area (an inspector's beat: draws assign its points to
    them), name, e-mail or whether it may log in. `area_code` left out keeps the area."""
    _require_admin(actor)
    user = _get(User, user_id)
    api_keys.refuse_key_account(user.id)
    try:
        new_role = Role(role)
    except ValueError:
        raise ValidationFailed(_("Unknown role."), field="role") from None
    department_id = _department_id(department_code)
    if new_role == Role.DEPARTMENT and department_id is None:
        raise ValidationFailed(_("A department user needs a department."), field="department")
    if user.id == actor.user_id and (not active or new_role != Role.ADMIN):
        raise ValidationFailed(_("You cannot lock yourself out."), field="role")
    area_id = user.area_id if area_code is KEEP else _area_id(area_code)
    before = {"role": user.role.value, "department_id": user.department_id, "active": user.active,
              "display_name": user.display_name, "email": user.email, "area_id": user.area_id}
    user.role, user.department_id, user.area_id = new_role, department_id, area_id
    user.display_name, user.email, user.active = display_name.strip() or user.username, email or None, active
    after = {"role": user.role.value, "department_id": user.department_id, "active": user.active,
             "display_name": user.display_name, "email": user.email, "area_id": user.area_id}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        audit.record(actor, "user.update", "user", user.id, changed, ip)
    if not active:
        users.sign_out_everywhere(user, "disabled")  # a disabled account keeps no session and no device
    return user


def reset_password(actor: Actor, user_id: int, password: str, ip: str | None = None) -> None:
    _require_admin(actor)
    user = _get(User, user_id)
    api_keys.refuse_key_account(user.id)
    users.set_password(user, password, reason="password_reset")  # ends its sessions, revokes its devices
    audit.record(actor, "user.reset_password", "user", user.id, {}, ip)


def revoke_tokens(actor: Actor, user_id: int, ip: str | None = None) -> int:
    _require_admin(actor)
    count = users.revoke_all_tokens(_get(User, user_id).id)
    audit.record(actor, "user.revoke_tokens", "user", user_id, {"revoked": count}, ip)
    return count


@dataclass
class CategoryChange:
    sla_hours: int
    department_code: str | None
    area_scoped: bool
    active: bool


def update_category(actor: Actor, category_id: int, change: CategoryChange, ip: str | None = None) -> Category:
    """Routing rules and deadlines are data: the admin edits them here, not in code."""
    _require_admin(actor)
    category = _get(Category, category_id)
    if not 1 <= change.sla_hours <= 24 * 90:
        raise ValidationFailed(_("SLA hours must be between 1 and 2160."), field="sla_hours")
    before = {"sla_hours": category.sla_hours, "default_department_id": category.default_department_id,
              "area_scoped": category.area_scoped, "active": category.active}
    category.sla_hours = change.sla_hours
    category.default_department_id = _department_id(change.department_code)
    category.area_scoped, category.active = change.area_scoped, change.active
    after = {"sla_hours": category.sla_hours, "default_department_id": category.default_department_id,
             "area_scoped": category.area_scoped, "active": category.active}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        audit.record(actor, "category.update", "category", category.code, changed, ip)
    return category


def update_area(actor: Actor, area_id: int, department_code: str | None, ip: str | None = None) -> Area:
    """Which department answers for an area (area-scoped categories route there)."""
    _require_admin(actor)
    area = _get(Area, area_id)
    before = area.department_id
    area.department_id = _department_id(department_code)
    if before != area.department_id:
        audit.record(actor, "area.update", "area", area.code, {"department_id": [before, area.department_id]}, ip)
        db.session.flush()
        invalidate_area_cache()
    return area


def save_department(actor: Actor, *, code: str, name_zh: str, name_en: str, active: bool,
                    ip: str | None = None) -> Department:
    """Create a department, or rename / (de)activate the one with this code."""
    _require_admin(actor)
    code = code.strip().upper()
    if not code or len(code) > 32 or not all(c.isalnum() or c in "-_" for c in code):
        raise ValidationFailed(_("Codes use letters, digits, - and _ only."), field="code")
    if not name_zh.strip():
        raise ValidationFailed(_("A Chinese name is required."), field="name_zh")
    department = db.session.scalar(sa.select(Department).where(Department.code == code))
    action = "department.update"
    if department is None:
        department = Department(code=code, name_zh="", name_en="")
        db.session.add(department)
        action = "department.create"
    department.name_zh, department.name_en, department.active = name_zh.strip(), name_en.strip(), active
    db.session.flush()
    audit.record(actor, action, "department", code, {"name_zh": department.name_zh, "active": active}, ip)
    return department
