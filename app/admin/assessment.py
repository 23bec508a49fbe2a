"""Admin pages of the mock field assessment: inspection points, location type weights, checklists.

Thin: parse the form, call app/services/assessment (points, weights, checklists), commit, redirect.
A refused form is shown again with what was typed and the reason (422), never half saved.
"""
from __future__ import annotations

import math
import re

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin.views import bp
from app.errors import DomainError, NotFound, ValidationFailed
from app.extensions import db
from app.models import Area, AreaKind, Category, ChecklistVersion, Department, InspectionPoint, Role, Visit
from app.security import current_actor, page_auth
from app.services.assessment import checklists, points, weights
from app.services.assessment.checklists import ItemSpec
from app.timeutil import now_utc

NEW_ROWS = 3  # empty item rows offered below a checklist's items
MAX_FORM_ROWS = checklists.MAX_ITEMS + NEW_ROWS
FIELDS = ("code", "text_zh", "text_en", "category_code", "deduction", "guidance", "remove")
ROW_FIELD = re.compile(r"item-(\d{1,3})-(" + "|".join(FIELDS) + ")")


def _choices() -> dict:
    return {
        "types": weights.all_types(),
        "departments": db.session.scalars(sa.select(Department).where(Department.active, ~Department.is_placeholder)
                                          .order_by(Department.code)).all(),
        "areas": db.session.scalars(sa.select(Area).where(Area.kind != AreaKind.COUNTY).order_by(Area.code)).all(),
    }


def _point(code: str) -> InspectionPoint:
    point = db.session.scalar(sa.select(InspectionPoint).where(InspectionPoint.code == code)) \
        if len(code) <= 32 else None
    if point is None:
        raise NotFound(_("No such point."), field="code")
    return point


def _number(name: str) -> float | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValidationFailed(_("%(name)s must be a number.", name=name), field=name) from None
    if not math.isfinite(value):
        raise ValidationFailed(_("%(name)s must be a number.", name=name), field=name)
    return value


def _spec(code: str, polygon: dict | None) -> points.PointSpec:
    form = request.form
    return points.PointSpec(code=code, name=form.get("name", ""), location_type=form.get("location_type", ""),
                            lat=_number("lat"), lon=_number("lon"), department_code=form.get("department_code", ""),
                            area_code=form.get("area_code") or None, polygon=polygon)


@bp.get("/points")
@page_auth(Role.ADMIN)
def point_list():
    return _render_list()


def _render_list(status: int = 200, form: dict | None = None, error: DomainError | None = None):
    last = (sa.select(Visit.point_id, sa.func.max(Visit.started_at).label("at"))
            .where(Visit.voided_at.is_(None)).group_by(Visit.point_id).subquery())
    rows = db.session.execute(sa.select(InspectionPoint, last.c.at)
                              .outerjoin(last, last.c.point_id == InspectionPoint.id)
                              .order_by(InspectionPoint.active.desc(), InspectionPoint.code)).all()
    return render_template("admin/points.html", rows=rows, form=form or {}, error=error, **_choices()), status


@bp.post("/points")
@page_auth(Role.ADMIN)
def point_create():
    code = request.form.get("code", "").strip()
    try:
        if code and db.session.scalar(sa.select(InspectionPoint.id).where(InspectionPoint.code == code)):
            raise ValidationFailed(_("Point %(code)s exists already; edit it instead.", code=code), field="code")
        points.save_point(_spec(code, None), current_actor(), now_utc())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _render_list(422, request.form, exc)
    flash(_("Point %(code)s created.", code=code), "success")
    return redirect(url_for("admin.point_list"))


@bp.get("/points/<code>")
@page_auth(Role.ADMIN)
def point_edit(code: str):
    point = _point(code)
    form = {"name": point.name, "location_type": point.location_type.code, "lat": point.lat, "lon": point.lon,
            "department_code": point.department.code, "area_code": point.area.code if point.area else ""}
    return render_template("admin/points_edit.html", point=point, form=form, error=None, **_choices())


@bp.post("/points/<code>")
@page_auth(Role.ADMIN)
def point_update(code: str):
    point = _point(code)
    try:
        points.save_point(_spec(point.code, point.polygon), current_actor(), now_utc())  # the outline stays
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        point = _point(code)
        return render_template("admin/points_edit.html", point=point, form=request.form, error=exc,
                               **_choices()), 422
    flash(_("Point %(code)s saved.", code=code), "success")
    return redirect(url_for("admin.point_edit", code=code))


@bp.post("/points/<code>/active")
@page_auth(Role.ADMIN)
def point_set_active(code: str):
    point = _point(code)
    active = request.form.get("active") == "1"
    points.set_active(point.code, active, current_actor())
    db.session.commit()
    flash(_("Point %(code)s is in the assessment again.", code=code) if active else
          _("Point %(code)s is out of the assessment; its visits are kept.", code=code), "success")
    return redirect(url_for("admin.point_edit", code=code))


# --- location types: weights and checklists ---------------------------------------------------

@bp.get("/location-types")
@page_auth(Role.ADMIN)
def location_type_list():
    version = sa.func.max(ChecklistVersion.version)
    current = dict(db.session.execute(sa.select(ChecklistVersion.location_type_id, version)
                                      .group_by(ChecklistVersion.location_type_id)).all())
    counts = dict(db.session.execute(sa.select(InspectionPoint.location_type_id, sa.func.count())
                                     .where(InspectionPoint.active).group_by(InspectionPoint.location_type_id)).all())
    return render_template("admin/points_types.html", types=weights.all_types(), current=current, counts=counts)


@bp.post("/location-types/<code>/weight")
@page_auth(Role.ADMIN)
def location_type_weight(code: str):
    try:
        kind = weights.set_weight(code, weights.parse_weight(request.form.get("weight", "")), current_actor())
        db.session.commit()
        flash(_("Weight of %(type)s saved.", type=kind.code), "success")
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, NotFound):
            raise
        flash(exc.message, "error")
    return redirect(url_for("admin.location_type_list"))


def _kind(code: str):
    kind = checklists.location_type(code)
    if kind is None:
        raise NotFound(_("No such location type."), field="location_type")
    return kind


def _versions(kind) -> list[ChecklistVersion]:
    return list(db.session.scalars(sa.select(ChecklistVersion).where(ChecklistVersion.location_type_id == kind.id)
                                   .order_by(ChecklistVersion.version.desc())))


def _render_checklist(kind, rows: list[dict], note: str = "", error: DomainError | None = None, status: int = 200):
    categories = db.session.scalars(sa.select(Category).where(Category.active).order_by(Category.code)).all()
    return render_template("admin/points_checklist.html", kind=kind, rows=rows, note=note, error=error,
                           versions=_versions(kind), categories=categories), status


@bp.get("/checklists/<code>")
@page_auth(Role.ADMIN)
def checklist_edit(code: str):
    kind = _kind(code)
    current = checklists.current_version(kind.code)
    rows = [vars(spec) | {"deduction": f"{spec.deduction:g}"} for spec in checklists.specs_of(current)] \
        if current else []
    return _render_checklist(kind, rows + [{} for _ in range(NEW_ROWS)])


def _posted_rows() -> list[dict]:
    """The item rows of the form (item-N-field), in the order of N; a row with nothing typed in it is no item."""
    found: dict[int, dict] = {}
    for key, value in request.form.items():
        match = ROW_FIELD.fullmatch(key)
        if match and int(match.group(1)) < MAX_FORM_ROWS:
            found.setdefault(int(match.group(1)), dict.fromkeys(FIELDS, ""))[match.group(2)] = value
    rows = [found[n] for n in sorted(found)]
    for row in rows:
        row["remove"] = row["remove"] == "on"
    return rows


def _specs(rows: list[dict]) -> list[ItemSpec]:
    specs = []
    for n, row in enumerate(rows, 1):
        if row["remove"] or not any(row[k].strip() for k in ("code", "text_zh", "text_en", "deduction", "guidance")):
            continue
        try:
            deduction = float(row["deduction"].strip() or "x")
        except ValueError:
            raise ValidationFailed(_("Row %(n)d: a deduction is a number from 0 to 100.", n=n),
                                   field="deduction") from None
        specs.append(ItemSpec(code=row["code"], text_zh=row["text_zh"], category_code=row["category_code"],
                              deduction=deduction, text_en=row["text_en"], guidance=row["guidance"]))
    return specs


@bp.post("/checklists/<code>")
@page_auth(Role.ADMIN)
def checklist_save(code: str):
    kind = _kind(code)
    rows = _posted_rows()
    note = request.form.get("note", "")
    before = checklists.current_version(kind.code)
    try:
        version = checklists.new_version(kind.code, _specs(rows), current_actor(), now_utc(), note)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        kind = _kind(code)
        shown = [r for r in rows if any(v for k, v in r.items() if k != "remove")] + [{} for _ in range(NEW_ROWS)]
        return _render_checklist(kind, shown, note, exc, 422)
    if before is not None and version.id == before.id:
        flash(_("Nothing changed: the checklist stays at version %(n)d.", n=version.version), "success")
    else:
        flash(_("Version %(n)d of the checklist saved; visits made with earlier versions keep theirs.",
                n=version.version), "success")
    return redirect(url_for("admin.checklist_edit", code=kind.code))
