"""Location type weights: how much each type's mean counts in the county's score (equal, 1, by default)."""
from __future__ import annotations

import math

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import LocationType
from app.services.accounts import audit
from app.services.actor import Actor
from app.services.assessment.checklists import location_type

MAX_WEIGHT = 100.0


def parse_weight(raw: str) -> float:
    """A weight typed in a form: a number from 0 to 100 (0 leaves the type out of the county's score)."""
    try:
        value = float((raw or "").strip().replace("，", ".").replace(",", "."))
    except ValueError:
        raise ValidationFailed(_("A weight is a number from 0 to 100."), field="weight") from None
    if not math.isfinite(value) or not 0 <= value <= MAX_WEIGHT:
        raise ValidationFailed(_("A weight is a number from 0 to 100."), field="weight")
    return value


def set_weight(code: str, weight: float, actor: Actor) -> LocationType:
    if not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and administrators edit checklists."))
    kind = location_type(code)
    if kind is None:
        raise NotFound(_("No such location type."), field="location_type")
    if kind.weight != weight:
        audit.record(actor, "location_type_weight", "location_type", kind.code, {"from": kind.weight, "to": weight})
        kind.weight = weight
    return kind


def all_types() -> list[LocationType]:
    return list(db.session.scalars(sa.select(LocationType).order_by(LocationType.code)))
