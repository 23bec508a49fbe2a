"""Checklists per location type, versioned (decision 0007).

A version and its items are written once and never changed (the model refuses updates): an edit
makes the next version, so a visit made with version 3 still reads against version 3's items, and
its own results never change. "Current" is the highest version of the type.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Category, ChecklistItem, ChecklistVersion, LocationType
from app.services.accounts import audit
from app.services.actor import Actor
from app.text import text_problem

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")  # matched whole (fullmatch)
MAX_TEXT = 1000
MAX_ITEMS = 200
MAX_DEDUCTION = 100.0


@dataclass(frozen=True)
class ItemSpec:
    """One item as an editor (or the seed) gives it."""

    code: str
    text_zh: str
    category_code: str
    deduction: float
    text_en: str = ""
    guidance: str = ""


def location_type(code: str) -> LocationType | None:
    if not isinstance(code, str) or text_problem(code) is not None or len(code) > 16:
        return None  # never sent to SQL: PostgreSQL refuses a NUL in a parameter
    return db.session.scalar(sa.select(LocationType).where(LocationType.code == code))


def current_version(location_type_code: str) -> ChecklistVersion | None:
    """The highest version of the type's checklist, or None (no such type, or no checklist yet)."""
    kind = location_type(location_type_code)
    if kind is None:
        return None
    return db.session.scalar(sa.select(ChecklistVersion).where(ChecklistVersion.location_type_id == kind.id)
                             .order_by(ChecklistVersion.version.desc()).limit(1))


def get_version(location_type_code: str, number: int) -> ChecklistVersion | None:
    kind = location_type(location_type_code)
    if kind is None:
        return None
    return db.session.scalar(sa.select(ChecklistVersion).where(ChecklistVersion.location_type_id == kind.id,
                                                               ChecklistVersion.version == number))


def specs_of(version: ChecklistVersion) -> list[ItemSpec]:
    return [ItemSpec(i.code, i.text_zh, i.category.code, i.deduction, i.text_en, i.guidance) for i in version.items]


def new_version(location_type_code: str, items: Sequence[ItemSpec], actor: Actor, now: datetime,
                note: str = "") -> ChecklistVersion:
    """Write `items` as the type's next checklist version; the current one is returned unchanged when
    `items` are exactly its items (saving an unchanged form makes no version)."""
    if not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and administrators edit checklists."))
    kind = location_type(location_type_code)
    if kind is None:
        raise NotFound(_("No such location type."), field="location_type")
    categories = _validate(items)
    _check_text("note", note)
    current = current_version(kind.code)
    if current is not None and specs_of(current) == [_normalised(i) for i in items]:
        return current
    version = ChecklistVersion(location_type_id=kind.id, version=(current.version + 1) if current else 1,
                               created_at=now, created_by_id=actor.user_id, note=note)
    db.session.add(version)
    for position, spec in enumerate(items, start=1):
        spec = _normalised(spec)
        db.session.add(ChecklistItem(
            checklist_version=version, position=position, code=spec.code, text_zh=spec.text_zh,
            text_en=spec.text_en, category_id=categories[spec.category_code], deduction=spec.deduction,
            guidance=spec.guidance))
    db.session.flush()
    if actor.user_id is not None:  # the seed's first versions are not an administrator's action
        audit.record(actor, "checklist_version", "location_type", kind.code,
                     {"version": version.version, "items": len(items), "note": note})
    return version


def first_versions(specs_by_type: dict[str, Sequence[ItemSpec]], now: datetime, note: str) -> int:
    """Version 1 of each type's checklist that has none yet, written in bulk (the seed); how many."""
    kinds = dict(db.session.execute(sa.select(LocationType.code, LocationType.id)).all())
    has_one = set(db.session.scalars(sa.select(ChecklistVersion.location_type_id).distinct()))
    active = dict(db.session.execute(sa.select(Category.code, Category.id).where(Category.active)).all())
    todo = {code: specs for code, specs in specs_by_type.items() if kinds.get(code) not in has_one}
    versions = {}
    for code, specs in todo.items():
        if code not in kinds:
            raise NotFound(_("No such location type."), field="location_type")
        _validate(specs, active)
        versions[code] = ChecklistVersion(location_type_id=kinds[code], version=1, created_at=now, note=note)
    db.session.add_all(versions.values())
    db.session.flush()
    rows = [{"checklist_version_id": versions[code].id, "position": position, "code": spec.code,
             "text_zh": spec.text_zh, "text_en": spec.text_en, "category_id": active[spec.category_code],
             "deduction": spec.deduction, "guidance": spec.guidance}
            for code, specs in todo.items() for position, spec in enumerate(map(_normalised, specs), start=1)]
    if rows:
        db.session.execute(sa.insert(ChecklistItem), rows)
    return len(versions)


def edit_item(location_type_code: str, item_code: str, actor: Actor, now: datetime, note: str = "",
              **changes) -> ChecklistVersion:
    """A new version in which one item has the `changes` (text_zh, deduction, …); the others are copied."""
    current = current_version(location_type_code)
    if current is None:
        raise NotFound(_("This location type has no checklist yet."), field="location_type")
    specs = specs_of(current)
    if item_code not in {s.code for s in specs}:
        raise NotFound(_("No such item in the checklist."), field="item_code")
    unknown = set(changes) - set(ItemSpec.__dataclass_fields__) - {"code"}
    if unknown:
        raise ValidationFailed(_("Unknown item field."), field=sorted(unknown)[0])
    edited = [replace(s, **changes) if s.code == item_code else s for s in specs]
    return new_version(location_type_code, edited, actor, now, note)


def _normalised(spec: ItemSpec) -> ItemSpec:
    return replace(spec, code=spec.code.strip(), text_zh=spec.text_zh.strip(), text_en=spec.text_en.strip(),
                   guidance=spec.guidance.strip(), category_code=spec.category_code.strip(),
                   deduction=float(spec.deduction))


def _validate(items: Sequence[ItemSpec], active: dict[str, int] | None = None) -> dict[str, int]:
    """Refuse a checklist that could not be scored; return category code → id (`active`: the active
    categories, code → id, when the caller has read them already)."""
    if not items:
        raise ValidationFailed(_("A checklist needs at least one item."), field="items")
    if len(items) > MAX_ITEMS:
        raise ValidationFailed(_("A checklist has at most %(n)d items.", n=MAX_ITEMS), field="items")
    codes, used = set(), {}
    for spec in items:
        for name in ("code", "text_zh", "text_en", "guidance", "category_code"):
            value = getattr(spec, name)
            if not isinstance(value, str):
                raise ValidationFailed(_("This value is not valid."), field=name)
            _check_text(name, value)
        code = spec.code.strip()
        if not CODE.fullmatch(code):
            raise ValidationFailed(_("An item code is letters, digits, '.', '_' or '-' (at most 32)."), field="code")
        if code in codes:
            raise ValidationFailed(_("Item code %(code)s is used twice.", code=code), field="code")
        codes.add(code)
        if not spec.text_zh.strip():
            raise ValidationFailed(_("Every item needs its Chinese text."), field="text_zh")
        deduction = spec.deduction
        if isinstance(deduction, bool) or not isinstance(deduction, int | float) or not math.isfinite(deduction) \
                or not 0 <= deduction <= MAX_DEDUCTION:
            raise ValidationFailed(_("A deduction is a number from 0 to 100."), field="deduction")
        category = spec.category_code.strip()
        if category in used:
            # A ticket must point back at one item: two items of one category would both fail for it.
            raise ValidationFailed(_("Items %(a)s and %(b)s have the same category.", a=used[category], b=code),
                                   field="category_code")
        used[category] = code
    if active is not None:
        found = {code: active[code] for code in used if code in active}
    else:
        found = dict(db.session.execute(sa.select(Category.code, Category.id).where(
            Category.code.in_(list(used)), Category.active)).all())
    missing = sorted(set(used) - set(found))
    if missing:
        raise ValidationFailed(_("Category %(code)s does not exist or is no longer used.", code=missing[0]),
                               field="category_code")
    return found


def _check_text(name: str, value: str) -> None:
    if text_problem(value) is not None:
        raise ValidationFailed(_("The text holds characters that cannot be stored."), field=name)
    if len(value) > MAX_TEXT:
        raise ValidationFailed(_("The text is too long."), field=name)
